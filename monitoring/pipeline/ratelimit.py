"""One limit for every API call, shared by all workers on all hosts through the database.

The ledger is the counter: each call sent is an ``ApiCall`` row whose ``started_at`` is its
send time, read from the database's clock (so hosts agree) while holding the lock on one
``RateWindow`` row (SELECT … FOR UPDATE on PostgreSQL; SQLite's IMMEDIATE transactions
serialize writers anyway). A call is let through only if fewer than the limit were sent in
the window before it, so no window of that length ever holds more than the limit:

- every call, whatever its endpoint: ``AISA_CALLS_PER_MINUTE`` per window
  (``AISA_RATE_WINDOW_SECONDS``, 60; tests shorten it);
- on top of that, per endpoint: ``contract.ENDPOINT_CALLS_PER_MINUTE`` (tasks_ready 20,
  id_list 10) per window;
- polling (task_get) may not take the last tenth of the window (``POLL_RESERVE``), so a long
  queue of polls cannot starve task_post.

The window counted is a little longer than the configured one (``span``): the API sees a
request a moment after we stamp it, and that moment varies.

The client calls ``CallLimiter`` (its ``before_call`` hook) right before it sends a request.
Posting reserves its slot earlier, before it claims tasks, so it never claims what it cannot
send; that row is the one the tasks' history links to. ``call_slot_use`` hands the reserved
row to the limiter, which re-stamps it with the send time instead of adding a row: the slot
counts from when the call is sent.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import Now
from django.utils import timezone

from monitoring.aisa import contract
from monitoring.aisa.contract import Endpoint, Outcome
from monitoring.aisa.errors import AisaError
from monitoring.models import ApiCall, RateWindow

logger = logging.getLogger(__name__)

#: The lock every call takes: one limit across all endpoints.
CALLS_LOCK = "calls"
#: Longest the limiter waits for a free slot before it refuses the call (RATE_LIMITED).
MAX_WAIT = 5.0
#: Shortest wait it suggests when the window is full.
MIN_WAIT = 0.05
#: Share of every window that polling leaves to the other calls (task_post first).
POLL_RESERVE = 0.1

#: The slot posting reserved for its next call (see ``call_slot_use``).
_reserved: ContextVar[ApiCall | None] = ContextVar("reserved_api_call", default=None)


def lock(name: str) -> None:
    """Take the named lock until the surrounding transaction ends."""
    locked = RateWindow.objects.select_for_update().filter(name=name).values_list("pk")
    if not locked:  # the first use ever: create the row, then lock it
        RateWindow.objects.get_or_create(name=name)
        RateWindow.objects.select_for_update().get(name=name)


def window() -> timedelta:
    """The configured window: a minute, unless a test shortens it."""
    return timedelta(seconds=settings.AISA_RATE_WINDOW_SECONDS)


def span() -> timedelta:
    """The window counted: the configured one plus a tenth of it (at most a second), for
    the time a request takes to reach the API after it was stamped."""
    length = window()
    return length + min(length / 10, timedelta(seconds=1))


def limits(endpoint: Endpoint | str) -> list[tuple[str | None, int]]:
    """The limits a call to ``endpoint`` must fit: (endpoint, None for all; calls per window)."""
    total = settings.AISA_CALLS_PER_MINUTE
    if endpoint == Endpoint.TASK_GET:
        total -= int(total * POLL_RESERVE)
    caps: list[tuple[str | None, int]] = [(None, total)]
    own = contract.ENDPOINT_CALLS_PER_MINUTE.get(Endpoint(endpoint))
    if own is not None:
        caps.append((str(endpoint), own))
    return caps


def _recent(now: datetime, exclude: ApiCall | None = None):
    calls = ApiCall.objects.filter(started_at__gt=now - span())
    return calls if exclude is None else calls.exclude(pk=exclude.pk)


def _wait(endpoint: Endpoint | str, now: datetime, exclude: ApiCall | None) -> tuple[float, str]:
    """(0, "") when a call to ``endpoint`` fits now, else (seconds until it does, which limit)."""
    recent = _recent(now, exclude)
    caps = limits(endpoint)
    used = _counts(recent, caps)
    wait, which = 0.0, ""
    for (name, allowed), used_here in zip(caps, used, strict=True):
        if used_here < allowed:
            continue
        calls = recent if name is None else recent.filter(endpoint=name)
        per = f"per {window().total_seconds():g} s"
        what = f"{allowed} {name} calls {per}, the API's own limit" if name else ""
        what = what or f"{allowed} calls {per} (AISA_CALLS_PER_MINUTE)"
        if allowed <= 0:
            return window().total_seconds(), what
        # It fits once all but allowed - 1 of these calls have left the window.
        frees_at = calls.order_by("started_at").values_list("started_at", flat=True)[
            used_here - allowed
        ]
        seconds = (frees_at + span() - now).total_seconds()
        if seconds >= wait:
            wait, which = seconds, what
    return wait, which


def _counts(recent, caps: list[tuple[str | None, int]]) -> list[int]:
    """How many of ``recent`` count against each limit (one query)."""
    counts = recent.aggregate(
        **{
            f"c{i}": Count("pk") if name is None else Count("pk", filter=Q(endpoint=name))
            for i, (name, _) in enumerate(caps)
        }
    )
    return [counts[f"c{i}"] for i in range(len(caps))]


def _db_now() -> datetime:
    """The database's clock: every host stamps its calls on the same one."""
    return (
        RateWindow.objects.filter(name=CALLS_LOCK)
        .annotate(now=Now())
        .values_list("now", flat=True)
        .get()
    )


def _take(endpoint: Endpoint | str, call: ApiCall | None) -> tuple[ApiCall | None, float, str]:
    with transaction.atomic():
        lock(CALLS_LOCK)
        now = _db_now()
        wait, which = _wait(endpoint, now, exclude=call)
        if wait > 0:
            return None, max(MIN_WAIT, wait), which
        if call is None:
            return ApiCall.objects.create(endpoint=str(endpoint), started_at=now), 0.0, ""
        ApiCall.objects.filter(pk=call.pk).update(started_at=now)
        call.started_at = now
        return call, 0.0, ""


def call_slot_take(
    *, endpoint: Endpoint | str, call: ApiCall | None = None
) -> tuple[ApiCall | None, float]:
    """Count one call to ``endpoint`` as sent now: its ``ApiCall`` row, stamped now (``call``,
    a reserved row moved to now, or a new row), or None and the seconds to wait."""
    taken, wait, _ = _take(endpoint, call)
    return taken, wait


def call_slot_reserve(*, endpoint: Endpoint | str = Endpoint.TASK_POST):
    """Reserve a slot before preparing a call (posting, before it claims): the ``ApiCall``
    row, counted from now and, once ``call_slot_use`` hands it over, from its send time;
    or None and the seconds to wait."""
    return call_slot_take(endpoint=endpoint)


def call_slot_release(*, call: ApiCall) -> None:
    """Give back a slot that was not used (nothing was sent)."""
    ApiCall.objects.filter(pk=call.pk, http_status__isnull=True, outcome="").delete()


@contextmanager
def call_slot_use(call: ApiCall) -> Iterator[None]:
    """Within this block, the next call to ``call.endpoint`` is sent on this reserved slot."""
    token = _reserved.set(call)
    try:
        yield
    finally:
        _reserved.reset(token)


def calls_left(*, endpoint: Endpoint | str) -> int:
    """How many calls to ``endpoint`` fit in the window now (an estimate to plan a pass by;
    the limiter decides at send time)."""
    caps = limits(endpoint)
    used = _counts(_recent(timezone.now()), caps)
    return max(0, min(allowed - n for (_, allowed), n in zip(caps, used, strict=True)))


class CallLimiter:
    """The client's ``before_call`` hook: each call is counted when it is sent.

    Waits up to ``max_wait`` seconds for a free slot, else refuses the call with an
    ``AisaError`` (outcome RATE_LIMITED, ``retry_after``): then nothing is sent.
    """

    def __init__(self, *, max_wait: float = MAX_WAIT) -> None:
        self.max_wait = max_wait
        #: The ledger row of the last call let through: what the cost rows it causes link to.
        self.last_call: ApiCall | None = None

    def __call__(self, endpoint: Endpoint) -> None:
        reserved = _reserved.get()
        if reserved is not None and reserved.endpoint == endpoint:
            _reserved.set(None)  # one reserved slot, one call
        else:
            reserved = None
        deadline = time.monotonic() + self.max_wait
        while True:
            call, wait, which = _take(endpoint, reserved)
            if call is not None:
                self.last_call = call
                return
            if time.monotonic() + wait > deadline:
                raise AisaError(
                    f"AIsa {endpoint} not sent: the limit of {which} is used up; "
                    f"retry after {wait:.1f} s.",
                    outcome=Outcome.RATE_LIMITED,
                    retry_after=wait,
                    endpoint=str(endpoint),
                )
            logger.debug("AIsa %s waits %.2f s for a slot (%s)", endpoint, wait, which)
            time.sleep(wait)


def last_call_of(client) -> ApiCall | None:
    """The ledger row of the client's last call, when its limiter is this module's."""
    limiter = getattr(client, "before_call", None)
    return limiter.last_call if isinstance(limiter, CallLimiter) else None
