"""The pipeline's runs as the jobs start them: the minute's work, a post now, a burst of polls.

Each run opens one API client per engine it works for (``Clients``: each engine has its
own paths) and closes them all at the end. Live calls run last, a few at a time in
threads (``live_step``), each call up to ``LIVE_CALL_MAX_SECONDS``. The tick's steps are
independent: one failing (logged) does not keep the others from running, so tasks are
still collected and expired; the tick then raises the first error, so the job is marked
failed. (One bad task does not fail a step: see ``isolation``.)
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connection

from monitoring.aisa.client import AisaClient
from monitoring.aisa.contract import LIVE_CALL_MAX_SECONDS, Outcome
from monitoring.aisa.errors import AisaError
from monitoring.models import Task
from monitoring.pipeline import collecting, live, posting, reconcile, schedules
from monitoring.pipeline.client import api_client
from monitoring.pipeline.isolation import error_text
from monitoring.pipeline.posting import PostReport, tasks_post
from monitoring.services.dashboard_body import bodies_warm
from monitoring.services.jobs import collect_burst_enqueue
from monitoring.services.summaries import summaries_refresh

logger = logging.getLogger(__name__)

#: How long one burst of quick polls may run (below the cluster's 120 s job timeout).
BURST_SECONDS = 90


#: Stale days of the dashboard's summaries rebuilt per tick.
SUMMARY_DAYS_PER_TICK = 62


def pipeline_tick() -> dict:
    """Every minute: due monitors, posting, reconciling, collecting, live calls, expiring.

    Each engine's tasks go through a client of that engine (its own paths), opened when
    first needed and all closed at the end.
    """
    errors: list[Exception] = []
    step = partial(_step, errors)
    report: dict = {"monitor_tasks": step("monitors", schedules.monitors_run_due)}
    if not settings.AISA_API_KEY:
        # Tasks wait as queued; /healthz reports the missing key to the admin.
        logger.warning("No AISA_API_KEY: nothing is posted or collected until one is set.")
        report["summary_days"] = step("summaries", _summaries)
        if errors:
            raise errors[0]
        return {**report, "skipped": "no API key configured"}
    with Clients() as clients:
        report["post"] = step("post", lambda: vars(_post(clients)))
        report["reconcile"] = step(
            "reconcile", lambda: vars(reconcile.tasks_reconcile(client=clients.any()))
        )
        if "tasks_ready" in settings.AISA_COLLECT_MODES:
            report["ready"] = step("ready", lambda: _per_engine(clients, _ready_collect))
        report["collect"] = step("collect", lambda: _per_engine(clients, _collect))
    report["live"] = step("live", lambda: vars(live_step()))
    report["expired"] = step("expire", collecting.tasks_expire)
    report["summary_days"] = step("summaries", _summaries)
    if errors:
        raise errors[0]  # every step ran; the job is marked failed with the first error
    return report


def _summaries() -> int:
    """The dashboard's summaries of the days that changed, last (the pages rebuild the days
    they show, if any is left): a few weeks a tick, so a backlog never holds the tick.
    Then the default dashboard of the workspaces rebuilt that someone is looking at, so
    their next view is not the one that computes it."""
    done: Counter[int] = Counter()
    days = summaries_refresh(max_days=SUMMARY_DAYS_PER_TICK, done=done)
    bodies_warm(done)
    return days


class Clients:
    """One API client per engine, opened on first use; ``close`` closes them all."""

    def __init__(self, **overrides: Any) -> None:
        self._overrides = overrides
        self._open: dict[str, AisaClient] = {}

    def get(self, engine: str) -> AisaClient:
        if engine not in self._open:
            self._open[engine] = api_client(family=engine, **self._overrides)
        return self._open[engine]

    def any(self) -> AisaClient:
        """A client for the account-wide calls (id_list): an open one, or the default's."""
        return next(iter(self._open.values()), None) or self.get(settings.AISA_LLM_FAMILY)

    def close(self) -> None:
        for client in self._open.values():
            client.close()
        self._open.clear()

    def __enter__(self) -> Clients:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _per_engine(clients: Clients, run: Callable[[AisaClient], Any]) -> dict:
    """``run`` with each engine's client whose tasks wait for answers, the reports summed."""
    return vars(merge_reports([run(clients.get(e)) for e in collecting.waiting_engines()]))


def _collect(client: AisaClient):
    return collecting.tasks_collect(client=client)


def _ready_collect(client: AisaClient):
    return collecting.tasks_ready_collect(client=client)


def merge_reports(reports: list) -> Any:
    """One report of the same type summing several (counts added, errors joined)."""
    if not reports:
        return collecting.CollectReport()
    merged = type(reports[0])()
    for report in reports:
        for name, value in vars(report).items():
            mine = getattr(merged, name)
            if isinstance(value, bool):
                setattr(merged, name, mine or value)
            elif isinstance(value, int | list):
                setattr(merged, name, mine + value)
            elif value:  # a string: the first one says why
                setattr(merged, name, mine or value)
    return merged


def _step(errors: list[Exception], name: str, run: Callable[[], Any]) -> Any:
    """Run one step of the tick; an error is logged and kept, and the next step runs."""
    try:
        return run()
    except Exception as exc:
        logger.exception("The tick's %s step failed", name)
        errors.append(exc)
        return {"error": error_text(exc)}


def pipeline_post() -> dict:
    """Post queued tasks now (after "Send now"), then watch for their answers; and ask the
    live tasks (a Perplexity send is answered within this job)."""
    with Clients() as clients:
        report = vars(_post(clients))
    return {**report, "live": vars(live_step())}


def _post(clients: Clients) -> PostReport:
    """Post each engine's due tasks with that engine's client: a batch never mixes families."""
    reports = [tasks_post(client=clients.get(e)) for e in posting.postable_engines()]
    report = merge_reports(reports) if reports else PostReport()
    if report.posted and "poll" in settings.AISA_COLLECT_MODES:
        collect_burst_enqueue()
    return report


#: Live calls one run makes at once (threads); the account-wide cap is ``live``'s.
LIVE_WORKERS = 4
#: How long a run keeps starting live calls; the last one may then take
#: ``LIVE_CALL_MAX_SECONDS``, which the jobs' timeout (settings ``Q_CLUSTER``) allows for.
LIVE_START_SECONDS = 45


def live_client(engine: str) -> AisaClient:
    """A client for live calls: its read timeout is the longest a live answer may take."""
    return api_client(family=engine, read_timeout=LIVE_CALL_MAX_SECONDS)


def live_step(*, workers: int = LIVE_WORKERS, client_for=live_client) -> live.LiveReport:
    """Ask the due live tasks, ``workers`` calls at a time (never past the family's cap)."""
    due = live.live_due().count()
    if not due:
        return live.LiveReport()
    deadline = time.monotonic() + LIVE_START_SECONDS
    workers = max(1, min(workers, due))
    if workers == 1:
        return _live_worker(client_for, deadline)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="live") as pool:
        futures = [pool.submit(_live_thread, client_for, deadline) for _ in range(workers)]
        return merge_reports([f.result() for f in futures])


def _live_worker(client_for, deadline: float | None = None) -> live.LiveReport:
    """One worker's live calls, with a client per engine opened as needed, all closed."""
    opened: dict[str, AisaClient] = {}

    def client(engine: str) -> AisaClient:
        if engine not in opened:
            opened[engine] = client_for(engine)
        return opened[engine]

    try:
        return live.tasks_live(client_for=client, deadline=deadline)
    finally:
        for c in opened.values():
            c.close()


def _live_thread(client_for, deadline: float) -> live.LiveReport:
    try:
        return _live_worker(client_for, deadline)
    finally:
        connection.close()  # the thread's own database connection


def collect_burst() -> int:
    """Poll quickly for a while after a post, so answers show up within seconds."""
    engines = collecting.waiting_engines()
    if not engines:
        return 0
    seconds = BURST_SECONDS / len(engines)  # the job's time, shared by the engines
    with Clients() as clients:
        return sum(
            collecting.tasks_collect_burst(client=clients.get(e), seconds=seconds) for e in engines
        )


def task_collect_now(*, task_id: int) -> None:
    """Fetch one task's result (after a pingback said it is done), with its engine's client."""
    task = Task.objects.filter(pk=task_id).first()
    if task is None or not task.provider_task_id:
        return
    with api_client(family=task.engine) as client:
        try:
            collecting.task_collect(client=client, task=task)
        except AisaError as exc:
            if exc.outcome is not Outcome.RATE_LIMITED:
                raise
            # The window's calls are used up: the task stays due; a later pass fetches it.
            logger.info("Task %s not fetched yet: %s", task_id, exc)
