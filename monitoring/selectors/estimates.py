"""What a send or a monitor will cost, before any money moves.

Three numbers per send: the prepayment the API takes when it creates the tasks, the
expected real cost (this workspace's recent real costs for the same model × web search ×
reasoning, else a documented default), and the worst case the budgets will reserve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from croniter import croniter
from django.db.models import Avg, Count, Q
from django.db.models.fields.json import KT
from django.utils import timezone

from monitoring.aisa import contract
from monitoring.aisa.contract import TASK_PREPAYMENT_USD
from monitoring.models import Task, TaskStatus, Workspace
from monitoring.models.money import usd
from monitoring.models.requests import schedule_cron
from monitoring.selectors import budget

#: How far back the expected cost looks for real costs of the same kind of task.
HISTORY_WINDOW = timedelta(days=30)
#: Without such history, a task is expected to cost this share of its worst case: real
#: answers rarely use their whole token budget (on the sandbox's answers, 20-60 %).
DEFAULT_EXPECTED_SHARE = Decimal("0.5")
#: The month a monitor's projection covers.
PROJECTION_DAYS = 30


def _kind(body: dict) -> tuple[str, bool, bool]:
    return (
        str(body.get("model_name") or ""),
        body.get("web_search") is True,
        body.get("use_reasoning") is True,
    )


@dataclass
class SendEstimate:
    tasks: int
    prepaid: Decimal
    expected: Decimal
    worst: Decimal
    #: How many past answers the expected cost averages (0: the default share was used).
    history_n: int
    #: The least of what the daily cap and the monthly budget leave now (None: no limit).
    budget_left: Decimal | None

    @property
    def passes_budget(self) -> bool:
        """Whether the worst case is more than the budgets leave: some tasks would be held."""
        return self.budget_left is not None and self.worst > self.budget_left

    @property
    def average(self) -> Decimal | None:
        return usd(self.expected / self.tasks) if self.tasks else None


def history_costs_get(*, workspace: Workspace, now: datetime | None = None) -> dict:
    """(model, web search, reasoning) → (average real cost, n) of recent collected tasks."""
    since = (now or timezone.now()) - HISTORY_WINDOW
    rows = (
        Task.objects.filter(
            Q(cost_real__isnull=False),
            workspace=workspace,
            status=TaskStatus.COLLECTED,
            created_at__gte=since,
        )
        .values(
            model=KT("request_body__model_name"),
            web=KT("request_body__web_search"),
            reasoning=KT("request_body__use_reasoning"),
        )
        .annotate(avg=Avg("cost_real"), n=Count("id"))
        .order_by()
    )
    return {
        (row["model"] or "", _true(row["web"]), _true(row["reasoning"])): (
            usd(row["avg"]),
            row["n"],
        )
        for row in rows
    }


def _true(value) -> bool:
    # A JSON boolean read as text: "true" on SQLite and PostgreSQL alike (or True).
    return value is True or str(value).lower() in ("true", "1")


def send_estimate_get(
    *,
    workspace: Workspace,
    bodies: Sequence[dict],
    engines: Sequence[str] | None = None,
    now: datetime | None = None,
    allowance: budget.Allowance | None = None,
    history: dict | None = None,
) -> SendEstimate:
    """The three costs of sending these task bodies now, and what the budgets leave.

    ``engines`` names each body's engine (the default engine's when not given): the worst
    case depends on it. A page estimating many sends (the monitors page) reads the
    ``allowance`` and the ``history`` once and passes them to each call.
    """
    now = now or timezone.now()
    if allowance is None:
        allowance = budget.allowance_get(now=now, workspace_ids=[workspace.pk])
    if history is None:
        history = history_costs_get(workspace=workspace, now=now)
    expected = worst = Decimal(0)
    history_n = 0
    engines = engines or [contract.DEFAULT_FAMILY] * len(bodies)
    for body, engine in zip(bodies, engines, strict=True):
        task_worst = allowance.worst_case(body, engine)
        worst += task_worst
        average, n = history.get(_kind(body), (None, 0))
        if average is None:
            expected += usd(task_worst * DEFAULT_EXPECTED_SHARE)
        else:
            expected += average
            history_n = max(history_n, n)
    lefts = [
        left
        for left in (allowance.daily_left(), allowance.monthly_left(workspace.pk))
        if left is not None
    ]
    return SendEstimate(
        tasks=len(bodies),
        # Live calls (Perplexity's) are paid as answered: no prepayment.
        prepaid=TASK_PREPAYMENT_USD
        * sum(1 for e in engines if e not in contract.LIVE_ONLY_FAMILIES),
        expected=usd(expected),
        worst=usd(worst),
        history_n=history_n,
        budget_left=max(min(lefts), Decimal(0)) if lefts else None,
    )


def runs_per_month(*, schedule: str, cron: str = "", now: datetime | None = None) -> int:
    """How many times a monitor with this schedule runs in the next 30 days."""
    expression = schedule_cron(schedule, cron)
    if not expression or not croniter.is_valid(expression):
        return 0
    now = now or timezone.now()
    end = now + timedelta(days=PROJECTION_DAYS)
    runs, it = 0, croniter(expression, now)
    while it.get_next(datetime) <= end and runs < 50_000:
        runs += 1
    return runs


def monitor_projection_get(
    *,
    workspace: Workspace,
    bodies: Sequence[dict],
    schedule: str,
    cron: str = "",
    engines: Sequence[str] | None = None,
    now: datetime | None = None,
    allowance: budget.Allowance | None = None,
    history: dict | None = None,
) -> dict:
    """What a monitor sending these bodies (of these ``engines``) each run would cost over
    the next 30 days."""
    per_run = send_estimate_get(
        workspace=workspace,
        bodies=bodies,
        engines=engines,
        now=now,
        allowance=allowance,
        history=history,
    )
    runs = runs_per_month(schedule=schedule, cron=cron, now=now)
    return {
        "runs": runs,
        "per_run": per_run,
        "expected": usd(per_run.expected * runs),
        "worst": usd(per_run.worst * runs),
    }
