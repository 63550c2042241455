"""The one recorder of a task's history: every status change, cost change or note is a row.

Status changes follow the table in ``models.tasks.TASK_STATES``: a move the table does not
allow is refused, and each one that happens writes exactly one history row, in the same
transaction as the change. Nothing is overwritten silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from monitoring.aisa.text import clean_text
from monitoring.models import ApiCall, Task, TaskEvent
from monitoring.models.tasks import NEW, TASK_STATES, TaskStatus, statuses_into
from monitoring.services import bulk
from monitoring.services.summaries import days_mark

#: History messages are cut to this length (API error texts can be long).
MESSAGE_CHARS = 2000


def _message(text: str) -> str:
    """A message as stored: cut, and storable (an API's text may hold a NUL or a lone
    surrogate, which no database column takes)."""
    return clean_text(text[: MESSAGE_CHARS * 2])[:MESSAGE_CHARS]


class TransitionError(ValueError):
    """A caller asked for a move the state table does not allow (a programming error)."""


def transition_sources(to: str, allowed_from: Iterable[str] | None = None) -> list[str]:
    """The statuses a task may leave for ``to``: the table's, narrowed by ``allowed_from``."""
    if to not in TASK_STATES or to == NEW:
        raise TransitionError(f"Unknown target status {to!r}.")
    sources = statuses_into(to)
    if allowed_from is None:
        return sorted(sources)
    asked = set(allowed_from)
    if not asked <= sources:
        raise TransitionError(f"The table does not allow {sorted(asked - sources)} → {to}.")
    return sorted(asked)


def task_transition(
    *,
    task: Task,
    to: str,
    allowed_from: Iterable[str] | None = None,
    message: str = "",
    error_code: int | None = None,
    api_call: ApiCall | None = None,
    **fields,
) -> bool:
    """Move a task to ``to`` only if it is still in an allowed status; log the change.

    The conditional UPDATE is what makes concurrent workers safe: whoever changes the row
    first wins, the others see 0 rows and do nothing (and write no history).
    """
    allowed = transition_sources(to, allowed_from)
    with transaction.atomic():
        updated = Task.objects.filter(pk=task.pk, status__in=allowed).update(status=to, **fields)
        if not updated:
            return False
        TaskEvent.objects.create(
            task_id=task.pk,
            status_from=task.status if task.status in allowed else "",
            status_to=to,
            message=_message(message),
            error_code=error_code,
            api_call=api_call,
        )
        _days_mark([task])
    task.status = to
    for name, value in fields.items():
        setattr(task, name, value)
    return True


def tasks_transition(
    *,
    task_ids: Iterable[int],
    to: str,
    allowed_from: Iterable[str] | None = None,
    message: str = "",
    api_call: ApiCall | None = None,
    per_task: Mapping[int, Mapping[str, Any]] | None = None,
    costs: Mapping[str, tuple[Mapping[int, Decimal], str]] | None = None,
    **fields,
) -> list[int]:
    """Move many tasks at once: one UPDATE, one insert of their history rows.

    ``fields`` are set on every task that moves; ``per_task`` sets each task's own values
    (a provider id, say) and ``costs`` each task's cost fields (``{field: ({task id:
    amount}, message)}``, with a cost row each, as ``task_cost_record`` writes one), both in
    one more UPDATE and in the same insert, so a batch is a handful of statements whatever
    its size. Returns the ids that moved; a task no longer in an allowed status is left
    alone (and gets neither values nor cost rows). The rows are locked first (PostgreSQL)
    or the transaction holds SQLite's write lock from its start (``IMMEDIATE``), so no
    status can change between the read and the write.
    """
    allowed = transition_sources(to, allowed_from)
    with transaction.atomic():
        rows = list(
            Task.objects.select_for_update()
            .filter(pk__in=list(task_ids), status__in=allowed)
            .values_list("pk", "status", "workspace_id", "created_at")
        )
        if not rows:
            return []
        previous = {pk: status for pk, status, _, _ in rows}
        days_mark((workspace_id, created) for _, _, workspace_id, created in rows)
        Task.objects.filter(pk__in=list(previous), status__in=allowed).update(status=to, **fields)
        at, call_id, text = timezone.now(), api_call.pk if api_call else None, _message(message)
        events = [_status_row(pk, at, s, to, call_id, text) for pk, s in previous.items()]
        values = {pk: dict((per_task or {}).get(pk, {})) for pk in previous}
        for field, (amounts, cost_message) in (costs or {}).items():
            for pk, amount in amounts.items():
                if pk in previous and amount is not None:
                    values[pk][field] = amount
                    events.append(_cost_row(pk, at, field, amount, call_id, cost_message))
        tasks_values_set({pk: v for pk, v in values.items() if v})
        events_insert(events)
    return sorted(previous)


#: The history columns ``events_insert`` writes, in order.
EVENT_COLUMNS = (
    "task_id",
    "at",
    "kind",
    "status_from",
    "status_to",
    "cost_field",
    "amount",
    "api_call_id",
    "message",
)


def _status_row(pk: int, at, status_from: str, status_to: str, call_id, message: str) -> tuple:
    return (pk, at, TaskEvent.Kind.STATUS, status_from, status_to, "", None, call_id, message)


def _cost_row(pk: int, at, field: str, amount: Decimal, call_id, message: str) -> tuple:
    return (pk, at, TaskEvent.Kind.COST, "", "", field, amount, call_id, message)


def events_insert(rows: list[tuple]) -> None:
    """Insert history rows (``EVENT_COLUMNS`` tuples), a statement per ``bulk.BULK_BATCH``.

    A posted batch writes three rows per task; building a ``TaskEvent`` per row and letting
    ``bulk_create`` prepare every value took a third of the batch's time. The only values
    that need the database's form are the time and the amounts, adapted here as the ORM
    would adapt them.
    """
    if not rows:
        return
    ops = connection.ops
    amount = TaskEvent._meta.get_field("amount")
    prepared = [
        (pk, ops.adapt_datetimefield_value(at), str(kind), s_from, s_to, field)
        + (None if value is None else amount.get_db_prep_save(value, connection), call_id, text)
        for pk, at, kind, s_from, s_to, field, value, call_id, text in rows
    ]
    bulk.rows_insert(TaskEvent, bulk.plain_columns(TaskEvent, EVENT_COLUMNS), prepared)


def tasks_values_set(values: Mapping[int, Mapping[str, Any]]) -> None:
    """Set each task's own values, in one statement per set of columns (``bulk``)."""
    by_columns: dict[tuple[str, ...], dict[int, Mapping[str, Any]]] = {}
    for pk, row in values.items():
        by_columns.setdefault(tuple(sorted(row)), {})[pk] = row
    for columns, rows in by_columns.items():
        fields = [_column(Task._meta.get_field(name)) for name in columns]
        prepared = [
            (task_id, *(f.get_db_prep_save(row[f.name], connection) for f in fields))
            for task_id, row in rows.items()
        ]
        bulk.rows_update(Task, fields, prepared)


def _column(field: Any) -> Field:
    """A concrete column of the task table (its name is its ``attname``: no ``db_column``)."""
    if not isinstance(field, Field) or not field.concrete or field.column != field.attname:
        raise ValueError(f"{field} is not a plain column of the task table.")
    return field


def tasks_record_created(*, tasks: Sequence[Task], message: str) -> None:
    """The first history row of new tasks (created as queued)."""
    TaskEvent.objects.bulk_create(
        TaskEvent(task_id=task.pk, status_from=NEW, status_to=TaskStatus.QUEUED, message=message)
        for task in tasks
    )


def task_note(*, task: Task, message: str, api_call: ApiCall | None = None) -> None:
    """A history row for something that changed neither the status nor a cost."""
    TaskEvent.objects.create(
        task_id=task.pk,
        kind=TaskEvent.Kind.NOTE,
        status_to=task.status,
        message=_message(message),
        api_call=api_call,
    )


def task_cost_record(
    *,
    task: Task,
    field: str,
    amount: Decimal | None,
    api_call: ApiCall | None = None,
    message: str = "",
) -> None:
    """Set one of the task's cost fields and write the cost event (skipped if unchanged)."""
    if amount is None or getattr(task, field) == amount:
        return
    with transaction.atomic():
        Task.objects.filter(pk=task.pk).update(**{field: amount})
        _days_mark([task])
        TaskEvent.objects.create(
            task_id=task.pk,
            kind=TaskEvent.Kind.COST,
            cost_field=field,
            amount=amount,
            api_call=api_call,
            message=_message(message),
        )
    setattr(task, field, amount)


def _days_mark(tasks: Sequence[Task]) -> None:
    """The dashboard's summaries of the tasks' days are stale (their status or cost moved)."""
    known = {t.pk: (t.workspace_id, t.created_at) for t in tasks if t.created_at and t.workspace_id}
    missing = [t.pk for t in tasks if t.pk not in known]  # loaded without them: read them
    for pk, workspace_id, created in Task.objects.filter(pk__in=missing).values_list(
        "pk", "workspace_id", "created_at"
    ):
        known[pk] = (workspace_id, created)
    days_mark(known.values())
