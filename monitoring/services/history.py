"""Status and cost changes of tasks, each one a history row; nothing overwritten silently."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction

from monitoring.models import ApiCall, Task, TaskEvent


def task_transition(
    *,
    task: Task,
    to: str,
    allowed_from: Iterable[str],
    message: str = "",
    error_code: int | None = None,
    api_call: ApiCall | None = None,
    **fields,
) -> bool:
    """Move a task to ``to`` only if it is still in one of ``allowed_from``; log the change.

    The conditional UPDATE is what makes concurrent workers safe: whoever changes the row
    first wins, the others see 0 rows and do nothing.
    """
    allowed = list(allowed_from)
    with transaction.atomic():
        updated = Task.objects.filter(pk=task.pk, status__in=allowed).update(status=to, **fields)
        if not updated:
            return False
        TaskEvent.objects.create(
            task_id=task.pk,
            status_from=task.status if task.status in allowed else "",
            status_to=to,
            message=message[:2000],
            error_code=error_code,
            api_call=api_call,
        )
    task.status = to
    for name, value in fields.items():
        setattr(task, name, value)
    return True


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
            message=message,
        )
    setattr(task, field, amount)
