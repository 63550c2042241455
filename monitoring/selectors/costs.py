"""Reads for the costs page: the ledger per day, prompt, monitor and model, summed in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, ExpressionWrapper, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from monitoring.models import Monitor, Prompt, Task, TaskSummary, Workspace
from monitoring.models.money import money_field, usd
from monitoring.models.summaries import blocks_cover
from monitoring.models.tasks import BILLED_STATUSES
from monitoring.selectors import budget
from monitoring.selectors.filters import Filters
from monitoring.selectors.periods import BucketStart, day_start, month_start
from monitoring.selectors.summaries import summary_rows

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
    """The last ``days`` days (today included) of a workspace's tasks and what they cost,
    per day, prompt, monitor and model from the task summaries (the page refreshes them
    first); this month's spend against the budget from the tasks, as the budget counts it."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    since = day_start(now) - timedelta(days=days - 1)
    period = Filters(start=since.date(), end=today)
    report = CostReport(
        since=since.date(),
        days=_summary_days(workspace, period),
        prompts=_summary_groups(workspace, period, "prompt")[:TOP_PROMPTS],
        monitors=_summary_groups(workspace, period, "monitor"),
        models=_summary_groups(workspace, period, "model"),
        month=month_spend(workspace=workspace, now=now),
        today=daily_spend(now=now),
    )
    report.total = {"tasks": sum(d["tasks"] for d in report.days)} | {
        name: sum((d[name] for d in report.days), ZERO) for name in AMOUNTS
    }
    return report


def _summary_totals() -> dict:
    return {name: Sum(name) for name in ("tasks", *AMOUNTS, "priced", "charged")}


def _unknown_sums(row: dict) -> dict:
    """A sum over tasks none of which has the amount is unknown (NULL), as SQL's is."""
    if not row.pop("priced"):
        row["real"] = None
    if not row.pop("charged"):
        row["spent"] = None
    return row


def _summary_days(workspace: Workspace, period: Filters) -> list[dict]:
    """Tasks and amounts per day of creation, every day of the period (quiet ones 0)."""
    days = blocks_cover(period.start, period.end, longest=1)
    rows = (
        summary_rows(TaskSummary, workspace=workspace, filters=period, blocks=days)
        .values("day")
        .annotate(**_summary_totals())
        .order_by()
    )
    by_day = {row["day"]: _money(_unknown_sums(row)) for row in rows}
    return [by_day.get(day) or _money({"day": day, "tasks": 0}) for day, _ in days]


#: Per grouping of the cost report: the summary columns, and the label column that sorts
#: ties last.
_GROUPS = {
    "prompt": (("prompt",), "prompt_id"),
    "monitor": (("monitor",), "monitor__name"),
    "model": (("engine", "model_name"), "model"),
}


def _summary_groups(workspace: Workspace, period: Filters, group: str) -> list[dict]:
    """Tasks and amounts per prompt, monitor or model over the period, the costliest
    first: real cost, then the model's charge (unknown ones last), then tasks."""
    columns, tie = _GROUPS[group]
    rows = summary_rows(
        TaskSummary,
        workspace=workspace,
        filters=period,
        blocks=blocks_cover(period.start, period.end),
        by_prompt=group == "prompt",
    ).values(*columns)
    rows = rows.annotate(**_summary_totals()).order_by()
    if group == "prompt":
        text = Prompt.objects.filter(pk=OuterRef("prompt")).values("text")[:1]
        rows = rows.annotate(prompt__text=Subquery(text))
    elif group == "monitor":
        name = Monitor.objects.filter(pk=OuterRef("monitor")).values("name")[:1]
        rows = rows.annotate(monitor__name=Subquery(name))
    out = []
    for row in rows:
        row = _unknown_sums(row)
        if group == "prompt":
            row["prompt_id"] = row.pop("prompt")
        elif group == "monitor":
            row["monitor_id"] = row.pop("monitor")
        else:
            row["model"] = row.pop("model_name") or None
        out.append(row)
    return [_money(row) for row in _ties_by(out, tie)]


def _last_if_none(amount) -> tuple:
    """Descending, unknown last."""
    return (amount is None, -(amount or 0))


def _ties_by(rows: list[dict], tie: str) -> list[dict]:
    """The costliest first; rows equal on the amounts and tasks in the order of their
    label (None last)."""
    return sorted(
        rows,
        key=lambda r: (
            _last_if_none(r["real"]),
            _last_if_none(r["spent"]),
            -r["tasks"],
            r[tie] is None,
            r[tie] if r[tie] is not None else "",
        ),
    )
