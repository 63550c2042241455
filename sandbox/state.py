"""The sandbox's memory: tasks and their lifecycle, and a record of what it received."""

from __future__ import annotations

import bisect
import heapq
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from monitoring.aisa.contract import TASK_PREPAYMENT_USD, dt_string


@dataclass
class Task:
    id: str
    family: str
    params: dict[str, Any]  # the posted fields, nulls dropped
    data: dict[str, Any]  # what tasks[].data echoes
    result: dict[str, Any]  # generated at post time; its datetime is set on completion
    posted_at: datetime
    due: float  # time.monotonic() at which the task completes
    cost: Decimal = TASK_PREPAYMENT_USD
    done_at: datetime | None = None
    collected: bool = False  # task_get returned its result
    notified: bool = False  # its webhooks were fired

    @property
    def done(self) -> bool:
        return self.done_at is not None

    @property
    def tag(self) -> str:
        return self.params.get("tag") or ""

    @property
    def webhooks(self) -> bool:
        return bool(self.params.get("postback_url") or self.params.get("pingback_url"))


class TaskStore:
    """Thread-safe task store; tasks complete lazily when their due time has passed.

    Every operation is proportional to what it returns, not to the number of stored tasks:
    pending tasks wait in a heap by due time, completed uncollected tasks in a per-family
    index, tasks with webhooks in a queue, and tasks are kept in posting order for id_list.
    """

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tasks: dict[str, Task] = {}
        #: Tags of created tasks (task_post and successful live calls); no tag counts as "".
        self.accepted: Counter[str] = Counter()
        #: (endpoint, number of tasks in the body) of every API request received.
        self.calls: list[tuple[str, int]] = []
        #: (time.monotonic() on arrival, endpoint) of every API request: the request log.
        self.request_log: list[tuple[float, str]] = []
        #: Every webhook the sandbox tried to deliver.
        self.webhook_log: list[dict[str, Any]] = []
        self._samples: Counter[str] = Counter()
        self._serial = 0
        self._pending: list[tuple[float, int, Task]] = []  # heap of (due, order, task)
        self._ready: dict[str, dict[str, tuple[int, Task]]] = {}  # family -> id -> (order, task)
        self._webhooks_due: list[Task] = []
        self._posted: list[Task] = []  # by posted second (see _posted_keys), then posting order
        self._posted_keys: list[datetime] = []
        self._order = 0
        #: Bumped by reset() so late webhook reports of a previous test are dropped.
        self.generation = 0

    def reset(self) -> None:
        with self.lock:
            self.tasks.clear()
            self.accepted.clear()
            self.calls.clear()
            self.request_log.clear()
            self.webhook_log.clear()
            self._samples.clear()
            self._serial = 0
            self._pending.clear()
            self._ready.clear()
            self._webhooks_due.clear()
            self._posted.clear()
            self._posted_keys.clear()
            self.generation += 1

    def record_call(self, endpoint: str, n_tasks: int) -> None:
        arrived = time.monotonic()
        with self.lock:
            self.calls.append((endpoint, n_tasks))
            self.request_log.append((arrived, endpoint))

    def next_sample(self, prompt: str) -> int:
        """How many times this prompt was answered before: real answers vary per sample."""
        with self.lock:
            self._samples[prompt] += 1
            return self._samples[prompt]

    def new_id(self) -> str:
        """A UUID-like id shaped like DataForSEO's: ``07241735-1535-0613-0000-0722e701b5ff``."""
        with self.lock:
            self._serial += 1
            serial = self._serial
        now = datetime.now(UTC)
        return (
            f"{now:%m%d%H%M}-{now:%S}{now.microsecond // 10000:02d}-{serial % 10000:04d}"
            f"-0000-{uuid.uuid4().hex[:12]}"
        )

    def add(self, task: Task) -> None:
        key = task.posted_at.replace(microsecond=0)
        with self.lock:
            self._order += 1
            self.tasks[task.id] = task
            self.accepted[task.tag] += 1
            if self._posted_keys and key < self._posted_keys[-1]:  # a racing thread was first
                i = bisect.bisect_right(self._posted_keys, key)
                self._posted_keys.insert(i, key)
                self._posted.insert(i, task)
            else:
                self._posted_keys.append(key)
                self._posted.append(task)
            if task.done:
                self._ready.setdefault(task.family, {})[task.id] = (self._order, task)
            else:
                heapq.heappush(self._pending, (task.due, self._order, task))
        self.refresh()

    def record_live(self, tag: str) -> None:
        with self.lock:
            self.accepted[tag] += 1

    def refresh(self) -> None:
        """Complete every task whose due time has passed."""
        now = time.monotonic()
        with self.lock:
            while self._pending and self._pending[0][0] <= now:
                _, order, task = heapq.heappop(self._pending)
                self._complete(order, task)

    def _complete(self, order: int, task: Task) -> None:
        if task.done_at is None:
            task.done_at = datetime.now(UTC)
            task.result["datetime"] = dt_string(task.done_at)
        if not task.collected:
            self._ready.setdefault(task.family, {})[task.id] = (order, task)
        if task.webhooks and not task.notified:
            self._webhooks_due.append(task)

    def complete_all(self) -> None:
        with self.lock:
            pending, self._pending = self._pending, []
            for _, order, task in sorted(pending):
                task.due = min(task.due, 0.0)
                self._complete(order, task)

    def get(self, task_id: str) -> Task | None:
        self.refresh()
        with self.lock:
            return self.tasks.get(task_id)

    def collect(self, task: Task) -> None:
        """task_get returned the task's result: it leaves tasks_ready."""
        with self.lock:
            task.collected = True
            self._ready.get(task.family, {}).pop(task.id, None)

    @property
    def pending(self) -> int:
        with self.lock:
            return len(self._pending)

    def ready(self, family: str, limit: int) -> list[Task]:
        """Completed, not yet collected tasks of a family, oldest (first posted) first."""
        self.refresh()
        with self.lock:
            entries = self._ready.get(family, {}).values()
            fresh = (entry for entry in entries if not entry[1].collected)
            oldest = heapq.nsmallest(limit, fresh, key=lambda entry: entry[0])
        return [task for _, task in oldest]

    def posted_between(self, start: datetime, end: datetime) -> list[Task]:
        """Tasks posted within [start, end] (to the second), in posting order."""
        self.refresh()
        with self.lock:
            low = bisect.bisect_left(self._posted_keys, start)
            high = bisect.bisect_right(self._posted_keys, end)
            return self._posted[low:high]

    def take_due_webhooks(self) -> list[Task]:
        """Completed tasks with webhooks not fired yet; they are marked as fired."""
        self.refresh()
        with self.lock:
            due, self._webhooks_due = self._webhooks_due, []
            due = [t for t in due if not t.notified]
            for task in due:
                task.notified = True
        return due

    def received(self) -> dict[str, Any]:
        """The record as JSON-ready data (``GET /_sandbox/received``)."""
        with self.lock:
            return {
                "accepted_tags": dict(self.accepted),
                "calls": [list(c) for c in self.calls],
                "tasks": len(self.tasks),
                "pending": len(self._pending),
                "webhooks": list(self.webhook_log),
            }
