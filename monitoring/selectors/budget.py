"""Budgets: a monthly budget per workspace and a global daily cap, checked before claiming.

What a task counts against them, from the moment it is claimed for posting:
- its real cost once known (``money_spent`` plus the base task price);
- until then its reservation: the worst case reserved at the claim (every token of its
  budget used, the most web searches), never less than the prepayment.
So real spend cannot pass a cap, however much an answer costs, with any number of workers
(the claim and this check happen under one lock).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, Sum, Value
from django.db.models.functions import Coalesce, Greatest

from monitoring.aisa import contract
from monitoring.aisa.contract import TASK_PREPAYMENT_USD
from monitoring.models import ModelPrice, Task, Workspace
from monitoring.models.money import money_field, usd
from monitoring.models.prices import Rates, rates_for, worst_case_cost
from monitoring.models.tasks import BILLED_STATUSES
from monitoring.selectors.periods import day_start, month_start

_MONEY = money_field()
DAILY, MONTHLY = "daily", "monthly"


def task_counted():
    """The amount one task counts against the budgets (an expression over its row)."""
    reserved = Greatest(
        Coalesce("cost_prepaid", Value(TASK_PREPAYMENT_USD), output_field=_MONEY),
        Coalesce("cost_reserved", Value(Decimal(0)), output_field=_MONEY),
        output_field=_MONEY,
    )
    return Coalesce("cost_real", reserved, output_field=_MONEY)


#: The tasks a budget counts: billed ones. A filter of the sums, not of the rows: in the
#: WHERE clause, SQLite's planner read every billed task ever through the status index
#: for the installation's spend today (300 ms at a million tasks) instead of today's.
BILLED = Q(status__in=BILLED_STATUSES)


def _claimed_since(*, since: datetime):
    """The tasks claimed since ``since``, billed or not, of every workspace: through the
    (workspace, claimed_at) index, which the workspaces' list lets the planner walk."""
    every = Workspace.objects.values("pk")
    return Task.objects.filter(workspace__in=every, claimed_at__gte=since)


def spend_get(*, since: datetime, workspace: Workspace | None = None) -> Decimal:
    """Real costs plus the reservations of tasks in flight, claimed since ``since``."""
    return spend_totals_get(since=since, workspace=workspace)[0]


def spend_totals_get(
    *, since: datetime, workspace: Workspace | None = None
) -> tuple[Decimal, Decimal]:
    """(counted, of which reserved) since ``since``, in one query."""
    tasks = _claimed_since(since=since)
    if workspace is not None:
        tasks = tasks.filter(workspace=workspace)
    totals = tasks.aggregate(
        counted=Sum(task_counted(), filter=BILLED),
        reserved=Sum(task_counted(), filter=BILLED & Q(cost_real__isnull=True)),
    )
    return usd(totals["counted"]), usd(totals["reserved"])


def daily_cap() -> Decimal | None:
    value = settings.AISA_DAILY_CAP_USD
    return Decimal(str(value)) if value not in (None, "") else None


@dataclass
class Allowance:
    """What may still be committed now: today under the daily cap, this month per workspace."""

    cap: Decimal | None
    counted_today: Decimal
    budgets: dict[int, Decimal | None]
    counted_month: dict[int, Decimal]
    prices: list[ModelPrice] = field(default_factory=list)

    def daily_left(self) -> Decimal | None:
        return None if self.cap is None else self.cap - self.counted_today

    def monthly_left(self, workspace_id: int) -> Decimal | None:
        budget = self.budgets.get(workspace_id)
        return None if budget is None else budget - self.counted_month.get(workspace_id, 0)

    def is_open(self, workspace_id: int) -> bool:
        """Whether the cheapest possible task (its prepayment) still fits."""
        return self.refusal(workspace_id, TASK_PREPAYMENT_USD) is None

    def refusal(self, workspace_id: int, amount: Decimal) -> str | None:
        """Which limit ``amount`` would pass (``DAILY`` or ``MONTHLY``), or None if it fits."""
        daily, monthly = self.daily_left(), self.monthly_left(workspace_id)
        if monthly is not None and amount > monthly:
            return MONTHLY
        if daily is not None and amount > daily:
            return DAILY
        return None

    def take(self, workspace_id: int, amount: Decimal) -> None:
        self.counted_today += amount
        self.counted_month[workspace_id] = self.counted_month.get(workspace_id, 0) + amount

    def worst_case(self, body: dict, engine: str = contract.DEFAULT_FAMILY) -> Decimal:
        return worst_case_cost(body, self.rates(body), engine=engine)

    def rates(self, body: dict) -> Rates:
        return rates_for(str(body.get("model_name") or ""), self.prices)


def allowance_get(*, now: datetime, workspace_ids: list[int]) -> Allowance:
    """The budgets' state for a claim (a few queries, whatever the number of tasks)."""
    budgets = dict(
        Workspace.objects.filter(pk__in=workspace_ids).values_list("pk", "monthly_budget_usd")
    )
    counted = (
        _claimed_since(since=month_start(now))
        .filter(workspace_id__in=workspace_ids)
        .values("workspace_id")
        .annotate(total=Sum(task_counted(), filter=BILLED))
        .values_list("workspace_id", "total")
    )
    return Allowance(
        cap=daily_cap(),
        counted_today=spend_get(since=day_start(now)),
        budgets=budgets,
        counted_month={pk: usd(total) for pk, total in counted},
        prices=list(ModelPrice.objects.all()),
    )


def held_message(*, limit: str, allowance: Allowance, workspace_id: int, worst: Decimal) -> str:
    """Why a task waits, with the amounts, in a marketer's words."""
    if limit == MONTHLY:
        left = max(allowance.monthly_left(workspace_id) or Decimal(0), Decimal(0))
        return (
            f"Held: this task may cost up to ${worst:.4f}, more than the ${left:.4f} left of "
            f"this workspace's monthly budget (${allowance.budgets.get(workspace_id)}); spent "
            "and reserved amounts count. It is posted when tasks in flight finish cheaper than "
            "reserved, next month, or after an owner raises the budget."
        )
    left = max(allowance.daily_left() or Decimal(0), Decimal(0))
    return (
        f"Held: this task may cost up to ${worst:.4f}, more than the ${left:.4f} left of the "
        f"installation's daily cap (${allowance.cap}); spent and reserved amounts count. It is "
        "posted when tasks in flight finish cheaper than reserved, tomorrow (UTC), or after an "
        "admin raises AISA_DAILY_CAP_USD."
    )
