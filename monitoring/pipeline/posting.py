"""Posting queued tasks: claim atomically, post ≤100 per call, record every outcome.

The rules that keep money safe:
- a task is claimed by one conditional UPDATE (queued/held → posting) with a claim token,
  so two workers never post the same task;
- the budget is checked and the claim made under one lock, so concurrent workers cannot
  together spend past a cap;
- a call whose outcome is unknown (timeout, dropped connection) marks its tasks ``unknown``;
  they are reconciled by tag before anything is posted again (see ``reconcile``);
- one task whose outcome cannot be recorded does not stop the others (``isolation``): a
  task the API created goes to ``unknown`` (reconciling by tag records it, or it expires),
  one it did not create is failed, each with the reason in its history.
"""

from __future__ import annotations

import logging
import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from monitoring.aisa.client import AisaClient
from monitoring.aisa.contract import MAX_TASKS_PER_POST, TASK_PREPAYMENT_USD, Endpoint, Outcome
from monitoring.aisa.errors import AisaError
from monitoring.aisa.results import PostBatch, PostedTask
from monitoring.aisa.text import clean_text
from monitoring.models import ApiCall, PipelineHalt, Task, TaskMode, TaskStatus
from monitoring.models.money import usd
from monitoring.models.tasks import POSTABLE_STATUSES
from monitoring.pipeline import ratelimit
from monitoring.pipeline.isolation import DATABASE_TROUBLE, error_text
from monitoring.selectors import budget
from monitoring.selectors.tasks import pipeline_halt_get
from monitoring.services.history import (
    task_cost_record,
    task_transition,
    tasks_transition,
)

logger = logging.getLogger(__name__)

#: Retryable failures wait base × 2^(attempt-1), with jitter, up to the cap.
BACKOFF_BASE = timedelta(seconds=20)
BACKOFF_CAP = timedelta(minutes=30)
MAX_ATTEMPTS = 8
#: The first poll of a freshly posted task.
FIRST_POLL_AFTER = timedelta(seconds=3)
#: Longest wait for a rate-limit slot inside one job run before giving up until the next.
MAX_SLOT_WAIT = 5.0


@dataclass
class PostReport:
    calls: int = 0
    posted: int = 0
    retry: int = 0
    rejected: int = 0
    unknown: int = 0
    held: int = 0
    halted: bool = False
    errors: list[str] = field(default_factory=list)
    #: Tasks whose outcome could not be recorded (an unexpected error, logged).
    unexpected: int = 0


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Exponential backoff with jitter; never shorter than the server's Retry-After."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    delay = delay * random.uniform(0.5, 1.0)
    if retry_after:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def tasks_post(*, client: AisaClient, max_calls: int = 20, batch_size: int = MAX_TASKS_PER_POST):
    """Post due queued tasks of the client's engine until none is left, the rate limit says
    wait, or a stop error. Only that engine's Standard tasks are claimed: a batch never
    mixes families, since each family has its own task_post path."""
    report = PostReport()
    engine = client.family
    for _ in range(max_calls):
        if pipeline_halt_get():
            report.halted = True
            break
        call = slot_reserve()
        if call is None:
            break
        tasks = batch_claim(size=batch_size, report=report, engine=engine)
        if not tasks:
            ratelimit.call_slot_release(call=call)
            break
        report.calls += 1
        with ratelimit.call_slot_use(call):  # the client's limiter stamps it when sent
            batch_post(client=client, tasks=tasks, call=call, report=report)
    return report


def postable_engines() -> list[str]:
    """The engines with Standard tasks due for a post (each gets its own client)."""
    due = standard_due(timezone.now())
    return sorted(set(due.values_list("engine", flat=True).distinct()))


def slot_reserve(endpoint: Endpoint = Endpoint.TASK_POST) -> ApiCall | None:
    """A slot for the next post (or live call), reserved before claiming so no task is
    claimed in vain."""
    deadline = time.monotonic() + MAX_SLOT_WAIT
    while True:
        call, wait = ratelimit.call_slot_reserve(endpoint=endpoint)
        if call is not None:
            return call
        if time.monotonic() + wait > deadline:
            return None
        time.sleep(wait)


def due_tasks(now: datetime):
    """Tasks due for a claim, of either mode."""
    return Task.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        status__in=POSTABLE_STATUSES,
    )


def standard_due(now: datetime):
    """Due Standard tasks, except those of engines asked live instead (``AISA_LIVE_FAMILIES``)."""
    return (
        due_tasks(now)
        .filter(mode=TaskMode.STANDARD)
        .exclude(engine__in=list(settings.AISA_LIVE_FAMILIES))
    )


def batch_claim(
    *, size: int, report: PostReport | None = None, engine: str | None = None
) -> list[Task]:
    """Claim up to ``size`` due Standard tasks (of ``engine``, when given) whose worst case
    fits the budgets; hold the others.

    Each claimed task reserves its worst-case cost in the same transaction, under the lock
    every worker takes, so concurrent workers together can never commit past a cap.
    """
    report = report or PostReport()
    with transaction.atomic():
        ratelimit.lock("claim")  # budget check + claim are one step for all workers
        due = standard_due(timezone.now())
        if engine is not None:
            due = due.filter(engine=engine)
        return claim_locked(due=due, size=size, report=report, message="Claimed for posting.")


def claim_locked(*, due, size: int, report, message: str, **fields) -> list[Task]:
    """Claim up to ``size`` of ``due`` under the budgets (the caller holds the claim lock).

    Tasks whose worst case does not fit are held, each with its reason; each claimed task
    moves to ``posting`` with a claim token and its reservation as a cost row. Posting and
    live calls both claim through here. ``report`` counts the held tasks (``held``).
    """
    token = secrets.token_hex(8)
    now = timezone.now()
    workspace_ids = sorted(set(due.values_list("workspace_id", flat=True).distinct()))
    if not workspace_ids:
        return []
    allowance = budget.allowance_get(now=now, workspace_ids=workspace_ids)
    open_ids = [ws for ws in workspace_ids if allowance.is_open(ws)]
    closed = due.filter(status=TaskStatus.QUEUED).exclude(workspace_id__in=open_ids)
    _hold_closed(closed, allowance, report)
    reserves, refused = _choose(due.filter(workspace_id__in=open_ids), size, allowance)
    _hold(refused, report)
    if not reserves:
        return []
    tasks_transition(
        task_ids=list(reserves),
        to=TaskStatus.POSTING,
        message=message,
        costs={
            "cost_reserved": (
                reserves,
                "Reserved against the budgets: the most this task can cost.",
            )
        },
        claim_token=token,
        claimed_at=now,
        **fields,
    )
    return list(
        Task.objects.filter(claim_token=token, status=TaskStatus.POSTING).order_by(
            "created_at", "id"
        )
    )


#: How many of the oldest due tasks one claim looks at (a few batches' worth).
CLAIM_WINDOW_BATCHES = 5


def _choose(due, size: int, allowance) -> tuple[dict[int, Decimal], dict[int, str]]:
    """The oldest due tasks whose worst case fits (first fit), and why the others wait.

    Once something does not fit, the scan goes on (bounded) to hold the other queued tasks
    that do not fit either, each with its reason, rather than leave them silently queued.
    """
    chosen: dict[int, Decimal] = {}
    refused: dict[int, str] = {}
    rows = due.order_by("created_at", "id").values_list(
        "id", "workspace_id", "status", "request_body", "engine"
    )
    for pk, ws, status, body, engine in rows[: size * CLAIM_WINDOW_BATCHES + HOLD_BATCH]:
        if len(chosen) == size and (not refused or len(refused) >= HOLD_BATCH):
            break
        worst = allowance.worst_case(body if isinstance(body, dict) else {}, engine)
        limit = allowance.refusal(ws, worst)
        if limit is None:
            if len(chosen) < size:
                allowance.take(ws, worst)
                chosen[pk] = worst
        elif status == TaskStatus.QUEUED and len(refused) < HOLD_BATCH:
            refused[pk] = budget.held_message(
                limit=limit, allowance=allowance, workspace_id=ws, worst=worst
            )
    return chosen, refused


#: At most this many tasks are moved to "held" per run (each gets its history row).
HOLD_BATCH = 500


def _hold_closed(queued, allowance, report: PostReport) -> None:
    """Hold the queued tasks of workspaces (or a day) with not even a prepayment left."""
    refused = {}
    rows = queued.order_by("created_at", "id").values_list("id", "workspace_id")[:HOLD_BATCH]
    for pk, ws in rows:
        limit = allowance.refusal(ws, TASK_PREPAYMENT_USD) or budget.DAILY
        refused[pk] = budget.held_message(
            limit=limit, allowance=allowance, workspace_id=ws, worst=TASK_PREPAYMENT_USD
        )
    _hold(refused, report)


def _hold(refused: dict[int, str], report: PostReport) -> None:
    """Move queued tasks to held, each with its reason (one write per distinct reason)."""
    by_reason: dict[str, list[int]] = {}
    for pk, message in refused.items():
        by_reason.setdefault(message, []).append(pk)
    for message, ids in by_reason.items():
        report.held += len(
            tasks_transition(
                task_ids=ids, to=TaskStatus.HELD, allowed_from=[TaskStatus.QUEUED], message=message
            )
        )


def batch_post(*, client: AisaClient, tasks: list[Task], call: ApiCall, report: PostReport) -> None:
    """Send one batch and record what became of each task. Never raises for API failures."""
    Task.objects.filter(pk__in=[t.pk for t in tasks]).update(attempts=_plus_one())
    for t in tasks:
        t.attempts += 1
    call.task_count = len(tasks)
    try:
        batch = client.task_post([t.request_body for t in tasks])
    except AisaError as exc:
        call_finish(call, error=exc)
        _batch_failed(tasks, exc, call, report)
        return
    call_finish(call, batch=batch)
    by_tag = {outcome.tag: outcome for outcome in batch.tasks}
    outcomes = [(t, by_tag.get(t.tag) or PostedTask.missing(t.tag)) for t in tasks]
    created = [(t, o) for t, o in outcomes if o.created]
    if created and _created_record(created, call, report):
        outcomes = [(t, o) for t, o in outcomes if not o.created]
    for task, outcome in outcomes:
        try:
            _task_outcome(task, outcome, call, report)
        except DATABASE_TROUBLE:
            raise  # not the task's fault; its claim goes stale and it is reconciled
        except Exception as exc:
            logger.exception("Recording the post of task %s failed", task.pk)
            maybe_created = outcome.created or outcome.outcome is Outcome.UNKNOWN
            _outcome_lost(task, maybe_created, exc, call, report)


def _outcome_lost(
    task: Task, maybe_created: bool, exc: Exception, call: ApiCall, report: PostReport
) -> None:
    """A task whose post outcome could not be recorded leaves ``posting`` all the same.

    If the API created it (or may have), it is ``unknown``: reconciling by its tag records
    it as posted, or (should that fail too) it expires after 72 hours; it is never posted
    twice. If the API did not create it, it is failed: retrying an outcome that cannot be
    recorded would fail the same way each time. Either way the reason is in its history.
    """
    error = error_text(exc)
    if maybe_created:
        to = TaskStatus.UNKNOWN
        message = (
            f"The API created this task (or may have), but recording that failed ({error}); "
            "it will be reconciled by its tag."
        )
    else:
        to = TaskStatus.FAILED
        message = (
            f"The API did not create this task, and recording that failed ({error}); the "
            "task is failed and the error logged."
        )
    task.refresh_from_db()  # a rolled-back write may have changed it in memory only
    if task_transition(
        task=task,
        to=to,
        allowed_from=[TaskStatus.POSTING],
        api_call=call,
        message=message,
        last_error_code=None,
        last_error_message=message,
    ):
        report.unexpected += 1
        if maybe_created:
            report.unknown += 1


def _plus_one():
    return F("attempts") + 1


def call_finish(call: ApiCall, *, batch: PostBatch | None = None, error: AisaError | None = None):
    """Record on the call's ledger row what came back: the batch, or the error."""
    call.finished_at = timezone.now()
    if batch is not None:
        call.http_status = batch.call.http_status
        call.status_code = batch.status_code
        call.outcome = "ok"
        call.cost_reported = batch.cost
        call.gateway_price = batch.call.price_usd
    elif error is not None:
        call.http_status = error.http_status
        call.status_code = error.status_code
        call.outcome = error.outcome.value
        call.gateway_price = error.price_usd
        call.error = str(error)[:2000]
    call.save()


def _created_record(created: list[tuple[Task, PostedTask]], call: ApiCall, report) -> bool:
    """Record every task the API created in one batch at once: its status, provider id,
    prepayment and gateway share, with their history rows, in one ``tasks_transition``
    (a handful of statements per batch instead of about seven per task, each a round trip
    on PostgreSQL). The rows are those ``_task_outcome`` writes one task at a time.

    If anything but the database fails, the transaction is rolled back and False returned:
    the tasks are then recorded one by one, so one bad task fails alone (``isolation``).
    """
    now = timezone.now()
    by_message: dict[str, list[tuple[Task, PostedTask]]] = {}
    for task, outcome in created:
        message = f"{outcome.status_code or ''} {outcome.status_message}".strip()
        by_message.setdefault(message, []).append((task, outcome))
    moved: list[int] = []
    try:
        with transaction.atomic():
            for message, group in by_message.items():  # almost always one message
                moved += tasks_transition(
                    task_ids=[t.pk for t, _ in group],
                    to=TaskStatus.POSTED,
                    allowed_from=[TaskStatus.POSTING],
                    api_call=call,
                    message=message,
                    per_task={t.pk: {"provider_task_id": o.id} for t, o in group},
                    costs=_costs(group, call),
                    posted_at=now,
                    next_attempt_at=now + FIRST_POLL_AFTER,
                    last_error_code=None,
                    last_error_message="",
                )
    except DATABASE_TROUBLE:
        raise
    except Exception:
        logger.exception("Recording a batch's created tasks at once failed; one by one now")
        return False
    report.posted += len(moved)
    return True


def _costs(created: list[tuple[Task, PostedTask]], call: ApiCall) -> dict:
    """The prepayment and the gateway's share of each created task (as ``_task_outcome``)."""
    prepaid = {t.pk: o.cost for t, o in created if o.cost is not None and o.cost != t.cost_prepaid}
    shares = {t.pk: (_gateway_share(call, o.cost), t.gateway_price) for t, o in created}
    return {
        "cost_prepaid": (prepaid, "Prepaid when the task was created."),
        "gateway_price": (
            {pk: new for pk, (new, old) in shares.items() if new is not None and new != old},
            "This task's share of the price the gateway billed for the call.",
        ),
    }


def _task_outcome(task: Task, outcome: PostedTask, call: ApiCall, report: PostReport) -> None:
    message = f"{outcome.status_code or ''} {outcome.status_message}".strip()
    if outcome.created:
        # One transaction: a worker killed between the two writes left a posted task without
        # its prepayment in the cost ledger (found by tests/pipeline/test_crash.py).
        with transaction.atomic():
            task_transition(
                task=task,
                to=TaskStatus.POSTED,
                allowed_from=[TaskStatus.POSTING],
                api_call=call,
                message=message,
                provider_task_id=outcome.id,
                posted_at=timezone.now(),
                next_attempt_at=timezone.now() + FIRST_POLL_AFTER,
                last_error_code=None,
                last_error_message="",
            )
            task_cost_record(
                task=task,
                field="cost_prepaid",
                amount=outcome.cost,
                api_call=call,
                message="Prepaid when the task was created.",
            )
            task_cost_record(
                task=task,
                field="gateway_price",
                amount=_gateway_share(call, outcome.cost),
                api_call=call,
                message="This task's share of the price the gateway billed for the call.",
            )
        report.posted += 1
    else:
        # A task-level "not found" concerns that task only; at envelope level it means a
        # wrong path (configuration), which halts posting.
        kind = Outcome.PERMANENT if outcome.outcome is Outcome.NOT_FOUND else outcome.outcome
        claim_failed(task, kind, outcome.status_code, message, call, report)


def _gateway_share(call: ApiCall, task_cost: Decimal | None) -> Decimal | None:
    """The gateway's price header is per call: each task's share is in proportion to its cost."""
    if call.gateway_price is None or not call.cost_reported or task_cost is None:
        return None
    return usd(call.gateway_price * task_cost / call.cost_reported)


def _batch_failed(tasks: list[Task], exc: AisaError, call: ApiCall, report: PostReport) -> None:
    for task in tasks:
        try:
            claim_failed(
                task, exc.outcome, exc.status_code, str(exc), call, report, exc.retry_after
            )
        except DATABASE_TROUBLE:
            raise
        except Exception as error:
            logger.exception("Recording the failed post of task %s failed", task.pk)
            # Whether the call created anything is what ``exc`` says (unknown: maybe).
            _outcome_lost(task, exc.outcome is Outcome.UNKNOWN, error, call, report)
    report.errors.append(str(exc))


def claim_failed(task, outcome: Outcome, code, message, call, report, retry_after=None) -> None:
    """Where a claimed task goes when its call did not create it (or may have): posting's
    rules, which live calls share for every outcome but ``unknown``."""
    leave = partial(_leave_posting, task, call=call, code=code, message=message)
    if outcome is Outcome.UNKNOWN:
        leave(
            TaskStatus.UNKNOWN,
            code=None,
            note="Outcome unknown; will be reconciled by its tag before any new post.",
        )
        report.unknown += 1
    elif outcome in (Outcome.RETRYABLE, Outcome.RATE_LIMITED):
        _retry_later(task, leave, report, retry_after)
    elif outcome in (Outcome.AUTH, Outcome.PAYMENT, Outcome.NOT_FOUND):
        # Nothing was created; stop everything until an admin fixes the account or config.
        leave(TaskStatus.QUEUED, note="Posting stopped until an admin acts.")
        if not pipeline_halt_get():
            PipelineHalt.objects.create(reason=message, error_code=code)
        report.halted = True
    else:
        leave(TaskStatus.REJECTED, note="The API rejected this task:")
        report.rejected += 1


def _retry_later(task, leave, report, retry_after=None) -> None:
    if task.attempts >= MAX_ATTEMPTS:
        leave(TaskStatus.FAILED, note=f"Gave up after {task.attempts} attempts.")
        return
    when = timezone.now() + backoff(task.attempts, retry_after)
    leave(TaskStatus.QUEUED, note=f"Will retry at {when:%H:%M:%S} UTC.", next_attempt_at=when)
    report.retry += 1


def _leave_posting(task, to, *, call, code, message, note, **fields) -> None:
    """Move a task out of ``posting`` with the error, recorded on the task and in its history."""
    task_transition(
        task=task,
        to=to,
        allowed_from=[TaskStatus.POSTING],
        api_call=call,
        message=f"{note} {message}".strip(),
        error_code=code,
        last_error_code=code,
        last_error_message=clean_text(message),
        **fields,
    )
