"""The task list: what was sent, where each task stands, what it cost."""

from django.core.paginator import Paginator
from django.shortcuts import render

from monitoring.access import workspace_access
from monitoring.models import TaskStatus
from monitoring.selectors import tasks as task_selectors

PAGE_SIZE = 50


def task_list(request, workspace_id: int):
    membership = workspace_access(request, workspace_id)
    status = request.GET.get("status", "")
    if status not in TaskStatus.values:
        status = ""
    tasks = task_selectors.task_list(workspace=membership.workspace, status=status or None)
    page = Paginator(tasks, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "membership": membership,
        "page": page,
        "status": status,
        "statuses": TaskStatus.choices,
        "counts": task_selectors.task_status_counts(workspace=membership.workspace),
    }
    return render(request, "monitoring/tasks/list.html", context)
