"""Where a workspace stands in its set-up: own brand, competitors, prompts, a monitor, results.

A step is done when the workspace has what it makes (so adding a brand on the brands page
counts too), or skipped when someone chose to skip it. The next step is the first that is
neither; the empty dashboard points to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef
from django.utils import timezone

from monitoring.models import (
    Answer,
    Brand,
    BrandKind,
    Monitor,
    MonitorRun,
    Prompt,
    Workspace,
)
from monitoring.selectors.dashboard.tables import fan_out_top, untracked_list
from monitoring.selectors.filters import Filters

#: (key, title, what doing it means), in order.
STEPS = (
    ("brand", "Your brand", "Name the brand you want AI assistants to mention."),
    ("competitors", "Competitors", "The brands buyers could be told about instead."),
    ("prompts", "Prompts", "The questions your buyers ask an assistant."),
    ("monitor", "First monitor", "Ask those questions on a schedule, at a cost you can see."),
    ("results", "First results", "The first answers, with who they name."),
)
STEP_KEYS = tuple(key for key, _, _ in STEPS)
#: Suggestions shown at most, and answers since the workspace began.
MAX_SUGGESTIONS = 12
ALL_TIME_START = date(2000, 1, 1)


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    purpose: str
    number: int
    done: bool
    skipped: bool

    @property
    def state(self) -> str:
        return "done" if self.done else "skipped" if self.skipped else "todo"


@dataclass(frozen=True)
class Onboarding:
    steps: tuple[Step, ...]

    @property
    def next(self) -> Step | None:
        """The first step neither done nor skipped; None once set-up is over."""
        return next((s for s in self.steps if not s.done and not s.skipped), None)

    @property
    def has_answers(self) -> bool:
        return self.step("results").done

    @property
    def done_count(self) -> int:
        return sum(s.done for s in self.steps)

    def step(self, key: str) -> Step:
        return next(s for s in self.steps if s.key == key)

    def after(self, key: str) -> Step | None:
        """The next open step after ``key`` (or before it, if only earlier ones are open)."""
        keys = STEP_KEYS[STEP_KEYS.index(key) + 1 :] + STEP_KEYS[: STEP_KEYS.index(key)]
        return next((s for k in keys if not (s := self.step(k)).done and not s.skipped), None)


def onboarding_get(*, workspace: Workspace) -> Onboarding:
    """Every step's state, read in one query."""
    brands = Brand.objects.filter(workspace=OuterRef("pk"))
    row = (
        Workspace.objects.filter(pk=workspace.pk)
        .annotate(
            step_brand=Exists(brands.filter(kind=BrandKind.OWN)),
            step_competitors=Exists(brands.filter(kind=BrandKind.COMPETITOR)),
            step_prompts=Exists(Prompt.objects.filter(workspace=OuterRef("pk"), is_active=True)),
            step_monitor=Exists(Monitor.objects.filter(workspace=OuterRef("pk"))),
            step_results=Exists(Answer.objects.filter(workspace=OuterRef("pk"))),
        )
        .values("onboarding_skipped", *(f"step_{key}" for key in STEP_KEYS))
        .get()
    )
    skipped = row["onboarding_skipped"] if isinstance(row["onboarding_skipped"], list) else []
    return Onboarding(
        tuple(
            Step(key, title, purpose, number, bool(row[f"step_{key}"]), key in skipped)
            for number, (key, title, purpose) in enumerate(STEPS, start=1)
        )
    )


def _all_time(workspace: Workspace) -> Filters:
    return Filters(start=ALL_TIME_START, end=timezone.now().date())


def competitor_suggestions(*, workspace: Workspace) -> list[dict]:
    """Names the answers so far keep giving that nobody tracks yet (in two answers or more)."""
    brands = list(Brand.objects.filter(workspace=workspace))
    names = untracked_list(workspace=workspace, filters=_all_time(workspace), brands=brands)
    return names[:MAX_SUGGESTIONS]


def prompt_suggestions(*, workspace: Workspace) -> list[dict]:
    """The searches the assistants made while answering (fan-out), not yet asked as prompts."""
    queries = fan_out_top(workspace=workspace, filters=_all_time(workspace))
    asked = {
        text.casefold()
        for text in Prompt.objects.filter(
            workspace=workspace, text__in=[q["query"] for q in queries]
        ).values_list("text", flat=True)
    }
    return [q for q in queries if str(q["query"]).casefold() not in asked][:MAX_SUGGESTIONS]


def first_monitor(*, workspace: Workspace) -> Monitor | None:
    """The monitor the set-up made (the oldest one), for the results step."""
    return Monitor.objects.filter(workspace=workspace).order_by("pk").first()


def first_results_get(*, workspace: Workspace, monitor: Monitor | None, limit: int = 5) -> dict:
    """The monitor's runs so far and the workspace's newest answers."""
    runs = MonitorRun.objects.filter(monitor=monitor) if monitor else MonitorRun.objects.none()
    answers = (
        Answer.objects.filter(workspace=workspace)
        .select_related("prompt")
        .prefetch_related("mentions__brand")
        .order_by("-answered_at", "-pk")[:limit]
    )
    return {"run_count": runs.count(), "answers": list(answers)}
