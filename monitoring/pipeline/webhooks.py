"""Pingback and postback receivers' logic: harmless on replays, unknown ids and forgeries.

The provider signs nothing, so each URL carries the installation's secret (checked in
constant time by the view) and we only act on a task whose provider id *and* tag match.
"""

from __future__ import annotations

import hmac
import json
import zlib
from decimal import Decimal

from monitoring.aisa.results import CallInfo, TaskResult
from monitoring.models import Task
from monitoring.pipeline.answers import answer_store
from monitoring.pipeline.collecting import task_mark_completed
from monitoring.services.jobs import collect_enqueue
from monitoring.services.webhooks import webhook_token

#: Compressed and decompressed size caps of a postback body (a gzip bomb stops at the cap).
MAX_COMPRESSED_BYTES = 2 * 1024 * 1024
MAX_JSON_BYTES = 16 * 1024 * 1024


class PayloadError(ValueError):
    """A postback body we refuse to read (too large, not gzip/JSON)."""


def _task(token: str, provider_id: str, tag: str) -> Task | None:
    """The task a webhook is about, or None if the token, tag or id do not match."""
    if not tag or not hmac.compare_digest(token, webhook_token(tag=tag)):
        return None
    task = Task.objects.filter(tag=tag).first()
    if task is None or not provider_id:
        return None
    if task.provider_task_id and task.provider_task_id != provider_id:
        return None
    return task


def pingback_receive(*, token: str, provider_id: str, tag: str) -> str:
    task = _task(token, provider_id, tag)
    if task is None:
        return "unknown"
    if task_mark_completed(task=task, provider_id=provider_id, via="pingback"):
        collect_enqueue(task_id=task.pk)
        return "completed"
    return "ignored"


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
    for raw in envelope.get("tasks") or []:
        if isinstance(raw, dict) and raw.get("id") == provider_id:
            call = CallInfo(
                endpoint="postback", http_status=200, price_usd=None, headers={}, elapsed=0.0
            )
            result = TaskResult.from_json(raw, call)
            if not task.provider_task_id:
                task.provider_task_id = provider_id  # a postback proves an unknown post
                Task.objects.filter(pk=task.pk).update(provider_task_id=provider_id)
            if (
                result.answer is not None
                and result.ready
                and answer_store(task=task, answer=result.answer, via="postback")
            ):
                return "collected"
            return "ignored"
    return "ignored"
