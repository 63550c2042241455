"""Never twice, never lost: unknown outcomes are reconciled by tag before any re-post."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring.models import Task, TaskStatus
from monitoring.pipeline.collecting import tasks_collect
from monitoring.pipeline.posting import tasks_post
from monitoring.pipeline.reconcile import claim_timeout, tasks_reconcile

pytestmark = pytest.mark.django_db

GRACE = 11 * 60  # seconds: past the absence grace period


def _later(seconds):
    return timezone.now() + timedelta(seconds=seconds)


def test_it_reconciles_accepted_then_dropped_tasks_without_posting_twice(api, sandbox, queue):
    queue(30)
    sandbox.add_fault("drop_after_accept", endpoint="task_post")
    report = tasks_post(client=api)
    assert report.unknown == 30
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.UNKNOWN}
    assert tasks_post(client=api).posted == 0  # unknown tasks are never re-posted blindly

    reconciled = tasks_reconcile(client=api, now=_later(GRACE))
    assert reconciled.found == 30
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.POSTED}
    tags = sandbox.accepted_tags()
    assert len(tags) == 30
    assert set(tags.values()) == {1}

    Task.objects.update(next_attempt_at=timezone.now())
    assert tasks_collect(client=api).collected == 30


def test_it_reposts_only_after_a_confirmed_absence(api, sandbox, queue):
    queue(5)
    sandbox.add_fault("drop_before_accept", endpoint="task_post")
    tasks_post(client=api)
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.UNKNOWN}

    early = tasks_reconcile(client=api)  # within the grace period: wait
    assert early.waiting == 5
    assert early.absent == 0

    sandbox.add_fault("http_503", endpoint="id_list")
    failed = tasks_reconcile(client=api, now=_later(GRACE))  # listing failed: still unknown
    assert failed.error
    assert failed.absent == 0
    assert Task.objects.filter(status=TaskStatus.UNKNOWN).count() == 5

    confirmed = tasks_reconcile(client=api, now=_later(GRACE))
    assert confirmed.absent == 5
    assert tasks_post(client=api).posted == 5
    assert set(sandbox.accepted_tags().values()) == {1}
    task = Task.objects.first()
    assert "Confirmed absent" in task.events.get(status_to="queued", status_from="unknown").message


def test_it_treats_a_read_timeout_on_post_as_unknown(sandbox, queue):
    from monitoring.aisa.client import AisaClient

    queue(3)
    sandbox.add_fault("latency", seconds=1.5, endpoint="task_post")
    with AisaClient(sandbox.aisa_base_url, "sk-aisa-test-key", read_timeout=0.5) as slow:
        assert tasks_post(client=slow).unknown == 3
    time.sleep(1.5)  # the server is still working on the request we gave up on
    with AisaClient(sandbox.aisa_base_url, "sk-aisa-test-key") as api:
        assert tasks_reconcile(client=api, now=_later(GRACE)).found == 3
    assert set(sandbox.accepted_tags().values()) == {1}


def test_it_turns_a_claim_left_by_a_dead_worker_into_unknown(api, sandbox, queue):
    from monitoring.pipeline.posting import batch_claim

    queue(2)
    batch_claim(size=10)  # the worker claimed, then died before posting
    report = tasks_reconcile(client=api, now=timezone.now() + claim_timeout() + _delta(GRACE))
    assert report.stale == 2
    assert report.absent == 2  # nothing was sent: confirmed absent, back in the queue
    assert Task.objects.filter(status=TaskStatus.QUEUED).count() == 2


def _delta(seconds):
    return timedelta(seconds=seconds)
