"""Posting queued tasks: claim atomically, post ≤100 per call, record every outcome.

The rules that keep money safe:
- a task is claimed by one conditional UPDATE (queued/held → posting) with a claim token,
  so two workers never post the same task;
- the budget is checked and the claim made under one lock, so concurrent workers cannot
  together spend past a cap;
- a call whose outcome is unknown (timeout, dropped connection) marks its tasks ``unknown``;
  they are reconciled by tag before anything is posted again (see ``reconcile``).
"""

from __future__ import annotations

import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from monitoring.aisa.client import AisaClient
from monitoring.aisa.contract import MAX_TASKS_PER_POST, Outcome
from monitoring.aisa.errors import AisaError
from monitoring.aisa.results import PostBatch, PostedTask
from monitoring.models import ApiCall, PipelineHalt, Task, TaskStatus
from monitoring.models.tasks import POSTABLE_STATUSES
from monitoring.pipeline import ratelimit
from monitoring.selectors import budget
from monitoring.selectors.tasks import pipeline_halt_get
from monitoring.services.history import task_cost_record, task_transition, tasks_transition

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


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Exponential backoff with jitter; never shorter than the server's Retry-After."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * (2 ** max(0, attempts - 1)))
    delay = delay * random.uniform(0.5, 1.0)
    if retry_after:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


def tasks_post(*, client: AisaClient, max_calls: int = 20, batch_size: int = MAX_TASKS_PER_POST):
    """Post due queued tasks until none is left, the rate limit says wait, or a stop error."""
    report = PostReport()
    for _ in range(max_calls):
        if pipeline_halt_get():
            report.halted = True
            break
        call = _reserve_slot()
        if call is None:
            break
        tasks = batch_claim(size=batch_size, report=report)
        if not tasks:
            ratelimit.call_slot_release(call=call)
            break
        report.calls += 1
        batch_post(client=client, tasks=tasks, call=call, report=report)
    return report


def _reserve_slot() -> ApiCall | None:
    deadline = time.monotonic() + MAX_SLOT_WAIT
    while True:
        call, wait = ratelimit.call_slot_reserve()
        if call is not None:
            return call
        if time.monotonic() + wait > deadline:
            return None
        time.sleep(wait)


def _due(now: datetime):
    return Task.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        status__in=POSTABLE_STATUSES,
    )


def batch_claim(*, size: int, report: PostReport | None = None) -> list[Task]:
    """Claim up to ``size`` due tasks within the budgets; hold the ones beyond them."""
    report = report or PostReport()
    token = secrets.token_hex(8)
    with transaction.atomic():
        ratelimit.lock("claim")  # budget check + claim are one step for all workers
        now = timezone.now()
        due = _due(now)
        workspace_ids = sorted(set(due.values_list("workspace_id", flat=True).distinct()))
        if not workspace_ids:
            return []
        global_left, per_workspace = budget.allowance_get(now=now, workspace_ids=workspace_ids)
        open_ids = [ws for ws in workspace_ids if per_workspace[ws] != 0]
        if global_left == 0:
            open_ids = []
        _hold(
            due.filter(status=TaskStatus.QUEUED).exclude(workspace_id__in=open_ids),
            per_workspace,
            report,
        )
        chosen = _choose(due.filter(workspace_id__in=open_ids), size, global_left, per_workspace)
        if not chosen:
            return []
        tasks_transition(
            task_ids=chosen,
            to=TaskStatus.POSTING,
            message="Claimed for posting.",
            claim_token=token,
            claimed_at=now,
        )
        tasks = list(
            Task.objects.filter(claim_token=token, status=TaskStatus.POSTING).order_by(
                "created_at", "id"
            )
        )
    return tasks


def _choose(due, size: int, global_left, per_workspace) -> list[int]:
    """The oldest due tasks that fit the daily cap and their workspace's monthly budget."""
    chosen: list[int] = []
    for pk, ws in due.order_by("created_at", "id").values_list("id", "workspace_id")[: size * 5]:
        if len(chosen) == size or global_left == 0:
            break
        if per_workspace[ws] == 0:
            continue
        chosen.append(pk)
        global_left = None if global_left is None else global_left - 1
        per_workspace[ws] = None if per_workspace[ws] is None else per_workspace[ws] - 1
    return chosen


#: At most this many tasks are moved to "held" per run (each gets its history row).
HOLD_BATCH = 500


def _hold(queued, per_workspace, report: PostReport) -> None:
    """Hold what the budgets do not allow now, each with the reason (one write per reason)."""
    by_reason: dict[bool, list[int]] = {True: [], False: []}
    rows = queued.order_by("created_at", "id").values_list("id", "workspace_id")[:HOLD_BATCH]
    for pk, workspace_id in rows:
        by_reason[per_workspace.get(workspace_id) == 0].append(pk)
    for workspace_limited, ids in by_reason.items():
        report.held += len(
            tasks_transition(
                task_ids=ids,
                to=TaskStatus.HELD,
                allowed_from=[TaskStatus.QUEUED],
                message=budget.held_message(workspace_limited=workspace_limited),
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
        _call_finish(call, error=exc)
        _batch_failed(tasks, exc, call, report)
        return
    _call_finish(call, batch=batch)
    by_tag = {outcome.tag: outcome for outcome in batch.tasks}
    for task in tasks:
        outcome = by_tag.get(task.tag) or PostedTask.missing(task.tag)
        _task_outcome(task, outcome, call, report)


def _plus_one():
    return F("attempts") + 1


def _call_finish(call: ApiCall, *, batch: PostBatch | None = None, error: AisaError | None = None):
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
        report.posted += 1
    else:
        # A task-level "not found" concerns that task only; at envelope level it means a
        # wrong path (configuration), which halts posting.
        kind = Outcome.PERMANENT if outcome.outcome is Outcome.NOT_FOUND else outcome.outcome
        _failed(task, kind, outcome.status_code, message, call, report)


def _batch_failed(tasks: list[Task], exc: AisaError, call: ApiCall, report: PostReport) -> None:
    for task in tasks:
        _failed(task, exc.outcome, exc.status_code, str(exc), call, report, exc.retry_after)
    report.errors.append(str(exc))


def _failed(task, outcome: Outcome, code, message, call, report, retry_after=None) -> None:
    """Where a task goes when its post did not create it (or may have)."""
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
        last_error_message=message,
        **fields,
    )
