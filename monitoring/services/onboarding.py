"""Writes of the set-up walk: skipping a step, and adding several competitors at once."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from monitoring.models import Brand, BrandKind, Workspace
from monitoring.services.brands import brand_create


def onboarding_skip(*, workspace: Workspace, step: str) -> None:
    """Remember that ``step`` was skipped (it stays open to come back to)."""
    with transaction.atomic():
        locked = Workspace.objects.select_for_update().get(pk=workspace.pk)
        skipped = locked.onboarding_skipped if isinstance(locked.onboarding_skipped, list) else []
        if step not in skipped:
            locked.onboarding_skipped = [*skipped, step]
            locked.save(update_fields=["onboarding_skipped"])
    workspace.onboarding_skipped = locked.onboarding_skipped


def competitors_create(*, workspace: Workspace, names: Sequence[str]) -> list[Brand]:
    """One competitor per name, all or none (the form has checked that each is free)."""
    with transaction.atomic():
        return [
            brand_create(
                workspace=workspace, name=name, kind=BrandKind.COMPETITOR, aliases=[], domains=[]
            )
            for name in names
        ]
