"""The one recorder of a task's history: every status change, cost change or note is a row.

Status changes follow the table in ``models.tasks.TASK_STATES``: a move the table does not
allow is refused, and each one that happens writes exactly one history row, in the same
transaction as the change. Nothing is overwritten silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.db import transaction

from monitoring.aisa.text import clean_text
from monitoring.models import ApiCall, Task, TaskEvent
from monitoring.models.tasks import NEW, TASK_STATES, TaskStatus, statuses_into

#: History messages are cut to this length (API error texts can be long).
MESSAGE_CHARS = 2000


#: Rows per statement of a bulk write (SQLite allows 32,766 parameters per statement).
BULK_BATCH = 500


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
    **fields,
) -> list[int]:
    """Move many tasks at once (one UPDATE, one insert of their history rows).

    Returns the ids that moved; a task no longer in an allowed status is left alone. The
    rows are locked first (PostgreSQL) or the transaction holds SQLite's write lock from
    its start (``IMMEDIATE``), so no status can change between the read and the write.
    """
    allowed = transition_sources(to, allowed_from)
    with transaction.atomic():
        previous = dict(
            Task.objects.select_for_update()
            .filter(pk__in=list(task_ids), status__in=allowed)
            .values_list("pk", "status")
        )
        if not previous:
            return []
        Task.objects.filter(pk__in=list(previous), status__in=allowed).update(status=to, **fields)
        TaskEvent.objects.bulk_create(
            TaskEvent(
                task_id=pk,
                status_from=status,
                status_to=to,
                message=_message(message),
                api_call=api_call,
            )
            for pk, status in previous.items()
        )
    return sorted(previous)


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
        TaskEvent.objects.create(
            task_id=task.pk,
            kind=TaskEvent.Kind.COST,
            cost_field=field,
            amount=amount,
            api_call=api_call,
            message=_message(message),
        )
    setattr(task, field, amount)


def tasks_cost_record(
    *,
    amounts: dict[int, Decimal],
    field: str,
    api_call: ApiCall | None = None,
    message: str = "",
) -> None:
    """Set one cost field of many tasks with their cost rows: one UPDATE (a ``CASE`` per
    task when the amounts differ, as a batch's reservations do) and one insert."""
    if not amounts:
        return
    with transaction.atomic():
        distinct = set(amounts.values())
        if len(distinct) == 1:
            Task.objects.filter(pk__in=list(amounts)).update(**{field: distinct.pop()})
        else:
            rows = [Task(pk=pk, **{field: amount}) for pk, amount in amounts.items()]
            Task.objects.bulk_update(rows, [field], batch_size=BULK_BATCH)
        TaskEvent.objects.bulk_create(
            (
                TaskEvent(
                    task_id=pk,
                    kind=TaskEvent.Kind.COST,
                    cost_field=field,
                    amount=amount,
                    api_call=api_call,
                    message=message,
                )
                for pk, amount in amounts.items()
            ),
            batch_size=BULK_BATCH,
        )
