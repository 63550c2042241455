"""Where days and months begin: every period the pages and budgets count is in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db.models import DateField, Func, Q, QuerySet


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day`` (a datetime counts by its UTC date)."""
    if isinstance(day, datetime):
        day = day.astimezone(UTC).date()
    return datetime.combine(day, time.min, tzinfo=UTC)


def days_q(field: str, days: list[date]) -> Q:
    """Rows whose ``field`` (a moment) falls on one of these UTC days (sorted): a range
    per run of consecutive days, which the moment's index answers."""
    q = Q(pk__in=[])
    if not days:
        return q
    first = last = days[0]
    for day in [*days[1:], None]:
        if day is not None and day == last + timedelta(days=1):
            last = day
            continue
        after = day_start(last + timedelta(days=1))
        q |= Q(**{f"{field}__gte": day_start(first), f"{field}__lt": after})
        if day is not None:
            first = last = day
    return q


def created_between(rows: QuerySet, *, start: date | None, end: date | None) -> QuerySet:
    """Rows created on the UTC days from ``start`` to ``end``, both included (None: open)."""
    if start:
        rows = rows.filter(created_at__gte=day_start(start))
    if end:
        rows = rows.filter(created_at__lt=day_start(end + timedelta(days=1)))
    return rows


def month_start(now: datetime) -> datetime:
    """Midnight UTC on the first day of ``now``'s month."""
    return day_start(now.astimezone(UTC).date().replace(day=1))


class BucketStart(Func):
    """The UTC day of a datetime, or the Monday of its week, as a date (``kind``: day|week).

    Django's ``Trunc`` on SQLite calls a Python function for every row; SQLite's own
    ``date()`` does the same in C and was most of the dashboard's time on long histories.
    Elsewhere (PostgreSQL) ``DATE_TRUNC`` is native already.
    """

    output_field = DateField()

    def __init__(self, expression, kind: str):
        if kind not in ("day", "week"):
            raise ValueError(f"Unsupported bucket: {kind}")
        self.kind = kind
        super().__init__(expression)

    def as_sqlite(self, compiler, connection, **extra):
        # Datetimes are stored as UTC text "YYYY-MM-DD HH:MM:SS[.ffffff]": the day is its
        # first ten characters. Cut them before any date arithmetic, which rounds to the
        # millisecond (23:59:59.9999995 would move to the next day, and the next week).
        day = "substr(%(expressions)s, 1, 10)"
        template = f"date({day}, '-6 days', 'weekday 1')" if self.kind == "week" else day
        return super().as_sql(compiler, connection, template=template, **extra)

    def as_sql(self, compiler, connection, **extra):  # type: ignore[override]
        sql, params = compiler.compile(self.source_expressions[0])
        sql, params = connection.ops.datetime_trunc_sql(self.kind, sql, tuple(params), "UTC")
        return f"CAST({sql} AS DATE)", params
