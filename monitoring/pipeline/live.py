"""Live calls: a task asked with one ``live`` request, answered in its response.

Perplexity has no Standard tasks, so its tasks are always asked live (``Task.mode`` is
``live``); the Standard families named in ``AISA_LIVE_FAMILIES`` are asked live too (a
fallback, e.g. while their task_post is down: their queued Standard tasks are claimed here
instead of by posting, and become live tasks when claimed).

The money rules are posting's, and its code (``posting``):

- a task is claimed by one conditional UPDATE (queued/held → posting) under the claim lock,
  its worst case reserved under the daily cap and the workspace's budget in the same
  transaction; what does not fit is held, with the reason;
- the call's slot in the one calls-per-minute limit is reserved before the claim, so no task
  is claimed in vain, and counts every family's calls (``ratelimit``);
- the outcome of each call is one history row (``services.history``); the answer is stored
  by ``answers.answer_store`` with its real cost (``money_spent`` plus the live base price),
  linked to the call's ledger row.

Exactly once: a call whose outcome is unknown (a read timeout or a connection lost after the
request was sent; a gateway timeout) moves its task to ``unknown`` with the reason, and it
is never asked again automatically: there is no ``id_list`` for live calls to reconcile
with, so reconciling and expiry leave such tasks alone, and an admin decides. A call refused
before it was sent, or answered with a "not processed" code (rate limit, 5xx), is retried
with posting's backoff, as the contract's outcomes say.

Concurrency: the API allows ``contract.MAX_CONCURRENT_LIVE_CALLS`` live calls at once per
account and family. The count is the database's: the live tasks of the family in
``posting`` are exactly the calls in flight (a task is claimed just before its call and
leaves ``posting`` when its outcome is recorded). It is read under the claim lock in the
transaction that claims, so every worker on every host sees the same count and together
they never exceed the cap. A worker that dies mid-call leaves its task in ``posting``: it
keeps counting (the call may still run at the API) until its claim goes stale
(``reconcile.live_claim_timeout``) and it becomes ``unknown``. The cache was not used: a
per-host cache (the default locmem) would count per process, and the database is the one
store every worker shares in every deployment.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from monitoring.aisa import contract
from monitoring.aisa.client import AisaClient
from monitoring.aisa.contract import Endpoint, Outcome
from monitoring.aisa.errors import AisaError
from monitoring.aisa.results import TaskResult
from monitoring.aisa.text import clean_text, excerpt
from monitoring.models import ApiCall, Task, TaskMode, TaskStatus
from monitoring.pipeline import posting, ratelimit
from monitoring.pipeline.answers import answer_store
from monitoring.pipeline.isolation import DATABASE_TROUBLE, error_text
from monitoring.selectors.tasks import pipeline_halt_get
from monitoring.services.history import task_cost_record, task_transition

logger = logging.getLogger(__name__)

#: What a run asks at most (each call takes up to ``LIVE_CALL_MAX_SECONDS``).
MAX_CALLS_PER_RUN = 30

ClientFor = Callable[[str], AisaClient]


@dataclass
class LiveReport(posting.PostReport):
    """Posting's report (calls, retry, rejected, unknown, held, …) plus the answers stored."""

    collected: int = 0
    failed: int = 0


def live_families() -> frozenset[str]:
    """The engines asked live: the live-only ones and the ``AISA_LIVE_FAMILIES`` fallback."""
    return contract.LIVE_ONLY_FAMILIES | frozenset(settings.AISA_LIVE_FAMILIES)


def live_due(now=None):
    """Tasks due for a live call: live tasks, and Standard ones of a fallback family."""
    due = posting.due_tasks(now or timezone.now())
    return due.filter(Q(mode=TaskMode.LIVE) | Q(engine__in=list(settings.AISA_LIVE_FAMILIES)))


def live_engines() -> list[str]:
    """The engines with tasks due for a live call."""
    return sorted(set(live_due().values_list("engine", flat=True).distinct()))


def in_flight(*, engine: str) -> int:
    """Live calls of ``engine`` running now, on every worker: its live tasks in ``posting``."""
    return Task.objects.filter(mode=TaskMode.LIVE, status=TaskStatus.POSTING, engine=engine).count()


def live_claim(*, engine: str, report: LiveReport | None = None) -> Task | None:
    """Claim one due task of ``engine`` for a live call, if the family has a call free.

    The in-flight count and the claim are one step under the claim lock, and the budgets are
    checked as posting checks them (``posting.claim_locked``).
    """
    report = report or LiveReport()
    with transaction.atomic():
        ratelimit.lock("claim")
        if in_flight(engine=engine) >= contract.MAX_CONCURRENT_LIVE_CALLS:
            return None
        claimed = posting.claim_locked(
            due=live_due().filter(engine=engine),
            size=1,
            report=report,
            message="Claimed for a live call.",
            mode=TaskMode.LIVE,  # a fallback family's Standard task is now asked live
        )
    return claimed[0] if claimed else None


def tasks_live(
    *, client_for: ClientFor, max_calls: int = MAX_CALLS_PER_RUN, deadline: float | None = None
) -> LiveReport:
    """Ask due live tasks one after another, until none is left or a limit says stop.

    Run by several workers at once (``runner.live_step``): the in-flight cap holds across
    all of them. ``client_for(engine)`` gives the client of an engine (kept for the run).
    No call starts after ``deadline`` (a ``time.monotonic()`` value), so the job ends within
    its timeout instead of being stopped mid-call (which would leave the task unknown).
    """
    report = LiveReport()
    for _ in range(max_calls):
        if deadline is not None and time.monotonic() > deadline:
            break
        if pipeline_halt_get():
            report.halted = True
            break
        if not _ask_next(client_for, report):
            break
    return report


def _ask_next(client_for: ClientFor, report: LiveReport) -> bool:
    """Reserve a slot, claim one task of an engine with a call free, and ask it."""
    call = posting.slot_reserve(Endpoint.LIVE)
    if call is None:
        return False  # the calls-per-minute limit is used up for now
    for engine in live_engines():
        task = live_claim(engine=engine, report=report)
        if task is not None:
            report.calls += 1
            with ratelimit.call_slot_use(call):
                live_ask(client=client_for(engine), task=task, call=call, report=report)
            return True
    ratelimit.call_slot_release(call=call)
    return False


def live_body(body: dict) -> dict:
    """The task's body as ``live`` takes it: without the webhook fields (a fallback family's
    Standard task has them; a live call answers in its response)."""
    return {k: v for k, v in body.items() if k in contract.LIVE_FIELDS}


def live_ask(*, client: AisaClient, task: Task, call: ApiCall, report: LiveReport) -> None:
    """Send one claimed task live and record its outcome; one bad task never raises out.

    API failures are outcomes (``_refused_or_lost``); an unexpected error while recording
    fails the task with the reason (``isolation``); database trouble propagates (its claim
    goes stale and it becomes unknown: never asked twice).
    """
    Task.objects.filter(pk=task.pk).update(attempts=F("attempts") + 1)
    task.attempts += 1
    call.task_count = 1
    try:
        result = client.live(live_body(task.request_body))
    except AisaError as exc:
        posting.call_finish(call, error=exc)
        _recorded(task, call, report, partial(_refused_or_lost, task, exc, call, report))
        return
    _live_call_finish(call, result)
    _recorded(task, call, report, partial(_answered, task, result, call, report))


def _recorded(task: Task, call: ApiCall, report: LiveReport, record: Callable[[], None]):
    try:
        record()
    except DATABASE_TROUBLE:
        raise
    except Exception as exc:
        logger.exception("Recording the live call of task %s failed", task.pk)
        _outcome_lost(task, exc, call, report)


def _live_call_finish(call: ApiCall, result: TaskResult) -> None:
    call.finished_at = timezone.now()
    call.http_status = result.call.http_status
    call.status_code = result.status_code
    call.outcome = "ok" if result.outcome is Outcome.SUCCESS else result.outcome.value
    call.cost_reported = result.cost
    call.gateway_price = result.call.price_usd
    call.save()


def _answered(task: Task, result: TaskResult, call: ApiCall, report: LiveReport) -> None:
    message = f"{result.status_code} {excerpt(result.status_message)}".strip()
    if result.ready and result.answer is not None:
        with transaction.atomic():
            stored = answer_store(
                task=task,
                answer=result.answer,
                api_call=call,
                via="live",
                base_price=contract.LIVE_BASE_PRICE_USD,
            )
            if stored:
                task_cost_record(
                    task=task,
                    field="gateway_price",
                    amount=call.gateway_price,
                    api_call=call,
                    message="The price the gateway billed for the live call.",
                )
        report.collected += stored
    elif result.outcome is Outcome.SUCCESS:  # answered (and billed), but unreadable
        _fail(
            task,
            call,
            result.status_code,
            f"The live answer could not be read: "
            f"{excerpt(result.problem)}. Not asked again: it was answered, and billed.",
            report,
        )
    elif result.outcome in (Outcome.UNKNOWN, Outcome.NOT_READY):
        _unknown(task, call, f"The API answered {message}.", report)
    else:
        # A task-level "not found" concerns this task only (as in posting).
        kind = Outcome.PERMANENT if result.outcome is Outcome.NOT_FOUND else result.outcome
        posting.claim_failed(task, kind, result.status_code, message, call, report)


def _refused_or_lost(task: Task, exc: AisaError, call: ApiCall, report: LiveReport) -> None:
    """A live call that raised: unknown if it may have been answered, else posting's rules."""
    if exc.outcome is Outcome.UNKNOWN:
        _unknown(task, call, str(exc), report)
    else:
        posting.claim_failed(
            task, exc.outcome, exc.status_code, str(exc), call, report, exc.retry_after
        )
        report.errors.append(str(exc))


def _unknown(task: Task, call: ApiCall, reason: str, report: LiveReport) -> None:
    message = (
        "Outcome unknown: the live call was sent but its answer was lost, so the API may "
        "have answered and billed it. It is not asked again automatically; an admin may "
        f"retry it. {reason}"
    )
    if task_transition(
        task=task,
        to=TaskStatus.UNKNOWN,
        allowed_from=[TaskStatus.POSTING],
        api_call=call,
        message=message,
        last_error_code=None,
        last_error_message=clean_text(message),
    ):
        report.unknown += 1


def _fail(task: Task, call: ApiCall, code: int | None, message: str, report: LiveReport) -> None:
    if task_transition(
        task=task,
        to=TaskStatus.FAILED,
        allowed_from=[TaskStatus.POSTING],
        api_call=call,
        message=message,
        error_code=code,
        last_error_code=code,
        last_error_message=clean_text(message),
    ):
        report.failed += 1


def _outcome_lost(task: Task, exc: Exception, call: ApiCall, report: LiveReport) -> None:
    """The call's outcome could not be recorded: the task is failed, never asked again (the
    call may well have been answered and billed), with the reason in its history."""
    message = (
        f"The live call's outcome could not be recorded ({error_text(exc)}); the task is "
        "failed rather than asked again, and the error logged."
    )
    task.refresh_from_db()  # a rolled-back write may have changed it in memory only
    _fail(task, call, None, message, report)
    report.unexpected += 1
