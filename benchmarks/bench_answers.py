"""The answers list with a search, and the Markdown renderer, on a large seeded history.

    .venv/bin/python benchmarks/bench_answers.py [--prompts 1000] [--days 90] [--samples 3]
        [--repeat 15]

Seeds like bench_dashboard.py (a throwaway database: SQLite, or PostgreSQL when DATABASE_URL
points at it; see bench_pipeline), then times the answers list without and with a search over 28 and
90 days, and the renderer on a typical answer and on the largest answer it formats.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_dashboard import report, seed, time_page  # noqa: E402
from bench_pipeline import on_throwaway_database  # noqa: E402

LINE = "1. **HubSpot** is a solid choice, see [HubSpot](https://hubspot.com).\n"
TYPICAL = "## Best CRMs\n\n" + LINE * 12


def time_list(workspace_id: int, repeat: int, params: dict) -> list[float]:
    return time_page(workspace_id, "answers/", repeat, params)


def time_render(text: str, repeat: int) -> list[float]:
    from monitoring.analysis.markdown import answer_html

    spans = [(3, 10, 1)]
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        answer_html(text, spans)
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    on_throwaway_database(lambda: _run(args))


def _run(args) -> None:
    from django.test.utils import setup_test_environment

    from monitoring.analysis.markdown import MAX_MARKDOWN_CHARS
    from monitoring.models import Answer

    setup_test_environment()
    workspace_id = seed(args.prompts, args.days, args.samples)
    print(f"Seeded {Answer.objects.filter(workspace_id=workspace_id).count():,} answers")
    today = datetime.now(UTC).date()
    wide = {"start": (today - timedelta(days=args.days)).isoformat(), "end": today.isoformat()}
    for label, params in [("28 days", {}), (f"{args.days} days", wide)]:
        report(f"Answers, {label}", time_list(workspace_id, args.repeat, params))
        for q in ("pipedrive", "zoho crm solid", "nowhere"):
            timings = time_list(workspace_id, args.repeat, params | {"q": q})
            report(f"Answers, {label}, q={q!r}", timings)
    report(f"Render, typical answer ({len(TYPICAL):,} chars)", time_render(TYPICAL, args.repeat))
    table = "|a|b|\n|-|-|\n" + "|x|y|\n" * ((MAX_MARKDOWN_CHARS - 12) // 6)
    report(f"Render, a table of {len(table):,} chars", time_render(table, 3))


if __name__ == "__main__":
    main()
