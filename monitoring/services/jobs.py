"""Enqueueing background jobs, always after the transaction that made the work commits."""

from django.db import transaction


def _enqueue(func: str, *args) -> None:
    from django_q.tasks import async_task

    transaction.on_commit(lambda: async_task(func, *args))


def post_enqueue() -> None:
    """Ask a worker to post queued tasks now rather than at the next minute."""
    _enqueue("monitoring.jobs.pipeline_post")


def collect_enqueue(*, task_id: int) -> None:
    _enqueue("monitoring.jobs.collect_task", task_id)


def collect_burst_enqueue() -> None:
    _enqueue("monitoring.jobs.collect_burst")


def reanalyze_enqueue(*, workspace_id: int) -> None:
    """Recompute a workspace's analysis in the background (brands or aliases changed)."""
    _enqueue("monitoring.jobs.workspace_reanalyze", workspace_id)


def tick_enqueue() -> None:
    """Run the minute's pipeline work now (reconciling included), not at the next minute."""
    _enqueue("monitoring.jobs.pipeline_tick")


def models_refresh_enqueue() -> None:
    """Refresh the model catalogue in the background (the browser never waits on the API)."""
    _enqueue("monitoring.jobs.models_refresh")
