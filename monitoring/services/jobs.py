"""Background jobs: enqueueing (always after the transaction that made the work commits),
retrying a job when the database is busy, and queueing a failed job again.
"""

from __future__ import annotations

import functools
import logging
import random
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import ParamSpec, TypeVar

from django.db import DatabaseError, OperationalError, close_old_connections, transaction

from monitoring.models import Workspace
from monitoring.selectors.jobs import REANALYZE_JOB, failed_job_get
from monitoring.services.analysis import reanalysis_request

logger = logging.getLogger(__name__)


def _enqueue(func: str, *args) -> None:
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task(func, *args))


def post_enqueue() -> None:
    """Ask a worker to post queued tasks now rather than at the next minute."""
    _enqueue("monitoring.jobs.pipeline_post")


def collect_enqueue(*, task_id: int) -> None:
    _enqueue("monitoring.jobs.collect_task", task_id)


def collect_burst_enqueue() -> None:
    _enqueue("monitoring.jobs.collect_burst")


def reanalyze_enqueue(*, workspace_id: int) -> None:
    """Recompute a workspace's analysis in the background (brands or aliases changed).

    Call it inside the transaction that changed the brands: it moves the workspace's
    re-analysis marker in that transaction, so of several runs queued in a row one does
    the work (``services.analysis.workspace_reanalyze``).
    """
    reanalysis_request(workspace_id=workspace_id)
    _enqueue(REANALYZE_JOB, workspace_id)


def tick_enqueue() -> None:
    """Run the minute's pipeline work now (reconciling included), not at the next minute."""
    _enqueue("monitoring.jobs.pipeline_tick")


def models_refresh_enqueue() -> None:
    """Refresh the model catalogue in the background (the browser never waits on the API)."""
    _enqueue("monitoring.jobs.models_refresh")


# --- Failed jobs ---------------------------------------------------------------------------


def failed_job_retry(*, workspace: Workspace, job_id: str) -> bool:
    """Queue a workspace's failed job again and drop its failure (it has been handled).

    False when there is no such failure (any more): retried already, by a second click or
    by another owner, so nothing is queued twice.
    """
    from django_q.models import Failure

    with transaction.atomic():
        failed = failed_job_get(workspace=workspace, job_id=job_id)
        if failed is None or failed.func != REANALYZE_JOB:  # the one workspace job so far
            return False
        deleted, _ = Failure.objects.filter(pk=failed.id).delete()
        if not deleted:  # another retry took it first
            return False
        reanalyze_enqueue(workspace_id=workspace.pk)  # a full pass: the marker moves
    return True


# --- Retrying a job when the database is busy ----------------------------------------------

#: SQLite: another connection holds the write lock past the busy timeout, or this
#: connection's snapshot went stale (SQLITE_BUSY_SNAPSHOT, reported at once).
BUSY_MESSAGES = ("database is locked", "database table is locked")
#: PostgreSQL: serialization_failure, deadlock_detected. Both roll the transaction back;
#: running the work again is the documented remedy.
BUSY_SQLSTATES = frozenset({"40001", "40P01"})


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long a job is run again while the database is busy."""

    attempts: int = 5  # runs in all, the first included
    base_delay: float = 0.25  # seconds before the second run; doubled each time after
    max_delay: float = 4.0
    #: No new run starts this long after the first started (django-q stops a job at 120 s).
    deadline: float = 60.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after run ``attempt`` failed: exponential, half of it jitter."""
        cap = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return cap / 2 + random.uniform(0, cap / 2)


JOB_RETRY = RetryPolicy()

P = ParamSpec("P")
R = TypeVar("R")


def database_busy(exc: BaseException) -> bool:
    """Whether an error says the database is busy (worth a retry), not that the work is wrong.

    Looks through the chain Django builds when it wraps the driver's error (``__cause__``).
    Any other error, a database one included (an integrity error, a syntax error), is not.
    """
    if not isinstance(exc, DatabaseError | sqlite3.Error) and not _sqlstate(exc):
        return False
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if _sqlstate(current) in BUSY_SQLSTATES:
            return True
        if isinstance(current, OperationalError | sqlite3.OperationalError):
            message = str(current).lower()
            if any(busy in message for busy in BUSY_MESSAGES):
                return True
        current = current.__cause__
    return False


def _sqlstate(exc: BaseException) -> str:
    """The SQLSTATE of a psycopg (3: ``sqlstate``, 2: ``pgcode``) error, else ""."""
    return getattr(exc, "sqlstate", None) or getattr(exc, "pgcode", None) or ""


def retry_when_busy(
    policy: RetryPolicy = JOB_RETRY,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A decorator (``@retry_when_busy()``): run the job again while the database is busy.

    Between runs it waits a short, growing, random backoff. For jobs (``monitoring.jobs``):
    each run starts from the top, so a job must be safe to run twice, which the pipeline's
    are (claims, idempotent sends) and the re-analysis is (it replaces results). Bounded by
    ``policy``; any other error is raised at once, and so is every error inside a
    transaction someone else opened (only its owner can run it again). The last error is
    raised, for django-q2 to record as the job's failure.
    """

    def decorate(job: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(job)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            started = time.monotonic()
            attempt = 1
            while True:
                try:
                    return job(*args, **kwargs)
                except Exception as exc:
                    delay = policy.delay(attempt)
                    if (
                        attempt >= policy.attempts
                        or not database_busy(exc)
                        or transaction.get_connection().in_atomic_block
                        or time.monotonic() - started + delay > policy.deadline
                    ):
                        raise
                    logger.warning(
                        "Job %s: database busy (%s); run %d of %d in %.2f s",
                        job.__name__,
                        str(exc)[:80],
                        attempt + 1,
                        policy.attempts,
                        delay,
                    )
                close_old_connections()  # the next run starts on a fresh connection
                _sleep(delay)
                attempt += 1

        run.retry_policy = policy  # type: ignore[attr-defined]
        return run

    return decorate


def _sleep(seconds: float) -> None:
    time.sleep(seconds)
