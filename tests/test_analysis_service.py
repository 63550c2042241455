"""Analysis of stored answers: mentions with spans and ranks, citations, re-analysis."""

import pytest
from django.utils import timezone

from monitoring.models import Brand, BrandAlias, Citation, Mention
from monitoring.services.analysis import answer_analyze, workspace_reanalyze
from tests.factories import make_answer, make_brand, make_task

pytestmark = pytest.mark.django_db

TEXT = (
    "For a startup, **HubSpot** is the usual pick; HubSpot's free tier is generous. "
    "[Pipedrive](https://www.pipedrive.com/pricing) suits sales teams, and SF is an "
    "option for enterprises. See https://hubspot.com/crm. Freshsales is another choice."
)


@pytest.fixture
def answer(workspace):
    make_brand(workspace=workspace, name="HubSpot", kind="own", domains=["hubspot.com"])
    make_brand(workspace=workspace, name="Pipedrive", domains=["pipedrive.com"])
    make_brand(workspace=workspace, name="Salesforce")
    return make_answer(
        task=make_task(workspace=workspace, tag="t-a", request_body={}),
        text=TEXT,
        answered_at=timezone.now(),
        citations=[
            {"url": "https://blog.hubspot.com/x", "title": "CRM guide"},
            {"url": "https://g2.com/crm", "title": "G2"},
        ],
        analyze=False,
    )


def test_it_records_mentions_with_counts_ranks_and_spans(answer):
    answer_analyze(answer=answer)
    mentions = {m.brand.name: m for m in Mention.objects.select_related("brand")}
    assert set(mentions) == {"HubSpot", "Pipedrive"}  # the URL is no mention; SF no alias yet
    assert mentions["HubSpot"].count == 2
    assert mentions["HubSpot"].rank == 1
    assert mentions["Pipedrive"].rank == 2
    for m in mentions.values():
        for start, end, term in m.spans:
            assert answer.text[start:end].lower() == term.lower()
    answer.refresh_from_db()
    assert answer.is_informative
    assert "Freshsales" in answer.untracked_names
    owners = dict(Citation.objects.values_list("domain", "brand__name"))
    assert owners == {"blog.hubspot.com": "HubSpot", "g2.com": None}


def test_it_recomputes_history_when_aliases_change(answer, workspace):
    answer_analyze(answer=answer)
    BrandAlias.objects.create(brand=Brand.objects.get(name="Salesforce"), name="SF")
    assert workspace_reanalyze(workspace=workspace) == 1
    ranks = dict(Mention.objects.values_list("brand__name", "rank"))
    assert ranks == {"HubSpot": 1, "Pipedrive": 2, "Salesforce": 3}
    assert Mention.objects.count() == 3  # replaced, not duplicated
