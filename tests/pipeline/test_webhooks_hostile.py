"""Postbacks from strangers and from the broken: nothing is read before the token is checked,
a valid token's body stops at the size cap, and no input is a 500.

These go through the real view in-process (the test client), so tracemalloc sees every
allocation the request makes.
"""

import gzip
import json
import tracemalloc
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from monitoring.models import Answer, TaskEvent, TaskStatus
from monitoring.pipeline import webhooks
from monitoring.services.webhooks import webhook_token
from tests.factories import make_task

pytestmark = pytest.mark.django_db

#: 16 KB of gzip that inflates to 16 MiB of JSON numbers (each one a Decimal once parsed).
BOMB = gzip.compress(b"[" + b"0.1," * (4 * 1024 * 1024) + b"0.1]", compresslevel=9)
MIB = 1024 * 1024


@pytest.fixture
def web():
    """A client that answers 500s instead of raising them, as the provider would see them."""
    return Client(raise_request_exception=False)


@pytest.fixture
def waiting():
    """A posted task, waiting for its answer (due for a poll in an hour)."""
    return make_task(
        status=TaskStatus.POSTED,
        provider_task_id="p-1",
        next_attempt_at=timezone.now() + timedelta(hours=1),
    )


def _send(web, task, body, *, token=None, provider_id="p-1", **extra):
    url = reverse("webhook_postback", args=[token or webhook_token(tag=task.tag)])
    return web.post(
        f"{url}?id={provider_id}&tag={task.tag}",
        data=body,
        content_type="application/json",
        headers={"Content-Encoding": "gzip"},
        **extra,
    )


def _peak_bytes(send):
    """The response of ``send()`` and the most memory it held at once (after a warm-up call
    that fills the import and URL caches)."""
    send()
    tracemalloc.start()
    try:
        response = send()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return response, peak


def _notes(task):
    return [e.message for e in TaskEvent.objects.filter(task=task, kind=TaskEvent.Kind.NOTE)]


def test_the_bomb_is_small_and_large():
    assert len(BOMB) < 20_000
    assert webhooks.MAX_JSON_BYTES < 16 * MIB


@pytest.mark.parametrize("forgery", ["unknown tag", "wrong token", "wrong id"])
def test_it_answers_a_forged_gzip_bomb_without_reading_it(web, waiting, forgery):
    token, provider_id = webhook_token(tag=waiting.tag), "p-1"
    if forgery == "unknown tag":
        waiting.tag = "t-nobody"
        token = webhook_token(tag="t-nobody")
    elif forgery == "wrong token":
        token = "0" * 40
    else:
        provider_id = "p-2"
    response, peak = _peak_bytes(
        lambda: _send(web, waiting, BOMB, token=token, provider_id=provider_id)
    )
    assert (response.status_code, response.content) == (200, b"ok")
    # Far below the 16 MiB it inflates to: only the request itself (the 16 KB body once).
    assert peak < 256 * 1024, peak
    waiting.refresh_from_db()
    assert waiting.status == TaskStatus.POSTED
    assert _notes(waiting) == []


def test_it_stops_a_gzip_bomb_to_a_valid_token_at_the_cap(web, waiting):
    response, peak = _peak_bytes(lambda: _send(web, waiting, BOMB))
    assert response.status_code == 413
    # The cap and a little: never the 16 MiB, nor the parse of it.
    assert peak < webhooks.MAX_JSON_BYTES + MIB, peak
    waiting.refresh_from_db()
    assert waiting.status == TaskStatus.POSTED
    assert waiting.next_attempt_at <= timezone.now()  # polling fetches it at once
    assert _notes(waiting) == [
        "A postback for this task was not used: its body decompresses beyond the size cap. "
        "Polling fetches it."
    ]


def test_it_refuses_a_body_declared_beyond_the_cap_unread(web, waiting):
    huge = str(webhooks.MAX_COMPRESSED_BYTES + 1)
    assert _send(web, waiting, b"", CONTENT_LENGTH=huge).status_code == 413


@pytest.mark.parametrize("length", ["abc", "-1", "1e3", "١٢"])
def test_it_answers_a_bad_content_length_with_400(web, waiting, length):
    body = gzip.compress(b"{}")
    assert _send(web, waiting, body, CONTENT_LENGTH=length).status_code == 400
    forged = _send(web, waiting, body, token="0" * 40, CONTENT_LENGTH=length)
    assert (forged.status_code, forged.content) == (200, b"ok")


@pytest.mark.parametrize("depth", [100_000, getattr(webhooks, "MAX_JSON_DEPTH", 64) + 1])
def test_it_refuses_deeply_nested_json_with_400(web, waiting, depth):
    nested = b'{"tasks": ' + b"[" * depth + b"]" * depth + b"}"
    response = _send(web, waiting, gzip.compress(nested))
    assert response.status_code == 400
    assert Answer.objects.count() == 0


def test_it_refuses_truncated_gzip_and_plain_junk_with_400(web, waiting):
    assert _send(web, waiting, gzip.compress(b'{"tasks": []}')[:-12]).status_code == 400
    assert _send(web, waiting, b"\xff\xfe not json").status_code == 400


@pytest.mark.parametrize("token", ["é" * 40, "\u0660" * 40, "%C3%A9", "\x00"])
def test_it_compares_tokens_as_bytes(web, waiting, token):
    assert webhooks.webhook_task(token=token, provider_id="p-1", tag=waiting.tag) is None
    response = _send(web, waiting, gzip.compress(b"{}"), token=token)
    assert (response.status_code, response.content) == (200, b"ok")
    ping = web.get(reverse("webhook_pingback", args=[token]), {"id": "p-1", "tag": waiting.tag})
    assert (ping.status_code, ping.content) == (200, b"ok")


def _long_envelope(provider_id: str) -> dict:
    """A real answer at its largest: 4,096 output tokens of Japanese (each character escaped
    as \\uXXXX, as the provider writes JSON), a reasoning item and 60 citations."""
    text = "日本語の回答です。" * 1400
    citations = [
        {
            "title": f"Source {i}, a long review title " * 3,
            "url": f"https://example.com/{i}?q={i:0200}",
        }
        for i in range(60)
    ]
    message = {"type": "text", "text": text, "annotations": citations}
    result = {
        "model_name": "claude-sonnet-4-20250514",
        "input_tokens": 9000,
        "output_tokens": 4096,
        "reasoning_tokens": 3000,
        "web_search": True,
        "money_spent": 0.0912,
        "datetime": "2026-11-27 10:00:00 +00:00",
        "items": [
            {"type": "reasoning", "sections": [{"type": "text", "text": "Thinking… " * 2000}]},
            {"type": "message", "sections": [message]},
        ],
        "fan_out_queries": ["best crm 2026", "crm reviews"],
    }
    task = {"id": provider_id, "status_code": 20000, "status_message": "Ok.", "result": [result]}
    return {"status_code": 20000, "tasks": [task]}


def test_it_takes_a_real_answer_at_its_largest(web, waiting):
    body = json.dumps(_long_envelope("p-1")).encode()  # ensure_ascii: the worst case
    assert 100_000 < len(body) < webhooks.MAX_JSON_BYTES // 10  # the cap leaves a wide margin
    response = _send(web, waiting, gzip.compress(body))
    assert (response.status_code, response.content) == (200, b"ok")
    waiting.refresh_from_db()
    assert waiting.status == TaskStatus.COLLECTED
    assert Answer.objects.get(task=waiting).text.startswith("日本語の回答です。")
