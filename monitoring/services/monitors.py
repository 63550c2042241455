"""Writes of monitors: create, edit, pause and resume, run (scheduled or now), delete.

Every run, scheduled or asked for, goes through ``monitor_run_create``: one ``MonitorRun``
per (monitor, slot), unique, so a slot runs once whoever runs it; its tasks are queued by
``task_batch_create`` like any other, so the posting job claims them under the daily cap
and the workspace's budget (beyond them they wait as held). A run keeps a copy of the
settings it ran with, and its tasks their exact bodies: editing the monitor changes neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from monitoring.models import Monitor, MonitorRun, Prompt, Tag, Task, TaskStatus, Workspace
from monitoring.models.requests import RunTrigger
from monitoring.models.tasks import CANCELLABLE_STATUSES
from monitoring.selectors.monitors import monitor_prompts_get
from monitoring.services.history import tasks_transition
from monitoring.services.tasks import task_batch_create


class MonitorPaused(Exception):
    """A paused monitor does not run, not even when asked."""


def monitor_create(
    *,
    workspace: Workspace,
    name: str,
    prompts: Sequence[Prompt],
    request_settings: dict,
    samples: int,
    schedule: str,
    cron: str = "",
    tag: Tag | None = None,
    user=None,
    engines: Sequence[dict] = (),
) -> Monitor:
    """A monitor asking ``tag``'s prompts at each run when given, else ``prompts``, of
    each engine in ``engines`` (``Monitor.engines``; none: the default engine)."""
    with transaction.atomic():
        monitor = Monitor.objects.create(
            workspace=workspace,
            name=name,
            tag=tag,
            request_settings=request_settings,
            engines=list(engines),
            samples_per_run=samples,
            schedule=schedule,
            cron=cron,
            created_by=user,
        )
        monitor.prompts.set([] if tag else prompts)
    return monitor


def monitor_update(
    *,
    monitor: Monitor,
    name: str,
    prompts: Sequence[Prompt],
    request_settings: dict,
    samples: int,
    schedule: str,
    cron: str = "",
    tag: Tag | None = None,
    now: datetime | None = None,
    engines: Sequence[dict] | None = None,
) -> Monitor:
    """New settings for the runs to come; past runs and their tasks keep their own copies.

    A new schedule starts now: a slot that passed under the old one is not run at once.
    """
    if (schedule, cron) != (monitor.schedule, monitor.cron):
        monitor.starts_at = now or timezone.now()
    monitor.name = name
    monitor.tag = tag
    monitor.request_settings = request_settings
    if engines is not None:
        monitor.engines = list(engines)
    monitor.samples_per_run = samples
    monitor.schedule = schedule
    monitor.cron = cron
    with transaction.atomic():
        monitor.save()
        monitor.prompts.set([] if tag else prompts)
    return monitor


def monitor_set_active(*, monitor: Monitor, is_active: bool, now: datetime | None = None) -> None:
    """Pause, or resume from the next slot (the slots missed while paused are not run)."""
    fields: dict[str, object] = {"is_active": is_active}
    if is_active and not monitor.is_active:
        fields["starts_at"] = now or timezone.now()
    Monitor.objects.filter(pk=monitor.pk).update(**fields)
    for name, value in fields.items():
        setattr(monitor, name, value)


def monitor_run_create(
    *,
    monitor: Monitor,
    slot: datetime,
    trigger: str = RunTrigger.SCHEDULE,
    user=None,
) -> MonitorRun | None:
    """Run one slot of the monitor: queue its tasks. None if that slot has run already."""
    try:
        with transaction.atomic():
            run = MonitorRun.objects.create(
                monitor=monitor,
                slot=slot,
                trigger=trigger,
                requested_by=user,
                request_settings=monitor.request_settings,
                engines=monitor.engines,
                samples_per_run=monitor.samples_per_run,
                tag_name=monitor.tag.name if monitor.tag is not None else "",
            )
            prompts = monitor_prompts_get(monitor=monitor)  # a tag's, as tagged right now
            tasks = []
            for engine, settings in monitor.engine_requests():  # each with its own model
                tasks += task_batch_create(
                    workspace=monitor.workspace,
                    prompts=prompts,
                    request_settings=settings,
                    samples=monitor.samples_per_run,
                    monitor=monitor,
                    monitor_run=run,
                    engine=engine,
                )
            run.prompt_count = len(prompts)
            run.task_count = len(tasks)
            run.save(update_fields=["prompt_count", "task_count"])
    except IntegrityError:
        return None
    return run


def run_now_slot(now: datetime | None = None) -> datetime:
    """The slot of a "Run now": its minute, so a double click or a replayed post within
    the minute finds the slot taken and queues nothing (a cron slot is a minute too)."""
    return (now or timezone.now()).replace(second=0, microsecond=0)


def monitor_run_now(*, monitor: Monitor, user, now: datetime | None = None) -> MonitorRun | None:
    """Run the monitor now, through the scheduled runs' path; None if it ran this minute."""
    if not monitor.is_active:
        raise MonitorPaused(f"“{monitor.name}” is paused: resume it to run it.")
    return monitor_run_create(
        monitor=monitor, slot=run_now_slot(now), trigger=RunTrigger.MANUAL, user=user
    )


def monitor_delete(*, monitor: Monitor, user) -> int:
    """Delete the monitor; its runs, tasks and answers are kept (they lose the link).

    Its tasks not posted yet (queued, or held for budget) are cancelled: nothing more is
    spent for a monitor that is gone. Returns how many were cancelled.
    """
    with transaction.atomic():
        waiting = Task.objects.filter(monitor=monitor, status__in=CANCELLABLE_STATUSES)
        cancelled = tasks_transition(
            task_ids=list(waiting.values_list("pk", flat=True)),
            to=TaskStatus.CANCELLED,
            allowed_from=CANCELLABLE_STATUSES,
            message=f"Cancelled: its monitor “{monitor.name}” was deleted by {user}.",
            next_attempt_at=None,
        )
        monitor.delete()
    return len(cancelled)
