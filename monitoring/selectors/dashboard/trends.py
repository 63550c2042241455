"""The trend charts: visibility and share of voice per bucket, and cost per day."""

from __future__ import annotations

from monitoring.models import Brand, BrandKind, Workspace
from monitoring.models.money import usd
from monitoring.models.summaries import blocks_cover
from monitoring.selectors.costs import cost_chart
from monitoring.selectors.dashboard.buckets import chart_buckets
from monitoring.selectors.dashboard.overview import AMOUNTS, PeriodCounts, period_counts_get
from monitoring.selectors.filters import Filters


def _pct(k: int, n: int) -> float | None:
    return round(100 * k / n, 1) if n else None


def trend_get(
    *,
    workspace: Workspace,
    filters: Filters,
    brands: list[Brand],
    counts: PeriodCounts | None = None,
) -> dict:
    """Visibility and share of voice per brand per bucket, and cost per day (the queries
    of ``counts``, shared with the headline cards)."""
    counts = counts or period_counts_get(workspace=workspace, filters=filters)
    kind, buckets = counts.kind, chart_buckets(filters)[1]
    n_by = {b: row["n"] for b, row in counts.answers.items() if b is not None}
    k_by = {key: row["k"] for key, row in counts.mentions.items() if key[0] is not None}
    visibility, sov = [], []
    for brand in brands:
        ks = [k_by.get((b, brand.pk), 0) for b in buckets]
        visibility.append(
            {
                "brand": brand.pk,
                "label": brand.name,
                "own": brand.kind == BrandKind.OWN,
                "data": [_pct(k, n_by.get(b, 0)) for k, b in zip(ks, buckets, strict=True)],
            }
        )
        sov.append(
            {
                "brand": brand.pk,
                "label": brand.name,
                "own": brand.kind == BrandKind.OWN,
                "data": [
                    _pct(k, sum(k_by.get((b, x.pk), 0) for x in brands))
                    for k, b in zip(ks, buckets, strict=True)
                ],
            }
        )
    return {
        "bucket": kind,
        "labels": [b.isoformat() for b in buckets],
        "n": [n_by.get(b, 0) for b in buckets],
        "visibility": visibility,
        "sov": sov,
        "cost": cost_chart(
            days=[
                counts.tasks.get(day) or {"day": day} | dict.fromkeys(AMOUNTS, usd(0))
                for day, _ in blocks_cover(filters.start, filters.end, longest=1)
            ]
        ),
    }
