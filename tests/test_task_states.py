"""The task state machine: one table, one recorder; every move is one history row or refused."""

from __future__ import annotations

import itertools

import pytest

from monitoring.models import Prompt, Task, TaskEvent, TaskStatus
from monitoring.models.tasks import (
    BILLED_STATUSES,
    CANCELLABLE_STATUSES,
    COLLECTABLE_STATUSES,
    FINAL_STATUSES,
    NEW,
    POSTABLE_STATUSES,
    RECONCILABLE_STATUSES,
    RETRYABLE_STATUSES,
    TASK_STATES,
    WAITING_STATUSES,
)
from monitoring.services.history import (
    TransitionError,
    task_note,
    task_transition,
    tasks_record_created,
    tasks_transition,
)

STATUSES = [value for value, _ in TaskStatus.choices]
PAIRS = list(itertools.product(STATUSES, STATUSES))


@pytest.fixture
def prompt(workspace):
    return Prompt.objects.create(workspace=workspace, text="Which CRM is best?")


def _task(prompt, status, n=[0]) -> Task:  # noqa: B006 - a counter for unique tags
    n[0] += 1
    return Task.objects.create(
        workspace=prompt.workspace,
        prompt=prompt,
        tag=f"t-state-{n[0]}",
        request_body={"user_prompt": prompt.text},
        status=status,
    )


def test_it_has_a_rule_for_every_status_and_only_known_targets():
    assert set(TASK_STATES) == {NEW, *STATUSES}
    for rule in TASK_STATES.values():
        assert rule.next <= set(STATUSES)


def test_it_derives_the_named_sets_from_the_table():
    S = TaskStatus
    assert {S.COLLECTED, S.FAILED, S.EXPIRED, S.REJECTED, S.CANCELLED} == FINAL_STATUSES
    assert {S.POSTED, S.COMPLETED} == WAITING_STATUSES
    assert {S.QUEUED, S.HELD} == POSTABLE_STATUSES == CANCELLABLE_STATUSES
    assert {S.POSTING, S.POSTED, S.COMPLETED, S.UNKNOWN, S.EXPIRED} == COLLECTABLE_STATUSES
    assert {S.FAILED, S.REJECTED, S.EXPIRED, S.CANCELLED} == RETRYABLE_STATUSES
    assert {S.POSTING, S.UNKNOWN} == RECONCILABLE_STATUSES
    # A task that was never sent cannot have cost anything.
    assert not BILLED_STATUSES & {S.QUEUED, S.HELD, S.REJECTED, S.CANCELLED}


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_it_records_each_allowed_move_once_and_refuses_the_rest(prompt, source, target):
    task = _task(prompt, source)
    moved = task_transition(task=task, to=target, message="walk")
    task.refresh_from_db()
    events = list(TaskEvent.objects.filter(task=task))
    if target in TASK_STATES[source].next:
        assert moved is True
        assert task.status == target
        assert [(e.status_from, e.status_to, e.kind) for e in events] == [
            (source, target, TaskEvent.Kind.STATUS)
        ]
    else:
        assert moved is False
        assert task.status == source
        assert events == []


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_it_applies_the_same_table_to_many_tasks_at_once(prompt, source, target):
    tasks = [_task(prompt, source) for _ in range(3)]
    moved = tasks_transition(task_ids=[t.pk for t in tasks], to=target, message="walk")
    events = TaskEvent.objects.filter(task__in=tasks)
    if target in TASK_STATES[source].next:
        assert moved == sorted(t.pk for t in tasks)
        assert Task.objects.filter(pk__in=moved, status=target).count() == 3
        assert sorted(events.values_list("task_id", "status_from", "status_to")) == sorted(
            (t.pk, source, target) for t in tasks
        )
    else:
        assert moved == []
        assert not events.exists()
        assert Task.objects.filter(pk__in=[t.pk for t in tasks], status=source).count() == 3


def test_it_moves_only_the_tasks_still_in_an_allowed_status(prompt):
    queued, held, collected = (
        _task(prompt, s) for s in (TaskStatus.QUEUED, TaskStatus.HELD, TaskStatus.COLLECTED)
    )
    moved = tasks_transition(
        task_ids=[queued.pk, held.pk, collected.pk], to=TaskStatus.CANCELLED, message="x"
    )
    assert moved == sorted([queued.pk, held.pk])
    assert TaskEvent.objects.filter(task=collected).count() == 0


def test_it_refuses_an_explicit_source_the_table_does_not_allow(prompt):
    task = _task(prompt, TaskStatus.COLLECTED)
    with pytest.raises(TransitionError):
        task_transition(task=task, to=TaskStatus.QUEUED, allowed_from=[TaskStatus.COLLECTED])
    with pytest.raises(TransitionError):
        task_transition(task=task, to="nonsense")
    assert not TaskEvent.objects.filter(task=task).exists()


def test_it_narrows_the_table_with_an_explicit_source(prompt):
    task = _task(prompt, TaskStatus.UNKNOWN)
    assert not task_transition(task=task, to=TaskStatus.QUEUED, allowed_from=[TaskStatus.FAILED])
    assert task_transition(task=task, to=TaskStatus.QUEUED, allowed_from=[TaskStatus.UNKNOWN])


def test_it_records_creation_and_notes_without_changing_the_status(prompt):
    task = _task(prompt, TaskStatus.QUEUED)
    tasks_record_created(tasks=[task], message="Created by a test.")
    task_note(task=task, message="Looked at.")
    rows = list(TaskEvent.objects.filter(task=task).values_list("kind", "status_from", "status_to"))
    assert rows == [
        (TaskEvent.Kind.STATUS, NEW, TaskStatus.QUEUED),
        (TaskEvent.Kind.NOTE, "", TaskStatus.QUEUED),
    ]
    task.refresh_from_db()
    assert task.status == TaskStatus.QUEUED
