"""What administrators do to stuck tasks and a halted pipeline; every change leaves history.

Each task action is a conditional transition (``task_transition``), so an admin clicking
while a worker moves the same task never overwrites the worker: whoever is first wins and
the other changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from monitoring.models import PipelineHalt, Task, TaskMode, TaskStatus
from monitoring.models.tasks import (
    CANCELLABLE_STATUSES,
    RECONCILABLE_STATUSES,
    RETRYABLE_STATUSES,
)
from monitoring.services.history import task_note, task_transition, tasks_record_created
from monitoring.services.jobs import post_enqueue, tick_enqueue
from monitoring.services.tasks import tag_generate
from monitoring.services.webhooks import webhook_fields


@dataclass
class ActionReport:
    done: list[Task] = field(default_factory=list)
    skipped: list[Task] = field(default_factory=list)


def _by(user) -> str:
    return f"by admin {user.get_username()}"


def task_retry(*, task: Task, user) -> Task | None:
    """Queue a failed, rejected, expired or cancelled task again, or a live call of unknown
    outcome; never a Standard task of unknown outcome (reconciling finds out what it is).

    Returns the queued task, or None when the task's status does not allow a retry (or a
    billed task was already re-sent once). A task
    the API never created is queued again in place. One it did create was billed: it keeps
    its costs and status, and a copy with a fresh tag is queued instead, so the totals count
    both payments and reconciling can never mistake the old provider task for the new post.
    A live call of unknown outcome may have been answered and billed, and nothing can tell
    (live calls have no ``id_list``): only an admin asks it again, as a copy, and it keeps
    its reservation as what it may have cost.
    """
    live_unknown = task.status == TaskStatus.UNKNOWN and task.mode == TaskMode.LIVE
    if task.status not in RETRYABLE_STATUSES and not live_unknown:
        return None
    billed = task.provider_task_id or task.cost_prepaid is not None or task.money_spent is not None
    if live_unknown or billed:
        return _retry_as_copy(task=task, user=user)
    with transaction.atomic():
        moved = task_transition(
            task=task,
            to=TaskStatus.QUEUED,
            allowed_from=RETRYABLE_STATUSES,
            message=f"Queued again {_by(user)}.",
            next_attempt_at=None,
            attempts=0,
            polls=0,
            claim_token="",
            claimed_at=None,
        )
        if moved:
            post_enqueue()
    return task if moved else None


def _retry_as_copy(*, task: Task, user) -> Task | None:
    tag = tag_generate()
    # The old webhook URLs carry the old task's secret; the copy gets its own (or none).
    body = {k: v for k, v in task.request_body.items() if k not in ("pingback_url", "postback_url")}
    with transaction.atomic():
        # Locked and checked, so a double click cannot pay for the same retry twice.
        Task.objects.select_for_update().filter(pk=task.pk).first()
        if Task.objects.filter(retry_of=task).exists():
            return None
        standard = task.mode == TaskMode.STANDARD  # a live call has no webhooks
        copy = Task.objects.create(
            workspace_id=task.workspace_id,
            prompt_id=task.prompt_id,
            prompt_version_id=task.prompt_version_id,  # the same body: the same wording
            monitor_id=task.monitor_id,
            engine=task.engine,  # asked of the same engine, the same way
            mode=task.mode,
            tag=tag,
            sample=task.sample,
            request_body={**body, "tag": tag, **(webhook_fields(tag=tag) if standard else {})},
            status=TaskStatus.QUEUED,
            retry_of=task,
        )
        why = (
            "which the API had already created and billed; this post is billed again"
            if standard and task.status != TaskStatus.UNKNOWN
            else "a live call whose outcome is unknown (it may have been answered and billed); "
            "this call is billed again"
        )
        tasks_record_created(
            tasks=[copy],
            message=f"Created {_by(user)} as a retry of task #{task.pk} ({task.tag}), {why}.",
        )
        task_note(
            task=task,
            message=f"Retried {_by(user)} as task #{copy.pk}; this task keeps its costs.",
        )
        post_enqueue()
    return copy


def task_cancel(*, task: Task, user) -> bool:
    """Cancel a task that has not been sent (queued or held for budget)."""
    return task_transition(
        task=task,
        to=TaskStatus.CANCELLED,
        allowed_from=CANCELLABLE_STATUSES,
        message=f"Cancelled {_by(user)}.",
        next_attempt_at=None,
    )


def tasks_apply(*, action, tasks: Iterable[Task], user) -> ActionReport:
    report = ActionReport()
    for task in tasks:
        (report.done if action(task=task, user=user) else report.skipped).append(task)
    return report


def tasks_reconcile_enqueue(*, tasks: Iterable[Task]) -> int:
    """Ask a worker to reconcile now (only a job may call the API); returns how many need it.

    The reconciling job writes the history rows of whatever it finds.
    """
    # A live call has no id_list to be reconciled with: retrying is the admin's choice.
    count = sum(
        1
        for task in tasks
        if task.status in RECONCILABLE_STATUSES and task.mode == TaskMode.STANDARD
    )
    if count:
        tick_enqueue()
    return count


def pipeline_halt_resolve(*, halt: PipelineHalt, user) -> bool:
    """Resume posting after a halt; queued tasks are posted at once."""
    with transaction.atomic():
        resolved = PipelineHalt.objects.filter(pk=halt.pk, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), resolved_by=user
        )
        if resolved and not PipelineHalt.objects.filter(resolved_at__isnull=True).exists():
            post_enqueue()
    return bool(resolved)
