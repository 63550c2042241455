"""Run now takes the scheduled runs' path: the same budgets and caps, against the sandbox."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from monitoring.models import Monitor, Prompt, Task, TaskStatus, Workspace
from monitoring.pipeline.posting import tasks_post
from monitoring.pipeline.schedules import monitors_run_due
from monitoring.services.monitors import monitor_run_now
from tests.pipeline.conftest import SETTINGS

pytestmark = pytest.mark.django_db


def _monitor(name: str, schedule: str) -> Monitor:
    """Four prompts × two samples, in a workspace of its own with a $0.05 monthly budget."""
    workspace = Workspace.objects.create(name=name, monthly_budget_usd=Decimal("0.05"))
    monitor = Monitor.objects.create(
        workspace=workspace,
        name=name,
        schedule=schedule,
        samples_per_run=2,
        request_settings=SETTINGS,
    )
    prompts = [Prompt.objects.create(workspace=workspace, text=f"Best CRM #{i}?") for i in range(4)]
    monitor.prompts.set(prompts)
    Monitor.objects.filter(pk=monitor.pk).update(created_at=timezone.now() - timedelta(days=3))
    monitor.refresh_from_db()
    return monitor


def test_run_now_is_held_by_the_budget_exactly_like_a_scheduled_run(
    api, sandbox, pipeline_settings
):
    scheduled = _monitor("Scheduled", "daily")
    asked = _monitor("Asked", "manual")
    assert monitors_run_due() == 8  # the daily one; nothing runs the manual one by itself
    assert monitor_run_now(monitor=asked, user=None).task_count == 8

    report = tasks_post(client=api)

    def outcome(monitor):
        tasks = Task.objects.filter(monitor=monitor)
        return {s: tasks.filter(status=s).count() for s in (TaskStatus.POSTED, TaskStatus.HELD)}

    assert outcome(asked) == outcome(scheduled)
    posted = outcome(asked)[TaskStatus.POSTED]
    worst = Task.objects.filter(monitor=asked).exclude(cost_reserved=None).first().cost_reserved
    assert 0 < posted * worst <= Decimal("0.05") < (posted + 1) * worst  # the budget holds
    held = Task.objects.filter(monitor=asked, status=TaskStatus.HELD).first()
    assert "monthly budget" in held.events.last().message
    assert report.posted == 2 * posted == len(sandbox.accepted_tags())
