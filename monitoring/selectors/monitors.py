"""Reads of the monitors pages: each monitor's scope, next and last run, projected cost; runs.

The list is read in a constant number of queries, whatever the number of monitors: the
prompts of every scope are prefetched, the last runs found by one subquery, their tasks
counted by one grouped query, and the budgets and cost history read once for every
projection (``selectors.estimates`` does the arithmetic).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from croniter import croniter
from django.core.paginator import Page, Paginator
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery, Sum
from django.utils import timezone

from monitoring.models import Monitor, MonitorRun, Prompt, Task, TaskStatus, Workspace
from monitoring.models.money import usd
from monitoring.models.tasks import BILLED_STATUSES, FINAL_STATUSES
from monitoring.selectors import budget, estimates

#: Runs per page of a monitor's history.
RUNS_PAGE_SIZE = 50


def _active_prompts():
    return Prompt.objects.filter(is_active=True).order_by("id")


def monitor_prompts_get(*, monitor: Monitor) -> list[Prompt]:
    """The prompts a run of this monitor asks now: its tag's active prompts at this moment
    (prompts tagged since it was saved included), else its own active prompts."""
    if monitor.tag_id:
        prompts = _active_prompts().filter(workspace_id=monitor.workspace_id, tags=monitor.tag_id)
    else:
        prompts = _active_prompts().filter(monitors=monitor)
    return list(prompts)


def _scope_prompts(monitor: Monitor) -> list[Prompt]:
    """``monitor_prompts_get`` from the list's prefetched rows (the same rule, no query).

    The lists are the attributes the list's ``Prefetch(to_attr=...)`` set.
    """
    if monitor.tag is not None:
        return getattr(monitor.tag, "active_prompts")  # noqa: B009 - set at run time
    return getattr(monitor, "own_prompts")  # noqa: B009


def next_run_get(*, monitor: Monitor, now: datetime) -> datetime | None:
    """When the scheduler runs the monitor next; None when paused or manual."""
    expression = monitor.cron_expression
    if not monitor.is_active or not expression or not croniter.is_valid(expression):
        return None
    return croniter(expression, max(now, monitor.runs_from)).get_next(datetime)


# --- Runs --------------------------------------------------------------------------------


@dataclass
class RunSummary:
    """A run, its tasks per status and what they cost."""

    run: MonitorRun
    counts: dict[str, int] = field(default_factory=dict)
    #: Real costs known so far.
    real: Decimal = Decimal(0)
    #: What the budgets count for it: real costs, and reservations of tasks in flight.
    counted: Decimal = Decimal(0)

    @property
    def tasks(self) -> int:
        return sum(self.counts.values())

    @property
    def reserved(self) -> Decimal:
        return usd(self.counted - self.real)

    @property
    def by_status(self) -> list[tuple[str, str, int]]:
        """(status, label, count) of the statuses its tasks are in, in the pipeline's order."""
        return [(v, label, self.counts[v]) for v, label in TaskStatus.choices if self.counts.get(v)]

    @property
    def outcome(self) -> tuple[str, str]:
        """(label, badge class): how the run went, in a word or two."""
        counts = self.counts
        answered = counts.get(TaskStatus.COLLECTED, 0)
        if not self.tasks:
            return ("No prompts to ask", "badge-soft")
        if counts.get(TaskStatus.HELD):
            return ("Held for budget", "status-held")
        if any(n for status, n in counts.items() if status not in FINAL_STATUSES):
            return ("In progress", "status-posted")
        if answered == self.tasks:
            return ("Answered", "status-collected")
        if answered:
            return ("Partly answered", "status-held")
        return ("Not answered", "status-failed")


def _run_summaries(runs: list[MonitorRun]) -> list[RunSummary]:
    """Each run with its tasks counted per status and costed, in one grouped query."""
    summaries = {run.pk: RunSummary(run=run) for run in runs}
    rows = (
        Task.objects.filter(monitor_run__in=list(summaries))
        .order_by()
        .values("monitor_run_id", "status")
        .annotate(
            n=Count("id"),
            real=Sum("cost_real"),
            counted=Sum(budget.task_counted(), filter=Q(status__in=BILLED_STATUSES)),
        )
    )
    for row in rows:
        summary = summaries[row["monitor_run_id"]]
        summary.counts[row["status"]] = row["n"]
        summary.real += usd(row["real"])
        summary.counted += usd(row["counted"])
    return list(summaries.values())


# --- The list ----------------------------------------------------------------------------


@dataclass
class MonitorRow:
    monitor: Monitor
    #: The active prompts its next run would ask.
    prompts: list[Prompt]
    next_run: datetime | None
    last_run: RunSummary | None
    #: ``estimates.monitor_projection_get``: runs in 30 days, per run, expected and worst.
    projection: dict

    @property
    def per_run(self) -> estimates.SendEstimate:
        return self.projection["per_run"]


def _monitors(workspace: Workspace, monitor_ids: list[int] | None):
    last_run = MonitorRun.objects.filter(monitor=OuterRef("pk")).order_by("-slot", "-id")
    monitors = (
        Monitor.objects.filter(workspace=workspace)
        .select_related("tag")
        .prefetch_related(
            Prefetch("prompts", queryset=_active_prompts(), to_attr="own_prompts"),
            Prefetch("tag__prompts", queryset=_active_prompts(), to_attr="active_prompts"),
        )
        .annotate(last_run_id=Subquery(last_run.values("id")[:1]))
        .order_by("name", "id")
    )
    if monitor_ids is not None:
        monitors = monitors.filter(pk__in=monitor_ids)
    return list(monitors)


def _bodies(monitor: Monitor, prompts: list[Prompt]) -> tuple[list[dict], list[str]]:
    """Every task body one run sends, and each one's engine: every prompt, sample and engine
    (the settings as that engine is sent them, with its model)."""
    bodies, engines = [], []
    for engine, settings in monitor.engine_requests():
        one = [p.task_body(request_settings=settings) for p in prompts]
        bodies += one * monitor.samples_per_run
        engines += [engine] * (len(one) * monitor.samples_per_run)
    return bodies, engines


def monitor_rows_get(
    *, workspace: Workspace, monitor_ids: list[int] | None = None, now: datetime | None = None
) -> list[MonitorRow]:
    """Every monitor of the workspace (or those named), ready for the list, in ~10 queries."""
    now = now or timezone.now()
    monitors = _monitors(workspace, monitor_ids)
    run_ids = [m.last_run_id for m in monitors if m.last_run_id]
    runs = MonitorRun.objects.filter(pk__in=run_ids).select_related("requested_by")
    last_runs = {s.run.pk: s for s in _run_summaries(list(runs))}
    allowance = budget.allowance_get(now=now, workspace_ids=[workspace.pk])
    history = estimates.history_costs_get(workspace=workspace, now=now)
    rows = []
    for monitor in monitors:
        prompts = _scope_prompts(monitor)
        bodies, engines = _bodies(monitor, prompts)
        projection = estimates.monitor_projection_get(
            workspace=workspace,
            bodies=bodies,
            engines=engines,
            schedule=monitor.schedule,
            cron=monitor.cron,
            now=now,
            allowance=allowance,
            history=history,
        )
        rows.append(
            MonitorRow(
                monitor=monitor,
                prompts=prompts,
                next_run=next_run_get(monitor=monitor, now=now),
                last_run=last_runs.get(monitor.last_run_id),
                projection=projection,
            )
        )
    return rows


# --- One monitor and its runs --------------------------------------------------------------


@dataclass
class MonitorDetail:
    row: MonitorRow
    #: The page of its runs shown (newest first), and those runs with their tasks counted.
    page: Page
    runs: list[RunSummary]
    #: Every task it ever created (runs before runs were linked to tasks included).
    task_total: int
    real_total: Decimal


def monitor_queryset():
    return Monitor.objects.select_related("workspace", "tag")


def monitor_detail_get(
    *, monitor: Monitor, page: str | int | None = 1, now: datetime | None = None
) -> MonitorDetail:
    """The monitor as the list shows it, a page of its runs, and what it spent in all."""
    row = monitor_rows_get(workspace=monitor.workspace, monitor_ids=[monitor.pk], now=now)[0]
    runs = MonitorRun.objects.filter(monitor=monitor).select_related("requested_by")
    paginator = Paginator(runs.order_by("-slot", "-id"), RUNS_PAGE_SIZE)
    runs_page = paginator.get_page(page)
    totals = Task.objects.filter(monitor=monitor).aggregate(n=Count("id"), real=Sum("cost_real"))
    return MonitorDetail(
        row=row,
        page=runs_page,
        runs=_run_summaries(list(runs_page.object_list)),
        task_total=totals["n"],
        real_total=usd(totals["real"]),
    )
