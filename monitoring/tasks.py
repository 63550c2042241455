"""django-q2 entry points: ids in, service calls out. Only these call the API client."""

import logging

from django.conf import settings

from monitoring import services
from monitoring.aisa.client import AisaClient

logger = logging.getLogger(__name__)

#: How long one burst of quick polls may run (below the cluster's 120 s job timeout).
BURST_SECONDS = 90


def heartbeat() -> None:
    """Scheduled every minute so /healthz can tell whether a worker is alive."""
    services.heartbeat_touch()


def models_refresh() -> None:
    """Refresh the cached model catalogue from the API's models endpoint."""
    from monitoring.services.catalog import model_catalog_refresh

    model_catalog_refresh()


def pipeline_tick() -> dict:
    """Every minute: due monitors, posting, reconciling, collecting, expiring."""
    from monitoring.pipeline import collecting, reconcile, schedules

    report = {"monitor_tasks": schedules.monitors_run_due()}
    if not settings.AISA_API_KEY:
        # Tasks wait as queued; /healthz reports the missing key to the admin.
        logger.warning("No AISA_API_KEY: nothing is posted or collected until one is set.")
        return {**report, "skipped": "no API key configured"}
    with AisaClient.from_settings() as client:
        report["post"] = vars(_post(client))
        report["reconcile"] = vars(reconcile.tasks_reconcile(client=client))
        if "tasks_ready" in settings.AISA_COLLECT_MODES:
            report["ready"] = vars(collecting.tasks_ready_collect(client=client))
        report["collect"] = vars(collecting.tasks_collect(client=client))
    report["expired"] = collecting.tasks_expire()
    return report


def pipeline_post() -> dict:
    """Post queued tasks now (enqueued by "Send now"), then watch for their answers."""
    with AisaClient.from_settings() as client:
        report = _post(client)
    return vars(report)


def _post(client):
    from monitoring.pipeline.posting import tasks_post
    from monitoring.services.jobs import collect_burst_enqueue

    report = tasks_post(client=client)
    if report.posted and "poll" in settings.AISA_COLLECT_MODES:
        collect_burst_enqueue()
    return report


def collect_burst() -> int:
    """Poll quickly for a while after a post, so answers show up within seconds."""
    from monitoring.pipeline.collecting import tasks_collect_burst

    with AisaClient.from_settings() as client:
        return tasks_collect_burst(client=client, seconds=BURST_SECONDS)


def collect_task(task_id: int) -> None:
    """Fetch one task's result (after a pingback said it is done)."""
    from monitoring.models import Task
    from monitoring.pipeline.collecting import task_collect

    task = Task.objects.filter(pk=task_id).first()
    if task is None or not task.provider_task_id:
        return
    with AisaClient.from_settings() as client:
        task_collect(client=client, task=task)


def workspace_reanalyze(workspace_id: int) -> int:
    """Recompute mentions and citations of a workspace's history after its brands changed."""
    from monitoring.services.analysis import workspace_reanalyze as reanalyze

    return reanalyze(workspace=workspace_id)
