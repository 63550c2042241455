"""The sandbox's memory: tasks and their lifecycle, and a record of what it received."""

from __future__ import annotations

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
    """Thread-safe task store; tasks complete lazily when their due time has passed."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.tasks: dict[str, Task] = {}
        #: Tags of created tasks (task_post and successful live calls); no tag counts as "".
        self.accepted: Counter[str] = Counter()
        #: (endpoint, number of tasks in the body) of every API request received.
        self.calls: list[tuple[str, int]] = []
        #: Every webhook the sandbox tried to deliver.
        self.webhook_log: list[dict[str, Any]] = []
        self._samples: Counter[str] = Counter()
        self._serial = 0
        #: Bumped by reset() so late webhook reports of a previous test are dropped.
        self.generation = 0

    def reset(self) -> None:
        with self.lock:
            self.tasks.clear()
            self.accepted.clear()
            self.calls.clear()
            self.webhook_log.clear()
            self._samples.clear()
            self._serial = 0
            self.generation += 1

    def record_call(self, endpoint: str, n_tasks: int) -> None:
        with self.lock:
            self.calls.append((endpoint, n_tasks))

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
        with self.lock:
            self.tasks[task.id] = task
            self.accepted[task.tag] += 1
        self.refresh()

    def record_live(self, tag: str) -> None:
        with self.lock:
            self.accepted[tag] += 1

    def refresh(self) -> None:
        """Complete every task whose due time has passed."""
        now = time.monotonic()
        with self.lock:
            for task in self.tasks.values():
                if task.done_at is None and now >= task.due:
                    task.done_at = datetime.now(UTC)
                    task.result["datetime"] = dt_string(task.done_at)

    def complete_all(self) -> None:
        with self.lock:
            for task in self.tasks.values():
                task.due = min(task.due, 0.0)
            self.refresh()

    def get(self, task_id: str) -> Task | None:
        self.refresh()
        with self.lock:
            return self.tasks.get(task_id)

    def ready(self, family: str, limit: int) -> list[Task]:
        """Completed, not yet collected tasks of a family, oldest first."""
        self.refresh()
        with self.lock:
            found = [
                t for t in self.tasks.values() if t.family == family and t.done and not t.collected
            ]
        return found[:limit]

    def posted_between(self, start: datetime, end: datetime) -> list[Task]:
        self.refresh()
        with self.lock:
            return [
                t for t in self.tasks.values() if start <= t.posted_at.replace(microsecond=0) <= end
            ]

    def take_due_webhooks(self) -> list[Task]:
        """Completed tasks with webhooks not fired yet; they are marked as fired."""
        self.refresh()
        with self.lock:
            due = [t for t in self.tasks.values() if t.done and t.webhooks and not t.notified]
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
                "pending": sum(1 for t in self.tasks.values() if not t.done),
                "webhooks": list(self.webhook_log),
            }
