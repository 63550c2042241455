"""The dashboard's numbers: every count is aggregated in the database, never row by row.

Each function runs a fixed number of queries whatever the number of answers, so the page
costs the same number of queries for one answer as for a million. The statistics (Wilson
intervals, significance, share of voice) come from ``monitoring.analysis.stats``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    Func,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    When,
)

from monitoring.analysis.stats import change_is_significant, share_of_voice, wilson_interval
from monitoring.forms.filters import Filters
from monitoring.models import (
    Answer,
    Brand,
    BrandKind,
    Citation,
    Mention,
    Task,
    TaskStatus,
)

#: Ranges up to this many days are charted per day, longer ones per week.
DAILY_BUCKETS_UP_TO = 31
TOP_DOMAINS = 15
TOP_FAN_OUT = 15
UNTRACKED_MIN_ANSWERS = 2
TOP_UNTRACKED = 15
PROMPT_ROWS = 200
NOT_COUNTED = (TaskStatus.FAILED, TaskStatus.EXPIRED)


MICRO = Decimal("0.000001")


def _money(value) -> Decimal:
    """A database sum as an exact 6-decimal amount (SQLite sums decimals loosely)."""
    return Decimal(value or 0).quantize(MICRO)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


# --- scopes -------------------------------------------------------------------------------


def answer_q(
    *, workspace_id: int, filters: Filters, start: date | None = None, prefix: str = ""
) -> Q:
    """The filters as a condition on an answer, reached through ``prefix`` (e.g. "answer__").

    Mentions and citations are filtered by joining their answer under this same condition
    rather than with ``answer IN (SELECT id FROM answers ...)``: the join lets the database
    walk the ``(workspace, answered_at)`` index once and probe each answer's rows.
    """
    q = Q(
        **{
            f"{prefix}workspace_id": workspace_id,
            f"{prefix}answered_at__gte": _day_start(start or filters.start),
            f"{prefix}answered_at__lt": _day_start(filters.end + timedelta(days=1)),
        }
    )
    if filters.tag:
        q &= Q(**{f"{prefix}prompt__tags": filters.tag})
    if filters.prompt:
        q &= Q(**{f"{prefix}prompt_id": filters.prompt})
    if filters.monitor:
        q &= Q(**{f"{prefix}monitor_id": filters.monitor})
    if filters.model:
        q &= Q(**{f"{prefix}model_name": filters.model})
    if filters.web:
        q &= Q(**{f"{prefix}web_search": filters.web == "on"})
    return q


def answer_scope(*, workspace_id: int, filters: Filters, start: date | None = None) -> QuerySet:
    """The answers the filters select (from ``start`` when given, e.g. the previous period)."""
    return Answer.objects.filter(answer_q(workspace_id=workspace_id, filters=filters, start=start))


def mention_scope(*, workspace_id: int, filters: Filters, start: date | None = None) -> QuerySet:
    """Mentions in the answers the filters select (joined, not ``IN (subquery)``)."""
    return Mention.objects.filter(
        answer_q(workspace_id=workspace_id, filters=filters, start=start, prefix="answer__")
    )


def citation_scope(*, workspace_id: int, filters: Filters, start: date | None = None) -> QuerySet:
    """Citations in the answers the filters select (joined, not ``IN (subquery)``)."""
    return Citation.objects.filter(
        answer_q(workspace_id=workspace_id, filters=filters, start=start, prefix="answer__")
    )


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

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        sql, params = connection.ops.datetime_trunc_sql(self.kind, sql, tuple(params), "UTC")
        return f"CAST({sql} AS DATE)", params


def answer_drill_scope(*, workspace_id: int, filters: Filters) -> QuerySet:
    """The answers behind one number: the filters plus brand / mentioned / cited domain."""
    answers = answer_scope(workspace_id=workspace_id, filters=filters)
    if filters.brand:
        mentioned = Exists(Mention.objects.filter(answer=OuterRef("pk"), brand_id=filters.brand))
        answers = answers.filter(~mentioned if filters.mentioned is False else mentioned)
    elif filters.mentioned is not None:  # mentioned=0 alone: answers naming no tracked brand
        anything = Exists(Mention.objects.filter(answer=OuterRef("pk")))
        answers = answers.filter(anything if filters.mentioned else ~anything)
    if filters.domain:
        answers = answers.filter(
            Exists(Citation.objects.filter(answer=OuterRef("pk"), domain=filters.domain))
        )
    return answers


def task_scope(*, workspace_id: int, filters: Filters) -> QuerySet:
    """Tasks created in the period under the same filters (model and web search read from
    the request body, since failed tasks have no answer)."""
    tasks = Task.objects.filter(
        workspace_id=workspace_id,
        created_at__gte=_day_start(filters.start),
        created_at__lt=_day_start(filters.end + timedelta(days=1)),
    )
    if filters.tag:
        tasks = tasks.filter(prompt__tags=filters.tag)
    if filters.prompt:
        tasks = tasks.filter(prompt_id=filters.prompt)
    if filters.monitor:
        tasks = tasks.filter(monitor_id=filters.monitor)
    if filters.model:
        tasks = tasks.filter(request_body__model_name=filters.model)
    if filters.web == "on":
        tasks = tasks.filter(request_body__web_search=True)
    elif filters.web == "off":
        tasks = tasks.exclude(request_body__web_search=True)
    return tasks


# --- rates --------------------------------------------------------------------------------


@dataclass
class Rate:
    """k of n with its 95% Wilson interval; ``value`` is None when n is 0 (shown as "—")."""

    k: int
    n: int

    @property
    def value(self) -> float | None:
        return self.k / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float]:
        return wilson_interval(self.k, self.n)

    @property
    def percent(self) -> float | None:
        return None if self.value is None else 100 * self.value

    @property
    def low_percent(self) -> float:
        return 100 * self.interval[0]

    @property
    def high_percent(self) -> float:
        return 100 * self.interval[1]


@dataclass
class Change:
    """A rate now against the previous period of equal length."""

    now: Rate
    before: Rate

    @property
    def delta(self) -> float | None:
        if self.now.value is None or self.before.value is None:
            return None
        return self.now.value - self.before.value

    @property
    def significant(self) -> bool:
        return change_is_significant(self.now.k, self.now.n, self.before.k, self.before.n)

    @property
    def delta_points(self) -> float | None:
        """The size of the change in percentage points (the arrow gives its sign)."""
        return None if self.delta is None else abs(100 * self.delta)

    @property
    def direction(self) -> str:
        delta = self.delta
        if delta is None or delta == 0:
            return "flat"
        return "up" if delta > 0 else "down"


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


def brand_list_ordered(*, workspace_id: int, own_id: int | None = None) -> list[Brand]:
    """Tracked brands, the chosen own brand first, then other own brands, then competitors."""
    brands = list(Brand.objects.filter(workspace_id=workspace_id))
    return sorted(brands, key=lambda b: (b.pk != own_id, b.kind != BrandKind.OWN, b.name.lower()))


@dataclass
class PeriodCounts:
    """Answers and mentions per chart bucket of the period, plus the previous period's totals.

    Shared by the headline cards and the trend charts, so each row is read once: bucket
    ``None`` holds the previous period (two queries).
    """

    kind: str
    answers: dict[date | None, dict]  # bucket -> {"n", "informative"}
    mentions: dict[tuple[date | None, int], dict]  # (bucket, brand) -> {"k", "rank_sum", "count"}

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


def period_counts_get(*, workspace_id: int, filters: Filters) -> PeriodCounts:
    kind, _ = _buckets(filters)
    split = _day_start(filters.start)
    scoped = {"workspace_id": workspace_id, "filters": filters, "start": filters.previous().start}

    def bucket(field: str) -> Case:
        return Case(
            When(**{f"{field}__gte": split}, then=BucketStart(field, kind)),
            default=None,
            output_field=DateField(),
        )

    answers = {
        row["period"]: row
        for row in answer_scope(**scoped)
        .annotate(period=bucket("answered_at"))
        .values("period")
        .annotate(n=Count("id"), informative=Count("id", filter=Q(is_informative=True)))
        .order_by()
    }
    mentions = {
        (row["period"], row["brand"]): row
        for row in mention_scope(**scoped)
        .annotate(period=bucket("answer__answered_at"))
        .values("period", "brand")
        .annotate(k=Count("id"), rank_sum=Sum("rank"), count=Sum("count"))
        .order_by()
    }
    return PeriodCounts(kind=kind, answers=answers, mentions=mentions)


def overview_get(
    *,
    workspace_id: int,
    filters: Filters,
    brands: list[Brand],
    counts: PeriodCounts | None = None,
) -> Overview:
    """Headline numbers per brand for the period and the one before (four queries, two of
    them shared with the trend through ``counts``)."""
    before = filters.previous()
    split = _day_start(filters.start)
    now_q, before_q = Q(answer__answered_at__gte=split), Q(answer__answered_at__lt=split)
    scoped = {"workspace_id": workspace_id, "filters": filters, "start": before.start}
    counts = counts or period_counts_get(workspace_id=workspace_id, filters=filters)
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
        row["brand"]: row
        for row in citation_scope(**scoped)
        .values("brand")
        .annotate(
            k=Count("id", filter=now_q),
            k_before=Count("id", filter=before_q),
            answers=Count("answer", filter=now_q, distinct=True),
        )
        .order_by()
    }
    cit_n = sum(r["k"] for r in citation_rows.values())
    cit_n_before = sum(r["k_before"] for r in citation_rows.values())
    tasks = task_scope(workspace_id=workspace_id, filters=filters).aggregate(
        failed=Count("id", filter=Q(status=TaskStatus.FAILED)),
        expired=Count("id", filter=Q(status=TaskStatus.EXPIRED)),
        spent=Sum("money_spent"),
        prepaid=Sum("cost_prepaid"),
    )
    n, n_before = counts.answer_total("n"), counts.answer_total("n", before=True)
    sov = share_of_voice({b.pk: mention_rows.get(b.pk, {}).get("k", 0) for b in brands})
    sov_before = share_of_voice(
        {b.pk: mention_rows.get(b.pk, {}).get("k_before", 0) for b in brands}
    )
    overview = Overview(
        filters=filters,
        answers=Rate(counts.answer_total("informative"), n),
        answers_before=n_before,
        failed=tasks["failed"],
        expired=tasks["expired"],
        total_citations=cit_n,
        spent=_money(tasks["spent"]),
        prepaid=_money(tasks["prepaid"]),
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


# --- trends -------------------------------------------------------------------------------


def _buckets(filters: Filters) -> tuple[str, list[date]]:
    if filters.days <= DAILY_BUCKETS_UP_TO:
        return "day", [filters.start + timedelta(days=i) for i in range(filters.days)]
    first = filters.start - timedelta(days=filters.start.weekday())  # Monday
    weeks = (filters.end - first).days // 7 + 1
    return "week", [first + timedelta(weeks=i) for i in range(weeks)]


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


# --- tables -------------------------------------------------------------------------------


def top_domains(*, workspace_id: int, filters: Filters, n: int, total_citations: int) -> list[dict]:
    """Most cited domains with citation share and domain coverage (one query)."""
    rows = (
        citation_scope(workspace_id=workspace_id, filters=filters)
        .values("domain")
        .annotate(citations=Count("id"), answers=Count("answer", distinct=True), brand=Max("brand"))
        .order_by("-citations", "domain")[:TOP_DOMAINS]
    )
    return [
        row
        | {"share": Rate(row["citations"], total_citations), "coverage": Rate(row["answers"], n)}
        for row in rows
    ]


def _json_list_counts(scope: QuerySet, column: str, *, min_answers: int, limit: int) -> list[tuple]:
    """(value, occurrences, answers) of the items of a JSON list column, counted in SQL.

    The ORM has no "unnest a JSON array", so this one query is written per database.
    """
    # The filtered answers are a derived table (not ``id IN (subquery)``), so the database
    # reads them once through the (workspace, answered_at) index.
    inner, params = scope.values("id", column).query.sql_with_params()
    col = connection.ops.quote_name(column)
    if connection.vendor == "postgresql":
        # jsonb_array_elements_text raises on a non-array; such a value has no items.
        items = f"CASE WHEN jsonb_typeof(a.{col}) = 'array' THEN a.{col} ELSE '[]'::jsonb END"
        source = f"({inner}) a CROSS JOIN LATERAL jsonb_array_elements_text({items}) AS e(value)"
    else:
        items = f"CASE WHEN json_type(a.{col}) = 'array' THEN a.{col} ELSE '[]' END"
        source = f"({inner}) a, json_each({items}) e"
    # Only quoted identifiers and the ORM's own compiled subquery are interpolated.
    sql = (
        f"SELECT e.value, COUNT(*), COUNT(DISTINCT a.id) FROM {source} "  # noqa: S608
        f"GROUP BY e.value HAVING COUNT(DISTINCT a.id) >= %s "
        f"ORDER BY 3 DESC, 2 DESC, 1 LIMIT %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, min_answers, limit])
        return cursor.fetchall()


def fan_out_top(*, workspace_id: int, filters: Filters) -> list[dict]:
    scope = answer_scope(workspace_id=workspace_id, filters=filters)
    rows = _json_list_counts(scope, "fan_out_queries", min_answers=1, limit=TOP_FAN_OUT)
    return [{"query": q, "count": c, "answers": a} for q, c, a in rows]


def untracked_suggestions(
    *, workspace_id: int, filters: Filters, brands: list[Brand]
) -> list[dict]:
    """Names nobody tracks that recur in at least two answers: candidate competitors."""
    scope = answer_scope(workspace_id=workspace_id, filters=filters)
    tracked = {b.name.lower() for b in brands}
    rows = _json_list_counts(
        scope,
        "untracked_names",
        min_answers=UNTRACKED_MIN_ANSWERS,
        limit=TOP_UNTRACKED + len(tracked),
    )
    return [
        {"name": name, "answers": answers}
        for name, _, answers in rows
        if str(name).lower() not in tracked
    ][:TOP_UNTRACKED]


def prompt_table(
    *, workspace_id: int, filters: Filters, own: Brand | None, brands: list[Brand]
) -> list[dict]:
    """Per prompt: own visibility (k/n, interval), weak answers, and who wins it instead."""
    scope = answer_scope(workspace_id=workspace_id, filters=filters)
    own_id = own.pk if own else 0
    own_hit = Exists(Mention.objects.filter(answer=OuterRef("pk"), brand_id=own_id))
    rows = list(
        scope.values("prompt", "prompt__text")
        .annotate(
            n=Count("id"),
            k=Count("id", filter=own_hit),
            weak=Count("id", filter=Q(is_informative=False)),
        )
        .order_by()
    )
    winners: dict[int, tuple[int, int]] = {}
    own_named = Exists(Mention.objects.filter(answer=OuterRef("answer"), brand_id=own_id))
    for row in (
        mention_scope(workspace_id=workspace_id, filters=filters)
        .filter(~own_named, rank=1)
        # brand first: grouping by prompt first lures SQLite onto the (workspace, prompt)
        # index, reading every answer of the workspace instead of the period's.
        .values("brand", "answer__prompt")
        .annotate(c=Count("id"))
        .order_by("answer__prompt", "-c", "brand")
    ):
        winners.setdefault(row["answer__prompt"], (row["brand"], row["c"]))
    by_id = {b.pk: b for b in brands}
    table = []
    for row in rows:
        winner = winners.get(row["prompt"])
        table.append(
            {
                "id": row["prompt"],
                "text": row["prompt__text"],
                "visibility": Rate(row["k"], row["n"]),
                "weak": row["weak"],
                "is_weak": row["weak"] * 2 > row["n"],
                "winner": by_id.get(winner[0]) if winner else None,
                "winner_count": winner[1] if winner else 0,
            }
        )
    table.sort(key=lambda r: (r["visibility"].value, -r["visibility"].n, r["text"]))
    return table


def dashboard_get(*, workspace_id: int, filters: Filters) -> dict:
    """Everything the dashboard body shows, in a fixed number of queries."""
    brands = brand_list_ordered(workspace_id=workspace_id, own_id=filters.own)
    counts = period_counts_get(workspace_id=workspace_id, filters=filters)
    overview = overview_get(
        workspace_id=workspace_id, filters=filters, brands=brands, counts=counts
    )
    own = overview.own.brand if overview.own else None
    prompts = prompt_table(workspace_id=workspace_id, filters=filters, own=own, brands=brands)
    return {
        "overview": overview,
        "brands": brands,
        "brand_by_id": {b.pk: b for b in brands},
        "trend": trend_get(
            workspace_id=workspace_id, filters=filters, brands=brands, counts=counts
        ),
        "domains": top_domains(
            workspace_id=workspace_id,
            filters=filters,
            n=overview.answers.n,
            total_citations=overview.total_citations,
        ),
        "fan_out": fan_out_top(workspace_id=workspace_id, filters=filters),
        "untracked": untracked_suggestions(
            workspace_id=workspace_id, filters=filters, brands=brands
        ),
        "prompts": prompts[:PROMPT_ROWS],
        "prompt_count": len(prompts),
    }
