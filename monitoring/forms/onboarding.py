"""The set-up walk's forms: each reuses the rules of the page it stands in for.

The own brand is the brand form with its kind fixed; competitors are judged by the brand
form's name rules; prompts by the import form (so by the contract); the first monitor is
the monitor form, given every active prompt and the builder's defaults for what it hides.
"""

from __future__ import annotations

from django import forms
from django.http import QueryDict

from monitoring.forms.brands import (
    NAME_MAX,
    BrandForm,
    check_name_unclaimed,
    other_brands,
    tidy_name,
)
from monitoring.forms.builder import PromptScope
from monitoring.forms.monitors import MonitorForm
from monitoring.forms.prompts import PromptImportForm
from monitoring.models import BrandKind, Prompt, Schedule, Workspace

#: At most this many competitors are added at once (more is a pasted list gone wrong).
MAX_COMPETITORS = 20
#: The fields the first-monitor step shows; the rest keep the builder's defaults.
MONITOR_FIELDS = ("monitor_name", "schedule", "model_name", "samples", "web_search")
MONITOR_SCHEDULES = [(Schedule.DAILY, "Daily"), (Schedule.WEEKLY, "Weekly")]


class OwnBrandForm(BrandForm):
    """The brand form for the workspace's own brand: no kind to choose."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["kind"]
        self.fields["name"].label = "Brand name"
        self.fields["name"].widget.attrs["placeholder"] = "e.g. Acme CRM"

    def clean(self):
        cleaned = super().clean()
        cleaned["kind"] = BrandKind.OWN
        return cleaned


class _SuggestingForm(forms.Form):
    """A step that offers ticked suggestions (value, label) beside what is typed."""

    suggested_label = ""
    suggested = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, workspace: Workspace, suggestions: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        self.fields["suggested"].choices = suggestions
        self.fields["suggested"].label = self.suggested_label


class CompetitorsForm(_SuggestingForm):
    suggested_label = "Named in your answers"
    names = forms.CharField(
        label="Competitors, one per line",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "HubSpot\nSalesforce"}),
        help_text="Aliases and web domains can be added on the Brands page afterwards.",
    )

    def clean_names(self) -> list[str]:
        text = self.cleaned_data["names"].replace(",", "\n")
        return [tidy_name(line) for line in text.splitlines() if line.strip()]

    def clean(self):
        cleaned = super().clean()
        wanted, seen = [], set()
        for name in [*cleaned.get("suggested", []), *cleaned.get("names", [])]:
            if name.casefold() not in seen:
                seen.add(name.casefold())
                wanted.append(name)
        if self.errors:
            return cleaned
        if not wanted:
            raise forms.ValidationError("Tick or type at least one competitor, or skip this step.")
        if len(wanted) > MAX_COMPETITORS:
            raise forms.ValidationError(
                f"That is {len(wanted)} names; add at most {MAX_COMPETITORS} at a time."
            )
        others = other_brands(workspace_id=self.workspace.pk)
        problems = []
        for name in wanted:
            if len(name) > NAME_MAX:
                problems.append(f"“{name[:30]}…” is longer than {NAME_MAX} characters.")
                continue
            try:
                check_name_unclaimed(name, others=others)
            except forms.ValidationError as error:
                problems.extend(error.messages)
        if problems:
            raise forms.ValidationError(problems)
        cleaned["competitors"] = wanted
        return cleaned


class PromptsForm(_SuggestingForm):
    """Pasted lines and ticked suggestions, judged together by the import form's rules."""

    suggested_label = "Searches the assistants made"
    lines = forms.CharField(
        label="Questions your buyers ask, one per line",
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "placeholder": "What is the best CRM for a small agency?\n"
                "Which CRM integrates with Gmail?",
            }
        ),
    )

    def clean(self):
        cleaned = super().clean()
        lines = [*cleaned.get("suggested", []), cleaned.get("lines") or ""]
        text = "\n".join(line for line in lines if line.strip())
        if not text.strip():
            raise forms.ValidationError("Tick or type at least one question, or skip this step.")
        judged = PromptImportForm({"lines": text}, workspace=self.workspace)
        if not judged.is_valid():
            raise forms.ValidationError(judged.non_field_errors() or judged.errors["lines"])
        cleaned["rows"] = judged.cleaned_data["rows"]
        return cleaned


def first_monitor_form(data, *, workspace: Workspace, models) -> MonitorForm:
    """The monitor form over every active prompt, showing ``MONITOR_FIELDS`` only, bound.

    The shown fields come from ``data`` (or are the step's defaults when it has none of
    them); the hidden ones keep the builder's defaults, so the first monitor is judged
    exactly as the monitors page would judge it, and its cost can be projected at once.
    """
    if data is None or not any(name in data for name in MONITOR_FIELDS):
        data = _defaults(workspace, models)
    prompts = Prompt.objects.filter(workspace=workspace, is_active=True).order_by("pk")
    bound = QueryDict(mutable=True)
    for name in MONITOR_FIELDS:
        if name in data:
            bound[name] = data.get(name, "")
    bound.setdefault("samples", "1")
    bound["scope"] = PromptScope.SELECTED
    bound.setlist("prompts", [str(pk) for pk in prompts.values_list("pk", flat=True)])
    form = MonitorForm(bound, workspace=workspace, models=models)
    form.fields["schedule"].choices = MONITOR_SCHEDULES
    return form


def _defaults(workspace: Workspace, models) -> dict[str, str]:
    """Daily, one sample, the builder's default model, web search on where it is offered."""
    model = MonitorForm(workspace=workspace, models=models).initial.get("model_name") or ""
    defaults = {
        "monitor_name": "Daily check",
        "schedule": Schedule.DAILY,
        "samples": "1",
        "model_name": model,
    }
    info = models.get(model)
    if info is not None and info.web_search_supported:
        defaults["web_search"] = "on"
    return defaults
