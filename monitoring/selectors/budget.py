"""Budgets: a monthly budget per workspace and a global daily cap, checked before claiming.

Spend is counted conservatively: every task that may have been billed counts its prepayment
(or what it really cost, if more), from the moment it was claimed for posting.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum, Value
from django.db.models.functions import Coalesce, Greatest

from monitoring.aisa.contract import TASK_PREPAYMENT_USD
from monitoring.models import Task, Workspace
from monitoring.models.money import money_field
from monitoring.models.tasks import BILLED_STATUSES
from monitoring.selectors.periods import day_start, month_start

_MONEY = money_field()


def _task_cost():
    prepaid = Coalesce("cost_prepaid", Value(TASK_PREPAYMENT_USD), output_field=_MONEY)
    spent = Coalesce("money_spent", Value(Decimal(0)), output_field=_MONEY)
    return Greatest(prepaid, spent, output_field=_MONEY)


def spend_get(*, since: datetime, workspace: Workspace | None = None) -> Decimal:
    tasks = Task.objects.filter(status__in=BILLED_STATUSES, claimed_at__gte=since)
    if workspace is not None:
        tasks = tasks.filter(workspace=workspace)
    total = tasks.aggregate(total=Sum(_task_cost()))["total"]
    return Decimal(total or 0)


def daily_cap() -> Decimal | None:
    value = settings.AISA_DAILY_CAP_USD
    return Decimal(str(value)) if value not in (None, "") else None


def tasks_affordable(*, remaining: Decimal | None) -> int | None:
    """How many more tasks a remaining amount pays the prepayment of; None = unlimited."""
    if remaining is None:
        return None
    return max(0, int(remaining // TASK_PREPAYMENT_USD))


def allowance_get(
    *, now: datetime, workspace_ids: list[int]
) -> tuple[int | None, dict[int, int | None]]:
    """Tasks that may still be posted today overall, and this month per workspace."""
    cap = daily_cap()
    global_left = None
    if cap is not None:
        global_left = tasks_affordable(remaining=cap - spend_get(since=day_start(now)))
    per_workspace: dict[int, int | None] = {}
    budgets = dict(
        Workspace.objects.filter(pk__in=workspace_ids).values_list("pk", "monthly_budget_usd")
    )
    spent = dict(
        Task.objects.filter(
            workspace_id__in=workspace_ids,
            status__in=BILLED_STATUSES,
            claimed_at__gte=month_start(now),
        )
        .values("workspace_id")
        .annotate(total=Sum(_task_cost()))
        .values_list("workspace_id", "total")
    )
    for pk in workspace_ids:
        budget = budgets.get(pk)
        left = None if budget is None else budget - Decimal(spent.get(pk) or 0)
        per_workspace[pk] = tasks_affordable(remaining=left)
    return global_left, per_workspace


def held_message(*, workspace_limited: bool) -> str:
    if workspace_limited:
        return (
            "Held: this workspace's monthly budget is used up. Raise the budget (admin) or "
            "wait for next month; the task will be posted then."
        )
    return (
        "Held: the installation's daily spending cap is reached. It will be posted when the "
        "cap allows (tomorrow, or after an admin raises AISA_DAILY_CAP_USD)."
    )
