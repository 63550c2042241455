"""Chart buckets: a day or a week per point (``periods.BucketStart`` puts a datetime in one)."""

from __future__ import annotations

from datetime import date, timedelta

from monitoring.selectors.filters import Filters

#: Ranges up to this many days are charted per day, longer ones per week.
DAILY_BUCKETS_UP_TO = 31


def chart_buckets(filters: Filters) -> tuple[str, list[date]]:
    if filters.days <= DAILY_BUCKETS_UP_TO:
        return "day", [filters.start + timedelta(days=i) for i in range(filters.days)]
    first = filters.start - timedelta(days=filters.start.weekday())  # Monday
    weeks = (filters.end - first).days // 7 + 1
    return "week", [first + timedelta(weeks=i) for i in range(weeks)]
