"""Poison results: one bad answer never stops the others (the sandbox's ``poison`` fault).

Measured on main before the fix: an answer holding a lone surrogate raised
UnicodeEncodeError while it was stored (a NUL did the same on PostgreSQL); the collect loop
did not catch it and the task stayed first in line, so the collect job and the minute tick
failed every minute and nothing else was collected or expired. A result of the wrong shape
was polled again and again as "transient".
"""

import gzip
import json
import time
from datetime import timedelta

import pytest
import requests
from django.urls import reverse
from django.utils import timezone

from monitoring.aisa.results import CallInfo, TaskResult
from monitoring.aisa.text import REPLACEMENT, clean_json, clean_text
from monitoring.models import Answer, Citation, Task, TaskEvent, TaskStatus
from monitoring.pipeline import answers, collecting, posting, reconcile
from monitoring.pipeline.answers import MAX_ANSWER_CHARS
from monitoring.pipeline.collecting import tasks_collect
from monitoring.pipeline.posting import tasks_post
from monitoring.pipeline.reconcile import tasks_reconcile
from monitoring.pipeline.runner import pipeline_tick
from monitoring.pipeline.webhooks import pingback_receive, postback_receive
from monitoring.services.webhooks import webhook_token

pytestmark = pytest.mark.django_db

WEB = {"model_name": "claude-sonnet-4-20250514", "web_search": True, "max_output_tokens": 1024}
GRACE = timedelta(minutes=11)


@pytest.fixture
def ticking(pipeline_settings, sandbox, monkeypatch):
    """The pipeline's own client (what the minute tick uses) talks to the sandbox."""
    pipeline_settings.AISA_BASE_URL = sandbox.aisa_base_url
    pipeline_settings.AISA_API_KEY = "sk-aisa-test-key"
    pipeline_settings.AISA_READ_TIMEOUT = 30
    monkeypatch.setattr("monitoring.services.tasks.post_enqueue", lambda: None)
    return pipeline_settings


def _due_now() -> None:
    Task.objects.update(next_attempt_at=timezone.now())


def _messages(task: Task) -> str:
    return "\n".join(TaskEvent.objects.filter(task=task).values_list("message", flat=True))


def _sent_text(sandbox, task: Task) -> str:
    """The answer text the sandbox sends for a task (its message text sections)."""
    result = sandbox.tasks[task.provider_task_id].result
    return "".join(
        s["text"]
        for item in result["items"]
        if item["type"] == "message"
        for s in item["sections"]
        if s["type"] == "text"
    )


def _stored_everywhere_clean(answer: Answer) -> None:
    texts = [answer.text, answer.model_name, *answer.fan_out_queries, *answer.untracked_names]
    for c in Citation.objects.filter(answer=answer):
        texts += [c.title, c.url, c.domain]
    for text in texts:
        assert text == clean_text(text), repr(text[:80])
        assert "\x00" not in text
        text.encode("utf-8")  # no lone surrogate


# --- The "done when" ---------------------------------------------------------------


def test_poison_among_50_good_answers_spoils_nothing_else(ticking, sandbox, queue):
    tasks = queue(54, request_settings=WEB)
    poisoned = {
        "surrogate": tasks[10],
        "nul": tasks[20],
        "shape": tasks[30],
        "huge": tasks[40],
    }
    for kind, task in poisoned.items():
        sandbox.add_fault("poison", poison=kind, match=task.tag)
    good = [t for t in tasks if t not in poisoned.values()]
    assert len(good) == 50

    first = pipeline_tick()  # posts them all; each is due for its first poll 3 s later
    assert first["post"]["posted"] == 54
    poisoned = {kind: Task.objects.get(pk=task.pk) for kind, task in poisoned.items()}
    _due_now()
    started = time.perf_counter()
    report = pipeline_tick()  # collects: must not raise
    elapsed = time.perf_counter() - started
    print(f"\ncollecting 54 answers (one of 5 MB) took {elapsed:.2f}s: {report['collect']}")

    assert "error" not in report["collect"]
    assert report["collect"]["collected"] == 53  # 50 good, surrogate, NUL and the huge one
    assert report["collect"]["failed"] == 1  # the wrong shape
    assert report["expired"] == 0
    statuses = dict(Task.objects.values_list("pk", "status"))
    assert all(statuses[t.pk] == TaskStatus.COLLECTED for t in good)
    assert Answer.objects.filter(task__in=good).count() == 50

    # Lone surrogate and NUL: collected, the stored text clean, the raw copy kept.
    for kind, char in (("surrogate", "\ud800"), ("nul", "\x00")):
        task = poisoned[kind]
        answer = Answer.objects.get(task=task)
        sent = _sent_text(sandbox, task)
        assert char in sent
        assert answer.text == clean_text(sent)
        assert answer.text == (sent.replace(char, REPLACEMENT if kind == "surrogate" else ""))
        assert answer.model_name == clean_text(f"claude-sonnet-4-20250514{char}")
        _stored_everywhere_clean(answer)
        assert Citation.objects.filter(answer=answer, domain="poison.example").exists()
        # The raw copy is what the API sent, U+FFFD only where the database cannot store it.
        raw = sandbox.tasks[task.provider_task_id].result
        stored_raw = Answer.objects.get(pk=answer.pk).raw
        assert stored_raw["extra" + REPLACEMENT] == "only in raw" + REPLACEMENT
        assert stored_raw == json.loads(json.dumps(clean_json(raw), default=str))
        assert "Unsafe characters cleaned in the answer text" in _messages(task)
        assert "The raw copy holds U+FFFD" in _messages(task)

    # The wrong shape: failed, with a readable reason naming the field.
    shape = Task.objects.get(pk=poisoned["shape"].pk)
    assert shape.status == TaskStatus.FAILED
    assert "result[0].items: expected an array, got str" in shape.last_error_message
    assert "result[0].items: expected an array" in shape.events.last().message
    assert not Answer.objects.filter(task=shape).exists()

    # The 5 MB answer: its text cut at the cap with a note; the raw copy whole.
    huge = Answer.objects.get(task=poisoned["huge"])
    assert len(huge.text) == MAX_ANSWER_CHARS
    assert huge.analyzed_at is not None
    raw_text = huge.raw["items"][0]["sections"][0]["text"]
    assert len(raw_text) == 5_000_000
    assert raw_text.startswith(huge.text)
    assert "has 5,000,000 characters: the first 1,000,000 are stored" in _messages(huge.task)

    # Nothing is left to poll, and the next tick is quiet.
    _due_now()
    assert pipeline_tick()["collect"]["collected"] == 0


@pytest.mark.parametrize(
    ("shape", "reason"),
    [
        ("items", "result[0].items: expected an array, got str"),
        ("money", "result[0].money_spent: expected a number of USD, got 'abc'"),
        ("missing", "result[0].model_name: missing"),
    ],
)
def test_a_result_of_the_wrong_shape_fails_its_task_with_the_reason(
    api, sandbox, queue, shape, reason
):
    tasks = queue(3)
    sandbox.add_fault("poison", poison="shape", shape=shape, match=tasks[0].tag)
    tasks_post(client=api)
    _due_now()
    report = tasks_collect(client=api)
    assert (report.collected, report.failed, report.errors) == (2, 1, 0)
    bad = Task.objects.get(pk=tasks[0].pk)
    assert bad.status == TaskStatus.FAILED
    assert reason in bad.last_error_message
    assert "rather than polled again" in bad.events.last().message
    assert bad.next_attempt_at is None  # not polled again


@pytest.mark.parametrize(
    ("result", "reason"),
    [
        ("not a list", "result: expected an array, got str"),
        ([42], "result[0]: expected an object, got int"),
        ([], "result: empty"),
        ([{"model_name": "m", "items": [{"type": "message", "sections": "x"}]}], "sections"),
        ([{"model_name": "m", "items": [], "input_tokens": -5}], "result[0].input_tokens"),
        ([{"model_name": "m", "items": [], "money_spent": "1e30"}], "out of range"),
        ([{"model_name": "m", "items": [], "datetime": "soon"}], "result[0].datetime"),
    ],
)
def test_it_names_what_is_wrong_with_a_result(result, reason):
    call = CallInfo("task_get", 200, None, {}, 0.0)
    parsed = TaskResult.from_json({"id": "x", "status_code": 20000, "result": result}, call)
    assert not parsed.ready
    assert reason in parsed.problem


# --- Isolation: an unexpected error fails its own task only ---------------------------------


def test_an_answer_that_cannot_be_stored_fails_its_task_and_the_loop_goes_on(
    api, sandbox, queue, monkeypatch
):
    """The issue's failure itself, with the sanitising switched off: the lone surrogate
    raises while it is stored (on SQLite and PostgreSQL alike)."""
    monkeypatch.setattr(answers, "answer_storable", lambda answer: (answer, []))
    tasks = queue(5)
    sandbox.add_fault("poison", poison="surrogate", match=tasks[0].tag)
    tasks_post(client=api)
    _due_now()
    report = tasks_collect(client=api)
    assert (report.collected, report.failed, report.unexpected) == (4, 1, 1)
    bad = Task.objects.get(pk=tasks[0].pk)
    assert bad.status == TaskStatus.FAILED
    assert "UnicodeEncodeError" in bad.last_error_message
    event = bad.events.last()
    assert (event.status_from, event.status_to) == (TaskStatus.POSTED, TaskStatus.FAILED)
    assert "Collecting the answer failed (UnicodeEncodeError" in event.message
    assert not Answer.objects.filter(task=bad).exists()
    assert bad.cost_real is None  # the rolled-back store left no cost behind


def test_an_unexpected_error_is_logged_with_the_task_and_never_quotes_a_payload(
    api, sandbox, queue, monkeypatch, caplog
):
    tasks = queue(2)
    huge = "x" * 100_000

    def explode(*, task, answer, api_call=None, via="task_get"):
        if task.pk == tasks[0].pk:
            raise RuntimeError(f"boom sk-aisa-test-key {huge}")
        return real(task=task, answer=answer, api_call=api_call, via=via)

    real = collecting.answer_store
    monkeypatch.setattr(collecting, "answer_store", explode)
    tasks_post(client=api)
    _due_now()
    with caplog.at_level("ERROR"):
        assert tasks_collect(client=api).collected == 1
    bad = Task.objects.get(pk=tasks[0].pk)
    assert bad.status == TaskStatus.FAILED
    assert "RuntimeError: boom [redacted] xxx" in bad.last_error_message
    assert "sk-aisa-test-key" not in bad.last_error_message
    assert len(bad.last_error_message) < 600
    logged = [r for r in caplog.records if r.levelname == "ERROR"]
    assert f"Collecting task {bad.pk}" in logged[0].getMessage()
    assert logged[0].exc_info is not None  # the traceback is in the log


def test_the_tasks_ready_pass_and_the_burst_isolate_bad_tasks_too(api, sandbox, queue):
    tasks = queue(4)
    sandbox.add_fault("poison", poison="shape", match=tasks[1].tag)
    tasks_post(client=api)
    report = collecting.tasks_ready_collect(client=api)
    assert (report.collected, report.failed) == (3, 1)

    more = queue(3)
    sandbox.add_fault("poison", poison="shape", shape="money", match=more[0].tag)
    tasks_post(client=api)
    _due_now()
    assert collecting.tasks_collect_burst(client=api, seconds=10, pause=0.1) == 2
    assert Task.objects.get(pk=more[0].pk).status == TaskStatus.FAILED


def test_a_stop_error_still_stops_the_loop(api, sandbox, queue):
    queue(3)
    tasks_post(client=api)
    sandbox.add_fault("unauthorized", count=0, endpoint="task_get")
    _due_now()
    report = tasks_collect(client=api)
    assert report.stopped
    assert report.failed == 0
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.POSTED}


def test_the_tick_runs_every_step_then_raises_the_first_error(ticking, queue, monkeypatch):
    stale = queue(1)[0]
    Task.objects.filter(pk=stale.pk).update(
        status=TaskStatus.POSTED,
        provider_task_id="p-stale",
        posted_at=timezone.now() - timedelta(hours=73),
        next_attempt_at=timezone.now() + timedelta(hours=1),
    )

    def broken(**kwargs):
        raise RuntimeError("the collect step broke")

    monkeypatch.setattr(collecting, "tasks_collect", broken)
    with pytest.raises(RuntimeError, match="collect step broke"):
        pipeline_tick()
    assert Task.objects.get(pk=stale.pk).status == TaskStatus.EXPIRED  # expiry still ran


@pytest.mark.parametrize("created", [True, False])
def test_a_post_outcome_that_cannot_be_recorded_spoils_only_its_task(
    api, sandbox, queue, monkeypatch, created
):
    tasks = queue(4)
    bad = tasks[1]
    if not created:
        sandbox.add_fault("task_rate_limit", every=2)  # tasks 2 and 4 are not created
    real = posting._task_outcome

    def explode(task, outcome, call, report):
        if task.pk == bad.pk:
            raise ValueError("cannot record this one")
        return real(task, outcome, call, report)

    def explode_batch(created, call):
        if bad.pk in {t.pk for t, _ in created}:
            raise ValueError("cannot record this batch at once")

    # The batch's created tasks are recorded together first; that failing, one by one.
    monkeypatch.setattr(posting, "_costs", explode_batch)
    monkeypatch.setattr(posting, "_task_outcome", explode)
    report = tasks_post(client=api)
    assert report.unexpected == 1
    task = Task.objects.get(pk=bad.pk)
    assert "ValueError: cannot record this one" in task.last_error_message
    others = Task.objects.exclude(pk=bad.pk)
    assert not others.filter(status=TaskStatus.POSTING).exists()
    if created:
        # The API has it (billed): unknown, then reconciled by its tag, never posted twice.
        assert task.status == TaskStatus.UNKNOWN
        assert others.filter(status=TaskStatus.POSTED).count() == 3
        assert tasks_reconcile(client=api).found == 1
        assert Task.objects.get(pk=bad.pk).status == TaskStatus.POSTED
        assert sandbox.accepted_tags()[bad.tag] == 1
    else:
        assert task.status == TaskStatus.FAILED
        assert others.filter(status=TaskStatus.POSTED).count() == 2


def test_a_task_that_cannot_be_reconciled_stays_unknown_and_is_noted_once(
    api, sandbox, queue, monkeypatch
):
    tasks = queue(3)
    sandbox.add_fault("drop_after_accept", endpoint="task_post")
    tasks_post(client=api)
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.UNKNOWN}
    real = reconcile._reconcile_one

    def explode(task, item, now, report):
        if task.pk == tasks[0].pk:
            raise ValueError("odd id_list item")
        return real(task, item, now, report)

    monkeypatch.setattr(reconcile, "_reconcile_one", explode)
    for _ in range(2):
        report = tasks_reconcile(client=api)
        assert report.unexpected == 1
    assert Task.objects.filter(status=TaskStatus.POSTED).count() == 2
    bad = Task.objects.get(pk=tasks[0].pk)
    assert bad.status == TaskStatus.UNKNOWN
    notes = bad.events.filter(kind=TaskEvent.Kind.NOTE)
    assert [n.message for n in notes] == [
        "Reconciling failed (ValueError: odd id_list item); the task stays unknown and is "
        "tried again each minute until it is reconciled or expires."
    ]


# --- Webhooks ----------------------------------------------------------------------------


@pytest.fixture
def postback(api, sandbox, queue, pipeline_settings, client):
    """post(kind, **params): a posted task with that poison, and a function sending its
    postback (the envelope task_get returns, gzipped) to the real view."""

    def make(kind, **params):
        task = queue(1)[0]
        sandbox.add_fault("poison", poison=kind, match=task.tag, **params)
        tasks_post(client=api)
        task.refresh_from_db()
        envelope = requests.get(
            f"{sandbox.aisa_base_url}/ai_optimization/claude/llm_responses/task_get/"
            f"{task.provider_task_id}",
            headers={"Authorization": "Bearer sk-aisa-test-key"},
            timeout=30,
        ).content
        Task.objects.filter(pk=task.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))

        def send(body=envelope):
            url = reverse("webhook_postback", args=[webhook_token(tag=task.tag)])
            return client.post(
                f"{url}?id={task.provider_task_id}&tag={task.tag}",
                data=gzip.compress(body),
                content_type="application/json",
                headers={"Content-Encoding": "gzip"},
            )

        return task, send

    return make


@pytest.mark.parametrize(("kind", "char"), [("surrogate", "\ud800"), ("nul", "\x00")])
def test_a_postback_with_unsafe_text_is_collected_clean(postback, kind, char):
    task, send = postback(kind)
    response = send()
    assert (response.status_code, response.content) == (200, b"ok")
    answer = Answer.objects.get(task=task)
    _stored_everywhere_clean(answer)
    assert "Answer collected via postback." in _messages(task)
    assert answer.raw["extra" + REPLACEMENT] == "only in raw" + REPLACEMENT


@pytest.mark.parametrize("shape", ["items", "money", "missing"])
def test_a_poisoned_postback_answers_harmlessly_and_polling_takes_over(postback, shape):
    task, send = postback("shape", shape=shape)
    for _ in range(2):  # a replay notes nothing new
        response = send()
        assert (response.status_code, response.content) == (200, b"ok")
    task.refresh_from_db()
    assert task.status == TaskStatus.POSTED  # left to polling, which fails it with the reason
    assert task.next_attempt_at <= timezone.now()  # polled at once
    assert not Answer.objects.filter(task=task).exists()
    notes = task.events.filter(kind=TaskEvent.Kind.NOTE)
    assert notes.count() == 1
    assert "A postback for this task was not used: its result could not be read" in (
        notes.get().message
    )


def test_a_postback_of_the_wrong_envelope_shape_answers_harmlessly(postback):
    task, send = postback("shape")
    body = {"tasks": [{"id": task.provider_task_id, "status_code": "20000", "cost": []}]}
    assert send(json.dumps(body).encode()).status_code == 200
    assert send(b'{"tasks": "nope"}').status_code == 200
    task.refresh_from_db()
    assert task.status == TaskStatus.POSTED
    assert "it could not be read" in task.events.get(kind=TaskEvent.Kind.NOTE).message


def test_a_huge_postback_is_refused_and_polling_takes_over(postback):
    """5 MB is beyond the postback's size cap; task_get fetches it (and stores it cut)."""
    task, send = postback("huge")
    assert send().status_code == 413
    task.refresh_from_db()
    assert task.status == TaskStatus.POSTED
    assert task.next_attempt_at <= timezone.now()  # polled at once
    assert not Answer.objects.filter(task=task).exists()
    assert "decompresses beyond the size cap" in _messages(task)


def test_a_postback_whose_answer_cannot_be_stored_answers_harmlessly(postback, monkeypatch):
    monkeypatch.setattr(answers, "answer_storable", lambda answer: (answer, []))
    task, send = postback("surrogate")
    assert send().status_code == 200
    task.refresh_from_db()
    assert task.status == TaskStatus.POSTED
    assert "storing its answer failed (UnicodeEncodeError" in _messages(task)


def test_poisoned_webhook_ids_and_tags_are_ignored(queue, pipeline_settings, client):
    task = queue(1)[0]
    token = webhook_token(tag=task.tag)
    for provider_id in ("\x00", "p\ud800", "x" * 65, "a b\n"):
        assert pingback_receive(token=token, provider_id=provider_id, tag=task.tag) == "unknown"
        envelope = {"tasks": [{"id": provider_id, "status_code": 20000}]}
        assert (
            postback_receive(token=token, provider_id=provider_id, tag=task.tag, envelope=envelope)
            == "unknown"
        )
    assert pingback_receive(token="é\x00", provider_id="p-1", tag="t\x00") == "unknown"
    url = reverse("webhook_pingback", args=[token])
    assert client.get(url, {"id": "\x00", "tag": task.tag}).status_code == 200
    task.refresh_from_db()
    assert (task.status, task.provider_task_id) == (TaskStatus.QUEUED, "")
