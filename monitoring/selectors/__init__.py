"""Read-only querysets the pages need."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from monitoring.models import Heartbeat, Membership, Workspace
from monitoring.selectors.jobs import FAILED_JOBS_COUNTED_FOR, failed_job_count
from monitoring.selectors.tasks import pipeline_halt_get

#: A worker that has not run its once-a-minute heartbeat for this long is reported missing.
HEARTBEAT_STALE_AFTER = timedelta(minutes=3)
#: Touched by every collection pass that left due polls for later because of the rate limit.
POLLING_DEFERRED = "polling-deferred"
#: /healthz reports collection as rate-limited this long after the last such pass.
POLLING_DEFERRED_SHOWN_FOR = timedelta(minutes=2)


def membership_list(*, workspace: Workspace):
    return (
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by("role", "user__username")
    )


def cluster_status_get(*, name: str = "cluster") -> dict:
    beat = Heartbeat.objects.filter(name=name).first()
    if beat is None:
        return {"seen": False, "last_seen": None, "age_seconds": None}
    age = timezone.now() - beat.seen_at
    return {
        "seen": age <= HEARTBEAT_STALE_AFTER,
        "last_seen": beat.seen_at.isoformat(),
        "age_seconds": round(age.total_seconds()),
    }


def api_status_get() -> dict:
    """Whether an API key is configured, whether posting is halted (an admin must act), and
    whether collection is held back by the calls-per-minute limit."""
    halt = pipeline_halt_get()
    return {
        "configured": bool(settings.AISA_API_KEY),
        "posting_halted": halt is not None,
        "halt_reason": halt.reason[:200] if halt else "",
        "collection": collection_status_get(),
    }


def collection_status_get() -> str:
    """Either "ok" or that polling waits for the rate limit (never the API's text)."""
    since = timezone.now() - POLLING_DEFERRED_SHOWN_FOR
    if not Heartbeat.objects.filter(name=POLLING_DEFERRED, seen_at__gte=since).exists():
        return "ok"
    status = "rate-limited: polling deferred"
    if "tasks_ready" in settings.AISA_COLLECT_MODES:
        status += "; using tasks_ready"
    return status


def jobs_status_get() -> dict:
    """How many background jobs failed (after their retries) in the last 24 hours: a count
    only, for anyone; owners see their workspace's on its failed-jobs page."""
    return {"failed_24h": failed_job_count(since=timezone.now() - FAILED_JOBS_COUNTED_FOR)}
