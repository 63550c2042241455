"""Engines on the dashboard: the engine filter, engines side by side, model changes, web
search against none, and pages that name the engines of the data, never "Claude" blindly.

The ``engines`` data set (a day old, Acme is own, Beta and Gamma compete):

    engine    answers  text                 Acme        mentions of tracked brands
    ChatGPT   6        "Acme."              rank 1      Acme
              2        "Beta then Acme."    rank 2      Beta, Acme
              2        "Beta."              —           Beta
    Gemini    2        "Acme and Gamma."    rank 1      Acme, Gamma
              8        "Gamma."             —           Gamma

So Acme's visibility is 8/10 on ChatGPT and 2/10 on Gemini; its share of voice 8/12 and
2/12; its average position (6·1 + 2·2)/8 = 1.25 and 1. The chi-square test of the 2 × 2
table [[8, 2], [2, 8]]: every expected count is 5, χ² = 4 · 3²/5 = 7.2 on one degree of
freedom, p = erfc(√3.6) ≈ 0.0073. ChatGPT's tasks cost 0.01 each, Gemini's 0.02; one
Gemini task failed.
"""

import csv
import io
import math
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.analysis.stats import chi_square_independence, chi_square_p, mantel_haenszel
from monitoring.models import TaskStatus
from monitoring.selectors import dashboard
from monitoring.selectors.filters import Filters, default_range
from monitoring.services.summaries import summaries_refresh
from tests.factories import (
    make_answer,
    make_brand,
    make_prompt,
    make_task,
    make_user,
    make_workspace,
    refreshed,
)

pytestmark = pytest.mark.django_db

dashboard_get = refreshed(dashboard.dashboard_get)


def _answer(workspace, prompt, engine, text, *, model="m", web=False, days_ago=1, money=None):
    """An answer of ``engine``, with its task asked of that engine too."""
    at = timezone.now() - timedelta(days=days_ago)
    task = make_task(
        workspace=workspace,
        prompt=prompt,
        status=TaskStatus.COLLECTED,
        request_settings={"model_name": model, "web_search": web},
        created_at=at,
        engine=engine,
        money_spent=money,
    )
    return make_answer(
        task=task, engine=engine, text=text, model_name=model, web_search=web, answered_at=at
    )


@pytest.fixture
def engines(workspace, brands, prompts):
    p1, p2 = prompts["P1"], prompts["P2"]
    for i in range(6):
        _answer(workspace, p1 if i < 3 else p2, "chat_gpt", "Acme.", money="0.01")
    for _ in range(2):
        _answer(workspace, p1, "chat_gpt", "Beta then Acme.", money="0.01")
        _answer(workspace, p2, "chat_gpt", "Beta.", money="0.01")
        _answer(workspace, p1, "gemini", "Acme and Gamma.", money="0.02")
    for _ in range(8):
        _answer(workspace, p2, "gemini", "Gamma.", money="0.02")
    make_task(workspace=workspace, prompt=p1, status=TaskStatus.FAILED, engine="gemini")
    return workspace


def _filters(**kw):
    start, end = default_range()
    return Filters(start=start, end=end, **kw)


def _dashboard(client, workspace, **params):
    response = client.get(reverse("workspace_home", args=[workspace.pk]), params)
    assert response.status_code == 200
    return response


# --- The statistics ------------------------------------------------------------------------


def test_the_chi_square_test_matches_a_hand_computed_table():
    statistic, df, p, smallest = chi_square_independence([(8, 10), (2, 10)])
    assert (statistic, df, smallest) == (pytest.approx(7.2), 1, pytest.approx(5.0))
    assert p == pytest.approx(math.erfc(math.sqrt(3.6)))  # one df: P(|Z| > √χ²)
    assert p == pytest.approx(0.00729, abs=1e-5)
    # Three groups, [[5, 5], [5, 5], [2, 8]]: rate 12/30, χ² = 2.5 on two df, p = e^(-1.25).
    statistic, df, p, _ = chi_square_independence([(5, 10), (5, 10), (2, 10)])
    assert (statistic, df) == (pytest.approx(2.5), 2)
    assert p == pytest.approx(math.exp(-1.25))
    assert chi_square_independence([(3, 3), (5, 5)]) is None  # nothing varies
    assert chi_square_independence([(3, 5), (0, 0)]) is None  # one group with answers


def test_the_chi_square_tail_matches_known_quantiles():
    assert chi_square_p(3.841459, 1) == pytest.approx(0.05, abs=1e-6)
    assert chi_square_p(5.991465, 2) == pytest.approx(0.05, abs=1e-6)
    assert chi_square_p(11.0705, 5) == pytest.approx(0.05, abs=1e-5)
    assert chi_square_p(1.0, 5) == pytest.approx(0.962566, abs=1e-6)  # series side
    assert chi_square_p(0.0, 3) == 1.0


def test_the_mantel_haenszel_test_matches_a_hand_computed_pair_of_strata():
    # (3/4 vs 1/4): E = 2, V = 4·4·4·4/(8²·7); (2/2 vs 0/2): E = 1, V = 2·2·2·2/(4²·3).
    statistic, p = mantel_haenszel([(3, 4, 1, 4), (2, 2, 0, 2)])
    variance = 256 / 448 + 16 / 48
    assert statistic == pytest.approx((5 - 3) ** 2 / variance)
    assert p == pytest.approx(math.erfc(math.sqrt(statistic / 2)))
    assert mantel_haenszel([(2, 2, 3, 3)]) is None  # all successes: nothing varies


# --- The engine filter ---------------------------------------------------------------------


def test_the_filter_offers_only_the_engines_that_answered(viewer_client, engines):
    form = _dashboard(viewer_client, engines).context["form"]
    assert form.fields["engine"].choices == [
        ("", "All engines"),
        ("chat_gpt", "ChatGPT"),
        ("gemini", "Gemini"),
    ]
    ignored = _dashboard(viewer_client, engines, engine="perplexity")
    assert ignored.context["filters"].engine == ""  # not offered: ignored, and said so
    assert "engine" in ignored.context["form"].errors


@pytest.mark.parametrize(
    ("engine", "visibility", "n", "not_counted", "spent", "sov", "position"),
    [
        ("", "50.0%", 20, 1, "0.30", 10 / 24, 1.2),
        ("chat_gpt", "80.0%", 10, 0, "0.10", 8 / 12, 1.25),
        ("gemini", "20.0%", 10, 1, "0.20", 2 / 12, 1.0),
    ],
)
def test_filtering_by_engine_changes_every_number(
    viewer_client, engines, engine, visibility, n, not_counted, spent, sov, position
):
    response = _dashboard(viewer_client, engines, engine=engine)
    body, context = response.content.decode(), response.context
    acme = context["overview"].own
    assert (acme.visibility.now.n, f"{acme.visibility.now.percent:.1f}%") == (n, visibility)
    assert acme.sov == pytest.approx(sov)
    assert acme.avg_position == pytest.approx(position)
    assert context["overview"].not_counted == not_counted
    assert f"Spent ${spent}" in body
    assert sum(context["trend"]["n"]) == n
    assert sum(p["visibility"].n for p in context["prompts"]) == n
    assert f"{acme.visibility.now.k}/{n} answers" in body


def test_the_engine_filter_reaches_the_answer_list_and_the_exports(viewer_client, engines):
    url = reverse("answer_list", args=[engines.pk])
    gemini = viewer_client.get(url, {"engine": "gemini"})
    assert gemini.context["page"].paginator.count == 10
    assert "Gemini · m" in gemini.content.decode()
    assert "ChatGPT" not in gemini.content.decode().split('data-testid="answer-results"')[1]

    def rows(kind, **params):
        response = viewer_client.get(reverse("export_csv", args=[engines.pk, kind]), params)
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return list(csv.reader(io.StringIO(text)))

    answers = rows("answers", engine="chat_gpt")
    assert answers[0][-1] == "engine"
    assert len(answers) == 11
    assert {r[-1] for r in answers[1:]} == {"chat_gpt"}
    mentions = rows("mentions", engine="gemini")
    assert len(mentions) == 1 + 2 + 10
    assert {r[-1] for r in mentions[1:]} == {"gemini"}
    costs = rows("costs", engine="gemini")
    assert len(costs) == 1 + 10 + 1
    assert {r[-1] for r in costs[1:]} == {"gemini"}
    # The dashboard's export links carry the filter.
    body = _dashboard(viewer_client, engines, engine="gemini").content.decode()
    assert "engine=gemini" in body.split("Export CSV")[1].split("</span>")[0]


# --- Engines side by side ------------------------------------------------------------------


def test_it_compares_the_engines_on_the_hand_computed_fixture(workspace, engines):
    comparison = dashboard_get(workspace=workspace, filters=_filters())["engine_comparison"]
    assert comparison.brand.name == "Acme"
    chat_gpt, gemini = comparison.engines
    assert (chat_gpt.label, gemini.label) == ("ChatGPT", "Gemini")
    assert (chat_gpt.visibility.k, chat_gpt.visibility.n) == (8, 10)
    assert (gemini.visibility.k, gemini.visibility.n) == (2, 10)
    assert chat_gpt.visibility.interval == pytest.approx((0.4902, 0.9433), abs=1e-4)
    assert gemini.visibility.interval == pytest.approx((0.0567, 0.5098), abs=1e-4)
    assert (chat_gpt.sov, gemini.sov) == (pytest.approx(8 / 12), pytest.approx(2 / 12))
    assert (chat_gpt.avg_position, gemini.avg_position) == (1.25, 1.0)
    assert (chat_gpt.position_n, gemini.position_n) == (8, 2)
    assert (chat_gpt.is_best, gemini.is_best) == (True, False)
    test = comparison.test
    assert (test.statistic, test.df) == (pytest.approx(7.2), 1)
    assert test.p == pytest.approx(0.00729, abs=1e-5)
    assert test.testable
    assert test.significant


def test_the_page_shows_the_comparison_and_its_method(viewer_client, engines):
    body = _dashboard(viewer_client, engines).content.decode()
    section = body.split('data-testid="engine-comparison"')[1].split("</section>")[0]
    assert "80.0%" in section
    assert "8/10" in section
    assert "49.0–94.3%" in section
    assert "20.0%" in section
    assert "2/10" in section
    assert "5.7–51.0%" in section
    assert "66.7%" in section
    assert "16.7%" in section
    assert "1.25" in section
    assert "χ² = 7.20, df = 1, p = 0.007" in section
    assert "The engines differ" in section
    assert "Pearson's chi-square test of independence" in section


def test_it_says_when_the_counts_are_too_few_to_test(workspace, brands, prompts):
    _answer(workspace, prompts["P1"], "chat_gpt", "Acme.")
    _answer(workspace, prompts["P1"], "chat_gpt", "Beta.")
    _answer(workspace, prompts["P1"], "gemini", "Beta.")
    comparison = dashboard_get(workspace=workspace, filters=_filters())["engine_comparison"]
    assert [e.visibility.n for e in comparison.engines] == [2, 1]
    assert comparison.test.p is not None
    assert not comparison.test.testable
    assert not comparison.test.significant


def test_the_comparison_needs_two_engines(viewer_client, engines):
    assert (
        dashboard_get(workspace=engines, filters=_filters(engine="gemini"))["engine_comparison"]
        is None
    )
    body = _dashboard(viewer_client, engines, engine="gemini").content.decode()
    assert 'data-testid="engine-comparison"' not in body


def test_the_comparison_costs_one_query_more(workspace, engines, django_assert_num_queries):
    """13 as pinned in tests/test_dashboard.py, plus the brands per engine."""
    summaries_refresh()
    with django_assert_num_queries(14):
        dashboard.dashboard_get(workspace=workspace, filters=_filters())
    with django_assert_num_queries(13):  # one engine: nothing to compare, no query
        dashboard.dashboard_get(workspace=workspace, filters=_filters(engine="gemini"))


# --- Model changes -------------------------------------------------------------------------


def _day(days_ago):
    return (timezone.now() - timedelta(days=days_ago)).date()


def test_it_marks_the_first_day_a_new_model_answers(workspace, brands, prompts):
    p1 = prompts["P1"]
    _answer(workspace, p1, "chat_gpt", "Acme.", model="gpt-4o", days_ago=6)
    _answer(workspace, p1, "chat_gpt", "Acme.", model="gpt-5", days_ago=3)
    _answer(workspace, p1, "chat_gpt", "Acme.", model="gpt-5", days_ago=1)
    _answer(workspace, p1, "gemini", "Acme.", model="gemini-2.5", days_ago=5)  # first: no change
    # Took over on the period's second day, the old model seen only in the period before.
    _answer(workspace, p1, "perplexity", "Acme.", model="sonar", days_ago=40)
    _answer(workspace, p1, "perplexity", "Acme.", model="sonar-pro", days_ago=26)
    result = dashboard_get(workspace=workspace, filters=_filters())
    assert [(c["day"], c["label"], c["model"], c["previous"]) for c in result["model_changes"]] == [
        (_day(26), "Perplexity", "sonar-pro", "sonar"),
        (_day(3), "ChatGPT", "gpt-5", "gpt-4o"),
    ]
    trend = result["trend"]
    assert [c["bucket"] for c in trend["changes"]] == [_day(26).isoformat(), _day(3).isoformat()]
    assert all(c["bucket"] in trend["labels"] for c in trend["changes"])
    assert trend["changes"][1]["text"] == "ChatGPT: gpt-5"


def test_a_change_falls_in_its_week_on_long_ranges(workspace, brands, prompts):
    _answer(workspace, prompts["P1"], "chat_gpt", "Acme.", model="gpt-4o", days_ago=50)
    _answer(workspace, prompts["P1"], "chat_gpt", "Acme.", model="gpt-5", days_ago=10)
    start, end = default_range()
    trend = dashboard_get(
        workspace=workspace, filters=Filters(start=start - timedelta(days=60), end=end)
    )["trend"]
    day = _day(10)
    assert trend["bucket"] == "week"
    assert [c["bucket"] for c in trend["changes"]] == [
        (day - timedelta(days=day.weekday())).isoformat()
    ]
    assert trend["changes"][0]["bucket"] in trend["labels"]


def test_the_page_lists_the_changes_and_passes_them_to_the_charts(
    viewer_client, workspace, brands, prompts
):
    _answer(workspace, prompts["P1"], "chat_gpt", "Acme.", model="gpt-4o", days_ago=6)
    _answer(workspace, prompts["P1"], "chat_gpt", "Acme.", model="gpt-5", days_ago=2)
    response = _dashboard(viewer_client, workspace)
    body = response.content.decode()
    assert "ChatGPT answers with gpt-5" in body
    assert "(was gpt-4o)" in body
    assert '"changes": [{"bucket": "' + _day(2).isoformat() in body  # in the json_script
    unchanged = _dashboard(viewer_client, workspace, model="gpt-5").content.decode()
    assert 'data-testid="model-changes"' not in unchanged


# --- Web search or not ---------------------------------------------------------------------


@pytest.fixture
def web_pairs(workspace, brands, prompts):
    """P1 by ChatGPT: with web 3/4 name Acme, without 1/4; P2 by Gemini: 2/2 and 0/2;
    P2 by ChatGPT without web search only (no pair: left out)."""
    p1, p2 = prompts["P1"], prompts["P2"]
    for text in ("Acme.", "Acme.", "Acme.", "Beta."):
        _answer(workspace, p1, "chat_gpt", text, web=True)
    for text in ("Acme.", "Beta.", "Beta.", "Beta."):
        _answer(workspace, p1, "chat_gpt", text)
    for web, text in ((True, "Acme."), (True, "Acme."), (False, "Beta."), (False, "Beta.")):
        _answer(workspace, p2, "gemini", text, web=web)
    for _ in range(3):
        _answer(workspace, p2, "chat_gpt", "Acme.")
    return workspace


def test_it_compares_web_search_with_none_on_the_same_prompts(workspace, web_pairs):
    web = dashboard_get(workspace=workspace, filters=_filters())["web_comparison"]
    assert [(p.text, p.label, p.on.k, p.on.n, p.off.k, p.off.n) for p in web.pairs] == [
        ("Best analytics tool?", "ChatGPT", 3, 4, 1, 4),
        ("Cheapest analytics tool?", "Gemini", 2, 2, 0, 2),
    ]
    assert (web.on.k, web.on.n, web.off.k, web.off.n) == (5, 6, 1, 6)
    assert web.prompt_count == 2
    assert web.statistic == pytest.approx(4 / (256 / 448 + 16 / 48))
    assert web.p == pytest.approx(0.0355, abs=1e-4)
    assert web.significant


def test_the_page_shows_the_web_search_comparison(viewer_client, web_pairs):
    body = _dashboard(viewer_client, web_pairs).content.decode()
    section = body.split('data-testid="web-comparison"')[1].split("</section>")[0]
    assert "83.3%" in section
    assert "5/6" in section
    assert "16.7%" in section
    assert "1/6" in section
    assert "43.6–97.0%" in section  # Wilson 5/6
    assert "Cochran–Mantel–Haenszel" in section
    assert section.count('data-testid="web-row"') == 2
    filtered = _dashboard(viewer_client, web_pairs, web="on").content.decode()
    assert 'data-testid="web-comparison"' not in filtered


def test_no_web_comparison_without_prompts_asked_both_ways(workspace, engines):
    assert dashboard_get(workspace=workspace, filters=_filters())["web_comparison"] is None


# --- No engine named blindly ---------------------------------------------------------------


def test_a_chatgpt_workspace_never_reads_claude(client):
    workspace = make_workspace(name="Only GPT")
    client.force_login(make_user(workspace=workspace, role="viewer"))
    make_brand(workspace=workspace, name="Acme", kind="own")
    make_brand(workspace=workspace, name="Beta")
    prompt = make_prompt(workspace=workspace)
    for model, days in (("gpt-4o", 5), ("gpt-5", 2)):
        _answer(workspace, prompt, "chat_gpt", "Acme and Beta.", model=model, days_ago=days)
    _answer(workspace, prompt, "chat_gpt", "Beta.", model="gpt-5", web=True)
    body = _dashboard(client, workspace).content.decode()
    assert "Does ChatGPT name your brand" in body
    assert "Claude" not in body
    answers = client.get(reverse("answer_list", args=[workspace.pk])).content.decode()
    assert "Claude" not in answers


def test_an_empty_workspace_asks_about_ai_assistants(viewer_client, workspace):
    body = _dashboard(viewer_client, workspace).content.decode()
    assert "Do AI assistants name your brand" in body
    assert "Claude" not in body


def test_no_engine_is_called_highest_on_a_tie(workspace, brands, prompts):
    for engine in ("chat_gpt", "gemini"):
        _answer(workspace, prompts["P1"], engine, "Acme.")
        _answer(workspace, prompts["P1"], engine, "Beta.")
    comparison = dashboard_get(workspace=workspace, filters=_filters())["engine_comparison"]
    assert [e.is_best for e in comparison.engines] == [False, False]
