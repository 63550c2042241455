"""One calls-per-minute limit for task_post, shared by every worker through the database.

A call slot is reserved by inserting its ``ApiCall`` row while holding a lock on a
``RateWindow`` row (SELECT … FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions
serialize writers anyway), so two workers can never both take the last slot.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from monitoring.models import ApiCall, RateWindow

WINDOW = timedelta(minutes=1)


def lock(name: str) -> None:
    """Take the named lock until the surrounding transaction ends."""
    RateWindow.objects.get_or_create(name=name)
    RateWindow.objects.select_for_update().get(name=name)


def call_slot_reserve(*, endpoint: str = "task_post", now: datetime | None = None):
    """Reserve a slot for one call: the ``ApiCall`` row, or None and the seconds to wait."""
    limit = settings.AISA_CALLS_PER_MINUTE
    with transaction.atomic():
        lock(f"calls:{endpoint}")
        now = now or timezone.now()
        recent = ApiCall.objects.filter(endpoint=endpoint, started_at__gt=now - WINDOW)
        if recent.count() >= limit:
            oldest = recent.order_by("started_at").values_list("started_at", flat=True).first()
            wait = (oldest + WINDOW - now).total_seconds() if oldest else 0.0
            return None, max(0.05, wait)
        return ApiCall.objects.create(endpoint=endpoint, started_at=now), 0.0


def call_slot_release(*, call: ApiCall) -> None:
    """Give back a slot that was not used (nothing was sent)."""
    ApiCall.objects.filter(pk=call.pk, http_status__isnull=True, outcome="").delete()
