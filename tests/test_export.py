"""CSV exports: header, rows, streaming, and the dashboard's filters applied."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _csv(client, workspace, kind, **params):
    response = client.get(reverse("export_csv", args=[workspace.pk, kind]), params)
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    assert f'filename="{kind}-' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_it_exports_answers(viewer_client, workspace, data):
    rows = _csv(viewer_client, workspace, "answers")
    assert rows[0] == [
        "answer_id",
        "answered_at",
        "prompt_id",
        "prompt",
        "model",
        "web_search",
        "monitor",
        "task_tag",
        "informative",
        "money_spent",
        "text",
        "prompt_version",
        "engine",
    ]
    assert len(rows) == 11
    assert {r[10] for r in rows[1:]} >= {"Acme is great. Beta too.", "Nothing useful here, sorry."}
    assert len(_csv(viewer_client, workspace, "answers", model="m2")) == 4
    assert len(_csv(viewer_client, workspace, "answers", brand=data["acme"].pk, mentioned=1)) == 8


def test_it_exports_mentions(viewer_client, workspace, data):
    rows = _csv(viewer_client, workspace, "mentions")
    assert rows[0] == [
        "answer_id",
        "answered_at",
        "prompt_id",
        "brand_id",
        "brand",
        "brand_kind",
        "count",
        "rank",
        "first_offset",
        "prompt_version",
        "engine",
    ]
    assert len(rows) == 1 + 7 + 6 + 3
    first = next(r for r in rows[1:] if r[0] == str(data["answers"][4].pk) and r[4] == "Acme")
    assert (first[5], first[6], first[7]) == ("own", "1", "3")
    assert len(_csv(viewer_client, workspace, "mentions", prompt=data["P1"].pk)) == 1 + 5 + 3 + 2


def test_it_exports_citations(viewer_client, workspace, data):
    rows = _csv(viewer_client, workspace, "citations")
    assert rows[0][:6] == ["answer_id", "answered_at", "prompt_id", "position", "domain", "brand"]
    assert len(rows) == 6
    assert sorted(r[4] for r in rows[1:]) == [
        "acme.com",
        "acme.com",
        "beta.com",
        "g2.com",
        "g2.com",
    ]
    assert {r[5] for r in rows[1:] if r[4] == "acme.com"} == {"Acme"}
    assert (
        len(_csv(viewer_client, workspace, "citations", domain="g2.com")) == 1 + 4
    )  # answers citing g2


def test_it_exports_costs_including_failed_tasks(viewer_client, workspace, data):
    rows = _csv(viewer_client, workspace, "costs")
    assert rows[0] == [
        "task_id",
        "tag",
        "created_at",
        "status",
        "prompt_id",
        "model",
        "sample",
        "cost_reserved",
        "cost_prepaid",
        "money_spent",
        "cost_real",
        "prompt_version",
        "engine",
    ]
    assert len(rows) == 13
    assert sorted(r[3] for r in rows[1:])[:2] == ["collected", "collected"]
    assert {"failed", "expired"} <= {r[3] for r in rows[1:]}
    assert {r[9] for r in rows[1:] if r[3] == "collected"} == {"0.010000"}
    assert len(_csv(viewer_client, workspace, "costs", model="m2")) == 4


def test_it_refuses_unknown_kinds(viewer_client, workspace):
    assert (
        viewer_client.get(reverse("export_csv", args=[workspace.pk, "secrets"])).status_code == 404
    )


def test_it_neutralises_formulas_from_third_parties(viewer_client, workspace):
    """A cited page's title (or an answer) that a spreadsheet would run stays text."""
    from tests.factories import make_answer

    make_answer(
        workspace=workspace,
        text='=HYPERLINK("http://evil.example","click")',
        citations=[
            {"url": "https://x.example/a", "title": "=cmd|' /C calc'!A0"},
            {"url": "https://x.example/b", "title": "+1+2"},
            {"url": "https://x.example/c", "title": "-2+3"},
            {"url": "https://x.example/d", "title": "@SUM(A1)"},
            {"url": "https://x.example/e", "title": "\tTab first"},
            {"url": "https://x.example/f", "title": "A plain title - with a dash"},
        ],
    )
    titles = [r[8] for r in _csv(viewer_client, workspace, "citations")[1:]]
    assert titles == [
        "'=cmd|' /C calc'!A0",
        "'+1+2",
        "'-2+3",
        "'@SUM(A1)",
        "'\tTab first",
        "A plain title - with a dash",
    ]
    texts = [r[10] for r in _csv(viewer_client, workspace, "answers")[1:]]
    assert texts == ['\'=HYPERLINK("http://evil.example","click")']


def test_numbers_stay_numbers(viewer_client, workspace, data):
    """Only text is neutralised: amounts and counts are written as they are."""
    rows = _csv(viewer_client, workspace, "costs")
    assert all(not r[9].startswith("'") for r in rows[1:])
    assert {r[9] for r in rows[1:] if r[3] == "collected"} == {"0.010000"}


def test_it_starts_with_a_byte_order_mark_for_excel(viewer_client, workspace):
    response = viewer_client.get(reverse("export_csv", args=[workspace.pk, "answers"]))
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbfanswer_id,")
