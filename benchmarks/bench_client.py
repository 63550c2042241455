"""Throughput of the API client: 10,000 tasks through task_post, 100 per call.

    .venv/bin/python benchmarks/bench_client.py [--tasks 10000] [--repeat 5]

The sandbox runs in a separate process (``sandbox.server.SandboxServer``, which needs no
Django), so the client and the server do not share a GIL. Per repetition it reports:

- wall time and tasks per second;
- "client code": wall time minus the time spent inside ``Session.request`` — our own work
  (batch check, JSON encode, JSON decode with Decimal, typed results);
- "HTTP + server": the time inside ``Session.request`` (requests/urllib3 and waiting for
  the sandbox);
- "client CPU": the CPU time of this process (our code plus requests/urllib3), as a share
  of wall time.

Medians over the repetitions are printed last.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.request import Request, urlopen

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from monitoring.aisa.client import AisaClient  # noqa: E402
from monitoring.aisa.contract import MAX_TASKS_PER_POST, Outcome  # noqa: E402

KEY = "sk-aisa-sandbox"
SERVER = """
import sys, time
from sandbox.server import SandboxServer
with SandboxServer(port=0) as server:
    print(server.url, flush=True)
    sys.stdin.read()  # serve until the benchmark closes our stdin
"""


class TimedSession(requests.Session):
    """A session that adds up the time spent inside ``request`` (HTTP stack + server)."""

    inside = 0.0

    def request(self, *args, **kwargs):
        started = time.perf_counter()
        try:
            return super().request(*args, **kwargs)
        finally:
            self.inside += time.perf_counter() - started


def start_sandbox() -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit("The sandbox did not start.")
    return proc, url


def control(url: str, action: str) -> None:
    urlopen(Request(f"{url}/_sandbox/{action}", data=b"{}", method="POST"), timeout=30).read()


def batches(total: int, rep: int) -> list[list[dict]]:
    tasks = [
        {
            "user_prompt": f"Which CRM would you recommend for a team of {i % 50 + 2}?",
            "model_name": "claude-sonnet-4-0",
            "web_search": i % 3 == 0,
            "tag": f"bench-{rep}-{i}",
        }
        for i in range(total)
    ]
    return [tasks[i : i + MAX_TASKS_PER_POST] for i in range(0, total, MAX_TASKS_PER_POST)]


def run_once(url: str, total: int, rep: int) -> dict[str, float]:
    control(url, "reset")
    work = batches(total, rep)
    session = TimedSession()
    client = AisaClient(url + "/apis/v1/dataforseo", KEY, session=session)
    created = 0
    cpu, wall = time.process_time(), time.perf_counter()
    for batch in work:
        created += sum(t.outcome is Outcome.SUCCESS for t in client.task_post(batch).tasks)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    client.close()
    if created != total:
        raise SystemExit(f"Only {created} of {total} tasks were created.")
    return {
        "wall_s": wall,
        "tasks_per_s": total / wall,
        "client_code_s": wall - session.inside,
        "client_code_share": (wall - session.inside) / wall,
        "http_and_server_s": session.inside,
        "client_cpu_share": cpu / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    proc, url = start_sandbox()
    try:
        runs = []
        for rep in range(args.repeat):
            runs.append(run_once(url, args.tasks, rep))
            print(f"run {rep + 1}: " + json.dumps({k: round(v, 4) for k, v in runs[-1].items()}))
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)
    medians = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    print(f"\n{args.tasks} tasks, {MAX_TASKS_PER_POST} per call, median of {args.repeat} runs:")
    print(f"  wall time          {medians['wall_s']:.3f} s")
    print(f"  throughput         {medians['tasks_per_s']:.0f} tasks/s")
    print(
        f"  client code        {medians['client_code_s'] * 1000:.1f} ms "
        f"({medians['client_code_share']:.1%} of wall time)"
    )
    print(f"  HTTP + server      {medians['http_and_server_s']:.3f} s")
    print(f"  client CPU (incl. requests/urllib3) {medians['client_cpu_share']:.1%} of wall time")


if __name__ == "__main__":
    main()
