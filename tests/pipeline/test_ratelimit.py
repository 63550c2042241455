"""One calls-per-minute limit for every API call, measured where the API would see it.

The pipeline's own client (``api_client()``) counts each call when it is sent, through the
database, so the limit holds across workers. The sandbox's request log (arrival times) is
the judge: no window of the limit's length may hold more calls than the limit, whatever
their endpoint.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from monitoring import selectors
from monitoring.aisa.contract import Endpoint, Outcome
from monitoring.aisa.errors import AisaError
from monitoring.models import ApiCall, Task, TaskEvent, TaskStatus
from monitoring.pipeline import posting, ratelimit
from monitoring.pipeline.catalog import model_catalog_refresh
from monitoring.pipeline.client import api_client
from monitoring.pipeline.collecting import tasks_collect, tasks_ready_collect
from monitoring.pipeline.posting import tasks_post
from monitoring.pipeline.reconcile import tasks_reconcile

GRACE = timedelta(minutes=11)


@pytest.fixture
def limited(pipeline_settings, sandbox, monkeypatch):
    """The pipeline's own client talks to the sandbox; set the limit on the result."""
    pipeline_settings.AISA_BASE_URL = sandbox.aisa_base_url
    pipeline_settings.AISA_API_KEY = "sk-aisa-test-key"
    pipeline_settings.AISA_READ_TIMEOUT = 10
    pipeline_settings.AISA_RATE_WINDOW_SECONDS = 60
    # queue() would enqueue pipeline_post on the real broker (a shared Redis, maybe).
    monkeypatch.setattr("monitoring.services.tasks.post_enqueue", lambda: None)
    return pipeline_settings


def _sent(sandbox) -> Counter[str]:
    return Counter(endpoint for _, endpoint in sandbox.request_log)


def _ledger() -> Counter[str]:
    return Counter(ApiCall.objects.values_list("endpoint", flat=True))


def _due_now() -> None:
    Task.objects.update(next_attempt_at=timezone.now())


def _run(*targets, timeout: float = 120) -> list:
    """Run each target in a thread of its own (its own database connection), together."""
    barrier = threading.Barrier(len(targets))
    results: list = [None] * len(targets)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = targets[i]()
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(targets))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    if errors:
        raise errors[0]
    close_old_connections()
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("limit", "seconds", "tasks", "collectors"),
    [
        pytest.param(20, 0.5, 120, 2, id="20-per-half-second"),
        pytest.param(60, 1.0, 500, 1, id="the-issue-60-per-second", marks=pytest.mark.slow),
    ],
)
def test_no_window_holds_more_calls_than_the_limit_while_tasks_are_posted_and_polled(
    sandbox, queue, limited, monkeypatch, limit, seconds, tasks, collectors
):
    """The issue: at most 60 calls a minute while 500 tasks are posted and collected by
    polling. A real minute is too slow for a test, so the window is shortened
    (AISA_RATE_WINDOW_SECONDS): 60 calls per second for 500 tasks (the issue's numbers, ~15
    s), and 20 calls per half second for 120 tasks (a few seconds). The property is the
    same: the sandbox's request log, by arrival time, never holds more than ``limit`` calls
    of any kind within ``seconds``. A poster and one or two collectors run at once, each
    with its own client and database connection; unlimited, the polls alone would arrive
    at well over 100 a second.
    """
    limited.AISA_CALLS_PER_MINUTE = limit
    limited.AISA_RATE_WINDOW_SECONDS = seconds
    monkeypatch.setattr(posting, "FIRST_POLL_AFTER", timedelta(0))  # poll at once
    queue(tasks)
    deadline = time.monotonic() + 120
    deferred: list[int] = []

    def poster():
        with api_client() as client:
            while Task.objects.filter(status=TaskStatus.QUEUED).exists():
                assert time.monotonic() < deadline, "posting did not finish"
                tasks_post(client=client)
                time.sleep(0.02)

    def collector():
        with api_client() as client:
            while Task.objects.exclude(status=TaskStatus.COLLECTED).exists():
                assert time.monotonic() < deadline, "collecting did not finish"
                deferred.append(tasks_collect(client=client).deferred)
                time.sleep(0.02)

    started = time.monotonic()
    _run(poster, *[collector] * collectors)
    elapsed = time.monotonic() - started

    busiest = sandbox.busiest_window(seconds)
    sent = _sent(sandbox)
    print(
        f"\n{sum(sent.values())} calls ({dict(sent)}) in {elapsed:.1f} s; busiest "
        f"{seconds:g} s window: {busiest} calls, limit {limit}"
    )
    assert busiest <= limit
    assert sent[Endpoint.TASK_POST] == math.ceil(tasks / 100)
    assert sent[Endpoint.TASK_GET] >= tasks
    assert Task.objects.filter(status=TaskStatus.COLLECTED).count() == tasks
    assert set(sandbox.accepted_tags().values()) == {1}
    assert any(deferred)  # the limit, not the work, set the pace: polls were held back
    assert selectors.collection_status_get() == "rate-limited: polling deferred"
    # The ledger: one ApiCall row per request the API received, posting's linked to history.
    assert _ledger() == sent
    posted_calls = set(
        TaskEvent.objects.filter(status_to=TaskStatus.POSTED).values_list("api_call", flat=True)
    )
    assert posted_calls == set(
        ApiCall.objects.filter(endpoint="task_post").values_list("pk", flat=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("endpoint", "calls", "limit", "sent"),
    [
        ("tasks_ready", 25, 1000, 20),  # the endpoint's own 20 a minute
        ("id_list", 14, 1000, 10),  # the endpoint's own 10 a minute
        ("tasks_ready", 25, 15, 15),  # the overall limit applies on top
    ],
)
def test_per_endpoint_caps_hold_on_top_of_the_overall_limit(
    sandbox, limited, endpoint, calls, limit, sent
):
    limited.AISA_CALLS_PER_MINUTE = limit
    now = datetime.now(UTC)
    refused = []
    with api_client() as client:
        for _ in range(calls):
            try:
                if endpoint == "id_list":
                    client.id_list(datetime_from=now - timedelta(hours=1), datetime_to=now)
                else:
                    client.tasks_ready()
            except AisaError as exc:
                refused.append(exc)
    assert _sent(sandbox) == {endpoint: sent}
    assert _ledger() == {endpoint: sent}
    assert len(refused) == calls - sent
    assert {exc.outcome for exc in refused} == {Outcome.RATE_LIMITED}
    assert all(55 < exc.retry_after <= 66 for exc in refused)  # when the oldest call leaves
    assert all("not sent" in str(exc) for exc in refused)


@pytest.mark.django_db
def test_polling_deferred_by_the_limit_keeps_its_schedule_and_shows_on_healthz(
    sandbox, queue, limited, admin_client
):
    limited.AISA_CALLS_PER_MINUTE = 10  # 9 for polls, 1 kept for posting
    queue(30)
    with api_client() as api:
        assert tasks_post(client=api).posted == 30
        _due_now()
        schedule = dict(Task.objects.values_list("pk", "next_attempt_at"))
        report = tasks_collect(client=api)
    assert report.collected == 8  # 10 a minute, minus the reserve, minus the post
    assert report.deferred == 22
    assert (report.errors, report.stopped) == (0, "")
    assert _sent(sandbox) == {"task_post": 1, "task_get": 8}
    waiting = Task.objects.exclude(status=TaskStatus.COLLECTED)
    assert waiting.count() == 22
    assert all(t.next_attempt_at == schedule[t.pk] and t.polls == 0 for t in waiting)
    assert not waiting.exclude(last_error_message="").exists()

    body = admin_client.get(reverse("healthz")).json()
    assert body["api"]["collection"] == "rate-limited: polling deferred"
    assert "sk-aisa" not in str(body)


@pytest.mark.django_db
def test_deferred_polling_prefers_tasks_ready_when_available(sandbox, queue, limited, admin_client):
    limited.AISA_CALLS_PER_MINUTE = 10
    limited.AISA_COLLECT_MODES = ["poll", "tasks_ready"]
    with api_client() as api:
        sandbox.task_delay = 60
        queue(25)  # the oldest, not done for a minute
        tasks_post(client=api)
        sandbox.task_delay = 0
        done = {t.pk for t in queue(5)}  # done at once
        tasks_post(client=api)
        _due_now()
        report = tasks_collect(client=api)
    # Polling the 7 oldest due would have found nothing; one tasks_ready call finds the 5.
    assert report.collected == 5
    assert set(Task.objects.filter(status=TaskStatus.COLLECTED).values_list("pk", flat=True)) == (
        done
    )
    assert _sent(sandbox) == {"task_post": 2, "tasks_ready": 1, "task_get": 5}
    assert Task.objects.filter(status=TaskStatus.POSTED, polls=0).count() == 25
    body = admin_client.get(reverse("healthz")).json()
    assert body["api"]["collection"] == "rate-limited: polling deferred; using tasks_ready"


@pytest.mark.django_db
def test_healthz_reports_collection_ok_without_a_recent_deferral(admin_client, limited):
    assert admin_client.get(reverse("healthz")).json()["api"]["collection"] == "ok"


@pytest.mark.django_db
def test_posting_counts_its_reserved_slot_when_the_call_is_sent(
    sandbox, queue, limited, monkeypatch
):
    """The slot is reserved before the claim (so nothing is claimed in vain), but its
    ``ApiCall`` row, which the history links to, is stamped with the send time."""
    claim = posting.batch_claim
    claimed_at: list[datetime] = []

    def slow_claim(**kwargs):
        tasks = claim(**kwargs)
        time.sleep(0.2)  # a slow claim: reservation and send are far apart
        claimed_at.append(timezone.now())
        return tasks

    monkeypatch.setattr(posting, "batch_claim", slow_claim)
    queue(3)
    with api_client() as api:
        assert tasks_post(client=api).posted == 3
    call = ApiCall.objects.get(endpoint="task_post")
    assert call.started_at >= claimed_at[0] - timedelta(milliseconds=5)
    assert call.outcome == "ok"
    events = TaskEvent.objects.filter(status_to=TaskStatus.POSTED)
    assert set(events.values_list("api_call", flat=True)) == {call.pk}
    assert _sent(sandbox) == {"task_post": 1}


@pytest.mark.django_db
def test_every_call_the_pipeline_makes_is_counted_and_in_the_ledger(sandbox, queue, limited):
    limited.AISA_COLLECT_MODES = ["poll", "tasks_ready"]
    queue(3)
    model_catalog_refresh()  # models
    with api_client() as api:
        tasks_post(client=api)  # task_post
        Task.objects.filter(pk=Task.objects.first().pk).update(status=TaskStatus.UNKNOWN)
        tasks_reconcile(client=api, now=timezone.now() + GRACE)  # id_list
        tasks_ready_collect(client=api)  # tasks_ready + task_get
        _due_now()
        tasks_collect(client=api)  # task_get
    sent = _sent(sandbox)
    assert set(sent) == {"models", "task_post", "id_list", "tasks_ready", "task_get"}
    assert _ledger() == sent
    assert ratelimit.calls_left(endpoint=Endpoint.MODELS) == 1000 - sum(sent.values())
