"""Postbacks (gzip JSON POST of the result) and pingbacks (GET) fired on task completion."""

from __future__ import annotations

import gzip
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from .state import Task

#: The real provider gives up after 10 s without an answer.
WEBHOOK_TIMEOUT = 10.0


def substitute(url: str, task: Task) -> str:
    """``$id`` and ``$tag`` (URL-encoded) filled in, as the provider does."""
    return url.replace("$id", task.id).replace("$tag", quote(task.tag, safe=""))


def _send(request: urllib.request.Request, timeout: float) -> dict[str, Any]:
    attempt: dict[str, Any] = {"method": request.get_method(), "url": request.full_url}
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            attempt["status"] = response.status
    except urllib.error.HTTPError as exc:
        attempt["status"] = exc.code
    except (OSError, ValueError) as exc:  # failures are ignored, like the provider does
        attempt["error"] = str(exc)
    return attempt


def deliver(task: Task, body: bytes, log: Callable[[dict], None], timeout: float) -> None:
    """Fire a task's webhooks; ``body`` is the task_get-style envelope as JSON."""
    postback, pingback = task.params.get("postback_url"), task.params.get("pingback_url")
    if postback:
        request = urllib.request.Request(  # noqa: S310
            substitute(postback, task),
            data=gzip.compress(body),
            method="POST",
            headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        )
        log({"task_id": task.id, "kind": "postback", **_send(request, timeout)})
    if pingback:
        request = urllib.request.Request(substitute(pingback, task), method="GET")  # noqa: S310
        log({"task_id": task.id, "kind": "pingback", **_send(request, timeout)})


def deliver_in_background(task: Task, body: bytes, log, timeout: float = WEBHOOK_TIMEOUT) -> None:
    threading.Thread(target=deliver, args=(task, body, log, timeout), daemon=True).start()
