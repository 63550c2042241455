"""Which summary blocks the dashboard adds up for a period.

A period is read as a few blocks: the longest that fit (``blocks_cover``), except where
the charts need a block per bucket (a day, or a week cut to the period at its ends).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from monitoring.models.summaries import blocks_cover
from monitoring.selectors.dashboard.buckets import chart_buckets
from monitoring.selectors.filters import Filters
from monitoring.selectors.summaries import Block


@dataclass(frozen=True)
class Blocks:
    #: The period's blocks, each with the chart bucket it falls in.
    buckets: dict[Block, date]
    #: The period's and the previous period's, the longest that fit.
    now: tuple[Block, ...]
    before: tuple[Block, ...]


def blocks_get(filters: Filters) -> Blocks:
    kind, starts = chart_buckets(filters)
    buckets: dict[Block, date] = {}
    for first in starts:
        last = first if kind == "day" else first + timedelta(days=6)
        for block in blocks_cover(max(first, filters.start), min(last, filters.end), longest=7):
            buckets[block] = first
    before = filters.previous()
    return Blocks(
        buckets=buckets,
        now=tuple(blocks_cover(filters.start, filters.end)),
        before=tuple(blocks_cover(before.start, before.end)),
    )
