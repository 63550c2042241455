"""One bad task never stops a loop over tasks.

Every loop of the pipeline over tasks (collecting, posting's per-task outcomes,
reconciling, the webhooks) catches an unexpected error per task: it is logged with the
task's id and traceback, the task is failed (or left for a bounded retry) with a readable
reason in its history, and the loop goes on with the next task. Before this, one answer
holding a lone surrogate raised while it was stored, the task stayed first in line, and
the collect job and the minute tick failed every minute without collecting anything else.

Not caught per task:

- the API's stop errors (credentials, payment) and the rate limit: ``AisaError``s, handled
  by each loop as before (they stop it);
- database trouble (``OperationalError``: locked, busy, gone; ``InterfaceError``): it is
  not the task's fault and every other task would meet it too, so it propagates and the
  run is tried again (the job's retry, or the next tick).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import InterfaceError, OperationalError

from monitoring.aisa.text import excerpt
from monitoring.models import Task, TaskEvent
from monitoring.services.history import task_note

logger = logging.getLogger(__name__)

#: Errors that are the database's, not the task's: they propagate.
DATABASE_TROUBLE = (OperationalError, InterfaceError)
#: An error is quoted in a task's history up to this many characters, never a payload.
ERROR_CHARS = 300


def error_text(exc: BaseException) -> str:
    """The error's type and a short, storable excerpt of its message, without the API key."""
    text = f"{type(exc).__name__}: {excerpt(exc, ERROR_CHARS)}"
    key = getattr(settings, "AISA_API_KEY", "")
    for secret in {key, *key.split(":", 1)} if key else ():
        if len(secret) >= 6:
            text = text.replace(secret, "[redacted]")
    return text


def task_note_once(*, task: Task, message: str) -> bool:
    """A note in the task's history, unless its last row already says just that (a
    retried failure notes its reason once, not every minute)."""
    last = TaskEvent.objects.filter(task_id=task.pk).order_by("-at", "-id").first()
    if last is not None and last.kind == TaskEvent.Kind.NOTE and last.message == message:
        return False
    task_note(task=task, message=message)
    return True
