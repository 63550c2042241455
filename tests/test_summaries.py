"""The dashboard's summaries give exactly the numbers the raw rows give.

The property test builds random histories, reads the dashboard from the summaries and
compares every number with a direct count over the answers, mentions and citations
(computed here in Python, independently of both the summaries and the SQL), then changes
the history (aliases edited and re-analysed, late answers, new prompt wordings, deleted
brands) and compares again. The rest pins the upkeep: blocks, marks, what the page pays.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Count, Q, Sum
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from monitoring.models import (
    SUMMARY_MODELS,
    Answer,
    AnswerSummary,
    BrandAlias,
    BrandKind,
    BrandSummary,
    SummaryStale,
    TaskStatus,
)
from monitoring.models.money import usd
from monitoring.models.summaries import EPOCH, SPANS, block_start, blocks_cover
from monitoring.pipeline import runner
from monitoring.selectors.costs import cost_by_day, cost_chart
from monitoring.selectors.dashboard import (
    TOP_DOMAINS,
    TOP_FAN_OUT,
    TOP_UNTRACKED,
    UNTRACKED_MIN_ANSWERS,
    dashboard_get,
)
from monitoring.selectors.dashboard.buckets import chart_buckets
from monitoring.selectors.dashboard.engines import engine_models_get
from monitoring.selectors.dashboard.scope import task_scope
from monitoring.selectors.filters import Filters
from monitoring.services import summaries
from monitoring.services.analysis import workspace_reanalyze
from monitoring.services.brands import brand_delete, brand_update
from monitoring.services.prompts import prompt_update
from monitoring.services.summaries import days_mark, period_prepare, summaries_refresh
from tests.factories import (
    make_answer,
    make_brand,
    make_monitor,
    make_prompt,
    make_task,
    make_workspace,
)

pytestmark = pytest.mark.django_db

_names = itertools.count()

# --- Blocks ------------------------------------------------------------------------------


@given(
    st.dates(min_value=date(1999, 1, 1), max_value=date(2040, 1, 1)),
    st.integers(min_value=0, max_value=800),
    st.sampled_from(SPANS),
)
def test_blocks_cover_a_period_exactly_with_aligned_blocks(start, days, longest):
    end = start + timedelta(days=days)
    blocks = blocks_cover(start, end, longest=longest)
    day = start
    for first, span in blocks:
        assert first == day
        assert span <= longest
        assert block_start(first, span) == first  # aligned on the epoch
        day = first + timedelta(days=span)
    assert day == end + timedelta(days=1)
    if longest == SPANS[0]:  # flat in the period's length: a few of each span at most
        assert len(blocks) <= 2 * (6 + 3 + 3) + days // 112


def test_weeks_are_blocks_of_seven_days():
    assert EPOCH.weekday() == 0  # a Monday: a chart's week is one block
    assert block_start(date(2026, 12, 3), 7) == date(2026, 11, 30)


# --- The raw count the summaries must equal ----------------------------------------------


def _kept(answer: Answer, filters: Filters, start: date, end: date) -> bool:
    day = answer.answered_at.astimezone(UTC).date()
    tags = {t.pk for t in answer.prompt.tags.all()}
    return (
        start <= day <= end
        and (not filters.tag or filters.tag in tags)
        and (not filters.prompt or answer.prompt_id == filters.prompt)
        and (not filters.version or answer.prompt_version_id == filters.version)
        and (not filters.monitor or answer.monitor_id == filters.monitor)
        and (not filters.model or answer.model_name == filters.model)
        and (not filters.engine or answer.engine == filters.engine)
        and (not filters.web or answer.web_search == (filters.web == "on"))
    )


def _raw(workspace, filters: Filters) -> dict:
    """Every number the dashboard shows, counted answer by answer."""
    rows = list(
        Answer.objects.filter(workspace=workspace).prefetch_related(
            "mentions", "citations", "prompt__tags"
        )
    )
    before = filters.previous()
    now = [a for a in rows if _kept(a, filters, filters.start, filters.end)]
    earlier = [a for a in rows if _kept(a, filters, before.start, before.end)]
    brands = {}
    for label, answers in (("now", now), ("before", earlier)):
        for a in answers:
            for m in a.mentions.all():
                b = brands.setdefault(m.brand_id, Counter())
                b[f"k_{label}"] += 1
                b[f"rank_{label}"] += m.rank
                b[f"count_{label}"] += m.count
            cited = Counter(c.brand_id for c in a.citations.all() if c.brand_id)
            for brand, n in cited.items():
                b = brands.setdefault(brand, Counter())
                b[f"cit_{label}"] += n
                b[f"cited_{label}"] += 1
    kind, buckets = chart_buckets(filters)

    def bucket(a):
        day = a.answered_at.astimezone(UTC).date()
        return day if kind == "day" else day - timedelta(days=day.weekday())

    trend_n = Counter(bucket(a) for a in now)
    trend_k = Counter((bucket(a), m.brand_id) for a in now for m in a.mentions.all())
    domains: dict[str, list] = {}
    terms: dict[str, dict[str, Counter]] = {"fan_out": {}, "untracked": {}}
    for a in now:
        for domain, n in Counter(c.domain for c in a.citations.all()).items():
            d = domains.setdefault(domain, [0, 0, None])
            d[0] += n
            d[1] += 1
            owners = [c.brand_id for c in a.citations.all() if c.domain == domain and c.brand_id]
            d[2] = max([*owners, *([d[2]] if d[2] else [])], default=None)
        for kind_name, items in (("fan_out", a.fan_out_queries), ("untracked", a.untracked_names)):
            for value, n in Counter(items).items():
                t = terms[kind_name].setdefault(value, Counter())
                t["count"] += n
                t["answers"] += 1
    return {
        "now": now,
        "earlier": earlier,
        "n": len(now),
        "n_before": len(earlier),
        "informative": sum(a.is_informative for a in now),
        "citations": sum(len(a.citations.all()) for a in now),
        "brands": brands,
        "trend_n": [trend_n.get(b, 0) for b in buckets],
        "trend_k": trend_k,
        "buckets": buckets,
        "domains": sorted(
            ((dom, c, n, b) for dom, (c, n, b) in domains.items()), key=lambda r: (-r[1], r[0])
        )[:TOP_DOMAINS],
        "terms": terms,
    }


def _terms_sorted(counts: dict[str, Counter], min_answers: int) -> list[tuple]:
    rows = [(v, c["count"], c["answers"]) for v, c in counts.items() if c["answers"] >= min_answers]
    return sorted(rows, key=lambda r: (-r[2], -r[1], r[0]))


def _prompt_rows(raw: dict, own_id: int) -> dict:
    """(prompt, version) -> (own named, answers, weak, winner, its count)."""
    groups: dict[tuple, list] = {}
    for a in raw["now"]:
        groups.setdefault((a.prompt_id, a.prompt_version_id), []).append(a)
    out = {}
    for key, answers in groups.items():
        named = [{m.brand_id for m in a.mentions.all()} for a in answers]
        leads = Counter(
            m.brand_id
            for a, brands in zip(answers, named, strict=True)
            if own_id not in brands
            for m in a.mentions.all()
            if m.rank == 1
        )
        best = min(((-c, b) for b, c in leads.items()), default=None)
        out[key] = (
            sum(own_id in brands for brands in named),
            len(answers),
            sum(not a.is_informative for a in answers),
            best[1] if best else None,
            -best[0] if best else 0,
        )
    return out


def _pct(k, n):
    return round(100 * k / n, 1) if n else None


def _assert_same(workspace, filters: Filters) -> None:
    summaries_refresh(workspace_id=workspace.pk)
    got = dashboard_get(workspace=workspace, filters=filters)
    raw = _raw(workspace, filters)
    overview = got["overview"]
    assert (overview.answers.k, overview.answers.n) == (raw["informative"], raw["n"])
    assert overview.answers_before == raw["n_before"]
    assert overview.total_citations == raw["citations"]
    for stats in overview.brands:
        b = raw["brands"].get(stats.brand.pk, Counter())
        assert stats.visibility.now.k == b["k_now"], stats.brand
        assert stats.visibility.before.k == b["k_before"], stats.brand
        assert stats.mentions == b["count_now"]
        assert stats.avg_position == (b["rank_now"] / b["k_now"] if b["k_now"] else None)
        assert stats.citations.now.k == b["cit_now"]
        assert stats.citations.before.k == b["cit_before"]
        assert stats.coverage.k == b["cited_now"]
    tasks = task_scope(workspace=workspace, filters=filters)
    raw_tasks = tasks.aggregate(
        failed=Count("id", filter=Q(status=TaskStatus.FAILED)),
        expired=Count("id", filter=Q(status=TaskStatus.EXPIRED)),
        spent=Sum("money_spent"),
        prepaid=Sum("cost_prepaid"),
    )
    assert (overview.failed, overview.expired) == (raw_tasks["failed"], raw_tasks["expired"])
    assert (overview.spent, overview.prepaid) == (
        usd(raw_tasks["spent"]),
        usd(raw_tasks["prepaid"]),
    )
    assert got["trend"]["cost"] == cost_chart(
        days=cost_by_day(tasks=tasks, start=filters.start, end=filters.end)
    )
    trend = got["trend"]
    assert trend["labels"] == [b.isoformat() for b in raw["buckets"]]
    assert trend["n"] == raw["trend_n"]
    for series in trend["visibility"]:
        assert series["data"] == [
            _pct(raw["trend_k"].get((b, series["brand"]), 0), n)
            for b, n in zip(raw["buckets"], raw["trend_n"], strict=True)
        ]
    own = overview.own.brand.pk if overview.own else 0
    assert {
        (r["id"], r["version"]): (
            r["visibility"].k,
            r["visibility"].n,
            r["weak"],
            r["winner"].pk if r["winner"] else None,
            r["winner_count"],
        )
        for r in got["prompts"]
    } == {
        key: (k, n, weak, winner if winner in got["brand_by_id"] else None, c if winner else 0)
        for key, (k, n, weak, winner, c) in _prompt_rows(raw, own).items()
    }
    assert [(d["domain"], d["citations"], d["answers"], d["brand"]) for d in got["domains"]] == (
        raw["domains"]
    )
    fan_out = _terms_sorted(raw["terms"]["fan_out"], 1)[:TOP_FAN_OUT]
    assert [(f["query"], f["count"], f["answers"]) for f in got["fan_out"]] == fan_out
    tracked = {b.name.lower() for b in got["brands"]}
    untracked = _terms_sorted(raw["terms"]["untracked"], UNTRACKED_MIN_ANSWERS)
    untracked = [u for u in untracked[: TOP_UNTRACKED + len(tracked)] if u[0] not in tracked]
    assert [(u["name"], u["answers"]) for u in got["untracked"]] == [
        (v, a) for v, _, a in untracked[:TOP_UNTRACKED]
    ]
    first: dict[tuple, object] = {}
    for a in raw["now"] + raw["earlier"]:
        key = (a.engine, a.model_name)
        first[key] = min(first.get(key, a.answered_at), a.answered_at)
    assert engine_models_get(workspace=workspace, filters=filters).first == first
    engines = Counter(a.engine for a in raw["now"])
    assert sorted(got["engines"]) == sorted(engines)
    if got["engine_comparison"]:
        for e in got["engine_comparison"].engines:
            named = sum(
                any(m.brand_id == own for m in a.mentions.all())
                for a in raw["now"]
                if a.engine == e.engine
            )
            assert (e.visibility.k, e.visibility.n) == (named, engines[e.engine])


# --- Random histories --------------------------------------------------------------------

BRANDS = ("Acme", "Beta", "Gamma")
WORDS = ("acme", "beta", "gamma", "zeta", "Orbit", "Nimbus", "Quartz")
DOMAINS = ("acme.com", "beta.io", "news.org", "blog.net")
ENGINES = ("claude", "chat_gpt", "gemini")


@st.composite
def _answers(draw):
    return draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "days_ago": st.integers(min_value=0, max_value=240),
                    "hour": st.integers(min_value=0, max_value=23),
                    "prompt": st.integers(min_value=0, max_value=2),
                    "words": st.lists(st.sampled_from(WORDS), max_size=5),
                    "engine": st.sampled_from(ENGINES),
                    "model": st.sampled_from(("m1", "m2")),
                    "web": st.booleans(),
                    "monitor": st.booleans(),
                    "domains": st.lists(st.sampled_from(DOMAINS), max_size=3),
                    "fan_out": st.lists(st.sampled_from(("best crm", "cheap crm")), max_size=2),
                    # A task that got no answer: failed, expired, or still waiting.
                    "unanswered": st.sampled_from(["", "", TaskStatus.FAILED, TaskStatus.EXPIRED]),
                }
            ),
            min_size=1,
            max_size=25,
        )
    )


def _answer_make(workspace, prompts, monitor, spec) -> Answer:
    text = " and ".join(w.capitalize() if w.islower() else w for w in spec["words"]) or "None."
    moment = timezone.now().replace(hour=spec["hour"], minute=7) - timedelta(days=spec["days_ago"])
    if spec["unanswered"]:
        make_task(
            workspace=workspace,
            prompt=prompts[spec["prompt"]],
            status=spec["unanswered"],
            request_settings={"model_name": spec["model"], "web_search": spec["web"]},
            engine=spec["engine"],
            monitor=monitor if spec["monitor"] else None,
            cost_prepaid=Decimal("0.0042"),
            created_at=moment,
        )
    return make_answer(
        workspace=workspace,
        prompt=prompts[spec["prompt"]],
        text=text + ".",
        answered_at=moment,
        engine=spec["engine"],
        model_name=spec["model"],
        web_search=spec["web"],
        monitor=monitor if spec["monitor"] else None,
        citations=[f"https://{d}/p{i}" for i, d in enumerate(spec["domains"])],
        fan_out_queries=spec["fan_out"],
        task_money_spent=Decimal("0.0013") * spec["hour"],
    )


def _mostly_none(values):
    """None three times in four: each filter alone already narrows the answers a lot."""
    return st.sampled_from([None, None, None, *values]) if values else st.none()


@st.composite
def _filters(draw, workspace, prompts, monitor, brands):
    today = timezone.now().date()
    start = today - timedelta(days=draw(st.integers(min_value=0, max_value=250)))
    end = start + timedelta(days=draw(st.sampled_from([0, 6, 27, 89, 180, 400])))
    prompt = draw(_mostly_none(prompts))
    return Filters(
        start=start,
        end=end,
        tag=draw(_mostly_none(sorted({t.pk for p in prompts for t in p.tags.all()}))),
        prompt=prompt.pk if prompt else None,
        monitor=draw(_mostly_none([monitor.pk])),
        model=draw(_mostly_none(["m1"])) or "",
        engine=draw(_mostly_none(ENGINES)) or "",
        web=draw(_mostly_none(["on", "off"])) or "",
        own=draw(_mostly_none([b.pk for b in brands if b.kind == BrandKind.OWN])),
    )


CHANGES = ("late", "alias", "reword", "own", "delete_brand", "delete_brand_reanalyse")


@settings(
    max_examples=30,
    deadline=None,
    # Each example writes a workspace: shrinking a failure could take many minutes.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_the_summaries_give_the_numbers_of_the_raw_rows(data):
    workspace = make_workspace(name=f"W{next(_names)}")
    brands = [
        make_brand(workspace=workspace, name="Acme", kind=BrandKind.OWN, domains=["acme.com"]),
        make_brand(workspace=workspace, name="Beta", domains=["beta.io"]),
        make_brand(workspace=workspace, name="Gamma"),
    ]
    prompts = [
        make_prompt(workspace=workspace, text="Best CRM?", tags=["crm"]),
        make_prompt(workspace=workspace, text="Cheapest CRM?", tags=["crm", "price"]),
        make_prompt(workspace=workspace, text="CRM for agencies?"),
    ]
    monitor = make_monitor(workspace=workspace, prompts=prompts)
    for spec in data.draw(_answers()):
        _answer_make(workspace, prompts, monitor, spec)
    _assert_same(workspace, data.draw(_filters(workspace, prompts, monitor, brands)))
    for change in data.draw(st.lists(st.sampled_from(CHANGES), max_size=3)):
        if change == "late":  # an answer given long ago, collected now
            for spec in data.draw(_answers()):
                _answer_make(workspace, prompts, monitor, spec)
        elif change == "alias":  # "Zeta" becomes a name of the last competitor's
            BrandAlias.objects.get_or_create(brand=brands[-1], name="Zeta")
            workspace_reanalyze(workspace=workspace)
        elif change == "own":  # the last competitor becomes an own brand (a second one)
            brand = brands[-1]
            brand_update(
                brand=brand,
                name=brand.name,
                kind=BrandKind.OWN,
                aliases=[a.name for a in brand.aliases.all()],
                domains=[d.domain for d in brand.domains.all()],
            )
            workspace_reanalyze(workspace=workspace)
        elif change == "reword":
            prompt = prompts[data.draw(st.integers(min_value=0, max_value=2))]
            prompt_update(
                prompt=prompt,
                text=f"{prompt.text} ({next(_names)})",
                tags=[t.name for t in prompt.tags.all()],
                system_message="",
                message_chain=[],
                is_active=True,
            )
            for spec in data.draw(_answers()):
                _answer_make(workspace, prompts, monitor, spec)
        elif len(brands) > 1:  # the last competitor goes
            brand_delete(brand=brands.pop())
            if change == "delete_brand_reanalyse":
                workspace_reanalyze(workspace=workspace)
        _assert_same(workspace, data.draw(_filters(workspace, prompts, monitor, brands)))


# --- Upkeep ------------------------------------------------------------------------------


def _day_ago(n=1):
    return timezone.now() - timedelta(days=n)


def test_a_new_answer_marks_its_day_and_a_refresh_clears_it():
    workspace = make_workspace()
    answer = make_answer(workspace=workspace, prompt=make_prompt(workspace=workspace))
    day = answer.answered_at.astimezone(UTC).date()
    assert SummaryStale.objects.filter(workspace=workspace, day=day).exists()
    assert summaries_refresh() >= 1  # its day (and its task's, if another)
    assert not SummaryStale.objects.exists()
    rows = AnswerSummary.objects.filter(workspace=workspace)
    # The day, then its 7-, 28- and 112-day blocks; each per prompt and for every prompt.
    assert sorted(rows.values_list("span", flat=True)) == [1, 1, 7, 7, 28, 28, 112, 112]
    assert {r.answers for r in rows} == {1}


def test_a_day_is_marked_once_and_a_mark_made_during_a_rebuild_stays():
    workspace = make_workspace()
    days_mark([(workspace.pk, _day_ago()), (workspace.pk, _day_ago())])
    days_mark([(workspace.pk, _day_ago())])
    assert SummaryStale.objects.count() == 1  # inserted only when not there
    read = list(SummaryStale.objects.values_list("pk", flat=True))
    # A change commits while a rebuild runs: it finds the mark there and inserts none;
    # a change after the rebuild's delete inserts a new mark, which stays.
    SummaryStale.objects.filter(pk__in=read).delete()
    days_mark([(workspace.pk, _day_ago())])
    assert SummaryStale.objects.count() == 1


def test_marking_takes_one_statement(django_assert_num_queries):
    workspace = make_workspace()
    with django_assert_num_queries(1):
        days_mark([(workspace.pk, _day_ago(n)) for n in range(40)])
    assert SummaryStale.objects.count() == 40


def test_the_page_checks_for_stale_days_in_one_query(django_assert_num_queries):
    workspace = make_workspace()
    make_answer(workspace=workspace, prompt=make_prompt(workspace=workspace))
    today = timezone.now().date()
    assert period_prepare(workspace_id=workspace.pk, start=today - timedelta(days=27), end=today)
    with django_assert_num_queries(1):
        assert not period_prepare(
            workspace_id=workspace.pk, start=today - timedelta(days=27), end=today
        )


def test_a_deleted_brand_leaves_no_summary_rows():
    workspace = make_workspace()
    beta = make_brand(workspace=workspace, name="Beta")
    make_answer(workspace=workspace, prompt=make_prompt(workspace=workspace), text="Beta.")
    summaries_refresh()
    assert BrandSummary.objects.filter(brand=beta).exists()
    brand_delete(brand=beta)
    assert not BrandSummary.objects.exists()


def test_a_refresh_rebuilds_the_same_rows():
    workspace = make_workspace()
    prompt = make_prompt(workspace=workspace)
    make_brand(workspace=workspace, name="Acme", domains=["acme.com"])
    for days in (1, 9, 40):
        make_answer(
            workspace=workspace,
            prompt=prompt,
            text="Acme and Orbit and Orbit.",
            answered_at=_day_ago(days),
            citations=["https://acme.com/a"],
            fan_out_queries=["best crm"],
        )
    summaries_refresh()

    def snapshot():
        return {
            model.__name__: sorted(
                (tuple(v for k, v in row.items() if k != "id") for row in model.objects.values()),
                key=repr,
            )
            for model in SUMMARY_MODELS
        }

    first = snapshot()
    days_mark((workspace.pk, a.answered_at) for a in Answer.objects.all())
    summaries_refresh()
    assert snapshot() == first


def test_a_rebuild_that_fails_keeps_its_marks_and_the_others_go_on(monkeypatch):
    broken, fine = make_workspace(name="Broken"), make_workspace(name="Fine")
    days_mark([(broken.pk, _day_ago()), (fine.pk, _day_ago())])
    rebuild = summaries._days_rebuild

    def failing(workspace_id, days):
        if workspace_id == broken.pk:
            raise RuntimeError("a row nobody expected")
        rebuild(workspace_id, days)

    monkeypatch.setattr(summaries, "_days_rebuild", failing)
    assert summaries_refresh() == 1
    assert list(SummaryStale.objects.values_list("workspace_id", flat=True)) == [broken.pk]


def test_the_tick_rebuilds_the_stale_days(settings):
    settings.AISA_API_KEY = ""  # nothing to post: the tick still keeps the summaries
    workspace = make_workspace()
    make_answer(workspace=workspace, prompt=make_prompt(workspace=workspace))
    assert runner.pipeline_tick()["summary_days"] >= 1
    assert not SummaryStale.objects.exists()
    assert AnswerSummary.objects.filter(workspace=workspace, span=1, prompt=None).get().answers == 1


def test_the_tick_rebuilds_a_few_weeks_at_most():
    workspace = make_workspace()
    days_mark([(workspace.pk, _day_ago(n)) for n in range(runner.SUMMARY_DAYS_PER_TICK + 5)])
    assert summaries_refresh(max_days=runner.SUMMARY_DAYS_PER_TICK) == (
        runner.SUMMARY_DAYS_PER_TICK
    )
    assert SummaryStale.objects.count() == 5
    # The latest days first: what is left is the oldest.
    assert min(SummaryStale.objects.values_list("day", flat=True)) == _day_ago(66).date()


def test_the_planner_statistics_cover_the_summaries(workspace, data):
    from django.db import connection

    from monitoring.services.summaries import planner_statistics_refresh

    summaries_refresh(workspace_id=workspace.pk)
    planner_statistics_refresh()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
        else:
            # ANALYZE sets a table's row estimate (-1 until then) in its transaction.
            cursor.execute("SELECT relname FROM pg_class WHERE reltuples >= 0")
        analysed = {name for (name,) in cursor.fetchall()}
    assert {"monitoring_brandsummary", "monitoring_answersummary"} <= analysed
