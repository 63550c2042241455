"""Reads for the costs page: the ledger per day, prompt, monitor and model, summed in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.fields.json import KT
from django.utils import timezone

from monitoring.models import Task, Workspace
from monitoring.models.money import money_field, usd
from monitoring.models.tasks import BILLED_STATUSES
from monitoring.selectors import budget
from monitoring.selectors.periods import BucketStart, day_start, month_start

DAYS = 30
TOP_PROMPTS = 20
ZERO = usd(0)


#: The ledger's columns, summed per group: committed (prepaid), the model's charge, real,
#: refunded (prepaid beyond real), extra (real beyond prepaid), reserved (in flight).
AMOUNTS = ("prepaid", "spent", "real", "refunded", "extra", "reserved")
_MONEY = money_field()


def _totals():
    difference = ExpressionWrapper(F("cost_prepaid") - F("cost_real"), output_field=_MONEY)
    overrun = ExpressionWrapper(F("cost_real") - F("cost_prepaid"), output_field=_MONEY)
    return {
        "tasks": Count("id"),
        "prepaid": Sum("cost_prepaid"),
        "spent": Sum("money_spent"),
        "real": Sum("cost_real"),
        "refunded": Sum(difference, filter=Q(cost_real__lt=F("cost_prepaid"))),
        "extra": Sum(overrun, filter=Q(cost_real__gt=F("cost_prepaid"))),
        "reserved": Sum(
            "cost_reserved", filter=Q(cost_real__isnull=True, status__in=BILLED_STATUSES)
        ),
    }


def _money(row: dict) -> dict:
    for name in AMOUNTS:
        row[name] = usd(row.get(name))
    return row


@dataclass
class MonthSpend:
    budget: Decimal | None
    #: What the budget check counts: real costs, and the reservations of tasks in flight.
    counted: Decimal
    spent: Decimal
    #: The part of ``counted`` that is reservations (real cost not known yet).
    reserved: Decimal = Decimal(0)

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
    models: list[dict] = field(default_factory=list)
    #: Today under the installation's daily cap (all workspaces): cap, counted, reserved.
    today: dict = field(default_factory=dict)
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
        days.append(by_day.get(day) or _money({"day": day, "tasks": 0}))
        day += timedelta(days=1)
    return days


def cost_chart(*, days: list[dict]) -> dict:
    """Data of a cost-per-day chart, amounts as exact decimal strings (never floats)."""
    return {
        "labels": [d["day"].isoformat() for d in days],
        "spent": [str(d["spent"]) for d in days],
        "prepaid": [str(d["prepaid"]) for d in days],
        "real": [str(d["real"]) for d in days],
    }


def cost_by_prompt(*, workspace: Workspace, since: datetime, limit: int = TOP_PROMPTS):
    rows = (
        Task.objects.filter(workspace=workspace, created_at__gte=since)
        .order_by()
        .values("prompt_id", "prompt__text")
        .annotate(**_totals())
        .order_by(
            F("real").desc(nulls_last=True), F("spent").desc(nulls_last=True), "-tasks", "prompt_id"
        )[:limit]
    )
    return [_money(row) for row in rows]


def cost_by_model(*, workspace: Workspace, since: datetime):
    """Per engine and model as sent (the engine is the task's own)."""
    rows = (
        Task.objects.filter(workspace=workspace, created_at__gte=since)
        .order_by()
        .values("engine", model=KT("request_body__model_name"))
        .annotate(**_totals())
        .order_by(
            F("real").desc(nulls_last=True), F("spent").desc(nulls_last=True), "-tasks", "model"
        )
    )
    return [_money(row) for row in rows]


def cost_by_monitor(*, workspace: Workspace, since: datetime):
    rows = (
        Task.objects.filter(workspace=workspace, created_at__gte=since)
        .order_by()
        .values("monitor_id", "monitor__name")
        .annotate(**_totals())
        .order_by(
            F("real").desc(nulls_last=True),
            F("spent").desc(nulls_last=True),
            "-tasks",
            "monitor__name",
        )
    )
    return [_money(row) for row in rows]


def month_spend(*, workspace: Workspace, now: datetime) -> MonthSpend:
    start = month_start(now)
    spent = Task.objects.filter(workspace=workspace, created_at__gte=start).aggregate(
        spent=Sum("money_spent")
    )["spent"]
    counted, reserved = budget.spend_totals_get(since=start, workspace=workspace)
    return MonthSpend(
        budget=workspace.monthly_budget_usd, counted=counted, spent=usd(spent), reserved=reserved
    )


def daily_spend(*, now: datetime) -> dict:
    """What the daily cap counts today, across all workspaces (it is installation-wide)."""
    counted, reserved = budget.spend_totals_get(since=day_start(now))
    cap = budget.daily_cap()
    return {
        "cap": cap,
        "counted": counted,
        "reserved": reserved,
        "left": None if cap is None else max(cap - counted, Decimal(0)),
    }


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
        models=cost_by_model(workspace=workspace, since=since),
        month=month_spend(workspace=workspace, now=now),
        today=daily_spend(now=now),
    )
    report.total = {"tasks": sum(d["tasks"] for d in report.days)} | {
        name: sum((d[name] for d in report.days), ZERO) for name in AMOUNTS
    }
    return report
