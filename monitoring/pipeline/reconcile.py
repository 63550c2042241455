"""Reconciling tasks whose post outcome is unknown, by their tag, before any re-post.

A task becomes ``unknown`` when a post timed out or the connection dropped after sending,
when a response did not mention it, or when a worker died mid-post (its claim goes stale).
Only ``id_list`` can say for sure: found → posted (with its provider id); confirmed absent
(the listing succeeded, covers the post time, and the grace period has passed) → queued
again. Anything less leaves the task unknown: never twice.

A task whose reconciliation fails unexpectedly (``isolation``) stays unknown, with the
reason noted once in its history: it is tried again each minute (the one id_list call
serves every unknown task, so a retry costs no call) until it is reconciled or it expires
after 72 hours like every unknown task. Failing it instead is not an option the state table
gives an unknown task, and not a safe one: it may exist, billed, at the provider.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from monitoring.aisa.client import AisaClient
from monitoring.aisa.contract import LIVE_CALL_MAX_SECONDS, Outcome
from monitoring.aisa.errors import AisaError
from monitoring.models import Task, TaskMode, TaskStatus
from monitoring.pipeline.isolation import DATABASE_TROUBLE, error_text, task_note_once
from monitoring.pipeline.posting import FIRST_POLL_AFTER
from monitoring.services.history import task_cost_record, task_transition, tasks_transition

logger = logging.getLogger(__name__)

#: A task must have been unknown this long before "not listed" counts as absent: a request
#: we gave up on may still be in flight at the gateway, or the provider may take a moment to
#: list a task it just accepted. Waiting longer only delays a re-post; too short bills twice.
ABSENCE_GRACE = timedelta(minutes=10)
#: id_list is fetched from this long before the oldest unknown post.
WINDOW_MARGIN = timedelta(minutes=10)
MAX_PAGES = 20
PAGE = 1000


@dataclass
class ReconcileReport:
    stale: int = 0
    found: int = 0
    absent: int = 0
    waiting: int = 0
    error: str = ""
    #: Tasks whose reconciliation failed unexpectedly (logged; they stay unknown).
    unexpected: int = 0


def claim_timeout() -> timedelta:
    """How long a claim may stay in ``posting`` before the worker is presumed dead."""
    return timedelta(seconds=settings.AISA_CONNECT_TIMEOUT + settings.AISA_READ_TIMEOUT + 30)


def live_claim_timeout() -> timedelta:
    """How long a live call's claim may stay in ``posting``: a live answer may take
    ``LIVE_CALL_MAX_SECONDS``, so the post's shorter timeout would cut live calls short."""
    return timedelta(seconds=settings.AISA_CONNECT_TIMEOUT + LIVE_CALL_MAX_SECONDS + 30)


def stale_claims_mark_unknown(*, now=None) -> int:
    now = now or timezone.now()
    posting = Task.objects.filter(status=TaskStatus.POSTING)
    stale = posting.filter(mode=TaskMode.STANDARD, claimed_at__lt=now - claim_timeout())
    moved = tasks_transition(
        task_ids=stale.values_list("id", flat=True),
        to=TaskStatus.UNKNOWN,
        allowed_from=[TaskStatus.POSTING],
        message="The posting worker stopped mid-post; outcome unknown until reconciled.",
    )
    stale_live = posting.filter(mode=TaskMode.LIVE, claimed_at__lt=now - live_claim_timeout())
    moved += tasks_transition(
        task_ids=stale_live.values_list("id", flat=True),
        to=TaskStatus.UNKNOWN,
        allowed_from=[TaskStatus.POSTING],
        message=(
            "The worker stopped during this live call; its outcome is unknown and it is "
            "not asked again automatically (an admin may retry it)."
        ),
    )
    return len(moved)


def tasks_reconcile(*, client: AisaClient, now=None) -> ReconcileReport:
    now = now or timezone.now()
    report = ReconcileReport(stale=stale_claims_mark_unknown(now=now))
    # Only Standard tasks: id_list lists posted tasks, and a live call of unknown outcome
    # must never be "confirmed absent" and asked again (it may have been answered, billed).
    unknown = Task.objects.filter(status=TaskStatus.UNKNOWN, mode=TaskMode.STANDARD)
    oldest = unknown.aggregate(oldest=Min("claimed_at"))["oldest"]
    if not unknown.exists():
        return report
    try:
        listed = _listed_by_tag(client, since=(oldest or now) - WINDOW_MARGIN, until=now)
    except AisaError as exc:
        report.error = str(exc)
        return report
    for task in unknown:
        try:
            _reconcile_one(task, listed.get(task.tag), now, report)
        except DATABASE_TROUBLE:
            raise
        except Exception as exc:
            logger.exception("Reconciling task %s failed", task.pk)
            _reconcile_failed(task, exc, report)
    return report


def _reconcile_failed(task: Task, exc: Exception, report: ReconcileReport) -> None:
    """Note why the task stays unknown, once per distinct reason (not every minute)."""
    report.unexpected += 1
    message = (
        f"Reconciling failed ({error_text(exc)}); the task stays unknown and is tried "
        "again each minute until it is reconciled or expires."
    )
    task.refresh_from_db()  # a rolled-back write may have changed it in memory only
    task_note_once(task=task, message=message)


def _listed_by_tag(client: AisaClient, *, since, until) -> dict:
    listed: dict = {}
    for page in range(MAX_PAGES):
        items = client.id_list(
            datetime_from=since,
            datetime_to=until + timedelta(minutes=1),
            limit=PAGE,
            offset=page * PAGE,
            include_metadata=True,
        )
        for item in items:
            if item.tag:
                listed.setdefault(item.tag, item)
        if len(items) < PAGE:
            return listed
    raise AisaError(
        "id_list returned more pages than expected; not treating any task as absent.",
        outcome=Outcome.UNKNOWN,
    )


def _reconcile_one(task: Task, item, now, report: ReconcileReport) -> None:
    if item is not None:
        with transaction.atomic():  # status and prepayment together, as when posting
            task_transition(
                task=task,
                to=TaskStatus.POSTED,
                allowed_from=[TaskStatus.UNKNOWN],
                message=f"Reconciled: id_list shows the API created this task ({item.id}).",
                provider_task_id=item.id,
                posted_at=item.datetime_posted or now,
                next_attempt_at=now + FIRST_POLL_AFTER,
            )
            task_cost_record(
                task=task,
                field="cost_prepaid",
                amount=item.cost or None,
                message="Prepayment as id_list reports it.",
            )
        report.found += 1
    elif task.claimed_at and task.claimed_at < now - ABSENCE_GRACE:
        task_transition(
            task=task,
            to=TaskStatus.QUEUED,
            allowed_from=[TaskStatus.UNKNOWN],
            message="Confirmed absent by id_list: the API never created it; safe to post again.",
            next_attempt_at=None,
        )
        report.absent += 1
    else:
        report.waiting += 1
