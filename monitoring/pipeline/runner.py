"""The pipeline's runs as the jobs start them: the minute's work, a post now, a burst of polls.

Each run opens one API client for its calls and closes it at the end. The tick's steps are
independent: one failing (logged) does not keep the others from running, so tasks are
still collected and expired; the tick then raises the first error, so the job is marked
failed. (One bad task does not fail a step: see ``isolation``.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from django.conf import settings

from monitoring.aisa.contract import Outcome
from monitoring.aisa.errors import AisaError
from monitoring.models import Task
from monitoring.pipeline import collecting, reconcile, schedules
from monitoring.pipeline.client import api_client
from monitoring.pipeline.isolation import error_text
from monitoring.pipeline.posting import PostReport, tasks_post
from monitoring.services.jobs import collect_burst_enqueue

logger = logging.getLogger(__name__)

#: How long one burst of quick polls may run (below the cluster's 120 s job timeout).
BURST_SECONDS = 90


def pipeline_tick() -> dict:
    """Every minute: due monitors, posting, reconciling, collecting, expiring."""
    errors: list[Exception] = []
    step = partial(_step, errors)
    report: dict = {"monitor_tasks": step("monitors", schedules.monitors_run_due)}
    if not settings.AISA_API_KEY:
        # Tasks wait as queued; /healthz reports the missing key to the admin.
        logger.warning("No AISA_API_KEY: nothing is posted or collected until one is set.")
        if errors:
            raise errors[0]
        return {**report, "skipped": "no API key configured"}
    with api_client() as client:
        report["post"] = step("post", lambda: vars(_post(client)))
        report["reconcile"] = step(
            "reconcile", lambda: vars(reconcile.tasks_reconcile(client=client))
        )
        if "tasks_ready" in settings.AISA_COLLECT_MODES:
            report["ready"] = step(
                "ready", lambda: vars(collecting.tasks_ready_collect(client=client))
            )
        report["collect"] = step("collect", lambda: vars(collecting.tasks_collect(client=client)))
    report["expired"] = step("expire", collecting.tasks_expire)
    if errors:
        raise errors[0]  # every step ran; the job is marked failed with the first error
    return report


def _step(errors: list[Exception], name: str, run: Callable[[], Any]) -> Any:
    """Run one step of the tick; an error is logged and kept, and the next step runs."""
    try:
        return run()
    except Exception as exc:
        logger.exception("The tick's %s step failed", name)
        errors.append(exc)
        return {"error": error_text(exc)}


def pipeline_post() -> dict:
    """Post queued tasks now (after "Send now"), then watch for their answers."""
    with api_client() as client:
        return vars(_post(client))


def _post(client) -> PostReport:
    report = tasks_post(client=client)
    if report.posted and "poll" in settings.AISA_COLLECT_MODES:
        collect_burst_enqueue()
    return report


def collect_burst() -> int:
    """Poll quickly for a while after a post, so answers show up within seconds."""
    with api_client() as client:
        return collecting.tasks_collect_burst(client=client, seconds=BURST_SECONDS)


def task_collect_now(*, task_id: int) -> None:
    """Fetch one task's result (after a pingback said it is done)."""
    task = Task.objects.filter(pk=task_id).first()
    if task is None or not task.provider_task_id:
        return
    with api_client() as client:
        try:
            collecting.task_collect(client=client, task=task)
        except AisaError as exc:
            if exc.outcome is not Outcome.RATE_LIMITED:
                raise
            # The window's calls are used up: the task stays due; a later pass fetches it.
            logger.info("Task %s not fetched yet: %s", task_id, exc)
