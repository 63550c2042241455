"""Pingback and postback receivers' logic: harmless on replays, unknown ids and forgeries.

The provider signs nothing, so each URL carries the installation's secret (checked in
constant time by the view) and we only act on a task whose provider id *and* tag match.

A webhook we cannot use changes nothing but a note (``isolation``): a postback whose task
or result cannot be read, or whose answer cannot be stored, is noted in the task's history
and the task is fetched by polling instead (task_get, which fails the task with the reason
if its result is bad too); the receivers never raise for it, so the provider gets the same
short answer as always.
"""

from __future__ import annotations

import hmac
import json
import logging
import zlib
from decimal import Decimal

from django.utils import timezone

from monitoring.aisa.results import SHAPE_ERRORS, CallInfo, TaskResult
from monitoring.aisa.text import excerpt
from monitoring.models import Task
from monitoring.models.tasks import WAITING_STATUSES
from monitoring.pipeline.answers import answer_store
from monitoring.pipeline.collecting import task_mark_completed
from monitoring.pipeline.isolation import DATABASE_TROUBLE, error_text, task_note_once
from monitoring.services.jobs import collect_enqueue
from monitoring.services.webhooks import webhook_token

logger = logging.getLogger(__name__)

#: Compressed and decompressed size caps of a postback body (a gzip bomb stops at the cap).
MAX_COMPRESSED_BYTES = 2 * 1024 * 1024
MAX_JSON_BYTES = 16 * 1024 * 1024
#: The provider's ids and our tags fit this (``Task.provider_task_id``, ``Task.tag``).
MAX_ID_CHARS = 64


class PayloadError(ValueError):
    """A postback body we refuse to read (too large, not gzip/JSON)."""


def _plain(value: str) -> bool:
    """An id or tag we could have issued: short, printable ASCII (nothing a query or a
    column would choke on, such as a NUL)."""
    return 0 < len(value) <= MAX_ID_CHARS and value.isascii() and value.isprintable()


def _task(token: str, provider_id: str, tag: str) -> Task | None:
    """The task a webhook is about, or None if the token, tag or id do not match."""
    if not _plain(tag) or not token.isascii():
        return None
    if not hmac.compare_digest(token, webhook_token(tag=tag)):
        return None
    if provider_id and not _plain(provider_id):
        return None
    task = Task.objects.filter(tag=tag).first()
    if task is None or not provider_id:
        return None
    if task.provider_task_id and task.provider_task_id != provider_id:
        return None
    return task


def pingback_receive(*, token: str, provider_id: str, tag: str) -> str:
    try:
        task = _task(token, provider_id, tag)
        if task is None:
            return "unknown"
        if task_mark_completed(task=task, provider_id=provider_id, via="pingback"):
            collect_enqueue(task_id=task.pk)
            return "completed"
        return "ignored"
    except DATABASE_TROUBLE:
        raise  # the provider calls again; polling is there anyway
    except Exception:
        # Nothing was changed (the move is one transaction); polling fetches the task.
        logger.exception("Pingback for tag %r (id %r) failed", tag[:80], provider_id[:80])
        return "error"


def postback_read(body: bytes, *, encoding: str) -> dict:
    """Decompress (bounded) and parse a postback body."""
    if len(body) > MAX_COMPRESSED_BYTES:
        raise PayloadError("Postback body too large.")
    if encoding == "gzip" or body[:2] == b"\x1f\x8b":
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            raw = inflater.decompress(body, MAX_JSON_BYTES + 1)
        except zlib.error as exc:
            raise PayloadError("Postback body is not valid gzip.") from exc
        if len(raw) > MAX_JSON_BYTES or inflater.unconsumed_tail:
            raise PayloadError("Postback body decompresses beyond the size cap.")
    else:
        raw = body
    try:
        data = json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError("Postback body is not JSON.") from exc
    if not isinstance(data, dict):
        raise PayloadError("Postback body is not a JSON object.")
    return data


def postback_receive(*, token: str, provider_id: str, tag: str, envelope: dict) -> str:
    task = _task(token, provider_id, tag)
    if task is None:
        return "unknown"
    tasks = envelope.get("tasks")
    for raw in tasks if isinstance(tasks, list) else []:
        if isinstance(raw, dict) and raw.get("id") == provider_id:
            try:
                return _postback_take(task, provider_id, raw)
            except DATABASE_TROUBLE:
                raise  # the provider calls again; polling is there anyway
            except Exception as exc:
                logger.exception("Postback for task %s failed", task.pk)
                return _postback_unusable(task, f"storing its answer failed ({error_text(exc)})")
    return "ignored"


def _postback_take(task: Task, provider_id: str, raw: dict) -> str:
    call = CallInfo(endpoint="postback", http_status=200, price_usd=None, headers={}, elapsed=0.0)
    try:
        result = TaskResult.from_json(raw, call)
    except SHAPE_ERRORS as exc:
        return _postback_unusable(task, f"it could not be read ({excerpt(exc)})")
    if not task.provider_task_id:
        task.provider_task_id = provider_id  # a postback proves an unknown post
        Task.objects.filter(pk=task.pk).update(provider_task_id=provider_id)
    if result.problem:
        return _postback_unusable(task, f"its result could not be read ({excerpt(result.problem)})")
    if (
        result.answer is not None
        and result.ready
        and answer_store(task=task, answer=result.answer, via="postback")
    ):
        return "collected"
    return "ignored"


def _postback_unusable(task: Task, why: str) -> str:
    """Note why a postback was not used, and have the task fetched by polling at once."""
    task.refresh_from_db()  # a rolled-back store may have changed it in memory only
    task_note_once(
        task=task, message=f"A postback for this task was not used: {why}. Polling fetches it."
    )
    due = Task.objects.filter(pk=task.pk, status__in=WAITING_STATUSES)
    if task.provider_task_id and due.update(next_attempt_at=timezone.now()):
        collect_enqueue(task_id=task.pk)
    return "unusable"
