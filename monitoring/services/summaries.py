"""Keeping the dashboard's summaries (``models.summaries``) equal to the raw rows.

Whatever changes an answer, its mentions or its citations marks the answer's day stale
(``days_mark``, in the same transaction as the change). ``summaries_refresh`` rebuilds the
marked days from the raw rows, then the 7-, 28- and 112-day blocks holding them from the
blocks below (an ``INSERT … SELECT`` each). The dashboard refreshes the days of the period
it shows before reading (``period_prepare``), and the pipeline's tick refreshes the rest in
the background, so a page rarely has any to do.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, models, transaction
from django.db.models import Case, CharField, F, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from monitoring.models import (
    Answer,
    Brand,
    BrandKind,
    Citation,
    Heartbeat,
    Mention,
    Task,
    TaskStatus,
)
from monitoring.models.summaries import (
    SPANS,
    SUMMARY_MODELS,
    AnswerSummary,
    BrandSummary,
    DomainSummary,
    PairSummary,
    SummaryKey,
    SummaryStale,
    TaskSummary,
    TermKind,
    TermSummary,
    WorkspaceVersion,
    block_start,
)
from monitoring.models.tasks import BILLED_STATUSES
from monitoring.services import bulk

logger = logging.getLogger(__name__)

#: Days rebuilt in one transaction.
DAYS_PER_REBUILD = 31


def _utc_day(moment: datetime | date) -> date:
    return moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment


def days_mark(pairs: Iterable[tuple[int, datetime | date]]) -> None:
    """Mark these (workspace id, day or moment) stale: one statement, which inserts the
    marks not there yet and takes no lock (see ``SummaryStale``)."""
    days = sorted({(workspace_id, _utc_day(moment)) for workspace_id, moment in pairs})
    if not days:
        return
    quote = connection.ops.quote_name
    table = quote(SummaryStale._meta.db_table)
    ws, day = quote("workspace_id"), quote("day")
    fields = bulk.plain_columns(SummaryStale, ["workspace", "day"])
    one = "(" + ", ".join(bulk.placeholder(f) for f in fields) + ")"
    adapt = connection.ops.adapt_datefield_value
    # Only the model's own table and column names are formatted in; values are params.
    sql = (
        f"INSERT INTO {table} ({ws}, {day}) SELECT v.column1, v.column2 "  # noqa: S608
        f"FROM (VALUES {', '.join([one] * len(days))}) AS v WHERE NOT EXISTS "
        f"(SELECT 1 FROM {table} s WHERE s.{ws} = v.column1 AND s.{day} = v.column2)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for w, d in days for value in (w, adapt(d))])


def workspace_mark(workspace_id: int) -> None:
    """Mark every day with an answer or a task in the workspace stale."""
    answers = Answer.objects.filter(workspace_id=workspace_id).values_list("answered_at")
    tasks = Task.objects.filter(workspace_id=workspace_id).values_list("created_at")
    days = {_utc_day(m) for rows in (answers, tasks) for (m,) in rows.order_by().iterator()}
    days_mark((workspace_id, d) for d in days)


def version_bump(workspace_id: int, *, create: bool = True) -> None:
    """Change the workspace's ``WorkspaceVersion``, in the caller's transaction, so the
    dashboard bodies cached under the old number are not served again. An increment in
    the database, never a value computed here: two changes at once both count.

    ``create=False`` for deletions: a workspace's own deletion deletes its brands and
    prompts first, and a row made then would outlive it. Without a row nothing is cached.
    """
    version = WorkspaceVersion.objects.filter(workspace_id=workspace_id)
    if not version.update(number=F("number") + 1) and create:
        WorkspaceVersion.objects.get_or_create(workspace_id=workspace_id)
        version.update(number=F("number") + 1)


def summaries_refresh(
    *,
    workspace_id: int | None = None,
    start: date | None = None,
    end: date | None = None,
    max_days: int | None = None,
    done: Counter[int] | None = None,
) -> int:
    """Rebuild the stale days (of one workspace, between two days, when given; at most
    ``max_days`` of them, the latest first) and the blocks holding them; returns how many
    days were rebuilt, and adds them per workspace to ``done``. A rebuild that fails is
    logged and its days stay marked: the others go on."""
    marks = SummaryStale.objects.all()
    if workspace_id is not None:
        marks = marks.filter(workspace_id=workspace_id)
    if start is not None:
        marks = marks.filter(day__gte=start)
    if end is not None:
        marks = marks.filter(day__lte=end)
    chunks: list[tuple[int, list[date]]] = []
    seen: set[tuple[int, date]] = set()
    for w, d in marks.order_by("-day", "workspace_id").values_list("workspace_id", "day"):
        if (w, d) in seen:
            continue
        if max_days is not None and len(seen) >= max_days:
            break
        seen.add((w, d))
        if chunks and chunks[-1][0] == w and len(chunks[-1][1]) < DAYS_PER_REBUILD:
            chunks[-1][1].append(d)
        else:
            chunks.append((w, [d]))
    rebuilt: Counter[int] = Counter()
    for w, days in chunks:
        try:
            rebuilt[w] += _days_refresh(w, days)
        except Exception:  # its marks stay: the next refresh tries again
            logger.exception("Rebuilding the summaries of workspace %s failed", w)
    if done is not None:
        done.update(+rebuilt)
    return rebuilt.total()


def planner_statistics_refresh() -> None:
    """Refresh the database's statistics (ANALYZE), hourly: with them the planner reads a
    prompt's or a tag's summaries through the prompt index instead of every prompt's rows
    (measured: 107 ms → 0.4 ms for one prompt's brand rows at 1,000 prompts). SQLite keeps
    none unless asked; it reads each summary table whole (a sample, ``analysis_limit``,
    gave estimates the planner chose the wrong index by), one table a transaction.
    PostgreSQL samples, and its autovacuum keeps them as well: this only makes it timely."""
    with connection.cursor() as cursor:
        if connection.vendor != "sqlite":
            cursor.execute("ANALYZE")
            return
        for model in SUMMARY_MODELS:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def period_prepare(*, workspace_id: int, start: date, end: date) -> int:
    """Before the summaries of ``start``..``end`` are read (with the period before it, as
    long): rebuild its stale days. One query when none is stale; a rebuild that fails is
    logged, and the page shows the summaries as they are rather than an error."""
    before = start - (end - start) - timedelta(days=1)
    return summaries_refresh(workspace_id=workspace_id, start=before, end=end)


def _days_refresh(workspace_id: int, days: list[date]) -> int:
    with transaction.atomic():
        # One rebuild of a workspace at a time (on PostgreSQL; SQLite runs one writer at a
        # time anyway): two would each delete the old rows and insert theirs. The changes
        # marking days never take this lock.
        Heartbeat.objects.get_or_create(
            name=f"summaries:{workspace_id}", defaults={"seen_at": timezone.now()}
        )
        Heartbeat.objects.select_for_update().get(name=f"summaries:{workspace_id}")
        marks = SummaryStale.objects.filter(workspace_id=workspace_id, day__in=days)
        read = dict(marks.values_list("pk", "day"))
        if not read:
            return 0  # another rebuild did them while this one waited
        held = sorted(set(read.values()))
        _days_rebuild(workspace_id, held)
        for longer, shorter in zip(SPANS[-2::-1], SPANS[:0:-1], strict=True):
            for block in sorted({block_start(d, longer) for d in held}):
                _block_rollup(workspace_id, block, longer, shorter)
        SummaryStale.objects.filter(pk__in=list(read)).delete()
        version_bump(workspace_id)
    return len(held)


# --- Days, from the raw rows -------------------------------------------------------------


@dataclass
class _DayRows:
    """The summary rows of some days, keyed by (key columns..., extra key...)."""

    answers: dict[tuple, list] = field(default_factory=dict)
    brands: dict[tuple, list] = field(default_factory=dict)
    pairs: Counter = field(default_factory=Counter)
    domains: dict[tuple, list] = field(default_factory=dict)
    terms: dict[tuple, list] = field(default_factory=dict)
    tasks: dict[tuple, list] = field(default_factory=dict)

    #: The workspace's own brands: pairs are kept only with one of them as ``other``.
    own: frozenset = frozenset()

    def add(self, keys: tuple[tuple, ...], answer: tuple, mentions: list, citations: list) -> None:
        """Count one answer under each of ``keys`` (its prompt's, and every prompt's). What
        the answer holds is tallied once, then added to each key's rows."""
        _, answered_at, *_, informative, fan_out, untracked = answer
        leader = next((brand for brand, rank, _ in mentions if rank == 1), None)
        cited: dict[int, int] = {}
        domains: dict[str, list] = {}  # domain -> [citations, highest owning brand]
        for domain, brand in citations:
            d = domains.setdefault(domain, [0, None])
            d[0] += 1
            if brand is not None:
                cited[brand] = cited.get(brand, 0) + 1
                d[1] = brand if d[1] is None else max(d[1], brand)
        terms: dict[tuple[str, str], int] = {}
        for kind, values in (
            (TermKind.FAN_OUT.value, fan_out),
            (TermKind.UNTRACKED.value, untracked),
        ):
            for value in values if isinstance(values, list) else ():
                if isinstance(value, str):
                    terms[(kind, value)] = terms.get((kind, value), 0) + 1
        for key in keys:
            row = self.answers.setdefault(key, [0, 0, 0, answered_at])
            row[0] += 1
            row[1] += bool(informative)
            row[2] += len(citations)
            row[3] = min(row[3], answered_at)
            for brand, rank, count in mentions:
                b = self.brands.setdefault((*key, brand), [0] * 6)
                b[0] += 1
                b[1] += rank == 1
                b[2] += rank
                b[3] += count
                if leader is not None and brand != leader and brand in self.own:
                    self.pairs[(*key, leader, brand)] += 1
            for brand, n in cited.items():
                b = self.brands.setdefault((*key, brand), [0] * 6)
                b[4] += n
                b[5] += 1
            for domain, (n, owner) in domains.items():
                d = self.domains.setdefault((*key, domain), [0, 0, None])
                d[0] += n
                d[1] += 1
                if owner is not None:
                    d[2] = owner if d[2] is None else max(d[2], owner)
            for (kind, value), n in terms.items():
                t = self.terms.setdefault((*key, kind, value), [0, 0])
                t[0] += n
                t[1] += 1


ANSWER_COLUMNS = (
    "id",
    "answered_at",
    "workspace_id",
    "prompt_id",
    "prompt_version_id",
    "monitor_id",
    "engine",
    "model_name",
    "web_search",
    "is_informative",
    "fan_out_queries",
    "untracked_names",
)


def _days_rebuild(workspace_id: int, days: list[date]) -> None:
    for model in SUMMARY_MODELS:
        model._default_manager.filter(workspace_id=workspace_id, span=1, day__in=days).delete()
    rows = day_rows_compute(workspace_id, days)
    _rows_write(rows, {d: (d, 1) for d in days})


def day_rows_compute(workspace_id: int, days: list[date]) -> _DayRows:
    """The day rows of these days, counted in Python from the answers, mentions,
    citations and tasks (five queries, with the own brands')."""
    wanted = set(days)
    window = {
        "answered_at__gte": datetime.combine(min(days), time.min, tzinfo=UTC),
        "answered_at__lt": datetime.combine(max(days) + timedelta(days=1), time.min, tzinfo=UTC),
    }
    through = {f"answer__{k}": v for k, v in window.items()}
    mentions: dict[int, list] = {}
    for answer_id, *row in (
        Mention.objects.filter(workspace_id=workspace_id, **through)
        .values_list("answer_id", "brand_id", "rank", "count")
        .order_by()
    ):
        mentions.setdefault(answer_id, []).append(row)
    citations: dict[int, list] = {}
    for cited_id, *citation in (
        Citation.objects.filter(answer__workspace_id=workspace_id, **through)
        .values_list("answer_id", "domain", "brand_id")
        .order_by()
    ):
        citations.setdefault(cited_id, []).append(citation)
    own = Brand.objects.filter(workspace_id=workspace_id, kind=BrandKind.OWN)
    rows = _DayRows(own=frozenset(own.values_list("id", flat=True)))
    for answer in (
        Answer.objects.filter(workspace_id=workspace_id, **window)
        .values_list(*ANSWER_COLUMNS)
        .order_by()
    ):
        day = answer[1].astimezone(UTC).date()
        if day not in wanted:
            continue
        columns = answer[2:9]
        everything = (*columns[:1], None, None, *columns[3:])
        keys = ((day, *columns), (day, *everything))
        rows.add(keys, answer, mentions.get(answer[0], []), citations.get(answer[0], []))
    _tasks_add(rows, workspace_id, window["answered_at__gte"], window["answered_at__lt"], wanted)
    return rows


TASK_COLUMNS = (
    "created_at",
    "workspace_id",
    "prompt_id",
    "prompt_version_id",
    "monitor_id",
    "engine",
    "model",
    "web",
    "status",
    "cost_prepaid",
    "money_spent",
    "cost_real",
    "cost_reserved",
)
ZERO = Decimal(0)


def _tasks_add(rows: _DayRows, workspace_id: int, start, end, wanted: set[date]) -> None:
    """The tasks created on these days, under the model and web search they asked for,
    read from the request in SQL (its body is large) as ``task_scope`` filters them: the
    request's ``model_name``; web search only when it is ``true``."""
    tasks = Task.objects.filter(
        workspace_id=workspace_id, created_at__gte=start, created_at__lt=end
    ).annotate(
        model=Coalesce(Cast(KT("request_body__model_name"), CharField()), Value("")),
        web=Case(When(request_body__web_search=True, then=True), default=False),
    )
    rows_read = tasks.values_list(*TASK_COLUMNS).order_by()
    for created, *columns, status, prepaid, spent, real, reserved in rows_read:
        day = created.astimezone(UTC).date()
        if day not in wanted:
            continue
        both = prepaid is not None and real is not None
        counts = (
            1,
            status == TaskStatus.FAILED,
            status == TaskStatus.EXPIRED,
            prepaid or ZERO,
            spent or ZERO,
            real or ZERO,
            prepaid - real if both and real < prepaid else ZERO,
            real - prepaid if both and real > prepaid else ZERO,
            (reserved or ZERO) if real is None and status in BILLED_STATUSES else ZERO,
            real is not None,
            spent is not None,
        )
        everything = (columns[0], None, None, *columns[3:])
        for k in ((day, *columns, status), (day, *everything, status)):
            t = rows.tasks.setdefault(k, [0, 0, 0, *[ZERO] * 6, 0, 0])
            for i, value in enumerate(counts):
                t[i] += value


def _rows_write(rows: _DayRows, blocks: dict[date, tuple[date, int]]) -> None:
    """Insert the rows, each under the block of its day."""
    tables = (
        (AnswerSummary, rows.answers.items()),
        (BrandSummary, rows.brands.items()),
        (PairSummary, ((k, [n]) for k, n in rows.pairs.items())),
        (DomainSummary, rows.domains.items()),
        (TermSummary, rows.terms.items()),
        (TaskSummary, rows.tasks.items()),
    )
    for model, items in tables:
        fields = bulk.plain_columns(model, _columns(model))
        # Only the dates need the database's form: ids, counts, text and booleans go as
        # they are (preparing every value took most of a rebuild's time).
        dated = [
            (i, _adapt_day if type(f) is models.DateField else _adapt_moment)
            for i, f in enumerate(fields)
            if isinstance(f, models.DateField)
        ]
        prepared = []
        for key, counts in items:
            values = [*blocks[key[0]], *key[1:], *counts]
            for i, adapt in dated:
                values[i] = adapt(values[i])
            prepared.append(values)
        _rows_store(model, fields, prepared)


def _rows_store(model: type[SummaryKey], fields: list, rows: list[list]) -> None:
    """Insert the rows: ``COPY`` on PostgreSQL (a rebuild writes tens of thousands, and the
    driver parses a multi-row ``INSERT``'s thousands of placeholders in Python, which took
    most of the rebuild's time), multi-row ``INSERT`` elsewhere."""
    if connection.vendor != "postgresql" or not rows:
        bulk.rows_insert(model, fields, rows)
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    table = quote(model._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(  # the driver's own cursor
            f"COPY {table} ({columns}) FROM STDIN"
        ) as copy,
    ):
        for row in rows:
            copy.write_row(row)


@functools.lru_cache(maxsize=4096)
def _adapt_day(day: date):
    """A block's first day in the database's form (a few distinct ones per rebuild)."""
    return connection.ops.adapt_datefield_value(day)


def _adapt_moment(moment: datetime):
    return connection.ops.adapt_datetimefield_value(moment)


def _columns(model: type[SummaryKey]) -> tuple[str, ...]:
    return (
        "day",
        "span",
        *model.KEY,
        *model.EXTRA_KEY,
        *model.SUMS,
        *model.MINS,
        *model.MAXES,
    )


# --- Longer blocks, from the blocks below ------------------------------------------------


def _block_rollup(workspace_id: int, block: date, span: int, below: int) -> None:
    """Rebuild one ``span``-day block from the ``below``-day blocks inside it."""
    for model in SUMMARY_MODELS:
        model._default_manager.filter(workspace_id=workspace_id, span=span, day=block).delete()
        quote = connection.ops.quote_name
        fields = bulk.plain_columns(model, _columns(model))
        keys = [quote(f.column) for f in fields[2 : 2 + len(model.KEY) + len(model.EXTRA_KEY)]]
        sums = [
            f"{aggregate}({quote(f.column)})"
            for aggregate, names in (("SUM", model.SUMS), ("MIN", model.MINS), ("MAX", model.MAXES))
            for f in bulk.plain_columns(model, names)
        ]
        table = quote(model._meta.db_table)
        columns = ", ".join(quote(f.column) for f in fields)
        day, span_column, ws = quote("day"), quote("span"), quote("workspace_id")
        # Only the model's own table and column names are formatted in; values are params.
        sql = (
            f"INSERT INTO {table} ({columns}) "  # noqa: S608
            f"SELECT %s, %s, {', '.join(keys + sums)} FROM {table} "
            f"WHERE {ws} = %s AND {span_column} = %s AND {day} >= %s AND {day} < %s "
            f"GROUP BY {', '.join(keys)}"
        )
        adapt = connection.ops.adapt_datefield_value
        end = block + timedelta(days=span)
        with connection.cursor() as cursor:
            cursor.execute(sql, [adapt(block), span, workspace_id, below, adapt(block), adapt(end)])
