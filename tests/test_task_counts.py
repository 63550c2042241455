"""The task list's counts per status: summed from the task summaries for the rebuilt days
and read from the tasks for the days awaiting a rebuild, they equal a direct count under
every filter, whichever days are stale."""

import random
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db.models import Count

from monitoring.models import Monitor, Task, TaskStatus
from monitoring.selectors.tasks import TaskFilters, _filtered, task_status_counts
from monitoring.services.history import task_transition
from monitoring.services.summaries import summaries_refresh
from tests.factories import make_prompt, make_task

pytestmark = pytest.mark.django_db

TODAY = datetime.now(UTC).date()


def _direct(workspace, filters: TaskFilters) -> dict[str, int]:
    tasks = _filtered(Task.objects.filter(workspace=workspace), filters, with_status=False)
    rows = tasks.order_by().values_list("status").annotate(n=Count("id"))
    return dict(rows)


@pytest.fixture
def history(workspace):
    rng = random.Random(11)
    prompts = [
        make_prompt(workspace=workspace, text=t) for t in ("Best CRM?", "Cheap CRM?", "Help desk?")
    ]
    monitors = [Monitor.objects.create(workspace=workspace, name=f"M{i}") for i in range(2)]
    statuses = [TaskStatus.COLLECTED, TaskStatus.FAILED, TaskStatus.EXPIRED, TaskStatus.QUEUED]
    tasks = []
    for i in range(90):
        day = TODAY - timedelta(days=rng.randint(0, 150))
        tasks.append(
            make_task(
                workspace=workspace,
                prompt=rng.choice(prompts),
                monitor=rng.choice([None, *monitors]),
                status=rng.choice(statuses),
                created_at=datetime.combine(day, time(rng.randint(0, 23)), tzinfo=UTC),
            )
        )
    return {"prompts": prompts, "monitors": monitors, "tasks": tasks, "rng": rng}


def _filter_cases(history):
    prompts, monitors = history["prompts"], history["monitors"]
    yield TaskFilters()
    yield TaskFilters(prompt_id=prompts[1].pk)
    yield TaskFilters(monitor_id=monitors[0].pk)
    yield TaskFilters(search="crm")
    yield TaskFilters(search="crm", monitor_id=monitors[1].pk)
    yield TaskFilters(created_from=TODAY - timedelta(days=40))
    yield TaskFilters(
        created_from=TODAY - timedelta(days=100), created_to=TODAY - timedelta(days=9)
    )
    yield TaskFilters(created_to=TODAY - timedelta(days=60), prompt_id=prompts[0].pk)
    yield TaskFilters(created_from=TODAY, created_to=TODAY - timedelta(days=3))  # empty


def _check(workspace, history):
    for filters in _filter_cases(history):
        assert task_status_counts(workspace=workspace, filters=filters) == _direct(
            workspace, filters
        ), filters


def test_counts_equal_a_direct_count_stale_rebuilt_and_changed(workspace, history):
    _check(workspace, history)  # every day stale: all from the tasks
    summaries_refresh(workspace_id=workspace.pk)
    _check(workspace, history)  # every day rebuilt: all from the summaries
    rng = history["rng"]
    queued = [t for t in history["tasks"] if t.status == TaskStatus.QUEUED]
    for task in rng.sample(queued, min(5, len(queued))):
        task_transition(task=task, to=TaskStatus.CANCELLED, message="no longer wanted")
    make_task(workspace=workspace, prompt=history["prompts"][2], status=TaskStatus.POSTED)
    _check(workspace, history)  # some days stale again: both
    summaries_refresh(workspace_id=workspace.pk, max_days=2)
    _check(workspace, history)
