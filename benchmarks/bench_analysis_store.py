"""Analysis stored: answers analysed and written with their mentions and citation owners.

    .venv/bin/python benchmarks/bench_analysis_store.py [--answers 2000] [--runs 3]
        [--batch 200]

Seeds --answers answers of bench_analysis's kind (8 brands with aliases and domains, 0-3
citations each) in a throwaway database (SQLite file, or PostgreSQL when DATABASE_URL
points at it; see bench_pipeline), then per run analyses all of them twice, in the same
run so the two compare: one at a time with ``answer_analyze`` (a transaction each, as
collection did), and in batches of --batch with ``answers_analyze`` (one transaction a
batch). The answers and their citations are read before the clock starts; the citation
owners are cleared before each pass, so both passes write the same rows. Prints answers/s
per pass and the medians.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "benchmarks"))

import bench_analysis  # noqa: E402
from bench_pipeline import on_throwaway_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    on_throwaway_database(lambda: _run(args))


def _seed(n: int) -> int:
    from monitoring.models import (
        Answer,
        Brand,
        BrandAlias,
        BrandDomain,
        Citation,
        Prompt,
        Task,
        Workspace,
    )

    rng = random.Random(20250724)
    workspace = Workspace.objects.create(name="Bench")
    for i, terms in enumerate(bench_analysis.BRANDS):
        brand = Brand.objects.create(
            workspace=workspace, name=terms.name, kind="own" if i == 0 else "competitor"
        )
        BrandAlias.objects.bulk_create(BrandAlias(brand=brand, name=a) for a in terms.aliases)
        domain = terms.name.split()[0].lower() + ".com"
        if domain in bench_analysis.DOMAINS:
            BrandDomain.objects.create(brand=brand, domain=domain)
    prompts = Prompt.objects.bulk_create(
        Prompt(workspace=workspace, text=f"Which CRM is best for case {i}?") for i in range(n)
    )
    tasks = Task.objects.bulk_create(
        Task(workspace=workspace, prompt=p, tag=f"b-{i}", request_body={}, status="collected")
        for i, p in enumerate(prompts)
    )
    answers = Answer.objects.bulk_create(
        Answer(
            task=t,
            workspace=workspace,
            prompt=t.prompt,
            text=bench_analysis.answer(rng),
            model_name="claude-sonnet-4-20250514",
            answered_at=datetime.now(UTC),
            raw={},
        )
        for t in tasks
    )
    Citation.objects.bulk_create(
        Citation(answer=a, position=i, url=f"https://{d}/x", title=f"About {d}", domain=d)
        for a in answers
        for i, d in enumerate(rng.sample(bench_analysis.DOMAINS, rng.randint(0, 3)), 1)
    )
    return workspace.pk


def _run(args) -> None:
    from monitoring.models import Answer, Citation
    from monitoring.services.analysis import answer_analyze, answers_analyze, brand_set_load

    workspace_id = _seed(args.answers)
    print(f"{args.answers} answers, batches of {args.batch}, {args.runs} runs")
    rows = []
    for run in range(1, args.runs + 1):
        rates = []
        for batched in (False, True):
            Citation.objects.update(brand=None)  # both passes write the owners anew
            answers = list(
                Answer.objects.filter(workspace_id=workspace_id)
                .order_by("pk")
                .prefetch_related("citations")
            )
            citations = {a.pk: list(a.citations.all()) for a in answers}
            started = time.perf_counter()
            if batched:
                for i in range(0, len(answers), args.batch):
                    chunk = answers[i : i + args.batch]
                    answers_analyze(answers=chunk, citations=citations)
            else:
                brands = brand_set_load(workspace_id=workspace_id)
                for answer in answers:
                    answer_analyze(answer=answer, brands=brands)
            rates.append(len(answers) / (time.perf_counter() - started))
        rows.append(rates)
        print(
            f"  run {run}: one at a time (answer_analyze) {rates[0]:7.0f} answers/s   "
            f"batched (answers_analyze) {rates[1]:7.0f} answers/s"
        )
    med = [statistics.median(col) for col in zip(*rows, strict=True)]
    print(f"  median: one at a time {med[0]:7.0f} answers/s   batched {med[1]:7.0f} answers/s")


if __name__ == "__main__":
    main()
