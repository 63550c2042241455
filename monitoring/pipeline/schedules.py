"""Monitors create their tasks when due: once per schedule slot, even with two schedulers."""

from __future__ import annotations

from datetime import datetime

from croniter import croniter
from django.db import IntegrityError, transaction
from django.utils import timezone

from monitoring.models import Monitor, MonitorRun, Schedule
from monitoring.services.tasks import task_batch_create


def monitor_slot(monitor: Monitor, now: datetime) -> datetime | None:
    """The latest slot at or before ``now``; None if the monitor has no schedule."""
    expression = monitor.cron_expression
    if not expression or not croniter.is_valid(expression):
        return None
    return croniter(expression, now).get_prev(datetime)


def monitors_run_due(*, now: datetime | None = None) -> int:
    """Create the tasks of every monitor whose current slot has not run yet."""
    now = now or timezone.now()
    created = 0
    monitors = Monitor.objects.filter(is_active=True).exclude(schedule=Schedule.MANUAL)
    for monitor in monitors.select_related("workspace"):
        slot = monitor_slot(monitor, now)
        if slot is None or slot < monitor.created_at:
            continue  # a new monitor starts with its next slot, not a backlog
        created += monitor_run(monitor=monitor, slot=slot)
    return created


def monitor_run(*, monitor: Monitor, slot: datetime) -> int:
    """Run one slot; the unique (monitor, slot) row makes a second scheduler a no-op."""
    try:
        with transaction.atomic():
            run = MonitorRun.objects.create(monitor=monitor, slot=slot)
            prompts = list(monitor.prompts.filter(is_active=True).order_by("id"))
            tasks = task_batch_create(
                workspace=monitor.workspace,
                prompts=prompts,
                request_settings=monitor.request_settings,
                samples=monitor.samples_per_run,
                monitor=monitor,
            )
            run.task_count = len(tasks)
            run.save(update_fields=["task_count"])
    except IntegrityError:
        return 0
    return len(tasks)
