"""The dashboard: every metric on a hand-made data set, significance, filters, htmx, queries.

The data set (the ``data`` fixture of tests/conftest.py; current period, 10 answers; Acme is
own, Beta and Gamma compete):

    #  prompt  model  text                       ranks
    1  P1      m      Acme ... Beta              Acme 1, Beta 2     cites acme.com, beta.com, g2.com
    2  P1      m      Acme and Gamma             Acme 1, Gamma 2    cites acme.com
    3  P1      m      Beta then Acme             Beta 1, Acme 2     cites g2.com
    4  P1      m      Acme alone                 Acme 1
    5  P1      m      Gamma, Beta, Acme          Gamma 1, Beta 2, Acme 3
    6  P2      m      Acme                       Acme 1
    7  P2      m      Acme, Beta                 Acme 1, Beta 2
    8  P2      m2     Beta only                  Beta 1
    9  P2      m2     Gamma and Beta             Gamma 1, Beta 2
   10  P2      m2     Nothing useful             (names nobody)

plus one failed and one expired task, which must not be in any denominator.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring.analysis.stats import mean_position
from monitoring.models import Answer, Mention, Task, TaskStatus
from monitoring.selectors import dashboard
from monitoring.selectors.dashboard import brand_list_ordered
from monitoring.selectors.filters import Filters, default_range
from monitoring.services.summaries import days_mark, summaries_refresh
from tests.factories import make_answer, make_prompt, refreshed

dashboard_get = refreshed(dashboard.dashboard_get)
overview_get = refreshed(dashboard.overview_get)

pytestmark = pytest.mark.django_db


def _filters(**kw):
    start, end = default_range()
    return Filters(start=start, end=end, **kw)


def _overview(workspace, **kw):
    filters = _filters(**kw)
    brands = brand_list_ordered(workspace=workspace)
    overview = overview_get(workspace=workspace, filters=filters, brands=brands)
    return {s.brand.name: s for s in overview.brands}, overview


def test_it_computes_visibility_with_its_wilson_interval(workspace, data):
    stats, overview = _overview(workspace)
    acme = stats["Acme"].visibility.now
    assert (acme.k, acme.n) == (7, 10)  # the failed and expired tasks are not in n
    assert acme.value == 0.7
    assert acme.interval == pytest.approx((0.3968, 0.8922), abs=1e-4)
    assert (stats["Beta"].visibility.now.k, stats["Gamma"].visibility.now.k) == (6, 3)
    assert (overview.failed, overview.expired, overview.not_counted) == (1, 1, 2)


def test_it_computes_share_of_voice_as_a_ratio_of_sums(workspace, data):
    stats, _ = _overview(workspace)
    assert stats["Acme"].sov == pytest.approx(7 / 16)
    assert stats["Beta"].sov == pytest.approx(6 / 16)
    assert stats["Gamma"].sov == pytest.approx(3 / 16)


def test_it_computes_average_position_over_the_answers_naming_the_brand(workspace, data):
    stats, _ = _overview(workspace)
    assert stats["Acme"].avg_position == pytest.approx(10 / 7)
    assert stats["Acme"].avg_position == pytest.approx(mean_position([1, 1, 2, 1, 3, 1, 1]))
    assert stats["Acme"].position_n == 7
    assert stats["Beta"].avg_position == pytest.approx(10 / 6)
    assert stats["Gamma"].avg_position == pytest.approx(4 / 3)
    assert stats["Acme"].mentions == 7  # each answer names it once


def test_it_computes_citation_share_and_domain_coverage(workspace, data):
    stats, overview = _overview(workspace)
    assert overview.total_citations == 5
    own = stats["Acme"]
    assert (own.citations.now.k, own.citations.now.n) == (2, 5)  # acme.com twice of 5
    assert own.citations.now.value == 0.4
    assert (own.coverage.k, own.coverage.n) == (2, 10)
    assert stats["Beta"].citations.now.k == 1
    domains = dashboard_get(workspace=workspace, filters=_filters())["domains"]
    by_domain = {d["domain"]: d for d in domains}
    assert by_domain["acme.com"]["share"].value == 0.4
    assert by_domain["g2.com"]["coverage"].value == 0.2
    assert by_domain["acme.com"]["brand"] == data["acme"].pk
    assert by_domain["g2.com"]["brand"] is None


def _previous_period(workspace, prompt, own_mentions):
    when = timezone.now() - timedelta(days=30)
    for i in range(10):
        make_answer(
            workspace=workspace,
            prompt=prompt,
            text="Acme." if i < own_mentions else "Beta.",
            answered_at=when,
        )


def test_it_flags_a_big_change_as_significant(workspace, data):
    _previous_period(workspace, data["P1"], own_mentions=1)
    stats, overview = _overview(workspace)
    change = stats["Acme"].visibility
    assert (change.before.k, change.before.n) == (1, 10)
    assert change.delta == pytest.approx(0.6)
    assert change.direction == "up"
    assert change.significant  # 7/10 vs 1/10: Fisher p ≈ 0.02
    assert overview.answers_before == 10


def test_it_calls_a_small_change_not_significant(workspace, viewer_client, data):
    _previous_period(workspace, data["P1"], own_mentions=5)
    stats, _ = _overview(workspace)
    assert stats["Acme"].visibility.delta == pytest.approx(0.2)
    assert not stats["Acme"].visibility.significant
    page = viewer_client.get(reverse("workspace_home", args=[workspace.pk])).content.decode()
    assert "not significant" in page
    assert "↑ 20.0 pts" in page


def test_it_narrows_every_number_with_the_filters(workspace, data):
    stats, _ = _overview(workspace, prompt=data["P1"].pk)
    assert (stats["Acme"].visibility.now.k, stats["Acme"].visibility.now.n) == (5, 5)
    stats, _ = _overview(workspace, tag=data["tag"].pk)
    assert stats["Acme"].visibility.now.n == 5
    stats, overview = _overview(workspace, model="m2")
    assert (stats["Acme"].visibility.now.k, stats["Acme"].visibility.now.n) == (0, 3)
    assert stats["Beta"].sov == pytest.approx(2 / 3)  # Beta in 2, Gamma in 1
    assert overview.total_citations == 0
    stats, _ = _overview(workspace, web="on")
    assert stats["Acme"].visibility.now.n == 0


def test_it_renders_the_numbers_with_n_and_intervals(workspace, viewer_client, data):
    response = viewer_client.get(reverse("workspace_home", args=[workspace.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "70.0%" in page
    assert "7/10 answers · 95% CI 39.7–89.2%" in page
    assert "2</strong> tasks failed or expired, not counted" in page
    assert "43.8%" in page  # Acme's share of voice, 7/16
    assert "1.43" in page  # Acme's average position
    assert "over 7 answers" in page
    assert 'id="dashboard-charts"' in page
    assert "Visibility(b)</strong> = answers mentioning b ÷ answers" in page  # definitions
    drill = reverse("answer_list", args=[workspace.pk])
    assert f"{drill}?start=" in page
    assert f"brand={data['acme'].pk}&amp;mentioned=1" in page


def test_it_shows_who_wins_each_prompt_and_flags_weak_prompts(workspace, data):
    result = dashboard_get(workspace=workspace, filters=_filters())
    rows = {r["text"]: r for r in result["prompts"]}
    p2 = rows["Cheapest analytics tool?"]
    assert (p2["visibility"].k, p2["visibility"].n) == (2, 5)
    assert p2["winner"].name == "Beta"  # first in "Beta only." and not Gamma's single win
    assert p2["weak"] == 1
    assert not p2["is_weak"]
    p1 = rows["Best analytics tool?"]
    assert p1["visibility"].value == 1.0
    assert p1["winner"] is None
    assert result["prompts"][0] is p2  # worst first


def test_it_flags_a_prompt_whose_answers_name_nobody(workspace, brands, prompts):
    for _ in range(3):
        make_answer(
            workspace=workspace, prompt=prompts["P1"], text="It depends on your needs, really."
        )
    row = dashboard_get(workspace=workspace, filters=_filters())["prompts"][0]
    assert row["weak"] == 3
    assert row["is_weak"]


def test_it_suggests_untracked_names_that_recur(workspace, brands, prompts):
    make_answer(
        workspace=workspace,
        prompt=prompts["P1"],
        text="Try Zenith Analytics or Acme.",
        fan_out_queries=["best tool", "x"],
    )
    make_answer(
        workspace=workspace,
        prompt=prompts["P1"],
        text="Zenith Analytics is popular.",
        fan_out_queries=["best tool"],
    )
    make_answer(workspace=workspace, prompt=prompts["P1"], text="Quorra is new.")
    result = dashboard_get(workspace=workspace, filters=_filters())
    assert [u["name"] for u in result["untracked"]] == ["Zenith Analytics"]
    assert result["untracked"][0]["answers"] == 2
    assert result["fan_out"][0] == {"query": "best tool", "count": 2, "answers": 2}


def test_it_draws_trends_per_day_for_short_ranges(workspace, data):
    trend = dashboard_get(workspace=workspace, filters=_filters())["trend"]
    assert trend["bucket"] == "day"
    assert len(trend["labels"]) == 28
    day = (timezone.now() - timedelta(days=1)).date().isoformat()
    i = trend["labels"].index(day)
    assert trend["n"][i] == 10
    acme = next(s for s in trend["visibility"] if s["label"] == "Acme")
    assert acme["data"][i] == 70.0
    assert next(s for s in trend["sov"] if s["label"] == "Acme")["data"][i] == 43.8
    assert trend["cost"]["spent"][trend["cost"]["labels"].index(day)] == "0.100000"
    start, end = default_range()
    weekly = dashboard_get(
        workspace=workspace, filters=Filters(start=start - timedelta(days=60), end=end)
    )["trend"]
    assert weekly["bucket"] == "week"
    assert sum(weekly["n"]) == 10


def test_it_returns_the_body_partial_to_htmx_and_varies_on_it(workspace, viewer_client, data):
    url = reverse("workspace_home", args=[workspace.pk])
    full = viewer_client.get(url, {"prompt": data["P1"].pk})
    partial = viewer_client.get(url, {"prompt": data["P1"].pk}, headers={"HX-Request": "true"})
    assert "HX-Request" in partial["Vary"]
    assert "HX-Request" in full["Vary"]
    body = partial.content.decode()
    assert body.lstrip().startswith('<div id="dashboard-body"')
    assert "<html" not in body
    assert "<html" in full.content.decode()
    assert "5/5 answers" in body


def test_it_ignores_invalid_filters(workspace, viewer_client, data):
    url = reverse("workspace_home", args=[workspace.pk])
    response = viewer_client.get(url, {"start": "not-a-date", "prompt": "999999", "model": "m2"})
    assert response.status_code == 200
    assert "0/3 answers" in response.content.decode()  # the valid model filter still applies


def test_it_keeps_other_workspaces_out_of_the_numbers(workspace, other_workspace, data):
    other = make_prompt(workspace=other_workspace, text="Best?")
    make_answer(workspace=other_workspace, prompt=other, text="Acme everywhere.")
    stats, _ = _overview(workspace)
    assert stats["Acme"].visibility.now.n == 10


def _bulk(workspace, prompt, brands, n, batch):
    """n answers with mentions, created directly (fast) for the query-count test."""
    when = timezone.now() - timedelta(days=2)
    prefix = f"t-bulk-{batch}-"
    Task.objects.bulk_create(
        Task(
            workspace=workspace,
            prompt=prompt,
            tag=f"{prefix}{i}",
            request_body={},
            status=TaskStatus.COLLECTED,
        )
        for i in range(n)
    )
    answers = Answer.objects.bulk_create(
        Answer(
            task_id=t,
            workspace=workspace,
            prompt=prompt,
            text="Acme and Beta.",
            model_name="m",
            answered_at=when,
            raw={},
            fan_out_queries=["q"],
            untracked_names=["Zed"],
            is_informative=True,
        )
        for t in Task.objects.filter(tag__startswith=prefix).values_list("id", flat=True)
    )
    ids = Answer.objects.filter(task__tag__startswith=prefix).values_list("id", flat=True)
    assert len(answers) == n
    Mention.objects.bulk_create(
        Mention(
            answer_id=a,
            brand=b,
            workspace=workspace,
            count=1,
            first_offset=0,
            rank=r,
            spans=[[0, 4, b.name]],
        )
        for a in ids
        for r, b in enumerate(brands, start=1)
    )
    days_mark([(workspace.pk, when)])  # as the pipeline's bulk writes do


@pytest.mark.slow
def test_it_renders_with_the_same_number_of_queries_for_1_and_10000_answers(
    workspace, viewer_client, brands, prompts, django_assert_max_num_queries
):
    url = reverse("workspace_home", args=[workspace.pk])
    pair = [brands["acme"], brands["beta"]]
    viewer_client.get(url)  # the first visit also saves the current workspace in the session
    counts = []
    for size in (1, 9999):
        _bulk(workspace, prompts["P1"], pair, size, batch=size)
        summaries_refresh()  # the pipeline's tick would have (a stale day costs ~40 more)
        with django_assert_max_num_queries(30), CaptureQueriesContext(connection) as queries:
            response = viewer_client.get(url)
        assert response.status_code == 200
        counts.append(len(queries))
    assert Answer.objects.count() == 10000
    assert "10,000</strong> answers" in response.content.decode()
    assert counts[0] == counts[1], counts


# --- the fast paths: native buckets, joined scopes, shared period counts -----------------


def test_bucket_start_gives_the_utc_day_and_the_monday_of_its_week(workspace, brands, prompts):
    from datetime import UTC, datetime

    from monitoring.selectors.dashboard import BucketStart

    moments = [
        datetime(2024, 3, 3, 23, 59, 59, 999999, tzinfo=UTC),  # a Sunday, last microsecond
        datetime(2024, 3, 4, 0, 0, tzinfo=UTC),  # the Monday after, at midnight
        datetime(2024, 3, 6, 12, 30, 15, 250000, tzinfo=UTC),  # a Wednesday
        datetime(2024, 2, 29, 8, 0, 1, tzinfo=UTC),  # leap day (a Thursday)
        datetime(2025, 1, 1, 0, 0, tzinfo=UTC),  # a Wednesday across the new year
    ]
    for when in moments:
        make_answer(workspace=workspace, prompt=prompts["P1"], text="Acme.", answered_at=when)
    rows = (
        Answer.objects.filter(workspace=workspace)
        .annotate(day=BucketStart("answered_at", "day"), week=BucketStart("answered_at", "week"))
        .values_list("answered_at", "day", "week")
    )
    assert len(rows) == len(moments)
    for answered_at, day, week in rows:
        utc_day = answered_at.astimezone(UTC).date()
        assert day == utc_day
        assert week == utc_day - timedelta(days=utc_day.weekday())
    with pytest.raises(ValueError):
        BucketStart("answered_at", "month")


def test_weekly_ranges_keep_the_previous_period_out_of_the_trend(workspace, brands, prompts):
    """With weekly buckets the week containing the period's first day straddles both periods;
    the headline's "before" counts and the chart's first week must each take their own part."""
    start, end = default_range()
    filters = Filters(start=start - timedelta(days=40), end=end)  # 68 days: weekly buckets
    first = timezone.make_aware(
        timezone.datetime.combine(filters.start, timezone.datetime.min.time()),
        timezone.get_fixed_timezone(0),
    )
    for text, when in (
        ("Acme.", first + timedelta(hours=1)),  # now
        ("Acme.", first - timedelta(hours=1)),  # before
        ("Beta.", first - timedelta(days=3)),  # before
    ):
        make_answer(workspace=workspace, prompt=prompts["P1"], text=text, answered_at=when)
    result = dashboard_get(workspace=workspace, filters=filters)
    overview, trend = result["overview"], result["trend"]
    stats = {s.brand.name: s for s in overview.brands}
    assert (overview.answers.n, overview.answers_before) == (1, 2)
    assert (stats["Acme"].visibility.now.k, stats["Acme"].visibility.before.k) == (1, 1)
    assert stats["Beta"].visibility.before.k == 1
    assert stats["Acme"].avg_position == 1.0
    assert stats["Beta"].avg_position is None
    assert trend["bucket"] == "week"
    assert sum(trend["n"]) == 1
    acme = next(s for s in trend["visibility"] if s["label"] == "Acme")
    assert [x for x in acme["data"] if x is not None] == [100.0]
    # The same numbers as the stand-alone selectors (which compute their own counts).
    alone = overview_get(workspace=workspace, filters=filters, brands=result["brands"])
    assert [(s.visibility.now.k, s.visibility.before.k, s.avg_position) for s in alone.brands] == [
        (s.visibility.now.k, s.visibility.before.k, s.avg_position) for s in overview.brands
    ]


def test_tables_honour_the_filters_through_the_joined_scopes(workspace, data):
    """Mentions and citations are filtered by joining their answer: every filter applies."""
    result = dashboard_get(workspace=workspace, filters=_filters(model="m2"))
    stats = {s.brand.name: s for s in result["overview"].brands}
    assert (stats["Beta"].visibility.now.k, stats["Gamma"].visibility.now.k) == (2, 1)
    assert stats["Beta"].avg_position == pytest.approx(3 / 2)  # rank 1 and rank 2
    assert result["domains"] == []  # the m2 answers cite nothing
    (row,) = result["prompts"]
    assert (row["visibility"].k, row["visibility"].n) == (0, 3)
    assert (row["winner"].name, row["winner_count"]) == ("Beta", 1)  # Gamma ties: brand order
    day = (timezone.now() - timedelta(days=1)).date().isoformat()
    i = result["trend"]["labels"].index(day)
    assert result["trend"]["n"][i] == 3
    beta = next(s for s in result["trend"]["visibility"] if s["label"] == "Beta")
    assert beta["data"][i] == pytest.approx(66.7)
    tagged = dashboard_get(workspace=workspace, filters=_filters(tag=data["tag"].pk))
    assert {d["domain"]: d["citations"] for d in tagged["domains"]} == {
        "acme.com": 2,
        "g2.com": 2,
        "beta.com": 1,
    }
    assert tagged["overview"].total_citations == 5


def test_json_lists_skip_values_that_are_not_lists(workspace, brands, prompts):
    """A hand-edited or legacy value that is not a JSON list has no items (PostgreSQL's
    jsonb_array_elements_text would otherwise fail the whole page)."""
    make_answer(
        workspace=workspace, prompt=prompts["P1"], text="Acme.", fan_out_queries=["best tool"]
    )
    make_answer(
        workspace=workspace,
        prompt=prompts["P1"],
        text="Acme.",
        fan_out_queries=["best tool", "cheap tool"],
    )
    odd = make_answer(workspace=workspace, prompt=prompts["P1"], text="Acme.")
    Answer.objects.filter(pk=odd.pk).update(fan_out_queries="best tool", untracked_names={"a": 1})
    result = dashboard_get(workspace=workspace, filters=_filters())
    assert result["fan_out"] == [
        {"query": "best tool", "count": 2, "answers": 2},
        {"query": "cheap tool", "count": 1, "answers": 1},
    ]
    assert result["untracked"] == []


def test_the_dashboard_selectors_run_a_fixed_number_of_queries(
    workspace, data, django_assert_num_queries
):
    """10 for the cards, trends and tables (from the summaries), one for the answers per
    engine and model (model changes), two for web search against none (skipped when the web
    filter keeps one side). The engine comparison's own query, with two engines or more,
    is pinned in tests/test_engine_comparison.py; the page's check for stale days in
    tests/test_summaries.py."""
    start, end = default_range()
    summaries_refresh()
    for filters, queries in (
        (_filters(), 13),
        (Filters(start=start - timedelta(days=60), end=end), 13),  # weekly buckets
        (_filters(tag=data["tag"].pk, model="m", web="off"), 11),
        (_filters(engine="claude"), 13),
    ):
        with django_assert_num_queries(queries):
            dashboard.dashboard_get(workspace=workspace, filters=filters)
