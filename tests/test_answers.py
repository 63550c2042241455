"""The drill-down: answer list filters and search, the answer page rendered and highlighted."""

import csv
import io

import pytest
from django.urls import reverse

from monitoring.models import Mention
from monitoring.selectors.answers import answer_text_highlighted, highlight_spans
from monitoring.services.summaries import summaries_refresh
from tests.factories import make_answer

pytestmark = pytest.mark.django_db


class _M:
    def __init__(self, brand_id, spans):
        self.brand_id, self.spans = brand_id, spans


def test_it_escapes_the_text_and_marks_only_the_spans():
    text = "<script>alert(1)</script> Acme & Beta"
    html = answer_text_highlighted(text, [_M(1, [[26, 30, "Acme"]]), _M(2, [[33, 37, "Beta"]])])
    assert html.strip() == (
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; "
        '<mark class="brand-1" data-brand="1">Acme</mark> &amp; '
        '<mark class="brand-2" data-brand="2">Beta</mark></p>'
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
    assert f'&lt;b&gt;<mark class="brand-{beta}" data-brand="{beta}">Beta</mark>&lt;/b&gt;' in page
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
    # 15 while the new answers' day awaits its summaries (the filter's models read that
    # day's answers too), 14 once rebuilt.
    with django_assert_num_queries(15):
        viewer_client.get(url)
    for _ in range(30):
        make_answer(workspace=workspace, prompt=prompts["P1"], text="Acme and Beta.")
    with django_assert_num_queries(15):
        response = viewer_client.get(url, {"page": 2})
    summaries_refresh(workspace_id=workspace.pk)
    with django_assert_num_queries(14):
        viewer_client.get(url, {"page": 2})
    body = response.content.decode()
    assert body.count('data-testid="answer-row"') == 6
    assert f'href="{url}?page=1"' in body  # back to the first page, filters kept
    assert "Page 2 of 2" in body
    partial = viewer_client.get(url, {"page": 2}, headers={"HX-Request": "true"})
    assert partial.content.decode().startswith('\n<div id="answer-results"')
    assert "HX-Request" in partial["Vary"]


# --- Markdown ------------------------------------------------------------------------------

MARKDOWN = (
    "## Verdict\n\n**Acme** beats [Beta](https://beta.com/crm).\n\n- Gamma for teams\n\n"
    "<script>alert(1)</script>"
)


def test_the_answer_page_renders_the_markdown_with_its_highlights(
    viewer_client, workspace, brands, prompts
):
    answer = make_answer(workspace=workspace, prompt=prompts["P1"], text=MARKDOWN)
    page = viewer_client.get(
        reverse("answer_detail", args=[workspace.pk, answer.pk])
    ).content.decode()
    acme, beta, gamma = (brands[name].pk for name in ("acme", "beta", "gamma"))
    assert f'<strong><mark class="brand-{acme}" data-brand="{acme}">Acme</mark></strong>' in page
    assert (
        '<a href="https://beta.com/crm" target="_blank" rel="noopener noreferrer nofollow">'
        f'<mark class="brand-{beta}" data-brand="{beta}">Beta</mark></a>'
    ) in page
    assert f'<li><mark class="brand-{gamma}" data-brand="{gamma}">Gamma</mark> for teams</li>' in (
        page
    )
    assert "<h3>Verdict</h3>" in page  # under the page's h1 and the answer's own h2
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "**" not in page
    assert "](https" not in page


def test_the_answer_list_shows_plain_text_excerpts(viewer_client, workspace, brands, prompts):
    make_answer(workspace=workspace, prompt=prompts["P1"], text=MARKDOWN)
    page = viewer_client.get(reverse("answer_list", args=[workspace.pk])).content.decode()
    assert (
        '<td class="answer-excerpt" data-testid="answer-excerpt">Verdict Acme beats Beta. '
        "Gamma for teams &lt;script&gt;alert(1)&lt;/script&gt;</td>"
    ) in page
    assert "<strong>" not in page.split('data-testid="answer-row"')[1]


# --- Search --------------------------------------------------------------------------------


def test_it_searches_the_answers_words_within_the_filters(viewer_client, workspace, data):
    # The data set's texts: "Gamma" in 3 answers, 2 of them with "Beta", 1 asked on m2.
    assert _listed(viewer_client, workspace, q="gamma") == 3
    assert _listed(viewer_client, workspace, q="GAMMA") == 3
    assert _listed(viewer_client, workspace, q="gamma beta") == 2  # every word
    assert _listed(viewer_client, workspace, q="gamma beta", model="m2") == 1
    assert _listed(viewer_client, workspace, q="then beta") == 1
    assert _listed(viewer_client, workspace, q='"then beta"') == 0  # a quoted phrase, whole
    assert _listed(viewer_client, workspace, q='"beta then"') == 1
    assert _listed(viewer_client, workspace, q="%") == 0  # no wildcard
    assert _listed(viewer_client, workspace, q="nothing", brand=data["acme"].pk, mentioned=0) == 1
    assert _listed(viewer_client, workspace, q="x" * 201) == 10  # too long: ignored, and said


def test_the_list_shows_the_search_box_and_its_result_count(viewer_client, workspace, data):
    url = reverse("answer_list", args=[workspace.pk])
    page = viewer_client.get(url, {"q": "gamma beta"}).content.decode()
    assert 'type="search" name="q" value="gamma beta"' in page
    summary = page.split('data-testid="answer-count">')[1].split("</p>")[0]
    assert "<strong>2</strong> answers" in summary
    assert "containing <strong>gamma beta</strong>" in summary
    assert "q=gamma+beta" in summary  # the export link keeps the search
    assert "q=gamma+beta" in page.split('data-testid="answer-row"')[1]  # and each "Read" link
    too_long = viewer_client.get(url, {"q": "x" * 201}).content.decode()
    assert "Search the answers: Ensure this value has at most 200 characters" in too_long


def test_a_search_costs_no_extra_query(
    viewer_client, workspace, brands, prompts, django_assert_num_queries
):
    url = reverse("answer_list", args=[workspace.pk])
    for text in ("Acme and **Beta**.", "Beta alone.", "Acme alone."):
        make_answer(workspace=workspace, prompt=prompts["P1"], text=text)
    summaries_refresh(workspace_id=workspace.pk)
    viewer_client.get(url)
    with django_assert_num_queries(14):  # as the unsearched list (test above)
        response = viewer_client.get(url, {"q": "acme beta"})
    assert response.content.decode().count('data-testid="answer-row"') == 1


def test_a_search_narrows_the_exports(viewer_client, workspace, data):
    def rows(kind, **params):
        response = viewer_client.get(reverse("export_csv", args=[workspace.pk, kind]), params)
        return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))[1:]

    texts = {row[10] for row in rows("answers", q="gamma")}
    assert texts == {"Acme and Gamma.", "Gamma, Beta, Acme.", "Gamma and Beta."}
    assert len(rows("mentions", q="gamma beta")) == 5  # Gamma, Beta, Acme + Gamma, Beta
    assert len(rows("answers", q="gamma", model="m2")) == 1
