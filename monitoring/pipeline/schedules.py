"""Monitors create their tasks when due: once per schedule slot, even with two schedulers."""

from __future__ import annotations

from datetime import datetime

from croniter import croniter
from django.utils import timezone

from monitoring.models import Monitor, Schedule
from monitoring.services.monitors import monitor_run_create


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
    for monitor in monitors.select_related("workspace", "tag"):
        slot = monitor_slot(monitor, now)
        if slot is None or slot < monitor.runs_from:
            continue  # a new, resumed or rescheduled monitor starts with its next slot
        created += monitor_run(monitor=monitor, slot=slot)
    return created


def monitor_run(*, monitor: Monitor, slot: datetime) -> int:
    """Run one slot; the unique (monitor, slot) run makes a second scheduler a no-op.

    "Run now" (``services.monitors.monitor_run_now``) takes the same path with its minute.
    """
    run = monitor_run_create(monitor=monitor, slot=slot)
    return run.task_count if run else 0
