"""The dashboard's numbers: every count is aggregated in the database, never row by row.

Each function runs a fixed number of queries whatever the number of answers, so the page
costs the same number of queries for one answer as for a million. The statistics (Wilson
intervals, significance, share of voice) come from ``monitoring.analysis.stats``.

One module per part of the page: ``scope`` (the filtered rows), ``buckets`` (chart
buckets), ``rates``, ``overview`` (headline cards), ``trends``, ``tables`` and ``body``
(everything together); import them from here.
"""

from monitoring.selectors.dashboard.body import PROMPT_ROWS, dashboard_get
from monitoring.selectors.dashboard.buckets import DAILY_BUCKETS_UP_TO
from monitoring.selectors.dashboard.overview import (
    BrandStats,
    Overview,
    PeriodCounts,
    brand_list_ordered,
    overview_get,
    period_counts_get,
)
from monitoring.selectors.dashboard.rates import Change, Rate
from monitoring.selectors.dashboard.scope import (
    answer_drill_scope,
    answer_q,
    answer_scope,
    task_scope,
)
from monitoring.selectors.dashboard.tables import (
    TOP_DOMAINS,
    TOP_FAN_OUT,
    TOP_UNTRACKED,
    UNTRACKED_MIN_ANSWERS,
    domain_top,
    fan_out_top,
    prompt_table_get,
    untracked_list,
)
from monitoring.selectors.dashboard.trends import trend_get
from monitoring.selectors.periods import BucketStart

__all__ = [
    "DAILY_BUCKETS_UP_TO",
    "PROMPT_ROWS",
    "TOP_DOMAINS",
    "TOP_FAN_OUT",
    "TOP_UNTRACKED",
    "UNTRACKED_MIN_ANSWERS",
    "BrandStats",
    "BucketStart",
    "Change",
    "Overview",
    "PeriodCounts",
    "Rate",
    "answer_drill_scope",
    "answer_q",
    "answer_scope",
    "brand_list_ordered",
    "dashboard_get",
    "fan_out_top",
    "overview_get",
    "period_counts_get",
    "prompt_table_get",
    "task_scope",
    "domain_top",
    "trend_get",
    "untracked_list",
]
