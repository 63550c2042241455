"""Money you can trust: the ledger of every task, and caps that real spend cannot pass.

Over real HTTP against the sandbox, which bills like the API: the $0.01 prepayment at
task_post, then a ``money_spent`` per answer from the model's token prices, the tokens
used and the web-search fee.
"""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from monitoring.aisa.client import AisaClient
from monitoring.models import Task, TaskEvent, TaskStatus
from monitoring.models.prices import TASK_BASE_PRICE_USD
from monitoring.pipeline.client import api_client
from monitoring.pipeline.collecting import tasks_collect
from monitoring.pipeline.posting import tasks_post
from monitoring.selectors.estimates import send_estimate_get

OPUS_WEB = {"model_name": "claude-opus-4-1-20250805", "web_search": True, "max_output_tokens": 256}
MIXED = [
    {"model_name": "claude-sonnet-4-20250514", "max_output_tokens": 512},
    {"model_name": "claude-sonnet-4-20250514", "web_search": True},
    {"model_name": "claude-haiku-4-5-20251001", "use_reasoning": True, "max_output_tokens": 2048},
    OPUS_WEB,
]


def _post_and_collect(client, *, rounds: int = 30) -> None:
    for _ in range(rounds):
        posted = tasks_post(client=client).posted
        collected = tasks_collect(client=client, now=_later()).collected
        if not posted and not collected:
            return


def _later():
    return timezone.now() + timedelta(minutes=30)  # every posted task is due for a poll


@pytest.mark.django_db
def test_every_collected_task_carries_its_real_cost_and_they_sum_to_the_bill(sandbox, queue):
    for settings in MIXED:
        queue(5, request_settings=settings)
    # The configured client: its limiter records every call in the ledger.
    with api_client(base_url=sandbox.aisa_base_url, api_key="sk-aisa-test-key") as client:
        _post_and_collect(client)
    tasks = list(Task.objects.all())
    assert {t.status for t in tasks} == {TaskStatus.COLLECTED}
    for task in tasks:
        assert task.cost_real == task.money_spent + TASK_BASE_PRICE_USD
        assert task.cost_reserved >= task.cost_real  # the worst case really was the worst
        assert task.cost_difference == task.cost_prepaid - task.cost_real
        costs = task.events.filter(kind=TaskEvent.Kind.COST)
        fields = set(costs.values_list("cost_field", flat=True))
        assert fields >= {"cost_reserved", "cost_prepaid", "money_spent", "cost_real"}
        # Each amount leads to the API call that reported it.
        calls = dict(costs.values_list("cost_field", "api_call__endpoint"))
        assert calls["cost_prepaid"] == "task_post"
        assert calls["money_spent"] == calls["cost_real"] == "task_get"
    opus = [t for t in tasks if t.request_body["model_name"].startswith("claude-opus")]
    assert all(t.cost_real > Decimal("0.01") for t in opus)  # beyond the prepayment
    assert sum(t.cost_real for t in tasks) == sandbox.billed_total()


@pytest.mark.django_db
def test_the_expected_cost_is_within_a_fifth_of_the_real_average(api, sandbox, queue, workspace):
    settings = MIXED[1]  # Sonnet with web search: the most variable answers
    queue(30, workspace=workspace, request_settings=settings)
    _post_and_collect(api)
    bodies = [t.request_body for t in Task.objects.all()[:10]]
    estimate = send_estimate_get(workspace=workspace, bodies=bodies)
    assert estimate.history_n == 30

    Task.objects.all().delete()
    sandbox.seed = 7  # fresh answers, not the ones the history saw
    queue(20, workspace=workspace, request_settings=settings)
    _post_and_collect(api)
    fresh = [t.cost_real for t in Task.objects.all()]
    real_average = sum(fresh) / len(fresh)
    assert abs(estimate.average - real_average) <= real_average / 5
    assert estimate.worst / len(bodies) >= max(fresh)  # the worst case covers every answer


@pytest.mark.django_db(transaction=True)
def test_four_workers_never_let_real_spend_pass_the_daily_cap(
    sandbox, queue, pipeline_settings, run_workers
):
    pipeline_settings.AISA_DAILY_CAP_USD = "0.30"
    queue(200, request_settings=OPUS_WEB)

    def worker(_i):
        with AisaClient(sandbox.aisa_base_url, "sk-aisa-test-key", read_timeout=10) as client:
            for _ in range(15):
                tasks_post(client=client, batch_size=5)
                tasks_collect(client=client, now=_later())
                time.sleep(0.02)

    run_workers(worker)
    with AisaClient(sandbox.aisa_base_url, "sk-aisa-test-key") as client:
        _post_and_collect(client)  # whatever a last freed reservation allows

    tasks = Task.objects.all()
    real = sum(t.cost_real for t in tasks if t.cost_real is not None)
    assert real <= Decimal("0.30")
    assert sandbox.billed_total() <= Decimal("0.30")
    collected = tasks.filter(status=TaskStatus.COLLECTED).count()
    held = tasks.filter(status=TaskStatus.HELD)
    assert collected >= 1
    assert collected + held.count() == 200  # nothing else: every task collected or held
    for task in held[:20]:
        reason = task.events.order_by("at", "id").last().message
        assert reason.startswith("Held: this task may cost up to $")
        assert "daily cap ($0.30)" in reason
