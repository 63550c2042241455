"""Writes and side effects. Views, admin and jobs call these; nothing else writes."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from monitoring.models import Heartbeat, Workspace

CLUSTER_HEARTBEAT = "cluster"


def workspace_rename(*, workspace: Workspace, name: str) -> Workspace:
    workspace.name = name
    workspace.save(update_fields=["name"])
    return workspace


def workspace_budget_set(*, workspace: Workspace, amount: Decimal | None) -> Workspace:
    """Set (or with None, remove) the monthly budget; the next claim for posting applies it."""
    if amount is not None and amount < 0:
        raise ValueError("A monthly budget cannot be negative.")
    workspace.monthly_budget_usd = amount
    workspace.save(update_fields=["monthly_budget_usd"])
    return workspace


def heartbeat_touch(*, name: str = CLUSTER_HEARTBEAT) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})
