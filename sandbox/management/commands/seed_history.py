"""Give the demo workspaces weeks of answers: brands, CRM prompts, monitors, real pipeline runs.

Tasks go through the real pipeline (``tasks_post`` → in-process sandbox → ``tasks_collect``,
which stores and analyses the answers); each week's tasks are then moved back in time so
the dashboard shows trends. Idempotent: a workspace that already has its demo monitors'
tasks is left alone. Run ``seed_demo`` first.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.test.utils import override_settings
from django.utils import timezone

from monitoring.aisa.client import AisaClient
from monitoring.models import (
    Answer,
    Brand,
    BrandAlias,
    BrandDomain,
    Monitor,
    Prompt,
    Tag,
    Task,
    TaskEvent,
    TaskStatus,
    Workspace,
)
from monitoring.models.requests import RunTrigger
from monitoring.pipeline.collecting import tasks_collect
from monitoring.pipeline.posting import tasks_post
from monitoring.services.monitors import monitor_run_create
from sandbox.answers import load_market
from sandbox.server import SandboxServer

#: Demo workspace (from seed_demo) → its own brand in the sandbox market's CRM category.
OWN_BRANDS = {"Acme Analytics": "HubSpot", "Globex Marketing": "Pipedrive"}
#: Left untracked on purpose, so the dashboard has a name to suggest.
UNTRACKED = {"Close"}
PROMPTS = [
    ("What is the best CRM for a small business?", ["small business"]),
    ("Which CRM should a 10-person startup choose?", ["startups"]),
    ("Best free CRM software in 2025?", ["pricing"]),
    ("Cheapest CRM with a good sales pipeline?", ["pricing"]),
    ("Which CRM is easiest for a sales team to learn?", ["usability"]),
    ("What CRM do enterprise sales organisations use?", ["enterprise"]),
    ("Best CRM for a marketing agency managing many clients?", ["agencies"]),
    ("Which sales software integrates best with email marketing?", ["integrations"]),
    ("What is a good contact management tool for freelancers?", ["small business"]),
    ("Best CRM for B2B SaaS companies?", ["startups", "enterprise"]),
    ("Which CRM has the best mobile app for field sales?", ["usability"]),
    ("Compare CRM tools for a growing customer relationship team", ["enterprise"]),
    ("What CRM works best with Microsoft Outlook?", ["integrations"]),
    ("Which CRM has the best reporting on the sales pipeline?", ["enterprise"]),
    ("Best CRM for real estate agents?", ["small business"]),
    ("Which CRM offers the best AI lead scoring?", ["integrations"]),
]
MONITORS = [
    (
        "Demo · Claude Sonnet with web search",
        {"model_name": "claude-sonnet-4-20250514", "web_search": True, "max_output_tokens": 1024},
        None,
    ),
    (
        "Demo · Claude Haiku without web search",
        {"model_name": "claude-3-5-haiku-20241022", "max_output_tokens": 800},
        1,
    ),
]
SANDBOX_KEY = "sk-aisa-sandbox"


class Command(BaseCommand):
    help = "Seed the demo workspaces with weeks of answers through the real pipeline (sandbox)."

    def add_arguments(self, parser):
        parser.add_argument("--weeks", type=int, default=6)
        parser.add_argument("--prompts", type=int, default=12)
        parser.add_argument("--samples", type=int, default=3)

    def handle(self, *args, weeks, prompts, samples, **options):
        if not 1 <= prompts <= len(PROMPTS):
            raise CommandError(f"--prompts must be between 1 and {len(PROMPTS)}.")
        workspaces = list(Workspace.objects.filter(name__in=OWN_BRANDS))
        if not workspaces:
            raise CommandError("No demo workspace: run `manage.py seed_demo` first.")
        market = next(c for c in load_market()["categories"] if c["key"] == "crm")
        settings = {
            "AISA_CALLS_PER_MINUTE": 100_000,
            "AISA_DAILY_CAP_USD": "",
            "AISA_COLLECT_MODES": ["poll"],
            "AISA_WEBHOOK_BASE_URL": "",  # the in-process sandbox answers polls only
        }
        with (
            override_settings(**settings),
            SandboxServer(seed=0, task_delay=0) as sandbox,
            AisaClient(sandbox.aisa_base_url, SANDBOX_KEY, read_timeout=10) as client,
        ):
            for workspace in workspaces:
                if Task.objects.filter(
                    monitor__workspace=workspace, monitor__name__in=[m[0] for m in MONITORS]
                ).exists():
                    self.stdout.write(f"{workspace.name}: history already seeded, skipped.")
                    continue
                count = self._seed(workspace, market, client, sandbox, weeks, prompts, samples)
                self.stdout.write(
                    self.style.SUCCESS(f"{workspace.name}: {count} answers over {weeks} weeks.")
                )

    def _seed(self, workspace, market, client, sandbox, weeks, n_prompts, samples) -> int:
        # One transaction per workspace: a worker running meanwhile sees (and posts) nothing.
        with transaction.atomic():
            self._brands(workspace, market, OWN_BRANDS[workspace.name])
            prompts = self._prompts(workspace, n_prompts)
            monitors = [
                self._monitor(workspace, name, body, prompts, own_samples or samples)
                for name, body, own_samples in MONITORS
            ]
            for week in range(weeks, 0, -1):
                sandbox.seed = f"{workspace.pk}-{week}"  # varied answers week to week
                ids = []
                slot = timezone.now().replace(second=0, microsecond=0) - timedelta(weeks=week)
                for monitor in monitors:
                    # A run of the week, as "Run now" makes one: the monitors page shows it.
                    run = monitor_run_create(monitor=monitor, slot=slot, trigger=RunTrigger.MANUAL)
                    ids += list(run.tasks.values_list("id", flat=True)) if run else []
                self._run(client, sandbox, ids)
                self._shift(ids, week)
            return Answer.objects.filter(workspace=workspace).count()

    def _brands(self, workspace, market, own_name):
        for entry in market["brands"]:
            if entry["name"] in UNTRACKED:
                continue
            brand = Brand.objects.filter(workspace=workspace, name__iexact=entry["name"]).first()
            if brand is None:
                brand = Brand.objects.create(
                    workspace=workspace,
                    name=entry["name"],
                    kind="own" if entry["name"] == own_name else "competitor",
                )
            for alias in entry["aliases"]:
                if not brand.aliases.filter(name__iexact=alias).exists():
                    BrandAlias.objects.create(brand=brand, name=alias)
            domain = entry["domain"].removeprefix("www.")
            BrandDomain.objects.get_or_create(brand=brand, domain=domain)

    def _prompts(self, workspace, n):
        prompts = []
        for text, tags in PROMPTS[:n]:
            prompt, _ = Prompt.objects.get_or_create(workspace=workspace, text=text)
            prompt.tags.add(
                *(Tag.objects.get_or_create(workspace=workspace, name=t)[0] for t in tags)
            )
            prompts.append(prompt)
        return prompts

    def _monitor(self, workspace, name, body, prompts, samples):
        monitor, _ = Monitor.objects.get_or_create(
            workspace=workspace,
            name=name,
            defaults={"request_settings": body, "samples_per_run": samples, "schedule": "manual"},
        )
        monitor.prompts.set(prompts)
        return monitor

    def _run(self, client, sandbox, ids):
        """Post, complete and collect these tasks through the real pipeline."""
        for _ in range(10):
            if not Task.objects.filter(
                pk__in=ids, status__in=[TaskStatus.QUEUED, TaskStatus.HELD]
            ).exists():
                break
            tasks_post(client=client)
        sandbox.complete_all()
        for _ in range(5):
            waiting = Task.objects.filter(
                pk__in=ids, status__in=[TaskStatus.POSTED, TaskStatus.COMPLETED]
            )
            if not waiting.exists():
                break
            waiting.update(next_attempt_at=timezone.now())
            tasks_collect(client=client, limit=len(ids) + 10)

    def _shift(self, ids, week):
        """Move the week's tasks, their history and answers back, spread over the days."""
        for day in range(7):
            chunk = ids[day::7]
            if not chunk:
                continue
            delta = timedelta(days=7 * week - day, hours=day * 3 % 11)
            Task.objects.filter(pk__in=chunk).update(
                created_at=F("created_at") - delta,
                posted_at=F("posted_at") - delta,
                completed_at=F("completed_at") - delta,
                collected_at=F("collected_at") - delta,
                claimed_at=F("claimed_at") - delta,
                next_attempt_at=None,
            )
            TaskEvent.objects.filter(task_id__in=chunk).update(at=F("at") - delta)
            Answer.objects.filter(task_id__in=chunk).update(
                answered_at=F("answered_at") - delta, created_at=F("created_at") - delta
            )
