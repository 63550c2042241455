"""Budgets: a monthly budget per workspace and a daily cap hold a runaway schedule."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from monitoring.models import Monitor, Prompt, Task, TaskStatus, Workspace
from monitoring.pipeline.posting import tasks_post
from monitoring.pipeline.schedules import monitor_run, monitors_run_due

pytestmark = pytest.mark.django_db


def test_it_holds_tasks_beyond_the_monthly_budget(api, sandbox, queue):
    workspace = Workspace.objects.create(name="Thrifty", monthly_budget_usd=Decimal("0.05"))
    queue(8, workspace=workspace)
    report = tasks_post(client=api)
    worst = Task.objects.exclude(cost_reserved=None).first().cost_reserved
    # Each claimed task reserves its worst case; as many as fit in the budget go out.
    assert worst > Decimal("0.01")
    assert report.posted * worst <= Decimal("0.05") < (report.posted + 1) * worst
    assert report.held == 8 - report.posted
    held = Task.objects.filter(status=TaskStatus.HELD)
    assert held.count() == report.held
    message = held.first().events.last().message
    assert "monthly budget" in message
    assert f"${worst:.4f}" in message
    assert len(sandbox.accepted_tags()) == report.posted

    Workspace.objects.filter(pk=workspace.pk).update(monthly_budget_usd=Decimal("1.00"))
    assert tasks_post(client=api).posted == 8 - report.posted  # raised budget: held ones go out


def test_it_holds_a_runaway_monitor_at_the_daily_cap(api, sandbox, pipeline_settings):
    pipeline_settings.AISA_DAILY_CAP_USD = "0.30"
    workspace = Workspace.objects.create(name="Runaway")
    monitor = Monitor.objects.create(
        workspace=workspace,
        name="Every minute",
        schedule="cron",
        cron="* * * * *",
        samples_per_run=5,
        request_settings={"model_name": "claude-sonnet-4-20250514"},
    )
    monitor.prompts.set(
        [Prompt.objects.create(workspace=workspace, text=f"Best CRM #{i}?") for i in range(4)]
    )
    Monitor.objects.filter(pk=monitor.pk).update(created_at=timezone.now() - timedelta(days=1))
    monitor.refresh_from_db()
    start = timezone.now().replace(second=0, microsecond=0)
    for minute in range(10):  # ten slots of 20 tasks, far more than $0.30 allows
        monitor_run(monitor=monitor, slot=start - timedelta(minutes=minute))
        tasks_post(client=api)
    assert Task.objects.count() == 200
    posted = Task.objects.filter(status=TaskStatus.POSTED)
    worst = posted.first().cost_reserved
    assert posted.count() == int(Decimal("0.30") // worst)  # worst cases fill the cap
    assert sum(t.cost_reserved for t in posted) <= Decimal("0.30")
    assert len(sandbox.accepted_tags()) == posted.count()
    assert Task.objects.filter(status=TaskStatus.HELD).count() == 200 - posted.count()
    assert "daily cap" in Task.objects.filter(status="held").first().events.last().message
    assert monitors_run_due() == 0  # the current slot already ran


def test_it_runs_each_monitor_slot_once_even_with_two_schedulers(queue):
    workspace = Workspace.objects.create(name="Sched")
    monitor = Monitor.objects.create(
        workspace=workspace,
        name="Daily",
        schedule="daily",
        samples_per_run=2,
        request_settings={"model_name": "claude-sonnet-4-20250514"},
    )
    monitor.prompts.set([Prompt.objects.create(workspace=workspace, text="Best CRM?")])
    Monitor.objects.filter(pk=monitor.pk).update(created_at=timezone.now() - timedelta(days=3))
    first = monitors_run_due()
    second = monitors_run_due()
    assert (first, second) == (2, 0)
    assert Task.objects.filter(monitor=monitor).count() == 2
    assert monitor.runs.count() == 1


def test_it_starts_a_new_monitor_at_its_next_slot(queue):
    workspace = Workspace.objects.create(name="Fresh")
    monitor = Monitor.objects.create(
        workspace=workspace,
        name="Weekly",
        schedule="weekly",
        request_settings={"model_name": "claude-sonnet-4-20250514"},
    )
    monitor.prompts.set([Prompt.objects.create(workspace=workspace, text="Best CRM?")])
    assert monitors_run_due() == 0  # no backlog for a monitor created after its last slot
