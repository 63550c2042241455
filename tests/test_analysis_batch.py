"""Analysing many answers at once (``answers_analyze``): the same rows as one at a time,
in a fixed number of statements however many answers."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from monitoring.models import Answer, Citation, Mention, Workspace
from monitoring.services.analysis import answer_analyze, answers_analyze
from tests.factories import make_answer, make_brand, make_task

pytestmark = pytest.mark.django_db

TEXTS = [
    "**HubSpot** first, then Pipedrive; Freshsales is another choice.",
    "I couldn't find information about Pipedrive, but HubSpot is popular.",
    "Nothing to recommend here.",
]


def _answers(workspace, prefix: str, n: int) -> list[Answer]:
    return [
        make_answer(
            task=make_task(workspace=workspace, tag=f"{prefix}-{i}", request_body={}),
            text=TEXTS[i % len(TEXTS)],
            answered_at=timezone.now(),
            citations=[
                {"url": "https://blog.hubspot.com/x", "title": "CRM guide"},
                {"url": "https://g2.com/crm", "title": "G2"},
            ],
            analyze=False,
        )
        for i in range(n)
    ]


@pytest.fixture
def brands(workspace):
    make_brand(workspace=workspace, name="HubSpot", kind="own", domains=["hubspot.com"])
    make_brand(workspace=workspace, name="Pipedrive", domains=["pipedrive.com"])


def _written(answers: list[Answer]) -> list[tuple]:
    rows = []
    for answer in Answer.objects.filter(pk__in=[a.pk for a in answers]).order_by("pk"):
        mentions = Mention.objects.filter(answer=answer).order_by("brand_id")
        citations = Citation.objects.filter(answer=answer).order_by("position")
        rows.append(
            (
                answer.text,
                answer.is_informative,
                answer.untracked_names,
                answer.analyzed_at is not None,
                [(m.brand_id, m.count, m.first_offset, m.rank, m.spans) for m in mentions],
                [(c.domain, c.brand_id) for c in citations],
            )
        )
    return rows


def test_a_batch_writes_what_one_at_a_time_writes(workspace, brands):
    single, batch = _answers(workspace, "s", 3), _answers(workspace, "b", 3)
    for answer in single:
        answer_analyze(answer=answer)
    assert answers_analyze(answers=batch) == 3
    assert _written(batch) == _written(single)
    assert Mention.objects.filter(answer__in=batch).count() == 3  # 2 + 1 (refusal) + 0


def test_a_batch_replaces_a_previous_analysis(workspace, brands):
    answers = _answers(workspace, "r", 3)
    answers_analyze(answers=answers)
    first = _written(answers)
    answers_analyze(answers=answers)
    assert _written(answers) == first


def test_a_batch_spanning_workspaces_uses_each_ones_brands(workspace, brands):
    other = Workspace.objects.create(name="Other")
    make_brand(workspace=other, name="Freshsales")
    mine, theirs = _answers(workspace, "m", 1), _answers(other, "o", 1)
    answers_analyze(answers=[*mine, *theirs])
    assert set(Mention.objects.filter(answer__in=mine).values_list("brand__name", flat=True)) == {
        "HubSpot",
        "Pipedrive",
    }
    assert list(
        Mention.objects.filter(answer__in=theirs).values_list("brand__name", flat=True)
    ) == ["Freshsales"]


@pytest.mark.parametrize("n", [1, 30])
def test_a_batch_takes_the_same_statements_however_many_answers(workspace, brands, n):
    answers = _answers(workspace, f"q{n}", n)
    with CaptureQueriesContext(connection) as queries:
        answers_analyze(answers=answers)
    # The brands (3), the citations (1), then the transaction's five writes (delete the
    # mentions, insert them, set the citation owners and the answers' fields, mark their
    # days' summaries stale), plus the transaction's own statements where logged.
    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")]
    assert len([q for q in writes if q.split()[0] in ("DELETE", "INSERT", "UPDATE")]) == 5
    assert len(queries) <= 11
