"""The request builder: form fields for every ``task_post`` field, judged by the contract.

The form only parses strings into typed values; whether the API accepts the request is
decided by ``contract.validate_task`` alone, so the form accepts exactly what the API accepts.
"""

from __future__ import annotations

import re
import secrets

from django import forms
from django.db import models

from monitoring.aisa import contract
from monitoring.forms.fields import IdModelChoiceField, IdModelMultipleChoiceField
from monitoring.forms.schedules import schedule_error  # the rule the admin applies too
from monitoring.models import Prompt, Schedule

MAX_SAMPLES = 10
#: Fields of the request settings (shared by every task of a send), in contract order.
SETTINGS_FIELDS = tuple(
    f
    for f in contract.TASK_FIELDS
    if f not in ("user_prompt", "tag", "postback_url", "pingback_url")
)
#: A send token as ``send_token_new`` makes them (a form's own, kept across re-renders).
SEND_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{32,64}")
#: A turn of the chain editor's fields: ``chain-<index>-<part>`` (the index in ASCII digits:
#: ``str.isdigit`` also says yes to "²", which ``int`` refuses).
CHAIN_KEY_RE = re.compile(r"chain-([0-9]{1,6})-[a-z]+")
#: The ``intent`` a page re-rendered after "Save as monitor" carries, so that the live
#: preview (which posts no button) keeps judging the monitor's fields until they are fixed.
MONITOR_INTENT = "monitor"
MONITOR_NAME_REQUIRED = "Name the monitor to save it."


def send_token_new() -> str:
    """A one-time random token naming one rendering of the builder, hence one send."""
    return secrets.token_urlsafe(32)


class PromptScope(models.TextChoices):
    SELECTED = "selected", "Selected prompts"
    TAG = "tag", "All active prompts with a tag"
    ALL = "all", "All active prompts"


class RequestBuilderForm(forms.Form):
    scope = forms.ChoiceField(
        choices=PromptScope.choices, initial=PromptScope.SELECTED, widget=forms.RadioSelect
    )
    prompts = IdModelMultipleChoiceField(queryset=Prompt.objects.none(), required=False)
    tag = IdModelChoiceField(queryset=None, required=False, empty_label="Choose a tag")
    samples = forms.IntegerField(
        initial=1, help_text=f"Answers per prompt (1–{MAX_SAMPLES}); answers vary, so sample."
    )
    engine = forms.ChoiceField(
        label="Engine",
        choices=[(f, contract.family_label(f)) for f in contract.LLM_FAMILIES],
        initial=contract.DEFAULT_FAMILY,
        required=False,
    )
    #: The engine whose models the page lists: when ``engine`` differs, the engine was just
    #: changed, and its default model replaces the other engine's (see ``engine_changed``).
    engine_shown = forms.CharField(required=False, widget=forms.HiddenInput)
    model_name = forms.ChoiceField(label="Model", choices=())
    max_output_tokens = forms.IntegerField(
        required=False, initial=contract.DEFAULT_OUTPUT_TOKENS, label="Max output tokens"
    )
    temperature = forms.FloatField(required=False, label="Temperature")
    top_p = forms.FloatField(required=False, label="Top-p")
    web_search = forms.BooleanField(required=False, label="Web search")
    force_web_search = forms.BooleanField(required=False, label="Force web search")
    web_search_country_iso_code = forms.CharField(
        required=False,
        label="Country",
        widget=forms.Select(
            choices=[("", "Any country"), *[(c, c) for c in contract.COUNTRY_CODES]]
        ),
    )
    web_search_city = forms.CharField(required=False, label="City", strip=True)
    system_message = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="System message",
        help_text="Used for prompts that have no system message of their own.",
    )
    use_reasoning = forms.BooleanField(required=False, label="Reasoning")
    # Only for "Save as monitor".
    monitor_name = forms.CharField(required=False, max_length=120, label="Monitor name")
    schedule = forms.ChoiceField(choices=Schedule.choices, initial=Schedule.MANUAL, required=False)
    cron = forms.CharField(required=False, max_length=100, label="Cron expression")
    #: Rendered by the page itself (``send_token_value``); the send's tags derive from it.
    send_token = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        workspace,
        models: dict[str, contract.ModelInfo],
        engine: str = contract.DEFAULT_FAMILY,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        #: The engine asked (``posted_engine`` of the data), its models, and whether it is
        #: asked live (live-only engines have no Standard tasks).
        self.engine = engine
        self.live = engine in contract.LIVE_ONLY_FAMILIES
        self.models = models
        self.fields["prompts"].queryset = Prompt.objects.filter(workspace=workspace, is_active=True)
        self.fields["tag"].queryset = workspace.tags.all()
        self.fields["model_name"].choices = [(n, n) for n in self.model_choices()]
        self.initial.setdefault("engine", engine)
        self.initial.setdefault("model_name", default_model(models, live=self.live))
        self.engine_changed = self.is_bound and self.data.get("engine_shown", engine) != engine
        if self.engine_changed:
            # The other engine's model is not in this one's list: start from its default.
            self.data = self.data.copy()
            self.data["model_name"] = default_model(models, live=self.live)
        self.message_chain = chain_from_data(self.data) if self.is_bound else []
        self.selected_prompts: list[Prompt] = []
        self.tasks: list[dict] = []
        submitted = self.data.get("send_token", "") if self.is_bound else ""
        #: The token the page carries: the submitted one, so a re-render (errors) keeps it.
        self.send_token_value = submitted if _is_send_token(submitted) else send_token_new()
        #: Saving a monitor: its name and schedule are judged too (see ``MONITOR_INTENT``).
        self.saving_monitor = self.is_bound and _saving_monitor(self.data)

    def model_choices(self) -> dict[str, contract.ModelInfo]:
        """The engine's models a send can ask (live: every model; tasks: task_post ones)."""
        return {n: m for n, m in self.models.items() if self.live or m.task_post_supported}

    @property
    def engine_label(self) -> str:
        return contract.family_label(self.engine)

    @property
    def engine_notes(self) -> dict:
        """What the page says of the engine: its limits and the fields it lacks."""
        limits = contract.FAMILY_LIMITS[self.engine]
        return {
            "label": self.engine_label,
            "live": self.live,
            "limits": limits,
            "unsupported": sorted(contract.FAMILY_UNSUPPORTED_FIELDS[self.engine]),
            "live_seconds": contract.LIVE_CALL_MAX_SECONDS,
        }

    @property
    def unsupported_labels(self) -> list[str]:
        """The labels of the request fields the engine does not take (the page lists them)."""
        fields = contract.FAMILY_UNSUPPORTED_FIELDS[self.engine]
        return [
            label for f, label in contract.FIELD_LABELS.items() if f in fields and f in self.fields
        ]

    # --- Cleaning ----------------------------------------------------------------------

    def clean_engine(self) -> str:
        return self.engine  # the view chose the models by it (``posted_engine``)

    def clean_send_token(self) -> str:
        """The submitted token, or "" if missing or malformed (the send view refuses those)."""
        token = self.cleaned_data.get("send_token", "")
        return token if _is_send_token(token) else ""

    def clean(self):
        data = super().clean()
        samples = data.get("samples")
        if samples is not None and not 1 <= samples <= MAX_SAMPLES:
            self.add_error("samples", f"Choose between 1 and {MAX_SAMPLES} samples per prompt.")
        self.selected_prompts = self._prompts(data)
        settings = self.request_settings()
        self._add_problems(self._validate(self._probe_task(settings)))
        self.tasks = [p.task_body(request_settings=settings) for p in self.selected_prompts]
        for prompt, task in zip(self.selected_prompts, self.tasks, strict=True):
            own = _own_fields(prompt)
            for problem in self._validate(task):
                if problem.field in own:
                    self.add_error(None, f"Prompt “{prompt}”: {problem.message}")
        if self.saving_monitor:
            self._check_monitor(data)
        return data

    def _validate(self, task: dict) -> list[contract.Problem]:
        """The contract's verdict on a task for the chosen engine (live if it is live-only)."""
        return contract.validate_task(task, models=self.models, live=self.live, family=self.engine)

    def _check_monitor(self, data) -> None:
        """A monitor needs a name, and a schedule it can run on."""
        if not data.get("monitor_name") and not self.has_error("monitor_name"):
            self.add_error("monitor_name", MONITOR_NAME_REQUIRED)
        if self.has_error("schedule") or self.has_error("cron"):
            return
        error = schedule_error(data.get("schedule") or Schedule.MANUAL, data.get("cron") or "")
        if error:
            self.add_error("cron", error)

    def _prompts(self, data) -> list[Prompt]:
        scope = data.get("scope")
        active = Prompt.objects.filter(workspace=self.workspace, is_active=True)
        if scope == PromptScope.ALL:
            prompts = list(active.order_by("id"))
        elif scope == PromptScope.TAG:
            if not data.get("tag"):
                self.add_error("tag", "Choose the tag whose prompts to send.")
                return []
            prompts = list(active.filter(tags=data["tag"]).order_by("id"))
        else:
            prompts = list(data.get("prompts") or [])
        if not prompts and not self.has_error("tag"):
            self.add_error("prompts", "Choose at least one active prompt to send.")
        return prompts

    def _probe_task(self, settings: dict) -> dict:
        """The settings as one task, to report field problems once rather than per prompt."""
        return {"user_prompt": "probe", **settings}

    def _add_problems(self, problems: list[contract.Problem]) -> None:
        for problem in problems:
            if problem.field in self.fields and problem.field != "user_prompt":
                if problem.message not in self.errors.get(problem.field, []):
                    self.add_error(problem.field, problem.message)
            elif problem.field == "message_chain":
                self.add_error(None, problem.message)
                self.chain_errors.append(problem.message)

    @property
    def chain_errors(self) -> list[str]:
        if not hasattr(self, "_chain_errors"):
            self._chain_errors: list[str] = []
        return self._chain_errors

    # --- What is sent ------------------------------------------------------------------

    def request_settings(self) -> dict:
        """The request fields shared by every task, typed, unset ones left out."""
        data = getattr(self, "cleaned_data", {})
        values = {field: data.get(field) for field in SETTINGS_FIELDS if field != "message_chain"}
        for flag in contract.BOOLEAN_FIELDS:
            values[flag] = True if values.get(flag) else None  # false is the API's default
        for text in ("web_search_country_iso_code", "web_search_city", "system_message"):
            values[text] = values.get(text) or None
        values["message_chain"] = self.message_chain or None
        return contract.build_task(**values)

    def estimate(self) -> dict:
        """How many tasks a send makes; the money is the estimates selector's."""
        data = getattr(self, "cleaned_data", {})
        samples = data.get("samples") or 1
        return {
            "tasks": len(self.selected_prompts) * samples,
            "prompts": len(self.selected_prompts),
            "samples": samples,
            # Live calls are paid as answered, with no prepayment.
            "prepaid": 0
            if self.live
            else contract.TASK_PREPAYMENT_USD * len(self.selected_prompts) * samples,
        }

    def bodies(self) -> list[dict]:
        """Every task body a send would post (one per prompt and sample)."""
        return self.tasks * self.estimate()["samples"]

    def sends(self) -> tuple[list[dict], list[str]]:
        """Every task body a send (or a monitor's run) would ask, and each one's engine."""
        bodies = self.bodies()
        return bodies, [self.engine] * len(bodies)


def posted_engine(data) -> str:
    """The engine a (bound) form's data chose, or the default one when none is posted."""
    engine = data.get("engine") if data else None
    return engine if engine in contract.LLM_FAMILIES else contract.DEFAULT_FAMILY


def default_model(models: dict[str, contract.ModelInfo], *, live: bool = False) -> str:
    """The model preselected: the last (newest by name) that searches the web, else the last."""
    usable = [n for n, m in models.items() if live or m.task_post_supported]
    searchable = [n for n in usable if models[n].web_search_supported]
    return (searchable or usable or [""])[-1]


def _saving_monitor(data) -> bool:
    """The "Save as monitor" button was pressed, or the preview of a page it re-rendered."""
    action = data.get("action")
    return action == MONITOR_INTENT or (not action and data.get("intent") == MONITOR_INTENT)


def _is_send_token(value) -> bool:
    return isinstance(value, str) and SEND_TOKEN_RE.fullmatch(value) is not None


def _own_fields(prompt: Prompt) -> set[str]:
    """The task fields a prompt supplies itself (its problems are the prompt's, not the form's)."""
    own = {"user_prompt"}
    if prompt.system_message:
        own.add("system_message")
    if prompt.message_chain:
        own.add("message_chain")
    return own


def chain_from_data(data) -> list[dict]:
    """The message chain editor's turns (``chain-N-role`` / ``chain-N-message``) in order.

    Turns with an empty message are kept, so the contract can say which turn is empty.
    """
    indexes = sorted(
        {int(match[1]) for match in map(CHAIN_KEY_RE.fullmatch, data) if match is not None}
    )
    chain = []
    for i in indexes:
        if data.get(f"chain-{i}-delete"):
            continue
        chain.append(
            {
                "role": data.get(f"chain-{i}-role", "user"),
                "message": data.get(f"chain-{i}-message", ""),
            }
        )
    return chain
