"""Pingback and postback receivers' logic: harmless on replays, unknown ids and forgeries.

The provider signs nothing, so each URL carries a secret of its task's tag (checked in
constant time, before a byte of the body is read) and we only act on a task whose provider
id *and* tag match. A forged postback costs us one HMAC: its body is never read, let alone
decompressed; a known task's body is read and inflated as a stream, never past the caps.

A webhook we cannot use changes nothing but a note (``isolation``): a postback whose task
or result cannot be read, or whose answer cannot be stored, is noted in the task's history
and the task is fetched by polling instead (task_get, which fails the task with the reason
if its result is bad too); the receivers never raise for it, so the provider gets the same
short answer as always. Only a body of a known task that cannot be read at all (beyond the
caps, not gzip or JSON, nested too deep) raises ``PayloadError``, noted the same way first,
so the view answers 413 or 400.
"""

from __future__ import annotations

import hmac
import json
import logging
import zlib
from collections.abc import Callable
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

#: The size caps of a postback body, read and decompressed as a stream so a gzip bomb stops
#: at the cap. A real envelope is tens of KB: 4,096 output tokens of non-Latin text, each
#: character a 6-byte JSON escape such as \u65e5, plus reasoning and citations, stays under
#: 150 KB. 2 MiB leaves more than ten times that, and bounds what one call can make us hold.
MAX_COMPRESSED_BYTES = 2 * 1024 * 1024
MAX_JSON_BYTES = 2 * 1024 * 1024
#: A real envelope nests about a dozen levels (tasks, result, items, sections, annotations).
MAX_JSON_DEPTH = 64
#: Bytes read, and inflated, per step: the body is never held whole beside its inflation.
READ_CHUNK = 64 * 1024
#: The provider's ids and our tags fit this (``Task.provider_task_id``, ``Task.tag``).
MAX_ID_CHARS = 64


class PayloadError(ValueError):
    """A postback body we refuse to read (not gzip/JSON, nested too deep): HTTP 400."""

    status = 400


class PayloadTooLarge(PayloadError):
    """A postback body beyond the size caps: HTTP 413."""

    status = 413


def _plain(value: str) -> bool:
    """An id or tag we could have issued: short, printable ASCII (nothing a query or a
    column would choke on, such as a NUL)."""
    return 0 < len(value) <= MAX_ID_CHARS and value.isascii() and value.isprintable()


def _token_matches(token: str, tag: str) -> bool:
    """Constant time, as bytes: any token (non-ASCII, a lone surrogate) is just wrong."""
    given = token.encode("utf-8", "surrogatepass")
    return hmac.compare_digest(given, webhook_token(tag=tag).encode())


def webhook_task(*, token: str, provider_id: str, tag: str) -> Task | None:
    """The task a webhook is about, or None if the token, tag or id do not match.

    The token is checked before anything else is looked at, and costs one HMAC."""
    if not _plain(tag) or not _token_matches(token, tag):
        return None
    if not _plain(provider_id):
        return None
    task = Task.objects.filter(tag=tag).first()
    if task is None or (task.provider_task_id and task.provider_task_id != provider_id):
        return None
    return task


def pingback_receive(*, token: str, provider_id: str, tag: str) -> str:
    try:
        task = webhook_task(token=token, provider_id=provider_id, tag=tag)
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


def postback_handle(
    *,
    token: str,
    provider_id: str,
    tag: str,
    read: Callable[[int], bytes],
    length: int | None,
    encoding: str,
) -> str:
    """Authenticate a postback, then read (bounded), parse and take it.

    ``read(n)`` gives the next at most n bytes of the body; ``length`` is its declared
    Content-Length (None if that is not a number). A forged call is answered without
    reading its body; a body of a known task that we refuse raises ``PayloadError`` after
    noting why in the task's history (and having it polled at once).
    """
    task = webhook_task(token=token, provider_id=provider_id, tag=tag)
    if task is None:
        return "unknown"
    try:
        envelope = postback_read(read, length=length, encoding=encoding)
    except PayloadError as exc:
        _postback_unusable(task, str(exc))
        raise
    return _postback_apply(task, provider_id, envelope)


def postback_read(read: Callable[[int], bytes], *, length: int | None, encoding: str) -> dict:
    """The envelope of a postback body: decompressed as it is read, within the caps."""
    if length is None:
        raise PayloadError("its Content-Length is not a number")
    if length > MAX_COMPRESSED_BYTES:
        raise PayloadTooLarge("its body is larger than the size cap")
    first = read(READ_CHUNK)
    if encoding == "gzip" or first[:2] == b"\x1f\x8b":
        raw = _inflate(first, read)
    else:
        raw = _read_plain(first, read)
    return _parse(raw)


def _read_plain(first: bytes, read: Callable[[int], bytes]) -> bytearray:
    raw = bytearray(first)
    while chunk := read(READ_CHUNK):
        raw += chunk
        if len(raw) > MAX_COMPRESSED_BYTES:
            raise PayloadTooLarge("its body is larger than the size cap")
    return raw


def _inflate(first: bytes, read: Callable[[int], bytes]) -> bytearray:
    """Gzip inflated piece by piece: at most the cap (and one piece) is ever held."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    raw, consumed, chunk = bytearray(), 0, first
    while chunk and not inflater.eof:
        consumed += len(chunk)
        if consumed > MAX_COMPRESSED_BYTES:
            raise PayloadTooLarge("its body is larger than the size cap")
        while chunk:
            try:
                raw += inflater.decompress(chunk, READ_CHUNK)
            except zlib.error as exc:
                raise PayloadError("its body is not valid gzip") from exc
            if len(raw) > MAX_JSON_BYTES:
                raise PayloadTooLarge("its body decompresses beyond the size cap")
            chunk = inflater.unconsumed_tail
        chunk = read(READ_CHUNK)
    if not inflater.eof:
        raise PayloadError("its body is not valid gzip (it ends early)")
    return raw


def _parse(raw: bytearray) -> dict:
    try:
        data = json.loads(raw, parse_float=Decimal)
    except RecursionError as exc:
        raise PayloadError("its body nests too deep") from exc
    except ValueError as exc:  # UnicodeDecodeError is one
        raise PayloadError("its body is not JSON") from exc
    if not isinstance(data, dict):
        raise PayloadError("its body is not a JSON object")
    if _depth_beyond(data, MAX_JSON_DEPTH):
        raise PayloadError("its body nests too deep")
    return data


def _depth_beyond(value: dict | list, limit: int) -> bool:
    """Whether containers nest deeper than ``limit`` (iterative: no recursion to exhaust)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


def postback_receive(*, token: str, provider_id: str, tag: str, envelope: dict) -> str:
    """Take an envelope already read (``postback_handle`` reads one from a request)."""
    task = webhook_task(token=token, provider_id=provider_id, tag=tag)
    if task is None:
        return "unknown"
    return _postback_apply(task, provider_id, envelope)


def _postback_apply(task: Task, provider_id: str, envelope: dict) -> str:
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
