"""Reads of tasks for the pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Avg, Count, Q
from django.utils import timezone

from monitoring.models import Task, TaskStatus, Workspace

#: How far back the builder looks to estimate the real cost of a task.
COST_HISTORY_WINDOW = timedelta(days=30)


def task_list(*, workspace: Workspace, status: str | None = None):
    tasks = Task.objects.filter(workspace=workspace).select_related("prompt", "monitor")
    if status:
        tasks = tasks.filter(status=status)
    return tasks.order_by("-created_at", "-id")


def task_status_counts(*, workspace: Workspace) -> dict[str, int]:
    rows = Task.objects.filter(workspace=workspace).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def task_average_cost(*, workspace: Workspace) -> Decimal | None:
    """Mean reported cost of the workspace's recent collected tasks; None without history."""
    since = timezone.now() - COST_HISTORY_WINDOW
    value = Task.objects.filter(
        Q(cost_reported__isnull=False),
        workspace=workspace,
        status=TaskStatus.COLLECTED,
        created_at__gte=since,
    ).aggregate(avg=Avg("cost_reported"))["avg"]
    return Decimal(value).quantize(Decimal("0.000001")) if value is not None else None
