"""Dashboard server time flat in the history's size, and the seed that makes the history.

    .venv/bin/python benchmarks/bench_dashboard.py [--prompts 1000] [--days 334] [--samples 3]
        [--small-prompts 1000] [--small-days 4] [--repeat 15]

Seeds a throwaway database (SQLite file, or PostgreSQL when DATABASE_URL points at it; see
bench_pipeline) with two workspaces of the same kind: a big one (--prompts × --days ×
--samples answers: 1,002,000 by default) and a small one with the same prompts and a short
history (12,000 answers), each answer with its
task, 0-4 mentions and 0-3 citations, two engines, two models per engine (one replacing the
other), web search on one sample in three, 20 tags and two monitors. The rows go in as
multi-row INSERTs; then the summaries are built from them (``summaries_refresh``, as the
pipeline's tick would) and the planner's statistics refreshed (as the hourly job would).
Both steps are timed.

Then times, through the Django test client (server time, as a viewer), the dashboard for
28 and 90 days, unfiltered and filtered by tag, prompt, model, engine and monitor, in both
workspaces in the same run, and prints median and p95 per view and the ratio of the big
workspace's p95 to the small one's, each viewed again (its body cached) and as the first
view after a change (the body computed from the summaries); then the answers, tasks, costs
and prompts pages.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
sys.path.insert(0, str(BASE_DIR / "benchmarks"))

BRANDS = ["HubSpot", "Salesforce", "Pipedrive", "Zoho CRM", "Freshsales", "Close", "Copper"]
DOMAINS = ["hubspot.com", "salesforce.com", "g2.com", "capterra.com", "pipedrive.com", "zoho.com"]
TAGS = 20
#: (engine, model before the change, model after it) per sample (a third: web search on).
ENGINES = [
    ("claude", "claude-sonnet-4-20250514", "claude-sonnet-4-5-20250929"),
    ("claude", "claude-sonnet-4-20250514", "claude-sonnet-4-5-20250929"),
    ("chat_gpt", "gpt-4.1-mini", "gpt-5-mini"),
]
#: The models change this many days ago.
CHANGE_DAYS_AGO = 20
BATCH = 20_000


def _text(rng: random.Random, named: list[str]) -> str:
    lines = [
        f"{i}. **{name}** is a solid choice for many teams." for i, name in enumerate(named, 1)
    ]
    extra = rng.choice(["Nutshell", "Insightly", "Capsule", "Less Annoying CRM"])
    return "Here are some options:\n" + "\n".join(lines) + f"\nAlso consider {extra}."


class Inserter:
    """Multi-row INSERTs of a model's rows given as (some columns' values): the other
    columns get their defaults, prepared once. ``bulk_create`` builds an object and SQL
    per row, which was most of the seed's time."""

    def __init__(self, model, names: list[str]):
        from django.db import connection
        from django.utils import timezone

        self.model = model
        self.given = [model._meta.get_field(n) for n in names]
        taken = {f.attname for f in self.given}
        # The others, but an id not given: the database numbers those rows.
        self.rest = [
            f for f in model._meta.concrete_fields if f.attname not in taken and not f.primary_key
        ]
        now = timezone.now()
        self.defaults = [
            f.get_db_prep_save(
                now
                if getattr(f, "auto_now_add", False) or getattr(f, "auto_now", False)
                else f.get_default(),
                connection,
            )
            for f in self.rest
        ]
        self.prepare = [
            f.get_internal_type() in ("DateTimeField", "DateField", "JSONField", "DecimalField")
            for f in self.given
        ]

    def insert(self, rows: list[tuple]) -> None:
        from django.db import connection

        from monitoring.services import bulk

        out = []
        for row in rows:
            values = [
                f.get_db_prep_save(v, connection) if prep else v
                for f, prep, v in zip(self.given, self.prepare, row, strict=True)
            ]
            out.append([*values, *self.defaults])
        fields = [*self.given, *self.rest]
        if connection.vendor != "postgresql":
            bulk.rows_insert(self.model, fields, out)
            return
        # COPY: the driver would parse a multi-row INSERT's placeholders in Python.
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in fields)
        sql = f"COPY {quote(self.model._meta.db_table)} ({columns}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in out:
                copy.write_row(row)


def _next_id(model) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("pk"))["m"] or 0) + 1


def seed(prompts: int, days: int, samples: int, *, name: str = "Bench") -> int:
    """A workspace with prompts × days × samples answers; returns its id."""
    from django.db import connection, transaction

    from monitoring.models import (
        Answer,
        Brand,
        BrandDomain,
        Citation,
        Mention,
        Monitor,
        Prompt,
        Tag,
        Task,
        Workspace,
    )

    rng = random.Random(7)
    workspace = Workspace.objects.create(name=name)
    brands = {
        n: Brand.objects.create(workspace=workspace, name=n, kind="own" if i == 0 else "competitor")
        for i, n in enumerate(BRANDS)
    }
    owners = {}
    for brand in brands.values():
        domain = brand.name.split()[0].lower() + ".com"
        if domain in DOMAINS:
            BrandDomain.objects.create(brand=brand, domain=domain)
            owners[domain] = brand.pk
    tags = [Tag.objects.create(workspace=workspace, name=f"segment {i}") for i in range(TAGS)]
    prompt_rows = Prompt.objects.bulk_create(
        Prompt(workspace=workspace, text=f"Which CRM is best for case {i}?") for i in range(prompts)
    )
    Prompt.tags.through.objects.bulk_create(
        Prompt.tags.through(prompt_id=p.pk, tag_id=tags[i % TAGS].pk)
        for i, p in enumerate(prompt_rows)
    )
    monitors = [
        Monitor.objects.create(workspace=workspace, name=f"Monitor {i}", request_settings={})
        for i in range(2)
    ]
    tasks = Inserter(
        Task,
        ["id", "workspace", "prompt", "monitor", "engine", "tag", "status", "money_spent"]
        + ["request_body", "created_at", "claimed_at"],
    )
    answers = Inserter(
        Answer,
        ["id", "task", "workspace", "prompt", "monitor", "engine", "model_name", "web_search"]
        + ["text", "answered_at", "is_informative", "untracked_names", "fan_out_queries", "raw"],
    )
    mentions = Inserter(
        Mention, ["answer", "brand", "workspace", "count", "first_offset", "rank", "spans"]
    )
    citations = Inserter(Citation, ["answer", "position", "url", "title", "domain", "brand"])
    now = datetime.now(UTC)
    ids = max(_next_id(Task), _next_id(Answer))
    slots = [(p, d, s) for d in range(days) for p in range(prompts) for s in range(samples)]
    money = Decimal("0.004200")
    for start in range(0, len(slots), BATCH):
        task_rows, answer_rows, mention_rows, citation_rows = [], [], [], []
        for offset, (p, d, s) in enumerate(slots[start : start + BATCH]):
            pk, prompt = ids + start + offset, prompt_rows[p].pk
            monitor = monitors[p % 2].pk
            engine, before, after = ENGINES[s % len(ENGINES)]
            model = after if d < CHANGE_DAYS_AGO else before
            when = now - timedelta(days=d, minutes=rng.randint(0, 1400))
            named = rng.sample(BRANDS, rng.randint(0, 4))
            body = {"model_name": model, "web_search": s == 0}
            task_rows.append(
                (pk, workspace.pk, prompt, monitor, engine, f"{name}-{pk}", "collected", money)
                + (body, when, when)
            )
            answer_rows.append(
                (pk, pk, workspace.pk, prompt, monitor, engine, model, s == 0, _text(rng, named))
                + (when, bool(named), ["Nutshell"], [f"best crm {p % 20}"], {})
            )
            mention_rows += [
                (pk, brands[n].pk, workspace.pk, 1, 0, rank, []) for rank, n in enumerate(named, 1)
            ]
            citation_rows += [
                (pk, i, f"https://{dom}/x", "", dom, owners.get(dom))
                for i, dom in enumerate(rng.sample(DOMAINS, rng.randint(0, 3)), 1)
            ]
        with transaction.atomic():
            tasks.insert(task_rows)
            answers.insert(answer_rows)
            mentions.insert(mention_rows)
            citations.insert(citation_rows)
        if (start // BATCH) % 10 == 9:
            print(f"  seeded {start + len(task_rows):,} answers", flush=True)
    if connection.vendor == "postgresql":  # ids were given: move the sequences past them
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Task, Answer]):
                cursor.execute(sql)
    return workspace.pk


def no_style():
    from django.core.management.color import no_style as style

    return style()


def summaries_build(workspace_id: int) -> None:
    """As the pipeline would have: the tick's rebuild, then the hourly planner statistics."""
    from monitoring.services.summaries import (
        planner_statistics_refresh,
        summaries_refresh,
        workspace_mark,
    )

    workspace_mark(workspace_id)
    summaries_refresh(workspace_id=workspace_id)
    planner_statistics_refresh()


def time_page(
    workspace_id: int, page: str, repeat: int, params: dict, *, changed: bool = False
) -> list[float]:
    """Server time of a workspace page (``page`` after ``/w/<id>/``) as a viewer sees it;
    ``changed``: as the first view after a change (the workspace's version moved, so the
    dashboard's cached body is not used)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from monitoring.models import Membership
    from monitoring.services.summaries import version_bump

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
        if changed:
            version_bump(workspace_id)
        started = time.perf_counter()
        response = client.get(url, params)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, response.status_code
    return timings


def p95(timings: list[float]) -> float:
    ordered = sorted(timings)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def report(label: str, timings: list[float]) -> None:
    median = statistics.median(timings) * 1000
    print(f"{label}: median {median:.0f} ms, p95 {p95(timings) * 1000:.0f} ms")


def views(workspace_id: int, days: int) -> dict[str, dict]:
    """The dashboard's views to time: 28 and ``days`` days, unfiltered and filtered."""
    from monitoring.models import Monitor, Prompt, Tag

    today = datetime.now(UTC).date()
    wide = {"start": (today - timedelta(days=days - 1)).isoformat(), "end": today.isoformat()}
    filters = {
        "": {},
        "tag": {"tag": Tag.objects.filter(workspace_id=workspace_id).order_by("pk")[0].pk},
        "prompt": {"prompt": Prompt.objects.filter(workspace_id=workspace_id).order_by("pk")[0].pk},
        "model": {"model": ENGINES[0][2]},
        "engine": {"engine": "chat_gpt"},
        "monitor": {"monitor": Monitor.objects.filter(workspace_id=workspace_id)[0].pk},
    }
    out = {}
    for label, period in (("28 days", {}), (f"{days} days", wide)):
        for name, values in filters.items():
            out[f"{label}{', by ' + name if name else ''}"] = period | values
    return out


def run(args) -> None:
    from django.conf import settings
    from django.test.utils import setup_test_environment

    from monitoring.models import Answer

    setup_test_environment()
    # As in production: with DEBUG on, Django logs every query with its parameters quoted
    # into its text, which for the seed's and the rebuilds' large INSERTs took a fifth of
    # the time. (DEBUG is on only for the settings to load without production secrets.)
    settings.DEBUG = False
    sizes = {}
    for label, prompts, days in (
        ("small", args.small_prompts, args.small_days),
        ("big", args.prompts, args.days),
    ):
        started = time.perf_counter()
        workspace_id = seed(prompts, days, args.samples, name=label)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        summaries_build(workspace_id)
        built = time.perf_counter() - started
        n = Answer.objects.filter(workspace_id=workspace_id).count()
        print(f"{label}: seeded {n:,} answers in {seeded:.0f} s, summaries built in {built:.0f} s")
        sizes[label] = (workspace_id, n)
    (small, n_small), (big, n_big) = sizes["small"], sizes["big"]
    print(f"\nDashboard server time, {n_big:,} answers against {n_small:,}:")
    print("  (viewed again: the cached body; after a change: computed from the summaries)")
    worst = {"again": 0.0, "changed": 0.0}
    for label, params in views(big, 90).items():
        small_params = views(small, 90)[label]
        for kind, changed in (("again", False), ("changed", True)):
            t_big = time_page(big, "", args.repeat, params, changed=changed)
            t_small = time_page(small, "", args.repeat, small_params, changed=changed)
            ratio = p95(t_big) / p95(t_small)
            worst[kind] = max(worst[kind], p95(t_big))
            print(
                f"  {label:<24} {kind:<8} big median {statistics.median(t_big) * 1000:4.0f} ms,"
                f" p95 {p95(t_big) * 1000:4.0f} ms | small p95 {p95(t_small) * 1000:4.0f} ms"
                f" | ratio {ratio:.2f}"
            )
    for kind, seconds in worst.items():
        print(f"  worst p95 at {n_big:,} answers, {kind}: {seconds * 1000:.0f} ms")
    print("\nOther pages, big workspace:")
    for page in ("answers/", "tasks/", "costs/", "prompts/"):
        report(f"  /{page}", time_page(big, page, args.repeat, {}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=1000)
    parser.add_argument("--days", type=int, default=334)
    parser.add_argument("--samples", type=int, default=3)
    # The same workspace with a short history: the ratio is the history's size alone.
    parser.add_argument("--small-prompts", type=int, default=1000)
    parser.add_argument("--small-days", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    from bench_pipeline import on_throwaway_database

    on_throwaway_database(lambda: run(args))


if __name__ == "__main__":
    main()
