"""Pingback and postback receivers: valid, replayed, forged, oversized, gzip bomb.

The sandbox really calls the receivers over HTTP (live_server), as the provider would.
"""

import gzip
import json
import time
from decimal import Decimal

import pytest
import requests
from django.utils import timezone

from monitoring.models import Answer, Task, TaskStatus
from monitoring.pipeline.posting import tasks_post
from monitoring.services.webhooks import webhook_token

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def hooks(pipeline_settings, live_server):
    def enable(*modes):
        pipeline_settings.AISA_COLLECT_MODES = ["poll", *modes]
        pipeline_settings.AISA_WEBHOOK_BASE_URL = live_server.url
        return live_server.url

    return enable


def _wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_it_collects_answers_pushed_by_postback(api, sandbox, queue, hooks):
    hooks("postback")
    queue(3)
    body = Task.objects.first().request_body
    assert "/hooks/postback/" in body["postback_url"]
    assert "$id" in body["postback_url"]
    tasks_post(client=api)
    assert _wait_for(lambda: Answer.objects.count() == 3)
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.COLLECTED}
    assert "postback" in Task.objects.first().events.get(status_to="collected").message


def test_it_marks_tasks_completed_on_pingback(api, sandbox, queue, hooks):
    hooks("pingback")
    queue(2)
    tasks_post(client=api)
    assert _wait_for(lambda: not Task.objects.filter(status=TaskStatus.POSTED).exists())
    # The pingback enqueued a fetch; the task is ready to collect now.
    assert set(Task.objects.values_list("status", flat=True)) <= {
        TaskStatus.COMPLETED,
        TaskStatus.COLLECTED,
    }
    assert all(t.next_attempt_at <= timezone.now() for t in Task.objects.filter(status="completed"))


@pytest.fixture
def posted(api, sandbox, queue, hooks):
    """One posted task and the URLs and envelope a provider would use for it."""
    base = hooks()
    queue(1)
    tasks_post(client=api)
    task = Task.objects.get()
    envelope = requests.get(
        f"{sandbox.aisa_base_url}/ai_optimization/claude/llm_responses/task_get/{task.provider_task_id}",
        headers={"Authorization": "Bearer sk-aisa-test-key"},
        timeout=5,
    ).json()
    Task.objects.update(status=TaskStatus.POSTED)  # pretend it was not collected yet
    token = webhook_token(tag=task.tag)
    query = {"id": task.provider_task_id, "tag": task.tag}
    return task, base, token, query, envelope


def _postback(base, token, query, payload: bytes, **headers):
    return requests.post(
        f"{base}/hooks/postback/{token}/",
        params=query,
        data=payload,
        headers={"Content-Encoding": "gzip", **headers},
        timeout=10,
    )


def test_it_accepts_a_valid_postback_once_and_ignores_replays(posted):
    task, base, token, query, envelope = posted
    payload = gzip.compress(json.dumps(envelope).encode())
    assert _postback(base, token, query, payload).status_code == 200
    assert _postback(base, token, query, payload).status_code == 200  # replay
    assert Answer.objects.filter(task=task).count() == 1
    assert Task.objects.get().events.filter(status_to="collected").count() == 1


def test_it_ignores_forged_and_unknown_calls(posted):
    task, base, _, query, envelope = posted
    payload = gzip.compress(json.dumps(envelope).encode())
    forged = _postback(base, "0" * 40, query, payload)
    other_tag = _postback(base, webhook_token(tag="t-other"), {**query, "tag": "t-other"}, payload)
    wrong_id = _postback(base, webhook_token(tag=task.tag), {**query, "id": "nope"}, payload)
    ping = requests.get(f"{base}/hooks/pingback/{'0' * 40}/", params=query, timeout=5)
    assert {r.status_code for r in (forged, other_tag, wrong_id, ping)} == {200}
    assert Answer.objects.count() == 0
    assert Task.objects.get().status == TaskStatus.POSTED


def test_it_refuses_oversized_bodies_and_gzip_bombs(posted):
    task, base, token, query, _ = posted
    big = _postback(base, token, query, b"\x1f\x8b" + b"x" * (3 * 1024 * 1024))
    bomb = _postback(base, token, query, gzip.compress(b"[" + b" " * (64 * 1024 * 1024) + b"]"))
    junk = _postback(base, token, query, b"not gzip at all", **{"Content-Encoding": "identity"})
    assert big.status_code == 413
    assert bomb.status_code == 413
    assert junk.status_code == 400
    assert Answer.objects.count() == 0


def _envelope(provider_id, text):
    result = {
        "model_name": "claude-sonnet-4-20250514",
        "input_tokens": 10,
        "output_tokens": 20,
        "reasoning_tokens": 0,
        "web_search": False,
        "money_spent": Decimal("0.0004"),  # as postback_read parses JSON numbers
        "datetime": "2026-11-27 10:00:00 +00:00",
        "items": [{"type": "message", "sections": [{"type": "text", "text": text}]}],
        "fan_out_queries": None,
    }
    task = {"id": provider_id, "status_code": 20000, "status_message": "Ok.", "result": [result]}
    return {"status_code": 20000, "tasks": [task]}


def test_it_takes_a_push_that_beats_the_posting_worker(queue, pipeline_settings):
    """The provider can call back before the worker has recorded the post's response."""
    from monitoring.pipeline.posting import batch_claim
    from monitoring.pipeline.webhooks import pingback_receive, postback_receive

    first, second = queue(2)
    batch_claim(size=10)  # both are "posting": the worker is still waiting for the response
    token = webhook_token(tag=first.tag)
    result = postback_receive(
        token=token, provider_id="p-1", tag=first.tag, envelope=_envelope("p-1", "HubSpot.")
    )
    assert result == "collected"
    first.refresh_from_db()
    assert (first.status, first.provider_task_id) == (TaskStatus.COLLECTED, "p-1")
    assert first.answer.text == "HubSpot."
    assert pingback_receive(
        token=webhook_token(tag=second.tag), provider_id="p-2", tag=second.tag
    ) in ("completed",)
    second.refresh_from_db()
    assert (second.status, second.provider_task_id) == (TaskStatus.COMPLETED, "p-2")
