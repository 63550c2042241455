"""Engines side by side: the own brand per engine, model changes, and web search or not.

Four queries at most, whatever the number of answers, all from the summaries: the
answers per engine and model (which also dates each model's first answer), the brands per
engine (only when two engines or more answered), and the answers and own brand per prompt,
engine and web search (only when the web-search filter leaves both sides).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Min, OuterRef, Subquery, Sum

from monitoring.analysis.stats import (
    ALPHA,
    MIN_EXPECTED,
    change_is_significant,
    chi_square_independence,
    mantel_haenszel,
)
from monitoring.models import ENGINE_CHOICES, AnswerSummary, Brand, BrandSummary, Prompt, Workspace
from monitoring.selectors.dashboard.blocks import Blocks, blocks_get
from monitoring.selectors.dashboard.rates import Rate
from monitoring.selectors.filters import Filters
from monitoring.selectors.periods import day_start
from monitoring.selectors.summaries import blocks_q, summary_rows

ENGINE_LABELS = dict(ENGINE_CHOICES)
#: Pairs listed in the web-search table: an agency's thousand prompts asked both ways
#: would be a thousand rows nobody reads (the link to the answers has them all).
WEB_ROWS = 100
ENGINE_ORDER = [key for key, _ in ENGINE_CHOICES]


def engine_label(engine: str) -> str:
    return ENGINE_LABELS.get(engine, engine)


@dataclass
class EngineModels:
    """Answers per engine in the period, and when each (engine, model) first answered."""

    #: engine -> answers in the period, for the engines with any, in the API's order.
    answers: dict[str, int]
    #: (engine, model name) -> its first answer, looking back to the previous period.
    first: dict[tuple[str, str], datetime]

    @property
    def engines(self) -> list[str]:
        return list(self.answers)


def engine_models_get(
    *, workspace: Workspace, filters: Filters, blocks: Blocks | None = None
) -> EngineModels:
    """One query from the previous period's start, so a model that took over on the
    period's first day shows as a change and not as the engine's first model."""
    blocks = blocks or blocks_get(filters)
    rows = (
        summary_rows(
            AnswerSummary,
            workspace=workspace,
            filters=filters,
            blocks=[*blocks.now, *blocks.before],
        )
        .values("engine", "model_name")
        .annotate(n=Sum("answers", filter=blocks_q(blocks.now)), first=Min("first_at"))
        .order_by()
    )
    answers: dict[str, int] = {}
    first = {}
    for row in rows:
        first[(row["engine"], row["model_name"])] = row["first"]
        if row["n"]:
            answers[row["engine"]] = answers.get(row["engine"], 0) + row["n"]
    ordered = dict(sorted(answers.items(), key=lambda item: _engine_rank(item[0])))
    return EngineModels(answers=ordered, first=first)


def _engine_rank(engine: str) -> int:
    return ENGINE_ORDER.index(engine) if engine in ENGINE_ORDER else len(ENGINE_ORDER)


# --- Model changes -----------------------------------------------------------------------


def model_changes(*, models: EngineModels, filters: Filters) -> list[dict]:
    """The days in the period on which an engine's answers first came from a new model.

    A model counts as new when the same engine answered with another model before (in
    the period or the one before it); an engine's first model is no change.
    """
    split = day_start(filters.start)
    by_engine: dict[str, list[tuple[datetime, str]]] = {}
    for (engine, model), first in models.first.items():
        if model:
            by_engine.setdefault(engine, []).append((first, model))
    changes = []
    for engine, seen in by_engine.items():
        seen.sort()
        for (_, previous), (first, model) in zip(seen, seen[1:], strict=False):
            if first >= split:
                changes.append(
                    {
                        "day": first.astimezone(UTC).date(),
                        "engine": engine,
                        "label": engine_label(engine),
                        "model": model,
                        "previous": previous,
                    }
                )
    return sorted(changes, key=lambda c: (c["day"], _engine_rank(c["engine"]), c["model"]))


def change_bucket(day: date, kind: str) -> date:
    """The chart bucket (a day, or its week's Monday) a change's day falls in."""
    return day if kind == "day" else day - timedelta(days=day.weekday())


# --- Engines compared --------------------------------------------------------------------


@dataclass
class EngineStats:
    engine: str
    label: str
    visibility: Rate
    sov: float | None
    avg_position: float | None
    position_n: int
    is_best: bool = False

    @property
    def sov_pct(self) -> float | None:
        return None if self.sov is None else 100 * self.sov


@dataclass
class EngineTest:
    """Pearson's chi-square test of independence of "names the own brand" × engine."""

    statistic: float | None = None
    df: int = 0
    p: float | None = None
    smallest_expected: float = 0.0

    @property
    def testable(self) -> bool:
        return self.p is not None and self.smallest_expected >= MIN_EXPECTED

    @property
    def significant(self) -> bool:
        return self.testable and self.p is not None and self.p < ALPHA


@dataclass
class EngineComparison:
    brand: Brand
    engines: list[EngineStats] = field(default_factory=list)
    test: EngineTest = field(default_factory=EngineTest)


def engine_comparison_get(
    *,
    workspace: Workspace,
    filters: Filters,
    own: Brand | None,
    brands: list[Brand],
    models: EngineModels,
    blocks: Blocks | None = None,
) -> EngineComparison | None:
    """The own brand per engine, side by side (one query), when two engines or more
    answered in the period; None otherwise."""
    if own is None or len(models.engines) < 2:
        return None
    tracked = {b.pk for b in brands}
    rows = (
        summary_rows(
            BrandSummary,
            workspace=workspace,
            filters=filters,
            blocks=(blocks or blocks_get(filters)).now,
        )
        .values("engine", "brand")
        .annotate(k=Sum("named"), rank_sum=Sum("rank_sum"))
        .order_by()
    )
    own_rows: dict[str, dict] = {}
    all_k: dict[str, int] = {}
    for row in rows:
        engine = row["engine"]
        if row["brand"] in tracked:
            all_k[engine] = all_k.get(engine, 0) + row["k"]
        if row["brand"] == own.pk:
            own_rows[engine] = row
    comparison = EngineComparison(brand=own)
    for engine, n in models.answers.items():
        row = own_rows.get(engine, {"k": 0, "rank_sum": 0})
        k = row["k"]
        comparison.engines.append(
            EngineStats(
                engine=engine,
                label=engine_label(engine),
                visibility=Rate(k, n),
                sov=k / all_k[engine] if all_k.get(engine) else None,
                avg_position=row["rank_sum"] / k if k else None,
                position_n=k,
            )
        )
    # "Highest" only for a rate above every other engine's (no badge on a tie or on 0%).
    values = sorted((e.visibility.value or 0 for e in comparison.engines), reverse=True)
    top, runner_up = values[0], values[1]
    for stats in comparison.engines:
        stats.is_best = top > runner_up and (stats.visibility.value or 0) == top
    result = chi_square_independence([(e.visibility.k, e.visibility.n) for e in comparison.engines])
    if result is not None:
        statistic, df, p, smallest = result
        comparison.test = EngineTest(statistic=statistic, df=df, p=p, smallest_expected=smallest)
    return comparison


# --- Web search or not -------------------------------------------------------------------


@dataclass
class WebPair:
    prompt: int
    text: str
    engine: str
    label: str
    on: Rate
    off: Rate

    @property
    def significant(self) -> bool:
        return change_is_significant(self.on.k, self.on.n, self.off.k, self.off.n)


@dataclass
class WebComparison:
    """The own brand with and without web search, over the (prompt, engine) pairs asked
    both ways in the period: the same questions on both sides."""

    pairs: list[WebPair]
    on: Rate
    off: Rate
    statistic: float | None
    p: float | None

    @property
    def prompt_count(self) -> int:
        return len({pair.prompt for pair in self.pairs})

    @property
    def shown(self) -> list[WebPair]:
        """The pairs the table lists (the test and the totals take them all)."""
        return self.pairs[:WEB_ROWS]

    @property
    def significant(self) -> bool:
        return self.p is not None and self.p < ALPHA


def web_comparison_get(
    *, workspace: Workspace, filters: Filters, own: Brand | None, blocks: Blocks | None = None
) -> WebComparison | None:
    """Two queries, skipped when the web-search filter keeps one side only; None when no
    prompt was asked both ways by the same engine in the period."""
    if own is None or filters.web:
        return None
    scoped: dict[str, Any] = {
        "workspace": workspace,
        "filters": filters,
        "blocks": (blocks or blocks_get(filters)).now,
        "by_prompt": True,
    }
    prompt = Prompt.objects.filter(pk=OuterRef("prompt")).order_by()
    rows = (
        summary_rows(AnswerSummary, **scoped)
        .values("prompt", "engine", "web_search")
        .annotate(n=Sum("answers"))
        .annotate(text=Subquery(prompt.values("text")))
        .order_by()
    )
    own_k = {
        (row["prompt"], row["engine"], row["web_search"]): row["k"]
        for row in summary_rows(BrandSummary, **scoped)
        .filter(brand=own)
        .values("prompt", "engine", "web_search")
        .annotate(k=Sum("named"))
        .order_by()
    }
    sides: dict[tuple[int, str], dict[bool, dict]] = {}
    for row in rows:
        row["k"] = own_k.get((row["prompt"], row["engine"], row["web_search"]), 0)
        sides.setdefault((row["prompt"], row["engine"]), {})[row["web_search"]] = row
    pairs = [
        WebPair(
            prompt=prompt_id,
            text=both[True]["text"],
            engine=engine,
            label=engine_label(engine),
            on=Rate(both[True]["k"], both[True]["n"]),
            off=Rate(both[False]["k"], both[False]["n"]),
        )
        for (prompt_id, engine), both in sides.items()
        if True in both and False in both
    ]
    if not pairs:
        return None
    pairs.sort(key=lambda p: (p.text, _engine_rank(p.engine)))
    test = mantel_haenszel([(p.on.k, p.on.n, p.off.k, p.off.n) for p in pairs])
    return WebComparison(
        pairs=pairs,
        on=Rate(sum(p.on.k for p in pairs), sum(p.on.n for p in pairs)),
        off=Rate(sum(p.off.k for p in pairs), sum(p.off.n for p in pairs)),
        statistic=test[0] if test else None,
        p=test[1] if test else None,
    )
