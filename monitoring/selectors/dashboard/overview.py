"""The headline cards: per-brand numbers for the period and the one before."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from monitoring.analysis.stats import share_of_voice
from monitoring.models import AnswerSummary, Brand, BrandKind, BrandSummary, TaskSummary, Workspace
from monitoring.models.money import usd
from monitoring.models.summaries import blocks_cover
from monitoring.selectors.dashboard.blocks import Blocks, blocks_get
from monitoring.selectors.dashboard.buckets import chart_buckets
from monitoring.selectors.dashboard.rates import Change, Rate
from monitoring.selectors.filters import Filters
from monitoring.selectors.summaries import summary_rows


@dataclass
class BrandStats:
    brand: Brand
    visibility: Change
    sov: float | None
    sov_before: float | None
    avg_position: float | None
    position_n: int
    mentions: int
    citations: Change  # citations of the brand's domains ÷ all citations
    coverage: Rate  # answers citing the brand's domains ÷ answers

    colour: str = ""

    @property
    def is_own(self) -> bool:
        return self.brand.kind == BrandKind.OWN

    @property
    def sov_pct(self) -> float | None:
        return None if self.sov is None else 100 * self.sov

    @property
    def not_named(self) -> int:
        return self.visibility.now.n - self.visibility.now.k


@dataclass
class Overview:
    filters: Filters
    answers: Rate  # k = informative answers (naming any company), n = answers
    answers_before: int
    failed: int
    expired: int
    brands: list[BrandStats] = field(default_factory=list)
    total_citations: int = 0
    spent: Decimal = Decimal(0)
    prepaid: Decimal = Decimal(0)

    @property
    def own(self) -> BrandStats | None:
        return next((b for b in self.brands if b.is_own), None)

    @property
    def not_counted(self) -> int:
        return self.failed + self.expired


def brand_list_ordered(*, workspace: Workspace, own_id: int | None = None) -> list[Brand]:
    """Tracked brands, the chosen own brand first, then other own brands, then competitors."""
    brands = list(Brand.objects.filter(workspace=workspace))
    return sorted(brands, key=lambda b: (b.pk != own_id, b.kind != BrandKind.OWN, b.name.lower()))


@dataclass
class PeriodCounts:
    """Answers and brands per chart bucket of the period, plus the previous period's
    totals (bucket ``None``), and tasks per day, added up from the summaries in three
    queries.

    Shared by the headline cards and the trend charts, so each row is read once.
    """

    kind: str
    answers: dict[date | None, dict]  # bucket -> {"n", "informative", "citations"}
    #: (bucket, brand) -> {"k", "rank_sum", "count", "citations", "cited"}
    mentions: dict[tuple[date | None, int], dict]
    #: Day of the period -> the tasks created: {"tasks", "failed", "expired", amounts}.
    tasks: dict[date, dict] = field(default_factory=dict)

    def task_total(self, key: str):
        start = usd(0) if key in AMOUNTS else 0
        return sum((row[key] or 0 for row in self.tasks.values()), start)

    def answer_total(self, key: str, *, before: bool = False) -> int:
        if before:
            return self.answers.get(None, {}).get(key, 0)
        return sum(row[key] for bucket, row in self.answers.items() if bucket is not None)

    def mention_total(self, brand_id: int, key: str, *, before: bool = False) -> int:
        if before:
            return self.mentions.get((None, brand_id), {}).get(key, 0)
        return sum(
            row[key] or 0
            for (bucket, brand), row in self.mentions.items()
            if bucket is not None and brand == brand_id
        )


def period_counts_get(
    *, workspace: Workspace, filters: Filters, blocks: Blocks | None = None
) -> PeriodCounts:
    blocks = blocks or blocks_get(filters)
    kind, _ = chart_buckets(filters)
    scoped: dict[str, Any] = {
        "workspace": workspace,
        "filters": filters,
        "blocks": [*blocks.buckets, *blocks.before],
    }
    answers: dict[date | None, dict] = {}
    for row in (
        summary_rows(AnswerSummary, **scoped)
        .values("day", "span")
        .annotate(n=Sum("answers"), informative=Sum("informative"), citations=Sum("citations"))
        .order_by()
    ):
        _add(answers, blocks.buckets.get((row.pop("day"), row.pop("span"))), row)
    mentions: dict[tuple[date | None, int], dict] = {}
    for row in (
        summary_rows(BrandSummary, **scoped)
        .values("day", "span", "brand")
        .annotate(
            k=Sum("named"),
            rank_sum=Sum("rank_sum"),
            count=Sum("occurrences"),
            citations=Sum("citations"),
            cited=Sum("cited_answers"),
        )
        .order_by()
    ):
        bucket = blocks.buckets.get((row.pop("day"), row.pop("span")))
        _add(mentions, (bucket, row.pop("brand")), row)
    days = blocks_cover(filters.start, filters.end, longest=1)
    tasks = {
        row["day"]: _money(row)
        for row in summary_rows(TaskSummary, workspace=workspace, filters=filters, blocks=days)
        .values("day")
        .annotate(
            tasks=Sum("tasks"),
            failed=Sum("failed"),
            expired=Sum("expired"),
            prepaid=Sum("prepaid"),
            spent=Sum("spent"),
            real=Sum("real"),
        )
        .order_by()
    }
    return PeriodCounts(kind=kind, answers=answers, mentions=mentions, tasks=tasks)


AMOUNTS = ("prepaid", "spent", "real")


def _money(row: dict) -> dict:
    return row | {name: usd(row[name]) for name in AMOUNTS}


def _add(totals: dict, key, row: dict) -> None:
    total = totals.setdefault(key, dict.fromkeys(row, 0))
    for name, value in row.items():
        total[name] += value or 0


def overview_get(
    *,
    workspace: Workspace,
    filters: Filters,
    brands: list[Brand],
    counts: PeriodCounts | None = None,
) -> Overview:
    """Headline numbers per brand for the period and the one before (the three queries of
    ``counts``, shared with the trend)."""
    counts = counts or period_counts_get(workspace=workspace, filters=filters)
    mention_rows = {
        brand.pk: {
            "k": counts.mention_total(brand.pk, "k"),
            "k_before": counts.mention_total(brand.pk, "k", before=True),
            "rank_sum": counts.mention_total(brand.pk, "rank_sum"),
            "mentions": counts.mention_total(brand.pk, "count"),
        }
        for brand in brands
    }
    citation_rows = {
        brand.pk: {
            "k": counts.mention_total(brand.pk, "citations"),
            "k_before": counts.mention_total(brand.pk, "citations", before=True),
            "answers": counts.mention_total(brand.pk, "cited"),
        }
        for brand in brands
    }
    cit_n = counts.answer_total("citations")
    cit_n_before = counts.answer_total("citations", before=True)
    n, n_before = counts.answer_total("n"), counts.answer_total("n", before=True)
    sov = share_of_voice({b.pk: mention_rows.get(b.pk, {}).get("k", 0) for b in brands})
    sov_before = share_of_voice(
        {b.pk: mention_rows.get(b.pk, {}).get("k_before", 0) for b in brands}
    )
    overview = Overview(
        filters=filters,
        answers=Rate(counts.answer_total("informative"), n),
        answers_before=n_before,
        failed=counts.task_total("failed"),
        expired=counts.task_total("expired"),
        total_citations=cit_n,
        spent=counts.task_total("spent"),
        prepaid=counts.task_total("prepaid"),
    )
    for brand in brands:
        m = mention_rows.get(brand.pk, {})
        c = citation_rows.get(brand.pk, {})
        overview.brands.append(
            BrandStats(
                brand=brand,
                visibility=Change(Rate(m.get("k", 0), n), Rate(m.get("k_before", 0), n_before)),
                sov=sov[brand.pk],
                sov_before=sov_before[brand.pk],
                avg_position=m["rank_sum"] / m["k"] if m.get("k") else None,
                position_n=m.get("k", 0),
                mentions=m.get("mentions") or 0,
                citations=Change(
                    Rate(c.get("k", 0), cit_n), Rate(c.get("k_before", 0), cit_n_before)
                ),
                coverage=Rate(c.get("answers", 0), n),
            )
        )
    return overview
