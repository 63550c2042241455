"""Several workers at once, each a thread with its own database connection.

Claims, the calls-per-minute limit and the daily cap are all decided in the database under a
lock, so they must hold across workers exactly as within one. Transactional tests: the
threads' connections only see committed data (SQLite file database or PostgreSQL).
"""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal

import pytest

from monitoring.aisa.client import AisaClient
from monitoring.aisa.contract import TASK_PREPAYMENT_USD
from monitoring.models import ApiCall, Task, TaskEvent, TaskStatus
from monitoring.pipeline.posting import batch_claim, tasks_post

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 4


@pytest.fixture(autouse=True)
def _no_enqueue(monkeypatch):
    """queue() would enqueue pipeline_post on the real broker (a shared Redis, maybe)."""
    monkeypatch.setattr("monitoring.services.tasks.post_enqueue", lambda: None)


def _post_calls(sandbox) -> list[int]:
    return [n for endpoint, n in sandbox.calls if endpoint == "task_post"]


def _posting_worker(sandbox, **kwargs):
    def work(_i):
        with AisaClient(sandbox.aisa_base_url, "sk-aisa-test-key", read_timeout=10) as client:
            return tasks_post(client=client, **kwargs)

    return work


def test_concurrent_claims_never_overlap_and_lose_nothing(queue, run_workers):
    tasks = queue(300)

    def claim_all(_i):
        mine = []
        while batch := batch_claim(size=7):
            mine.extend(t.pk for t in batch)
            time.sleep(0.01)  # posting would happen here; lets the others take the lock
        return mine

    claimed = run_workers(claim_all)
    every = [pk for mine in claimed for pk in mine]
    assert len(every) == len(set(every)) == 300  # none twice, none lost
    assert set(every) == {t.pk for t in Task.objects.all()} == {t.pk for t in tasks}
    assert sum(1 for mine in claimed if mine) >= 2  # the workers really competed
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.POSTING}
    # One claim event per task, and each task's token is the one of the worker holding it.
    assert TaskEvent.objects.filter(status_to=TaskStatus.POSTING).count() == 300
    per_token = Counter(Task.objects.values_list("claim_token", flat=True))
    assert sum(per_token.values()) == 300
    assert all(0 < n <= 7 for n in per_token.values())


def test_concurrent_posting_posts_each_task_exactly_once(sandbox, queue, run_workers):
    queue(400)
    reports = run_workers(_posting_worker(sandbox, batch_size=20))
    assert sum(r.posted for r in reports) == 400
    assert sum(1 for r in reports if r.posted) >= 2
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.POSTED}
    accepted = sandbox.accepted_tags()
    assert len(accepted) == 400
    assert max(accepted.values()) == 1
    assert sum(_post_calls(sandbox)) == 400
    assert ApiCall.objects.filter(endpoint="task_post").count() == len(_post_calls(sandbox))
    for task in Task.objects.all():
        assert task.provider_task_id
        assert task.events.filter(status_to=TaskStatus.POSTED).count() == 1


def test_the_calls_per_minute_limit_holds_across_workers(
    sandbox, queue, pipeline_settings, run_workers
):
    pipeline_settings.AISA_CALLS_PER_MINUTE = 5
    queue(200)
    reports = run_workers(_posting_worker(sandbox, batch_size=10))
    calls = _post_calls(sandbox)
    assert len(calls) == 5  # not 5 per worker: one shared limit
    assert sum(r.calls for r in reports) == 5
    assert Task.objects.filter(status=TaskStatus.POSTED).count() == 50
    assert Task.objects.filter(status=TaskStatus.QUEUED).count() == 150  # waiting, not lost
    assert ApiCall.objects.filter(endpoint="task_post").count() == 5  # unused slots given back
    assert max(sandbox.accepted_tags().values()) == 1


def test_the_daily_cap_holds_across_workers(sandbox, queue, pipeline_settings, run_workers):
    pipeline_settings.AISA_DAILY_CAP_USD = "0.50"
    queue(120)
    reports = run_workers(_posting_worker(sandbox, batch_size=7))
    posted = Task.objects.filter(status=TaskStatus.POSTED)
    worst = posted.first().cost_reserved  # every task has the same body: one worst case
    fits = int(Decimal("0.50") // worst)
    assert 0 < fits < 120
    assert posted.count() == fits
    assert sum(r.posted for r in reports) == fits
    assert len(sandbox.accepted_tags()) == fits
    assert sum(_post_calls(sandbox)) == fits  # nothing beyond the cap was even sent
    assert Task.objects.filter(status=TaskStatus.HELD).count() == 120 - fits
    reserved = sum((t.cost_reserved for t in posted), Decimal(0))
    assert reserved <= Decimal("0.50")
    assert sum((t.cost_prepaid for t in posted), Decimal(0)) == fits * TASK_PREPAYMENT_USD
