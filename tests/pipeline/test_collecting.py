"""Collecting answers by polling and tasks_ready; expiry after 72 hours."""

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring.models import Answer, Citation, Task, TaskStatus
from monitoring.pipeline.collecting import tasks_collect, tasks_expire, tasks_ready_collect
from monitoring.pipeline.posting import tasks_post

pytestmark = pytest.mark.django_db
WEB = {"model_name": "claude-sonnet-4-20250514", "web_search": True, "max_output_tokens": 1500}


def _due_now():
    Task.objects.update(next_attempt_at=timezone.now())


def test_it_polls_until_the_answer_is_ready_then_stores_it(api, sandbox, queue):
    sandbox.task_delay = 60
    queue(2, request_settings=WEB)
    tasks_post(client=api)
    _due_now()
    report = tasks_collect(client=api)
    assert report.waiting == 2
    assert report.collected == 0
    task = Task.objects.first()
    assert task.polls == 1
    assert task.next_attempt_at > timezone.now()
    assert task.events.filter(status_to=TaskStatus.POSTED).count() == 1  # not-ready adds no noise

    sandbox.complete_all()
    _due_now()
    assert tasks_collect(client=api).collected == 2
    answer = Answer.objects.select_related("task").first()
    assert answer.task.status == TaskStatus.COLLECTED
    assert answer.text
    assert answer.model_name.startswith("claude-sonnet-4")
    assert answer.output_tokens > 0
    assert answer.web_search
    assert answer.money_spent > 0
    assert answer.task.money_spent == answer.money_spent
    assert answer.fan_out_queries
    assert Citation.objects.filter(answer=answer).exists()
    assert all(c.domain and "/" not in c.domain for c in Citation.objects.all())
    assert answer.raw["model_name"] == answer.model_name


def test_it_collects_each_answer_once(api, sandbox, queue):
    queue(3)
    tasks_post(client=api)
    _due_now()
    tasks_collect(client=api)
    _due_now()
    Task.objects.update(status=TaskStatus.POSTED)  # as if a second collector saw it posted
    assert tasks_collect(client=api).collected == 0
    assert Answer.objects.count() == 3


def test_it_uses_the_tasks_ready_list(api, sandbox, queue):
    first = queue(1)[0]  # completes at once
    tasks_post(client=api)
    sandbox.task_delay = 60
    queue(3)  # these take a minute
    tasks_post(client=api)
    report = tasks_ready_collect(client=api)
    assert report.collected == 1
    assert Task.objects.get(pk=first.pk).status == TaskStatus.COLLECTED
    assert Task.objects.filter(status=TaskStatus.POSTED).count() == 3


def test_it_fails_a_task_the_api_does_not_know(api, sandbox, queue):
    queue(1)
    tasks_post(client=api)
    Task.objects.update(provider_task_id="00000000-0000-0000-0000-000000000000")
    _due_now()
    report = tasks_collect(client=api)
    assert report.failed == 1
    task = Task.objects.get()
    assert task.status == TaskStatus.FAILED
    assert task.last_error_code == 40401


def test_it_keeps_polling_after_a_transient_error(api, sandbox, queue):
    queue(1)
    tasks_post(client=api)
    sandbox.add_fault("http_503", endpoint="task_get")
    _due_now()
    assert tasks_collect(client=api).errors == 1
    task = Task.objects.get()
    assert task.status == TaskStatus.POSTED
    assert "503" in task.last_error_message
    _due_now()
    assert tasks_collect(client=api).collected == 1


def test_it_expires_tasks_not_done_within_72_hours(api, sandbox, queue):
    sandbox.task_delay = 10**6
    queue(2)
    tasks_post(client=api)
    assert tasks_expire(now=timezone.now() + timedelta(hours=71)) == 0
    assert tasks_expire(now=timezone.now() + timedelta(hours=72, minutes=1)) == 2
    task = Task.objects.first()
    assert task.status == TaskStatus.EXPIRED
    assert "refunds the prepayment" in task.events.last().message
