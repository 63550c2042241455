"""Collecting results: polling task_get, the tasks_ready list, and expiry after 72 hours.

Polls count against the one calls-per-minute limit (``ratelimit``) like every other call. A
pass never plans more polls than the window has calls left: the rest stay due as they are,
for a later pass; with the ``tasks_ready`` mode, one ``tasks_ready`` call then says which
tasks are done and only those are fetched. /healthz reports such passes.

One task's trouble stays that task's (``isolation``): an answer that cannot be read or
stored fails its task with the reason in its history, and the pass goes on.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from monitoring import selectors, services
from monitoring.aisa.client import AisaClient
from monitoring.aisa.contract import TASK_EXPIRY_HOURS, Endpoint, Outcome
from monitoring.aisa.errors import AisaError
from monitoring.aisa.text import clean_text, excerpt
from monitoring.models import Task, TaskMode, TaskStatus
from monitoring.models.tasks import WAITING_STATUSES
from monitoring.pipeline import ratelimit
from monitoring.pipeline.answers import answer_store
from monitoring.pipeline.isolation import DATABASE_TROUBLE, error_text
from monitoring.services.history import task_transition, tasks_transition

logger = logging.getLogger(__name__)

#: Poll intervals after each "not ready yet": quick at first, then patient.
POLL_INTERVALS = [timedelta(seconds=s) for s in (3, 5, 10, 20, 40, 60, 120, 300, 600, 900)]


@dataclass
class CollectReport:
    collected: int = 0
    waiting: int = 0
    failed: int = 0
    errors: int = 0
    expired: int = 0
    #: Due tasks left for a later pass (next poll time unchanged): the rate limit is reached.
    deferred: int = 0
    stopped: str = ""
    #: Of ``failed``: tasks failed by an unexpected error (logged with its traceback).
    unexpected: int = 0


def poll_interval(polls: int) -> timedelta:
    return POLL_INTERVALS[min(polls, len(POLL_INTERVALS) - 1)]


def waiting_engines() -> list[str]:
    """The engines with posted tasks waiting for their answers (each needs its own client)."""
    waiting = Task.objects.filter(status__in=WAITING_STATUSES).exclude(provider_task_id="")
    return sorted(set(waiting.values_list("engine", flat=True).distinct()))


def tasks_collect(*, client: AisaClient, limit: int = 200, now=None) -> CollectReport:
    """Poll the client's engine's due posted tasks once each, as far as the rate limit allows.

    When more are due than calls are left in the window, the oldest due are polled and the
    rest wait for a later pass; with the ``tasks_ready`` mode, tasks_ready is asked instead
    which tasks are done, and only those are fetched.
    """
    now = now or timezone.now()
    report = CollectReport()
    due = Task.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        status__in=WAITING_STATUSES,
        engine=client.family,  # each task is fetched with its own engine's path
    ).exclude(provider_task_id="")
    tasks = list(due.order_by("next_attempt_at", "id")[:limit])
    limited = len(tasks) > ratelimit.calls_left(endpoint=Endpoint.TASK_GET)
    if limited and (ready := _ready_instead(client, report)) is not None:
        done = {task.pk for task in ready}
        report.deferred += sum(1 for task in tasks if task.pk not in done)
        tasks = ready
    _fetch(client, tasks, report)
    if limited or report.deferred:
        _say_deferred()
    return report


def _ready_instead(client: AisaClient, report: CollectReport) -> list[Task] | None:
    """The waiting tasks tasks_ready lists as done, when that mode is on and has a call left."""
    if "tasks_ready" not in settings.AISA_COLLECT_MODES:
        return None
    if ratelimit.calls_left(endpoint=Endpoint.TASKS_READY) < 1:
        return None
    return _ready_waiting(client, report)


def _ready_waiting(client: AisaClient, report: CollectReport) -> list[Task] | None:
    """The waiting tasks tasks_ready lists as done; None if the list could not be read."""
    try:
        ready = client.tasks_ready()
    except AisaError as exc:
        if exc.outcome in (Outcome.AUTH, Outcome.PAYMENT):
            raise
        if exc.outcome is not Outcome.RATE_LIMITED:  # the limit is no error: ask later
            report.errors += 1
        return None
    ids = {item.id for item in ready}
    return list(
        Task.objects.filter(
            provider_task_id__in=ids, status__in=WAITING_STATUSES, engine=client.family
        ).order_by("id")
    )


def _fetch(client: AisaClient, tasks: list[Task], report: CollectReport) -> None:
    """task_get each task, within the calls left; stop at a stop error or the rate limit.

    Tasks not asked for keep their next poll time: a later pass asks for them.
    """
    left = ratelimit.calls_left(endpoint=Endpoint.TASK_GET)
    report.deferred += max(0, len(tasks) - left)
    for i, task in enumerate(tasks[:left]):
        try:
            task_collect(client=client, task=task, report=report)
        except AisaError as exc:
            if exc.outcome is Outcome.RATE_LIMITED:  # other workers took the window's calls
                report.deferred += min(len(tasks), left) - i
                break
            if exc.outcome in (Outcome.AUTH, Outcome.PAYMENT):
                report.stopped = str(exc)
                break


def _say_deferred() -> None:
    """Tell /healthz that collection waits for the rate limit."""
    services.heartbeat_touch(name=selectors.POLLING_DEFERRED)


def tasks_collect_burst(*, client: AisaClient, seconds: float, pause: float = 1.0) -> int:
    """Collect repeatedly until nothing is waiting or ``seconds`` have passed."""
    collected, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        report = tasks_collect(client=client)
        collected += report.collected
        if report.stopped:  # credentials or payment: polling again would fail the same way
            break
        if not Task.objects.filter(status__in=WAITING_STATUSES, engine=client.family).exists():
            break
        time.sleep(pause)
    return collected


def task_collect(*, client: AisaClient, task: Task, report: CollectReport | None = None) -> None:
    """Ask for one task's result and act on the answer.

    Stop errors and the rate limit propagate, leaving the task as it was (still due), and
    so does database trouble (``isolation``). Any other error is this task's: it is
    logged, the task is failed with the reason, and the caller goes on with the next one.
    """
    report = report or CollectReport()
    try:
        _collect(client, task, report)
    except (AisaError, *DATABASE_TROUBLE):
        raise
    except Exception as exc:
        logger.exception("Collecting task %s (%s) failed", task.pk, task.provider_task_id)
        _collect_failed(task, exc, report)


def _collect_failed(task: Task, exc: Exception, report: CollectReport) -> None:
    """Fail a task whose answer could not be read or stored.

    Failed at once rather than polled again: the API returns the same answer each time,
    so a retry would fail the same way every minute until the task expires (the error
    types that are transient, the API's and the database's, are not handled here).
    """
    message = (
        f"Collecting the answer failed ({error_text(exc)}). The task is failed rather than "
        "polled again, since the API would send the same answer; the error is logged."
    )
    task.refresh_from_db()  # a rolled-back store may have left it saying "collected"
    if _fail(task, message, None, report):
        report.unexpected += 1


def _collect(client: AisaClient, task: Task, report: CollectReport) -> None:
    try:
        result = client.task_get(task.provider_task_id)
    except AisaError as exc:
        if exc.outcome in (Outcome.AUTH, Outcome.PAYMENT, Outcome.RATE_LIMITED):
            raise
        _poll_later(task, f"Polling failed, will try again: {exc}", exc.status_code)
        report.errors += 1
        return
    if result.problem:
        # Well-formed JSON, a done task, a result of the wrong shape: the same would come
        # back on every poll, so the task is failed with the reason instead.
        _fail(
            task,
            f"The API's result could not be read: {excerpt(result.problem)}. The task is "
            "failed rather than polled again, since the API would send the same result.",
            result.status_code,
            report,
        )
    elif result.ready and result.answer is not None:
        report.collected += answer_store(
            task=task, answer=result.answer, api_call=ratelimit.last_call_of(client)
        )
    elif result.outcome is Outcome.NOT_READY:
        _poll_later(task, "", None)
        report.waiting += 1
    elif result.outcome in (Outcome.RETRYABLE, Outcome.RATE_LIMITED):
        _poll_later(task, f"{result.status_code} {result.status_message}", result.status_code)
        report.errors += 1
    else:
        _fail(
            task,
            f"The API reports {result.status_code} {excerpt(result.status_message)}",
            result.status_code,
            report,
        )


def _fail(task: Task, message: str, code: int | None, report: CollectReport) -> bool:
    """Fail a waiting task with the reason, on the task and in its history."""
    failed = task_transition(
        task=task,
        to=TaskStatus.FAILED,
        allowed_from=WAITING_STATUSES,
        message=message,
        error_code=code,
        last_error_code=code,
        last_error_message=message,
        next_attempt_at=None,
    )
    report.failed += failed
    return failed


def _poll_later(task: Task, message: str, code: int | None) -> None:
    """Schedule the next poll; not-ready polls change no status, so they write no history."""
    when = timezone.now() + poll_interval(task.polls)
    fields = {"next_attempt_at": when, "polls": task.polls + 1}
    if message:
        fields.update(last_error_code=code, last_error_message=clean_text(message)[:2000])
    Task.objects.filter(pk=task.pk, status__in=WAITING_STATUSES).update(**fields)


def tasks_ready_collect(*, client: AisaClient) -> CollectReport:
    """Ask which of the client's engine's tasks are done and fetch those at once (one list
    call instead of many polls; tasks_ready is per family)."""
    report = CollectReport()
    ready = _ready_waiting(client, report)
    _fetch(client, ready or [], report)
    if report.deferred:
        _say_deferred()
    return report


def task_mark_completed(*, task: Task, provider_id: str, via: str) -> bool:
    """The API says the task is done (pingback): fetch it at once.

    A task whose post outcome was unknown, or whose post's answer is not recorded yet
    (still "posting"), is thereby proven to exist: it takes the id.
    """
    return task_transition(
        task=task,
        to=TaskStatus.COMPLETED,
        allowed_from=[TaskStatus.POSTING, TaskStatus.POSTED, TaskStatus.UNKNOWN],
        message=f"Completion notified by {via}.",
        completed_at=timezone.now(),
        next_attempt_at=timezone.now(),
        provider_task_id=provider_id,
    )


def tasks_expire(*, now=None) -> int:
    """Tasks not completed within 72 hours are failed (and refunded) by the provider."""
    now = now or timezone.now()
    limit = now - timedelta(hours=TASK_EXPIRY_HOURS)
    # A live call of unknown outcome is no provider task that expires: it stays unknown,
    # its reservation counted, until an admin looks (``live``).
    stale = Task.objects.filter(
        Q(status__in=WAITING_STATUSES, posted_at__lt=limit)
        | Q(status=TaskStatus.UNKNOWN, claimed_at__lt=limit, mode=TaskMode.STANDARD)
    )
    moved = tasks_transition(
        task_ids=stale.values_list("id", flat=True),
        to=TaskStatus.EXPIRED,
        allowed_from=[*WAITING_STATUSES, TaskStatus.UNKNOWN],
        message=(
            f"Not completed within {TASK_EXPIRY_HOURS} hours: the provider fails such "
            "tasks and refunds the prepayment."
        ),
        next_attempt_at=None,
    )
    return len(moved)
