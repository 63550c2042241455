"""django-q2 entry points: ids in, one pipeline or service call out, nothing else.

Their dotted paths are what ``services.jobs`` enqueues and what the schedules
(``signals``) name, so a rename here is a rename there. Every job is run again while the
database is busy (``retry_when_busy``: "database is locked", a serialization failure or a
deadlock), a few times with a short backoff; what still fails is a django-q2 failure,
counted on /healthz and, for a workspace's job, shown to its owners with a retry.
"""

from monitoring import services
from monitoring.models import Workspace
from monitoring.pipeline import runner
from monitoring.pipeline.catalog import model_catalogs_refresh
from monitoring.services.analysis import workspace_reanalyze as reanalyze
from monitoring.services.jobs import retry_when_busy
from monitoring.services.summaries import planner_statistics_refresh


@retry_when_busy()
def heartbeat() -> None:
    """Scheduled every minute so /healthz can tell whether a worker is alive."""
    services.heartbeat_touch()


@retry_when_busy()
def models_refresh() -> None:
    """Refresh the cached model catalogue of every engine in use from the models endpoint."""
    model_catalogs_refresh()


@retry_when_busy()
def planner_statistics() -> None:
    """Hourly: the database's statistics, so its planner picks the summaries' indexes."""
    planner_statistics_refresh()


@retry_when_busy()
def pipeline_tick() -> dict:
    """Every minute: due monitors, posting, reconciling, collecting, expiring."""
    return runner.pipeline_tick()


@retry_when_busy()
def pipeline_post() -> dict:
    """Post queued tasks now (enqueued by "Send now")."""
    return runner.pipeline_post()


@retry_when_busy()
def collect_burst() -> int:
    """Poll quickly for a while after a post."""
    return runner.collect_burst()


@retry_when_busy()
def collect_task(task_id: int) -> None:
    """Fetch one task's result (after a pingback said it is done)."""
    runner.task_collect_now(task_id=task_id)


@retry_when_busy()
def workspace_reanalyze(workspace_id: int) -> int:
    """Recompute mentions and citations of a workspace's history after its brands changed."""
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return 0  # deleted since the job was queued
    return reanalyze(workspace=workspace)
