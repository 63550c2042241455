"""Live calls against the sandbox over HTTP: Perplexity (live only) and the fallback families.

The money rules are posting's: a claim, a reservation under the budgets, one history row per
transition, the real cost linked to the call. A live call whose outcome is unknown is never
sent again; one refused before it was processed is retried.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from monitoring.aisa import contract
from monitoring.aisa.client import AisaClient
from monitoring.models import (
    Answer,
    ApiCall,
    Prompt,
    Task,
    TaskEvent,
    TaskMode,
    TaskStatus,
    Workspace,
)
from monitoring.pipeline import collecting, live, ratelimit, reconcile, runner
from monitoring.pipeline.posting import tasks_post
from monitoring.pipeline.ratelimit import CallLimiter
from monitoring.services.tasks import task_batch_create

SONAR = {"model_name": "sonar", "max_output_tokens": 256}
CLAUDE = {"model_name": "claude-sonnet-4-20250514", "max_output_tokens": 256}
KEY = "sk-aisa-test-key"


@pytest.fixture
def live_settings(pipeline_settings, sandbox):
    pipeline_settings.AISA_BASE_URL = sandbox.aisa_base_url
    pipeline_settings.AISA_API_KEY = KEY
    pipeline_settings.AISA_LIVE_FAMILIES = []
    return pipeline_settings


@pytest.fixture(autouse=True)
def _no_enqueue(monkeypatch):
    """Creating tasks would enqueue pipeline_post on the real broker."""
    monkeypatch.setattr("monitoring.services.tasks.post_enqueue", lambda: None)


def make_tasks(n, *, engine="perplexity", request_settings=SONAR, workspace=None):
    workspace = workspace or Workspace.objects.get_or_create(name="Live")[0]
    prompts = [
        Prompt.objects.create(workspace=workspace, text=f"Which CRM suits team {i}?")
        for i in range(n)
    ]
    return task_batch_create(
        workspace=workspace, prompts=prompts, request_settings=request_settings, engine=engine
    )


def client_for(sandbox, *, read_timeout: float = 5):
    """Clients of the sandbox per engine, counted by the shared limiter."""

    def make(engine: str) -> AisaClient:
        return AisaClient(
            sandbox.aisa_base_url,
            KEY,
            family=engine,
            read_timeout=read_timeout,
            before_call=CallLimiter(),
        )

    return make


def live_sent(sandbox) -> int:
    return sum(1 for endpoint, _ in sandbox.calls if endpoint == "live")


def statuses(task: Task) -> list[str]:
    events = TaskEvent.objects.filter(task=task, kind=TaskEvent.Kind.STATUS).order_by("id")
    return [e.status_to for e in events]


def costs(task: Task) -> dict[str, TaskEvent]:
    return {e.cost_field: e for e in TaskEvent.objects.filter(task=task, kind="cost")}


@pytest.mark.django_db
def test_a_perplexity_task_goes_from_queued_to_collected_through_live(sandbox, live_settings):
    (task,) = make_tasks(1)
    assert (task.engine, task.mode) == ("perplexity", TaskMode.LIVE)

    report = runner.live_step(workers=1)

    assert report.collected == 1
    task.refresh_from_db()
    assert task.status == TaskStatus.COLLECTED
    assert statuses(task) == [TaskStatus.QUEUED, TaskStatus.POSTING, TaskStatus.COLLECTED]
    answer = Answer.objects.get(task=task)
    assert answer.engine == "perplexity"
    assert answer.text
    call = ApiCall.objects.get(endpoint="live")
    assert (call.task_count, call.outcome) == (1, "ok")
    rows = costs(task)
    assert set(rows) >= {"cost_reserved", "money_spent", "cost_real", "gateway_price"}
    assert rows["cost_real"].amount == answer.money_spent + contract.LIVE_BASE_PRICE_USD
    assert task.cost_real == rows["cost_real"].amount
    assert {rows[f].api_call_id for f in ("money_spent", "cost_real", "gateway_price")} == {call.pk}
    assert call.cost_reported == task.cost_real  # what the API billed is what we recorded
    # Perplexity has no task_post: only the live endpoint was asked.
    assert [endpoint for endpoint, _ in sandbox.calls] == ["live"]
    assert sandbox.accepted_tags()[task.tag] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "drop_after_accept"},  # answered (and billed), the connection then lost
        {"kind": "latency", "seconds": 2.0},  # the answer comes after the read timeout
    ],
    ids=["connection-lost", "read-timeout"],
)
def test_a_live_call_of_unknown_outcome_is_never_sent_again(sandbox, live_settings, fault):
    (task,) = make_tasks(1)
    sandbox.add_fault(fault.pop("kind"), endpoint="live", **fault)
    clients = client_for(sandbox, read_timeout=0.5)

    report = live.tasks_live(client_for=clients)

    assert report.unknown == 1
    task.refresh_from_db()
    assert task.status == TaskStatus.UNKNOWN
    assert "not asked again automatically" in task.last_error_message
    assert statuses(task)[-1] == TaskStatus.UNKNOWN
    # Everything that could re-send it runs, days later: reconciling, expiry, the live step.
    later = timezone.now() + timedelta(days=4)
    with clients("claude") as api:
        reconcile.tasks_reconcile(client=api, now=later)
    collecting.tasks_expire(now=later)
    assert live.tasks_live(client_for=clients).calls == 0
    assert runner.live_step(workers=1, client_for=clients).calls == 0
    task.refresh_from_db()
    assert task.status == TaskStatus.UNKNOWN
    assert live_sent(sandbox) == 1
    # The API did answer it (once): wait for the slow answer, so that it is not recorded in
    # the shared sandbox during a later test.
    deadline = time.monotonic() + 10
    while sandbox.accepted_tags()[task.tag] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox.accepted_tags()[task.tag] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("fault", ["http_503", "rate_limit"])
def test_a_live_call_refused_before_processing_is_retried(sandbox, live_settings, fault):
    (task,) = make_tasks(1)
    sandbox.add_fault(fault, endpoint="live")
    clients = client_for(sandbox)

    assert live.tasks_live(client_for=clients).retry == 1
    task.refresh_from_db()
    assert task.status == TaskStatus.QUEUED
    assert task.next_attempt_at > timezone.now()
    Task.objects.filter(pk=task.pk).update(next_attempt_at=timezone.now())
    assert live.tasks_live(client_for=clients).collected == 1
    assert live_sent(sandbox) == 2
    assert sandbox.accepted_tags()[task.tag] == 1  # answered once
    assert statuses(Task.objects.get(pk=task.pk)) == [
        TaskStatus.QUEUED,
        TaskStatus.POSTING,
        TaskStatus.QUEUED,
        TaskStatus.POSTING,
        TaskStatus.COLLECTED,
    ]


@pytest.mark.django_db
def test_the_budget_holds_live_tasks_beyond_it(sandbox, live_settings):
    workspace = Workspace.objects.create(name="Tight", monthly_budget_usd=Decimal("0.0001"))
    tasks = make_tasks(3, workspace=workspace)

    report = live.tasks_live(client_for=client_for(sandbox))

    assert report.calls == 0
    assert report.held == 3
    assert live_sent(sandbox) == 0
    for task in Task.objects.filter(pk__in=[t.pk for t in tasks]):
        assert task.status == TaskStatus.HELD
        assert statuses(task) == [TaskStatus.QUEUED, TaskStatus.HELD]
    Workspace.objects.filter(pk=workspace.pk).update(monthly_budget_usd=Decimal(50))
    assert live.tasks_live(client_for=client_for(sandbox)).collected == 3
    assert live_sent(sandbox) == 3


@pytest.mark.django_db
def test_the_daily_cap_holds_live_tasks_too(sandbox, live_settings):
    live_settings.AISA_DAILY_CAP_USD = "0.0001"
    make_tasks(2)
    report = live.tasks_live(client_for=client_for(sandbox))
    assert (report.calls, report.held) == (0, 2)
    assert live_sent(sandbox) == 0


@pytest.mark.django_db
def test_one_limiter_counts_every_familys_calls(sandbox, live_settings):
    live_settings.AISA_CALLS_PER_MINUTE = 3
    make_tasks(2, engine="claude", request_settings=CLAUDE)
    make_tasks(5)
    clients = client_for(sandbox)

    with clients("claude") as api:
        assert tasks_post(client=api).posted == 2  # one task_post call
    report = live.tasks_live(client_for=clients)

    assert report.collected == 2  # the window had two calls left, not five
    sent = Counter(endpoint for endpoint, _ in sandbox.calls)
    assert sent == {"task_post": 1, "live": 2}
    ledger = Counter(ApiCall.objects.values_list("endpoint", flat=True))
    assert ledger == sent
    assert ratelimit.calls_left(endpoint=contract.Endpoint.LIVE) == 0
    assert Task.objects.filter(engine="perplexity", status=TaskStatus.QUEUED).count() == 3


@pytest.mark.django_db
def test_a_fallback_family_is_asked_live_instead_of_posted(sandbox, live_settings):
    live_settings.AISA_LIVE_FAMILIES = ["claude"]
    (task,) = make_tasks(1, engine="claude", request_settings=CLAUDE)
    assert task.mode == TaskMode.STANDARD
    assert task.request_body.get("tag")
    clients = client_for(sandbox)

    with clients("claude") as api:
        assert tasks_post(client=api).calls == 0  # posting leaves it to the live step
    assert live.tasks_live(client_for=clients).collected == 1

    task.refresh_from_db()
    assert (task.status, task.mode) == (TaskStatus.COLLECTED, TaskMode.LIVE)
    assert [endpoint for endpoint, _ in sandbox.calls] == ["live"]
    assert Answer.objects.get(task=task).engine == "claude"


@pytest.mark.django_db(transaction=True)
def test_live_calls_in_flight_never_exceed_the_cap(
    sandbox, live_settings, monkeypatch, run_workers
):
    cap, workers = 2, 4
    monkeypatch.setattr(contract, "MAX_CONCURRENT_LIVE_CALLS", cap)
    tasks = make_tasks(8)
    sandbox.add_fault("latency", count=0, endpoint="live", seconds=0.3)  # calls overlap

    reports = run_workers(lambda _i: live.tasks_live(client_for=client_for(sandbox)), n=workers)

    assert sum(r.collected for r in reports) == 8
    assert live_sent(sandbox) == 8
    assert sum(1 for r in reports if r.calls) >= 2  # the workers really shared the work
    # Replaying the committed history in order: how many were in "posting" at any time.
    ids = [t.pk for t in tasks]
    flight = peak = 0
    for event in TaskEvent.objects.filter(task_id__in=ids, kind="status").order_by("id"):
        if event.status_to == TaskStatus.POSTING:
            flight += 1
        elif event.status_from == TaskStatus.POSTING:
            flight -= 1
        peak = max(peak, flight)
    assert 1 <= peak <= cap


@pytest.mark.django_db
def test_no_live_call_starts_after_the_runs_deadline(sandbox, live_settings):
    # The job must end within its timeout: a run past its deadline claims nothing more.
    make_tasks(2)
    late = live.tasks_live(client_for=client_for(sandbox), deadline=time.monotonic() - 1)
    on_time = live.tasks_live(client_for=client_for(sandbox), deadline=time.monotonic() + 60)

    assert (late.calls, on_time.calls) == (0, 2)
    assert live_sent(sandbox) == 2
