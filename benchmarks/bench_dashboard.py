"""Dashboard server time on a large history, and analysis throughput through answer_analyze.

    .venv/bin/python benchmarks/bench_dashboard.py [--prompts 1000] [--days 90] [--samples 3]
        [--repeat 15] [--analyze 500]

Seeds a throwaway SQLite database (or DATABASE_URL, if set: it must be a scratch database)
directly with bulk_create: prompts × days × samples answers, each with its task, 1-4
mentions and 0-3 citations. Then times the dashboard (the Django test client, default 28-day
range and a 90-day range) and prints the median and p95 over the repetitions, then analyses
--analyze answers with ``answer_analyze`` and prints answers per second.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aisa_site.settings")
DB_PATH = Path(tempfile.gettempdir()) / f"bench-dashboard-{os.getpid()}.sqlite3"
os.environ.setdefault("DATABASE_URL", f"sqlite:///{DB_PATH}")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from monitoring.models import (  # noqa: E402
    Answer,
    Brand,
    BrandDomain,
    Citation,
    Membership,
    Mention,
    Prompt,
    Task,
    Workspace,
)
from monitoring.services.analysis import answer_analyze, brand_set_load  # noqa: E402

BRANDS = ["HubSpot", "Salesforce", "Pipedrive", "Zoho CRM", "Freshsales", "Close", "Copper"]
DOMAINS = ["hubspot.com", "salesforce.com", "g2.com", "capterra.com", "pipedrive.com", "zoho.com"]
BATCH = 5000


def _text(rng: random.Random, named: list[str]) -> str:
    lines = [
        f"{i}. **{name}** is a solid choice for many teams." for i, name in enumerate(named, 1)
    ]
    extra = rng.choice(["Nutshell", "Insightly", "Capsule", "Less Annoying CRM"])
    return "Here are some options:\n" + "\n".join(lines) + f"\nAlso consider {extra}."


def seed(prompts: int, days: int, samples: int) -> int:
    rng = random.Random(7)
    workspace = Workspace.objects.create(name="Bench")
    brands = [
        Brand.objects.create(workspace=workspace, name=n, kind="own" if i == 0 else "competitor")
        for i, n in enumerate(BRANDS)
    ]
    owners = {}
    for brand in brands:
        domain = brand.name.split()[0].lower() + ".com"
        if domain in DOMAINS:
            BrandDomain.objects.create(brand=brand, domain=domain)
            owners[domain] = brand
    prompt_ids = [
        p.pk
        for p in Prompt.objects.bulk_create(
            Prompt(workspace=workspace, text=f"Which CRM is best for case {i}?")
            for i in range(prompts)
        )
    ]
    now = datetime.now(UTC)
    slots = [(p, d, s) for d in range(days) for p in prompt_ids for s in range(samples)]
    for start in range(0, len(slots), BATCH):
        chunk = slots[start : start + BATCH]
        tasks = Task.objects.bulk_create(
            Task(
                workspace=workspace,
                prompt_id=p,
                tag=f"b-{start + i}",
                request_body={},
                status="collected",
                money_spent="0.004200",
                created_at=now,
            )
            for i, (p, d, s) in enumerate(chunk)
        )
        plans = []
        for task, (p, d, _s) in zip(tasks, chunk, strict=True):
            named = rng.sample(BRANDS, rng.randint(0, 4))
            when = now - timedelta(days=d, minutes=rng.randint(0, 1400))
            plans.append((task, p, when, named))
        answers = Answer.objects.bulk_create(
            Answer(
                task_id=t.pk,
                workspace=workspace,
                prompt_id=p,
                text=_text(rng, named),
                model_name="claude-sonnet-4-20250514",
                web_search=True,
                answered_at=when,
                raw={},
                is_informative=True,
                untracked_names=["Nutshell"],
                fan_out_queries=[f"best crm {p % 20}"],
            )
            for t, p, when, named in plans
        )
        Task.objects.filter(pk__in=[t.pk for t in tasks]).update(created_at=plans[0][2])
        by_name = {b.name: b for b in brands}
        Mention.objects.bulk_create(
            Mention(
                answer_id=a.pk,
                brand=by_name[name],
                workspace=workspace,
                count=1,
                first_offset=0,
                rank=rank,
                spans=[],
            )
            for a, (_, _, _, named) in zip(answers, plans, strict=True)
            for rank, name in enumerate(named, 1)
        )
        Citation.objects.bulk_create(
            Citation(
                answer_id=a.pk,
                position=i,
                url=f"https://{dom}/x",
                domain=dom,
                brand=owners.get(dom),
            )
            for a in answers
            for i, dom in enumerate(rng.sample(DOMAINS, rng.randint(0, 3)), 1)
        )
        print(f"  seeded {start + len(chunk):,} answers", flush=True)
    return workspace.pk


def time_page(workspace_id: int, page: str, repeat: int, params: dict) -> list[float]:
    """Server time of a workspace page (``page`` after ``/w/<id>/``) as a viewer sees it."""
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username="bench")
    Membership.objects.get_or_create(
        workspace_id=workspace_id, user=user, defaults={"role": "viewer"}
    )
    client = Client()
    client.force_login(user)
    url = f"/w/{workspace_id}/{page}"
    client.get(url, params)  # warm-up
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url, params)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    return timings


def time_dashboard(workspace_id: int, repeat: int, params: dict) -> list[float]:
    return time_page(workspace_id, "", repeat, params)


def report(label: str, timings: list[float]) -> None:
    ordered = sorted(timings)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    print(f"{label}: median {statistics.median(ordered) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=1000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--analyze", type=int, default=500)
    args = parser.parse_args()
    setup_test_environment()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    workspace_id = seed(args.prompts, args.days, args.samples)
    n = Answer.objects.filter(workspace_id=workspace_id).count()
    print(f"Seeded {n:,} answers in {time.perf_counter() - started:.0f} s")
    today = datetime.now(UTC).date()
    report("Dashboard, last 28 days", time_dashboard(workspace_id, args.repeat, {}))
    wide = {"start": (today - timedelta(days=args.days)).isoformat(), "end": today.isoformat()}
    report(f"Dashboard, last {args.days} days", time_dashboard(workspace_id, args.repeat, wide))
    report(
        "Dashboard filtered by model, 28 days",
        time_dashboard(workspace_id, args.repeat, {"model": "claude-sonnet-4-20250514"}),
    )
    brands = brand_set_load(workspace=Workspace.objects.get(pk=workspace_id))
    sample = list(
        Answer.objects.filter(workspace_id=workspace_id).prefetch_related("citations")[
            : args.analyze
        ]
    )
    started = time.perf_counter()
    for answer in sample:
        answer_analyze(answer=answer, brands=brands)
    elapsed = time.perf_counter() - started
    print(f"answer_analyze: {len(sample) / elapsed:.0f} answers/s ({len(sample)} answers)")
    if DB_PATH.exists():
        DB_PATH.unlink()


if __name__ == "__main__":
    main()
