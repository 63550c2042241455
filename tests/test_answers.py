"""The drill-down: answer list filters and the answer page with highlighted brands."""

import pytest
from django.urls import reverse

from monitoring.models import Mention
from monitoring.selectors.answers import answer_text_highlighted, highlight_spans
from tests.factories import make_answer

pytestmark = pytest.mark.django_db


class _M:
    def __init__(self, brand_id, spans):
        self.brand_id, self.spans = brand_id, spans


def test_it_escapes_the_text_and_marks_only_the_spans():
    text = "<script>alert(1)</script> Acme & Beta"
    html = answer_text_highlighted(text, [_M(1, [[26, 30, "Acme"]]), _M(2, [[33, 37, "Beta"]])])
    assert html == (
        "&lt;script&gt;alert(1)&lt;/script&gt; "
        '<mark class="brand-1" data-brand="1" title="">Acme</mark> &amp; '
        '<mark class="brand-2" data-brand="2" title="">Beta</mark>'
    )


def test_it_drops_overlapping_and_out_of_range_spans():
    spans = highlight_spans(
        [_M(1, [[0, 9, "Acme Corp"], [20, 24, "Acme"]]), _M(2, [[5, 9, "Corp"]])]
    )
    assert spans == [(0, 9, 1), (20, 24, 1)]
    html = answer_text_highlighted("Acme Corp", [_M(1, [[0, 4, "Acme"]]), _M(2, [[3, 40, "x"]])])
    assert html.count("<mark") == 1


def test_it_highlights_the_analysed_mentions_on_the_answer_page(
    viewer_client,
    workspace,
    brands,
    prompts,
):
    answer = make_answer(
        workspace=workspace,
        prompt=prompts["P1"],
        text="<b>Beta</b> beats Acme; Acme wins on price.",
        citations=["https://acme.com/x", "https://beta.com/y"],
        fan_out_queries=["best analytics tool"],
    )
    page = viewer_client.get(
        reverse("answer_detail", args=[workspace.pk, answer.pk])
    ).content.decode()
    acme, beta = brands["acme"].pk, brands["beta"].pk
    assert (
        f'&lt;b&gt;<mark class="brand-{beta}" data-brand="{beta}" title="Beta">'
        "Beta</mark>&lt;/b&gt;" in page
    )
    assert page.count(f'<mark class="brand-{acme}" data-brand') == 2
    assert "<b>Beta" not in page
    assert "Acme · own" in page
    assert "Beta · competitor" in page
    assert "best analytics tool" in page
    assert reverse("task_detail", args=[workspace.pk, answer.task_id]) in page
    mention = Mention.objects.get(answer=answer, brand=brands["acme"])
    assert f"<td>{mention.rank}</td>" in page


def _listed(client, workspace, **params):
    response = client.get(reverse("answer_list", args=[workspace.pk]), params)
    assert response.status_code == 200
    return response.content.decode().count('data-testid="answer-row"')


def test_it_lists_the_answers_behind_each_number(viewer_client, workspace, data):
    acme, beta = data["acme"].pk, data["beta"].pk
    assert _listed(viewer_client, workspace) == 10
    assert _listed(viewer_client, workspace, brand=acme, mentioned=1) == 7
    assert _listed(viewer_client, workspace, brand=acme, mentioned=0) == 3
    assert _listed(viewer_client, workspace, brand=beta, prompt=data["P2"].pk) == 3
    assert _listed(viewer_client, workspace, domain="g2.com") == 2
    assert _listed(viewer_client, workspace, model="m2", brand=acme) == 0
    assert _listed(viewer_client, workspace, mentioned=0) == 1  # names no tracked brand


def test_it_pages_the_list_with_constant_queries(
    viewer_client,
    workspace,
    brands,
    prompts,
    django_assert_num_queries,
):
    url = reverse("answer_list", args=[workspace.pk])
    make_answer(workspace=workspace, prompt=prompts["P1"], text="Acme.")
    viewer_client.get(url)
    with django_assert_num_queries(13):
        viewer_client.get(url)
    for _ in range(30):
        make_answer(workspace=workspace, prompt=prompts["P1"], text="Acme and Beta.")
    with django_assert_num_queries(13):
        response = viewer_client.get(url, {"page": 2})
    body = response.content.decode()
    assert body.count('data-testid="answer-row"') == 6
    assert f'href="{url}?page=1"' in body  # back to the first page, filters kept
    assert "Page 2 of 2" in body
    partial = viewer_client.get(url, {"page": 2}, headers={"HX-Request": "true"})
    assert partial.content.decode().startswith('\n<div id="answer-results"')
    assert "HX-Request" in partial["Vary"]
