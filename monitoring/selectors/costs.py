"""Reads for the costs page: money per day, per prompt and per monitor, summed in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, F, QuerySet, Sum
from django.utils import timezone

from monitoring.models import Task, Workspace
from monitoring.models.money import usd
from monitoring.selectors import budget
from monitoring.selectors.periods import BucketStart, day_start, month_start

DAYS = 30
TOP_PROMPTS = 20
ZERO = usd(0)


def _totals():
    return {"tasks": Count("id"), "prepaid": Sum("cost_prepaid"), "spent": Sum("money_spent")}


def _money(row: dict) -> dict:
    row["prepaid"], row["spent"] = usd(row["prepaid"]), usd(row["spent"])
    return row


@dataclass
class MonthSpend:
    budget: Decimal | None
    #: What the budget check counts: prepayments of tasks in flight count in full.
    counted: Decimal
    spent: Decimal

    @property
    def percent(self) -> int | None:
        if not self.budget:
            return None
        return min(100, int(self.counted * 100 / self.budget))

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.counted


@dataclass
class CostReport:
    since: date
    days: list[dict] = field(default_factory=list)
    prompts: list[dict] = field(default_factory=list)
    monitors: list[dict] = field(default_factory=list)
    total: dict = field(default_factory=dict)
    month: MonthSpend | None = None

    @property
    def chart(self) -> dict:
        return cost_chart(days=self.days)


def cost_by_day(*, tasks: QuerySet[Task], start: date, end: date) -> list[dict]:
    """Tasks, prepaid and spent per day of creation, every day from start to end (quiet ones 0)."""
    rows = (
        tasks.annotate(day=BucketStart("created_at", "day"))
        .order_by()
        .values("day")
        .annotate(**_totals())
    )
    by_day = {row["day"]: _money(row) for row in rows}
    days, day = [], start
    while day <= end:
        days.append(by_day.get(day) or {"day": day, "tasks": 0, "prepaid": ZERO, "spent": ZERO})
        day += timedelta(days=1)
    return days


def cost_chart(*, days: list[dict]) -> dict:
    """Data of a cost-per-day chart, amounts as exact decimal strings (never floats)."""
    return {
        "labels": [d["day"].isoformat() for d in days],
        "spent": [str(d["spent"]) for d in days],
        "prepaid": [str(d["prepaid"]) for d in days],
    }


def cost_by_prompt(*, workspace: Workspace, since: datetime, limit: int = TOP_PROMPTS):
    rows = (
        Task.objects.filter(workspace=workspace, created_at__gte=since)
        .order_by()
        .values("prompt_id", "prompt__text")
        .annotate(**_totals())
        .order_by(F("spent").desc(nulls_last=True), "-tasks", "prompt_id")[:limit]
    )
    return [_money(row) for row in rows]


def cost_by_monitor(*, workspace: Workspace, since: datetime):
    rows = (
        Task.objects.filter(workspace=workspace, created_at__gte=since)
        .order_by()
        .values("monitor_id", "monitor__name")
        .annotate(**_totals())
        .order_by(F("spent").desc(nulls_last=True), "-tasks", "monitor__name")
    )
    return [_money(row) for row in rows]


def month_spend(*, workspace: Workspace, now: datetime) -> MonthSpend:
    start = month_start(now)
    spent = Task.objects.filter(workspace=workspace, created_at__gte=start).aggregate(
        spent=Sum("money_spent")
    )["spent"]
    return MonthSpend(
        budget=workspace.monthly_budget_usd,
        counted=usd(budget.spend_get(since=start, workspace=workspace)),
        spent=usd(spent),
    )


def cost_report_get(*, workspace: Workspace, now: datetime | None = None, days: int = DAYS):
    """The last ``days`` days (today included) of a workspace's tasks and what they cost."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    since = day_start(now) - timedelta(days=days - 1)
    report = CostReport(
        since=since.date(),
        days=cost_by_day(
            tasks=Task.objects.filter(workspace=workspace), start=since.date(), end=today
        ),
        prompts=cost_by_prompt(workspace=workspace, since=since),
        monitors=cost_by_monitor(workspace=workspace, since=since),
        month=month_spend(workspace=workspace, now=now),
    )
    report.total = {
        "tasks": sum(d["tasks"] for d in report.days),
        "prepaid": sum((d["prepaid"] for d in report.days), ZERO),
        "spent": sum((d["spent"] for d in report.days), ZERO),
    }
    return report
