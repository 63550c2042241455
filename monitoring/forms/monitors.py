"""The monitor form: the request builder's fields and rules, with a name and schedule required.

Creating or editing a monitor on the monitors page accepts exactly what "Save as monitor" in
the builder accepts (the same form class, so the same contract checks and schedule rule).
"""

from __future__ import annotations

from django import forms
from django.db.models import Q

from monitoring.aisa import contract
from monitoring.forms.builder import (
    SETTINGS_FIELDS,
    PromptScope,
    RequestBuilderForm,
    default_model,
)
from monitoring.models import Monitor, Prompt, Schedule
from monitoring.models.requests import engine_settings

#: Posted by the monitor form's engine section: the ``engine-<family>`` boxes were shown, so
#: none checked means none chosen (a form without it, such as onboarding's, asks the
#: default engine with ``model_name``, as monitors did before there were engines).
ENGINES_SHOWN = "engines_shown"
NO_ENGINE = "Choose at least one engine to ask."

#: The scopes a monitor keeps. "All active prompts" stays the builder's one-off choice.
MONITOR_SCOPES = [
    (PromptScope.SELECTED, "Chosen prompts"),
    (PromptScope.TAG, "Every active prompt with a tag, as tagged at each run"),
]


def monitor_initial(monitor: Monitor) -> dict:
    """The form's values for an existing monitor (its settings back into the fields)."""
    settings = monitor.request_settings
    initial = {
        name: settings[name]
        for name in SETTINGS_FIELDS
        if name != "message_chain" and settings.get(name) is not None
    }
    return {
        **initial,
        "scope": PromptScope.TAG if monitor.tag_id else PromptScope.SELECTED,
        "prompts": [p.pk for p in monitor.prompts.all()],
        "tag": monitor.tag_id,
        "samples": monitor.samples_per_run,
        "monitor_name": monitor.name,
        "schedule": monitor.schedule,
        "cron": monitor.cron,
    }


class MonitorForm(RequestBuilderForm):
    """A monitor's name, scope, request settings and schedule, judged as the builder does.

    It asks one or more engines (``engine-<family>`` with ``model-<family>``): the shared
    settings are judged against each chosen engine, as that engine is sent them.
    """

    scope = forms.ChoiceField(
        choices=MONITOR_SCOPES, initial=PromptScope.SELECTED, widget=forms.RadioSelect
    )

    def __init__(
        self,
        data=None,
        *,
        workspace,
        models,
        monitor: Monitor | None = None,
        catalogs: dict[str, dict[str, contract.ModelInfo]] | None = None,
    ):
        initial = monitor_initial(monitor) if monitor else None
        #: Every engine's models (the default engine's are ``models``).
        self.catalogs = {**(catalogs or {}), contract.DEFAULT_FAMILY: models}
        super().__init__(data, workspace=workspace, models=models, initial=initial)
        self._add_engine_fields(monitor)
        self.monitor = monitor
        self.saving_monitor = self.is_bound  # the name and schedule are always judged
        self.fields["monitor_name"].label = "Name"
        if monitor is None:
            return
        # Its own prompts stay choosable when paused (runs skip them until resumed).
        own = Q(pk__in=monitor.prompts.values("pk"))
        self.fields["prompts"].queryset = Prompt.objects.filter(
            Q(is_active=True) | own, workspace=workspace
        )
        self.fields["prompts"].label_from_instance = _prompt_label
        if not self.is_bound:
            self.message_chain = list(monitor.request_settings.get("message_chain") or [])

    # --- Engines -----------------------------------------------------------------------

    def _add_engine_fields(self, monitor: Monitor | None) -> None:
        targets = dict(monitor.targets) if monitor else {}
        if not targets:
            targets = {contract.DEFAULT_FAMILY: self.initial.get("model_name", "")}
        for family in contract.LLM_FAMILIES:
            label = contract.family_label(family)
            models = self._usable(family)
            self.fields[f"engine-{family}"] = forms.BooleanField(
                required=False, label=label, initial=family in targets
            )
            first = default_model(self.catalogs.get(family, {}), live=_live(family))
            self.fields[f"model-{family}"] = forms.ChoiceField(
                required=False,
                label=f"{label} model",
                choices=[(n, n) for n in models] or [("", f"No {label} models loaded yet")],
                initial=targets.get(family) or first,
            )
        #: The multi-engine section was posted (else the default engine and ``model_name``).
        self.multi_engine = self.is_bound and ENGINES_SHOWN in self.data
        if self.multi_engine:
            chosen = self.posted_targets()
            everything = {n for f in contract.LLM_FAMILIES for n in self._usable(f)}
            self.fields["model_name"].choices = [(n, n) for n in sorted(everything)]
            self.fields["model_name"].required = False
            self.data = self.data.copy()
            self.data["model_name"] = chosen[0][1] if chosen else ""

    def _usable(self, family: str) -> list[str]:
        models = self.catalogs.get(family, {})
        return [n for n, m in models.items() if _live(family) or m.task_post_supported]

    def posted_targets(self) -> list[tuple[str, str]]:
        """The (engine, model) pairs the data chose, in the contract's order."""
        if not self.is_bound:
            return []
        if ENGINES_SHOWN not in self.data:
            return [(contract.DEFAULT_FAMILY, self.data.get("model_name", ""))]
        return [
            (f, self.data.get(f"model-{f}", ""))
            for f in contract.LLM_FAMILIES
            if self.data.get(f"engine-{f}") not in (None, "", "false", "off")
        ]

    @property
    def engine_rows(self) -> list[dict]:
        """What the template lays out per engine: its box, its model select, live or not."""
        return [
            {
                "family": f,
                "label": contract.family_label(f),
                "live": _live(f),
                "box": self[f"engine-{f}"],
                "model": self[f"model-{f}"],
                "has_models": bool(self._usable(f)),
                "model_gone": self._model_gone(f),
            }
            for f in contract.LLM_FAMILIES
        ]

    def _model_gone(self, family: str) -> str:
        """The monitor's model of this engine when its list no longer has it."""
        model = dict(self.monitor.targets).get(family) if self.monitor else None
        models = self.catalogs.get(family, {})
        return model if model and models and model not in models else ""

    def clean(self):
        if self.multi_engine and not self.posted_targets():
            self.add_error(None, NO_ENGINE)
        for family, model in self.posted_targets() if self.multi_engine else []:
            if not model:
                self.add_error(f"model-{family}", "Choose a model for this engine.")
        return super().clean()

    def _validate(self, task: dict) -> list[contract.Problem]:
        """The shared settings as each chosen engine is sent them, judged for that engine."""
        targets = self.posted_targets()
        problems: list[contract.Problem] = []
        for family, model in targets:
            sent = contract.settings_for_family({**task, "model_name": model}, family=family)
            found = contract.validate_task(
                sent, models=self.catalogs.get(family), live=_live(family), family=family
            )
            problems += [self._engine_problem(p, family, len(targets)) for p in found]
        return problems

    def _engine_problem(self, problem, family: str, count: int) -> contract.Problem:
        """A problem on the engine's own model field, or named by its engine when several."""
        if problem.field == "model_name" and self.multi_engine:
            return contract.Problem(f"model-{family}", problem.message, problem.code)
        if count > 1:
            label = contract.family_label(family)
            return contract.Problem(problem.field, f"{label}: {problem.message}", problem.code)
        return problem

    def sends(self) -> tuple[list[dict], list[str]]:
        """Every task body a run asks: each prompt and sample once per chosen engine, as
        that engine is sent them (so a four-engine monitor costs four times one engine)."""
        targets = self.posted_targets() if self.multi_engine else [(self.engine, "")]
        bodies, engines = [], []
        for family, model in targets:
            for body in self.bodies():
                bodies.append(engine_settings(body, engine=family, model_name=model))
                engines.append(family)
        return bodies, engines

    def engines(self) -> list[dict]:
        """``Monitor.engines`` of a valid form (the posted engines and their models)."""
        return [{"engine": f, "model_name": m} for f, m in self.posted_targets()]


def _live(family: str) -> bool:
    return family in contract.LIVE_ONLY_FAMILIES


def _prompt_label(prompt: Prompt) -> str:
    return str(prompt) if prompt.is_active else f"{prompt} (paused)"


def monitor_fields(form: RequestBuilderForm) -> dict:
    """What ``services.monitors`` saves from a valid builder or monitor form.

    A tag scope is kept as the tag (its prompts are found again at each run); chosen prompts,
    or the builder's "all active prompts", as the prompts themselves.
    """
    data = form.cleaned_data
    schedule = data.get("schedule") or Schedule.MANUAL
    tag = data.get("tag") if data.get("scope") == PromptScope.TAG else None
    return {
        "name": data["monitor_name"],
        "tag": tag,
        "prompts": [] if tag else form.selected_prompts,
        "request_settings": form.request_settings(),
        "samples": data["samples"],
        "schedule": schedule,
        "cron": data.get("cron", "") if schedule == Schedule.CRON else "",
        "engines": _engines(form),
    }


def _engines(form: RequestBuilderForm) -> list[dict]:
    """The engines the monitor asks: the monitor form's choice, or the builder's engine."""
    if isinstance(form, MonitorForm):
        return form.engines()
    return [{"engine": form.engine, "model_name": form.cleaned_data["model_name"]}]
