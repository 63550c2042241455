"""The trend charts: visibility and share of voice per bucket, and cost per day."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Sum

from monitoring.forms.filters import Filters
from monitoring.models import Brand, BrandKind
from monitoring.selectors.dashboard.buckets import BucketStart, _buckets
from monitoring.selectors.dashboard.overview import PeriodCounts, _money, period_counts_get
from monitoring.selectors.dashboard.scope import task_scope


def _pct(k: int, n: int) -> float | None:
    return round(100 * k / n, 1) if n else None


def trend_get(
    *,
    workspace_id: int,
    filters: Filters,
    brands: list[Brand],
    counts: PeriodCounts | None = None,
) -> dict:
    """Visibility and share of voice per brand per bucket, and cost per day (three queries,
    two of them shared with the headline cards through ``counts``)."""
    counts = counts or period_counts_get(workspace_id=workspace_id, filters=filters)
    kind, buckets = counts.kind, _buckets(filters)[1]
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
        "cost": cost_by_day(workspace_id=workspace_id, filters=filters),
    }


def cost_by_day(*, workspace_id: int, filters: Filters) -> dict:
    """Spend per day of task creation; Decimals travel as strings (never floats)."""
    rows = {
        row["day"]: row
        for row in task_scope(workspace_id=workspace_id, filters=filters)
        .annotate(day=BucketStart("created_at", "day"))
        .values("day")
        .annotate(spent=Sum("money_spent"), prepaid=Sum("cost_prepaid"))
        .order_by()
    }
    days = [filters.start + timedelta(days=i) for i in range(filters.days)]
    return {
        "labels": [d.isoformat() for d in days],
        "spent": [str(_money(rows[d]["spent"] if d in rows else 0)) for d in days],
        "prepaid": [str(_money(rows[d]["prepaid"] if d in rows else 0)) for d in days],
    }
