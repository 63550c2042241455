"""Posting against the sandbox over real HTTP: batches, per-task outcomes, retries, halts."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from monitoring.models import ApiCall, PipelineHalt, Task, TaskEvent, TaskStatus
from monitoring.pipeline.posting import batch_claim, tasks_post

pytestmark = pytest.mark.django_db


def _statuses():
    return sorted(Task.objects.values_list("status", flat=True))


def test_it_posts_in_batches_of_at_most_100(api, sandbox, queue):
    queue(250)
    report = tasks_post(client=api)
    assert report.posted == 250
    assert [n for endpoint, n in sandbox.calls if endpoint == "task_post"] == [100, 100, 50]
    assert set(_statuses()) == {TaskStatus.POSTED}
    assert ApiCall.objects.filter(endpoint="task_post").count() == 3


def test_it_records_ids_costs_and_history_for_each_posted_task(api, sandbox, queue):
    queue(2)
    tasks_post(client=api)
    for task in Task.objects.all():
        assert task.provider_task_id
        assert str(task.cost_prepaid) == "0.010000"
        events = list(task.events.values_list("kind", "status_to", "cost_field"))
        assert events == [
            ("status", "queued", ""),
            ("status", "posting", ""),
            ("cost", "", "cost_reserved"),
            ("status", "posted", ""),
            ("cost", "", "cost_prepaid"),
            ("cost", "", "gateway_price"),  # its share of the call's X-AISA-Price-USD
        ]
        assert task.cost_reserved > task.cost_prepaid  # the worst case, reserved at the claim
        assert task.gateway_price == Decimal("0.010000")
        call = task.events.get(status_to="posted").api_call
        assert call.task_count == 2
        assert call.outcome == "ok"
    assert sandbox.accepted_tags() == {t.tag: 1 for t in Task.objects.all()}


def test_it_handles_a_mixed_batch(api, sandbox, queue):
    tasks = queue(4)
    bad = tasks[3]
    Task.objects.filter(pk=bad.pk).update(request_body={**bad.request_body, "temperature": 3})
    sandbox.add_fault("task_rate_limit", every=3)  # the third task of the batch gets 40202
    report = tasks_post(client=api, max_calls=1)
    by_tag = {t.tag: t for t in Task.objects.all()}
    assert by_tag[tasks[0].tag].status == TaskStatus.POSTED
    assert by_tag[tasks[1].tag].status == TaskStatus.POSTED
    limited = by_tag[tasks[2].tag]
    assert limited.status == TaskStatus.QUEUED
    assert limited.last_error_code == 40202
    assert limited.next_attempt_at > timezone.now()
    rejected = by_tag[bad.tag]
    assert rejected.status == TaskStatus.REJECTED
    assert "temperature" in rejected.last_error_message
    assert report.rejected == 1


@pytest.mark.parametrize("fault", ["rate_limit", "http_503", "http_500", "html_error"])
def test_it_retries_later_after_a_retryable_failure(api, sandbox, queue, fault):
    queue(3)
    sandbox.add_fault(fault, endpoint="task_post")
    report = tasks_post(client=api, max_calls=1)
    assert report.retry == 3
    assert set(_statuses()) == {TaskStatus.QUEUED}
    assert not sandbox.accepted_tags()
    assert all(t.next_attempt_at > timezone.now() for t in Task.objects.all())
    # Not due yet, so the next run posts nothing; once due, it posts them.
    assert tasks_post(client=api).posted == 0
    Task.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert tasks_post(client=api).posted == 3


def test_it_waits_at_least_retry_after_on_a_gateway_429(api, sandbox, queue):
    queue(1)
    sandbox.add_fault("gateway_429", retry_after=120, endpoint="task_post")
    tasks_post(client=api, max_calls=1)
    task = Task.objects.get()
    assert task.status == TaskStatus.QUEUED
    assert task.next_attempt_at >= timezone.now() + timedelta(seconds=115)
    assert "Will retry" in task.events.last().message


@pytest.mark.parametrize("fault", ["payment", "unauthorized"])
def test_it_halts_posting_on_payment_or_auth_errors(api, sandbox, queue, fault):
    queue(150)
    sandbox.add_fault(fault, endpoint="task_post")
    report = tasks_post(client=api)
    assert report.halted
    assert PipelineHalt.objects.filter(resolved_at__isnull=True).count() == 1
    assert set(_statuses()) == {TaskStatus.QUEUED}  # nothing lost
    assert len([c for c in sandbox.calls if c[0] == "task_post"]) == 1  # stopped at once
    assert tasks_post(client=api).posted == 0  # still halted
    PipelineHalt.objects.update(resolved_at=timezone.now())
    assert tasks_post(client=api).posted == 150


def test_it_gives_up_after_too_many_attempts(api, sandbox, queue):
    queue(1)
    Task.objects.update(attempts=7)
    sandbox.add_fault("http_503", endpoint="task_post")
    tasks_post(client=api, max_calls=1)
    task = Task.objects.get()
    assert task.status == TaskStatus.FAILED
    assert "Gave up after 8 attempts" in task.events.last().message


def test_it_keeps_to_the_calls_per_minute_limit(api, sandbox, queue, settings):
    settings.AISA_CALLS_PER_MINUTE = 2
    queue(5)
    report = tasks_post(client=api, batch_size=1)
    assert report.calls == 2
    assert Task.objects.filter(status=TaskStatus.POSTED).count() == 2
    assert Task.objects.filter(status=TaskStatus.QUEUED).count() == 3


def test_it_never_claims_a_task_twice(queue):
    queue(10)
    first = batch_claim(size=6)
    second = batch_claim(size=6)
    assert len(first) == 6
    assert len(second) == 4
    assert not {t.pk for t in first} & {t.pk for t in second}
    assert batch_claim(size=6) == []
    assert TaskEvent.objects.filter(status_to="posting").count() == 10
