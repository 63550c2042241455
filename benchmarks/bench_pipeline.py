"""End-to-end throughput of the task pipeline against the in-process sandbox.

    DEBUG=1 .venv/bin/python benchmarks/bench_pipeline.py [--tasks 2000] [--runs 3]
        [--workers 1] [--limit 10] [--limit-seconds 65] [--skip-limit]

1. Throughput (no binding limit): queue N tasks, post them (``tasks_post``, 100 per call)
   until none is queued, then collect them (``tasks_collect``) until all are collected.
   Prints tasks/s for queued→posted, posted→collected and overall; medians over --runs.
   The collect loop asks as if the 3 s first-poll delay had passed (``now`` + 10 s), so it
   measures the pipeline's work, not that wait. Sandbox ``task_delay`` is 0. With
   ``--workers N``, N posting workers (threads, each its own client and database
   connection) post at once, as several job workers do.
2. Rate limit: AISA_CALLS_PER_MINUTE=--limit, 100-task batches, the posting job run every
   second for --limit-seconds; prints the most task_post calls the sandbox received in any
   60 s window, against the limit.

The database is a throwaway SQLite file (WAL, as in production) unless DATABASE_URL points
at PostgreSQL, in which case a throwaway database ``aisa_bench_<pid>`` is created next to
the one named there and dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def _database_setup() -> tuple[str, callable]:
    """Point DATABASE_URL at a throwaway database; return a description and a cleanup."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        import psycopg
        from dj_database_url import parse

        db = parse(url)
        name = f"aisa_bench_{os.getpid()}"
        admin = {"dbname": db["NAME"], "user": db["USER"], "host": db["HOST"]}
        admin["port"] = db["PORT"] or 5432
        if db["PASSWORD"]:
            admin["password"] = db["PASSWORD"]
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + name

        def drop():
            from django.db import connections

            connections.close_all()
            with psycopg.connect(**admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return f"PostgreSQL (throwaway database {name})", drop
    path = Path(tempfile.gettempdir()) / f"aisa-bench-{os.getpid()}.sqlite3"
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"

    def remove():
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    return f"SQLite file {path} (WAL)", remove


def on_throwaway_database(run: callable) -> None:
    """Set Django up on a migrated throwaway database, call ``run``, then drop it."""
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aisa_site.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    described, cleanup = _database_setup()
    import django

    django.setup()
    try:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        print(f"database: {described}")
        run()
    finally:
        cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=1, help="posting workers at once")
    parser.add_argument("--limit", type=int, default=10, help="calls/min for the limit run")
    parser.add_argument("--limit-seconds", type=float, default=65.0)
    parser.add_argument("--skip-limit", action="store_true")
    args = parser.parse_args()

    def run() -> None:
        _throughput(args)
        if not args.skip_limit:
            _rate_limit(args)

    on_throwaway_database(run)


def _settings(calls_per_minute: int) -> None:
    from django.conf import settings

    settings.AISA_CALLS_PER_MINUTE = calls_per_minute
    settings.AISA_DAILY_CAP_USD = ""
    settings.AISA_COLLECT_MODES = ["poll"]
    settings.AISA_WEBHOOK_BASE_URL = ""


def _fresh_queue(n: int):
    """Empty the pipeline tables and queue n tasks (one prompt each) in one workspace."""
    from monitoring.models import Answer, ApiCall, Prompt, RateWindow, Task, Workspace
    from monitoring.services import tasks as task_services

    task_services.post_enqueue = lambda: None  # no broker job: the benchmark drives posting
    Answer.objects.all().delete()
    Task.objects.all().delete()
    Prompt.objects.all().delete()
    ApiCall.objects.all().delete()
    RateWindow.objects.all().delete()
    workspace, _ = Workspace.objects.get_or_create(name="Bench")
    prompts = Prompt.objects.bulk_create(
        Prompt(workspace=workspace, text=f"Which CRM is best for team {i}?") for i in range(n)
    )
    prompts = list(Prompt.objects.filter(workspace=workspace).order_by("id"))
    task_services.task_batch_create(
        workspace=workspace,
        prompts=prompts,
        request_settings={"model_name": "claude-sonnet-4-20250514", "max_output_tokens": 1024},
    )


def _throughput(args) -> None:
    from django.utils import timezone

    from monitoring.aisa.client import AisaClient
    from monitoring.models import Task, TaskStatus
    from monitoring.pipeline.collecting import tasks_collect
    from sandbox.server import SandboxServer

    _settings(100_000)
    n = args.tasks
    rows = []
    print(
        f"\nthroughput: {n} tasks, 100 per task_post, sandbox task_delay 0, {args.runs} runs, "
        f"{args.workers} posting worker(s)"
    )
    with SandboxServer(seed=0, task_delay=0.0) as sandbox:
        for run in range(1, args.runs + 1):
            sandbox.reset()
            _fresh_queue(n)
            with AisaClient(sandbox.aisa_base_url, "sk-aisa-test-key") as client:
                t0 = time.perf_counter()
                _post_all(sandbox.aisa_base_url, args.workers)
                t1 = time.perf_counter()
                while Task.objects.filter(status=TaskStatus.POSTED).exists():
                    tasks_collect(
                        client=client, limit=1000, now=timezone.now() + timedelta(seconds=10)
                    )
                t2 = time.perf_counter()
            accepted = sandbox.accepted_tags()
            collected = Task.objects.filter(status=TaskStatus.COLLECTED).count()
            assert collected == n == len(accepted)
            assert max(accepted.values()) == 1
            row = (n / (t1 - t0), n / (t2 - t1), n / (t2 - t0), t2 - t0)
            rows.append(row)
            print(
                f"  run {run}: queued→posted {row[0]:7.1f} tasks/s   posted→collected "
                f"{row[1]:6.1f} tasks/s   overall {row[2]:6.1f} tasks/s   ({row[3]:.1f} s)"
            )
    med = [statistics.median(col) for col in zip(*rows, strict=True)]
    print(
        f"  median: queued→posted {med[0]:7.1f} tasks/s   posted→collected {med[1]:6.1f} "
        f"tasks/s   overall {med[2]:6.1f} tasks/s   ({med[3]:.1f} s for {n} tasks)"
    )


def _post_all(base_url: str, workers: int) -> None:
    """Post every queued task with ``workers`` posting workers at once."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    from monitoring.aisa.client import AisaClient
    from monitoring.models import Task, TaskStatus
    from monitoring.pipeline.posting import tasks_post

    def worker(_: int) -> None:
        try:
            with AisaClient(base_url, "sk-aisa-test-key") as client:
                while Task.objects.filter(status=TaskStatus.QUEUED).exists():
                    report = tasks_post(client=client)
                    if report.halted or report.errors:
                        raise SystemExit(f"posting failed: {report}")
        finally:
            if workers > 1:
                connection.close()  # the thread's own connection

    if workers == 1:
        worker(0)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(worker, range(workers)))


def _rate_limit(args) -> None:
    from monitoring.aisa.client import AisaClient
    from monitoring.models import Task, TaskStatus
    from monitoring.pipeline.posting import tasks_post
    from sandbox.server import SandboxServer

    _settings(args.limit)
    n = args.tasks
    print(
        f"\nrate limit: AISA_CALLS_PER_MINUTE={args.limit}, 100-task batches, {n} tasks, "
        f"posting job every second for {args.limit_seconds:g} s"
    )
    with SandboxServer(seed=0, task_delay=0.0) as sandbox:
        received: list[float] = []
        record = sandbox.store.record_call

        def stamped(endpoint, count):
            if endpoint == "task_post":
                received.append(time.monotonic())
            return record(endpoint, count)

        sandbox.store.record_call = stamped
        _fresh_queue(n)
        start = time.monotonic()
        with AisaClient(sandbox.aisa_base_url, "sk-aisa-test-key") as client:
            while time.monotonic() - start < args.limit_seconds:
                tasks_post(client=client)
                if not Task.objects.filter(status=TaskStatus.QUEUED).exists():
                    break
                time.sleep(1.0)
        elapsed = time.monotonic() - start
    busiest = max((sum(1 for t in received if s <= t < s + 60) for s in received), default=0)
    posted = Task.objects.filter(status=TaskStatus.POSTED).count()
    accepted = sandbox.accepted_tags()
    print(
        f"  {len(received)} task_post calls in {elapsed:.1f} s ({posted} tasks posted, "
        f"each accepted {max(accepted.values(), default=0)}x); busiest 60 s window: "
        f"{busiest} calls vs limit {args.limit} -> {'held' if busiest <= args.limit else 'BROKEN'}"
    )
    offsets = ", ".join(f"{t - start:.1f}" for t in received)
    print(f"  call times (s from start): {offsets}")


if __name__ == "__main__":
    main()
