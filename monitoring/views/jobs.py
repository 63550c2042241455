"""A workspace's failed background jobs: shown to its owners, each with a retry."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from monitoring.access import workspace_access
from monitoring.selectors.jobs import FAILED_JOBS_SHOWN_FOR, failed_job_list
from monitoring.services.jobs import failed_job_retry


@require_GET
def failed_jobs(request, workspace_id: int):
    membership = workspace_access(request, workspace_id, owner=True)
    return render(
        request,
        "monitoring/jobs/failed.html",
        {
            "membership": membership,
            "failed_jobs": failed_job_list(workspace=membership.workspace),
            "shown_days": FAILED_JOBS_SHOWN_FOR.days,
        },
    )


@require_POST
def failed_job_retry_view(request, workspace_id: int, job_id: str):
    membership = workspace_access(request, workspace_id, write=True, owner=True)
    if failed_job_retry(workspace=membership.workspace, job_id=job_id):
        messages.success(request, "Queued again: the dashboard updates once it has run.")
    else:
        messages.info(request, "That job is no longer failed: it was retried or has run since.")
    return redirect("failed_jobs", workspace_id=workspace_id)
