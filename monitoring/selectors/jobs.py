"""Reads of the background jobs' outcomes (django-q2's results): what failed, and for whom.

A job that raised after its own retries (``services.jobs.retry_when_busy``) is stored by
django-q2 as a ``Failure``. A re-analysis carries its workspace's id as its argument, so
its failures are that workspace's, shown to its owners; the other jobs serve every
workspace (posting, collecting, the catalogue) and are the administrators' (the admin's
"Failed tasks" list), only counted here. Arguments are pickled, so the workspace is
matched in Python, over a bounded window.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_q.models import Failure, Success

from monitoring.models import Workspace

REANALYZE_JOB = "monitoring.jobs.workspace_reanalyze"
#: Jobs whose first argument is a workspace id, with what they are called on the pages.
WORKSPACE_JOBS = {REANALYZE_JOB: "Re-analysis of the answers after a brand change"}
#: /healthz counts the failures of this long.
FAILED_JOBS_COUNTED_FOR = timedelta(hours=24)
#: Owners see a failure this long, unless it was retried or a later run succeeded.
FAILED_JOBS_SHOWN_FOR = timedelta(days=7)
ERROR_SHOWN_CHARS = 160

_CREDENTIALS_IN_URL = re.compile(r"(//[^/\s:@]*:)[^/\s@]+@")
_KEY_LIKE = re.compile(r"\b(sk-[A-Za-z0-9_-]{2})[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class FailedJob:
    id: str
    func: str
    label: str
    started_at: datetime
    failed_at: datetime
    #: The error's first line, shortened, any configured secret masked.
    error: str


def failed_job_count(*, since: datetime | None = None) -> int:
    """Jobs of every kind that failed since then (by default in the last 24 hours)."""
    since = since or timezone.now() - FAILED_JOBS_COUNTED_FOR
    return Failure.objects.filter(stopped__gte=since).count()


def failed_job_list(*, workspace: Workspace) -> list[FailedJob]:
    """The workspace's failed jobs still worth a retry, the latest first.

    A failure is dropped once retried (``services.jobs.failed_job_retry``), and hidden once
    the same job for the workspace succeeded in a run started later (that run did the work).
    """
    since = timezone.now() - FAILED_JOBS_SHOWN_FOR
    failures = [
        f
        for f in Failure.objects.filter(func__in=WORKSPACE_JOBS, stopped__gte=since)
        .only("id", "func", "args", "started", "stopped", "result")
        .order_by("-stopped")
        if _workspace_id(f.args) == workspace.pk
    ]
    if not failures:
        return []
    succeeded = _last_success(workspace=workspace, since=min(f.started for f in failures))
    return [
        _failed_job(f)
        for f in failures
        if succeeded.get(f.func) is None or succeeded[f.func] <= f.started
    ]


def failed_job_get(*, workspace: Workspace, job_id: str) -> FailedJob | None:
    return next((f for f in failed_job_list(workspace=workspace) if f.id == job_id), None)


def _last_success(*, workspace: Workspace, since: datetime) -> dict[str, datetime]:
    """When each workspace job last started a run that succeeded, since ``since``."""
    latest: dict[str, datetime] = {}
    runs = Success.objects.filter(func__in=WORKSPACE_JOBS, started__gt=since).only(
        "func", "args", "started"
    )
    for run in runs:
        if _workspace_id(run.args) == workspace.pk and run.started > latest.get(run.func, since):
            latest[run.func] = run.started
    return latest


def _workspace_id(args) -> int | None:
    try:
        return int(args[0])
    except (TypeError, ValueError, IndexError, KeyError):
        return None


def _failed_job(failure) -> FailedJob:
    return FailedJob(
        id=failure.id,
        func=failure.func,
        label=WORKSPACE_JOBS.get(failure.func, failure.func),
        started_at=failure.started,
        failed_at=failure.stopped,
        error=error_summary(failure.result),
    )


def error_summary(result) -> str:
    """A failure's message, short and safe to show: django-q2 stores "<error> : <traceback>";
    only the error's first line is kept, with configured secrets and URL passwords masked."""
    text = str(result or "").split(" : Traceback", 1)[0].strip()
    line = text.splitlines()[0].strip() if text else ""
    for secret in _secrets():
        line = line.replace(secret, "•••")
    line = _KEY_LIKE.sub(r"\1•••", _CREDENTIALS_IN_URL.sub(r"\1•••@", line))
    if len(line) > ERROR_SHOWN_CHARS:
        line = line[: ERROR_SHOWN_CHARS - 1].rstrip() + "…"
    return line or "Failed without a message."


def _secrets() -> list[str]:
    values = [settings.SECRET_KEY, settings.AISA_WEBHOOK_SECRET, settings.AISA_API_KEY]
    values += settings.AISA_API_KEY.split(":")  # DataForSEO's login:password
    values += [db.get("PASSWORD") or "" for db in settings.DATABASES.values()]
    return sorted({v for v in values if v and len(v) >= 4}, key=len, reverse=True)
