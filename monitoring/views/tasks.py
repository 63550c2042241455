"""The task pages: the filtered list with live badges, one task's whole story, the costs."""

from __future__ import annotations

from datetime import timedelta

from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from monitoring.access import workspace_access
from monitoring.forms.tasks import TaskFilterForm
from monitoring.models import TaskStatus
from monitoring.selectors import costs as cost_selectors
from monitoring.selectors import tasks as task_selectors
from monitoring.services.summaries import period_prepare


@vary_on_headers("HX-Request")
@require_GET
def task_list(request, workspace_id: int):
    membership = workspace_access(request, workspace_id)
    form = TaskFilterForm(request.GET)
    filters = form.filters()
    listing = task_selectors.task_page_get(
        workspace=membership.workspace, filters=filters, page=request.GET.get("page")
    )
    context = {
        "membership": membership,
        "filters": filters,
        "listing": listing,
        "page": listing.page,
        "statuses": TaskStatus.choices,
        "filter_form": form,
    }
    if request.htmx:
        return render(request, "monitoring/tasks/_results.html", context)
    context["monitors"] = task_selectors.monitor_list(workspace=membership.workspace)
    context["notice"] = task_selectors.pipeline_notice_get(workspace=membership.workspace)
    return render(request, "monitoring/tasks/list.html", context)


@require_GET
def task_status(request, workspace_id: int, task_id: int):
    """The status badge of one task; it keeps polling itself only while the task is not final."""
    membership = workspace_access(request, workspace_id)
    task = task_selectors.task_status_get(workspace=membership.workspace, task_id=task_id)
    if task is None:
        raise Http404("No such task.")
    return render(request, "monitoring/tasks/_status.html", {"task": task})


@vary_on_headers("HX-Request")
@require_GET
def task_detail(request, workspace_id: int, task_id: int):
    membership = workspace_access(request, workspace_id)
    detail = task_selectors.task_detail_get(workspace=membership.workspace, task_id=task_id)
    if detail is None:
        raise Http404("No such task.")
    context = {"membership": membership, "detail": detail, "task": detail.task}
    if request.htmx:
        return render(request, "monitoring/tasks/_live.html", context)
    return render(request, "monitoring/tasks/detail.html", context)


@require_GET
def cost_report(request, workspace_id: int):
    membership = workspace_access(request, workspace_id)
    today = timezone.localdate()
    start = today - timedelta(days=cost_selectors.DAYS - 1)
    period_prepare(workspace_id=membership.workspace_id, start=start, end=today)
    report = cost_selectors.cost_report_get(workspace=membership.workspace)
    return render(
        request, "monitoring/costs/report.html", {"membership": membership, "report": report}
    )
