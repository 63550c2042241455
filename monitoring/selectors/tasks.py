"""Reads of tasks for the pages: the filtered list, its counts, one task's whole story."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, QuerySet, Sum
from django.utils import timezone

from monitoring.aisa.redaction import task_body_redacted
from monitoring.models import (
    Answer,
    Monitor,
    PipelineHalt,
    Prompt,
    Task,
    TaskEvent,
    TaskStatus,
    TaskSummary,
    Workspace,
)
from monitoring.models.summaries import EPOCH
from monitoring.selectors.periods import created_between, days_q
from monitoring.selectors.summaries import blocks_q, fresh_cover

#: How far back the builder looks to estimate the real cost of a task.
COST_HISTORY_WINDOW = timedelta(days=30)
PAGE_SIZE = 50


@dataclass(frozen=True)
class TaskFilters:
    """Everything the task list can be narrowed by (all optional)."""

    status: str = ""
    search: str = ""
    prompt_id: int | None = None
    monitor_id: int | None = None
    created_from: date | None = None
    created_to: date | None = None

    @property
    def active(self) -> bool:
        return bool(
            self.status
            or self.search
            or self.prompt_id
            or self.monitor_id
            or self.created_from
            or self.created_to
        )


def _filtered(tasks: QuerySet[Task], filters: TaskFilters, *, with_status: bool = True):
    if with_status and filters.status:
        tasks = tasks.filter(status=filters.status)
    if filters.search:
        tasks = tasks.filter(prompt__text__icontains=filters.search)
    if filters.prompt_id:
        tasks = tasks.filter(prompt_id=filters.prompt_id)
    if filters.monitor_id:
        tasks = tasks.filter(monitor_id=filters.monitor_id)
    # Inclusive: the whole "to" day.
    tasks = created_between(tasks, start=filters.created_from, end=filters.created_to)
    return tasks


def task_list(
    *, workspace: Workspace, status: str | None = None, filters: TaskFilters | None = None
):
    filters = filters or TaskFilters(status=status or "")
    tasks = Task.objects.filter(workspace=workspace).select_related("prompt", "monitor")
    return _filtered(tasks, filters).order_by("-created_at", "-id")


def task_status_counts(
    *, workspace: Workspace, filters: TaskFilters | None = None
) -> dict[str, int]:
    """Tasks per status, narrowed by every filter but the status itself: the rebuilt days
    from the task summaries (a few rows a quarter, where a GROUP BY read every task), the
    days awaiting their rebuild from the tasks (two queries, three with stale days)."""
    filters = filters or TaskFilters()
    start = filters.created_from or EPOCH
    end = filters.created_to or timezone.now().astimezone(UTC).date()
    counts: dict[str, int] = {}
    blocks, stale = fresh_cover(workspace.pk, start, end) if start <= end else ([], [])
    if blocks:
        per_prompt = bool(filters.prompt_id or filters.search)
        rows = TaskSummary.objects.filter(
            blocks_q(blocks), workspace=workspace, prompt__isnull=not per_prompt
        )
        if filters.prompt_id:
            rows = rows.filter(prompt_id=filters.prompt_id)
        if filters.search:
            rows = rows.filter(
                prompt__in=Prompt.objects.filter(
                    workspace=workspace, text__icontains=filters.search
                ).values("pk")
            )
        if filters.monitor_id:
            rows = rows.filter(monitor_id=filters.monitor_id)
        for status, n in rows.values_list("status").annotate(n=Sum("tasks")).order_by():
            counts[status] = counts.get(status, 0) + n
    if stale:
        tasks = _filtered(Task.objects.filter(workspace=workspace), filters, with_status=False)
        tasks = tasks.filter(days_q("created_at", stale))
        for status, n in tasks.order_by().values_list("status").annotate(n=Count("id")):
            counts[status] = counts.get(status, 0) + n
    return {status: n for status, n in counts.items() if n}


@dataclass
class TaskListPage:
    page: Page
    counts: dict[str, int]
    total: int

    @property
    def by_status(self) -> list[tuple[str, str, int]]:
        """(status, label, count) for every status, in the pipeline's order."""
        return [(value, label, self.counts.get(value, 0)) for value, label in TaskStatus.choices]


def task_page_get(*, workspace: Workspace, filters: TaskFilters, page: str | int | None = 1):
    """One page of the task list and the per-status counts beside it (constant queries)."""
    tasks = task_list(workspace=workspace, filters=filters)
    counts = task_status_counts(workspace=workspace, filters=filters)
    total = sum(counts.values())
    paginator = Paginator(tasks, PAGE_SIZE)
    # The counts already hold the size of the list: no second COUNT query.
    paginator.count = counts.get(filters.status, 0) if filters.status else total
    return TaskListPage(page=paginator.get_page(page), counts=counts, total=total)


@dataclass
class PipelineNotice:
    """Why tasks are not moving: posting halted, or tasks held for the budget."""

    halt: PipelineHalt | None = None
    held_count: int = 0
    held_reason: str = ""


def pipeline_halt_get() -> PipelineHalt | None:
    """The halt stopping all posting until an admin resumes, if there is one."""
    return PipelineHalt.objects.filter(resolved_at__isnull=True).first()


def pipeline_notice_get(*, workspace: Workspace) -> PipelineNotice:
    halt = pipeline_halt_get()
    held = Task.objects.filter(workspace=workspace, status=TaskStatus.HELD).count()
    reason = ""
    if held:
        # The reason is the one the pipeline recorded when it last held a task here.
        reason = (
            TaskEvent.objects.filter(task__workspace=workspace, status_to=TaskStatus.HELD)
            .order_by("-at", "-id")
            .values_list("message", flat=True)
            .first()
            or ""
        )
    return PipelineNotice(halt=halt, held_count=held, held_reason=reason)


def monitor_list(*, workspace: Workspace) -> QuerySet[Monitor]:
    return Monitor.objects.filter(workspace=workspace).only("id", "name").order_by("name")


def task_status_get(*, workspace: Workspace, task_id: int) -> Task | None:
    """Just enough of one task to draw its status badge."""
    return (
        Task.objects.filter(workspace=workspace, pk=task_id)
        .only("id", "workspace_id", "status")
        .first()
    )


@dataclass
class TaskDetail:
    task: Task
    events: list[TaskEvent]
    answer: Answer | None = None
    citations: list = field(default_factory=list)

    @property
    def request_json(self) -> str:
        """The body as posted, but for its webhook secrets (they would let anyone forge
        this task's answer), whatever the reader's role."""
        body = task_body_redacted(self.task.request_body)
        return json.dumps(body, indent=2, ensure_ascii=False, sort_keys=True)


def task_detail_get(*, workspace: Workspace, task_id: int) -> TaskDetail | None:
    """A task with its timeline (and the API call behind each change), answer and citations."""
    task = (
        Task.objects.filter(workspace=workspace, pk=task_id)
        .select_related("prompt", "monitor")
        .prefetch_related(Prefetch("events", queryset=TaskEvent.objects.select_related("api_call")))
        .first()
    )
    if task is None:
        return None
    answer = Answer.objects.filter(task=task).prefetch_related("citations").first()
    citations = list(answer.citations.all()) if answer else []
    events = list(task.events.all())
    return TaskDetail(task=task, events=events, answer=answer, citations=citations)
