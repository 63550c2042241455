"""The dashboard's filter form: one GET form shared by every region, the answer list and exports.

Invalid or missing values fall back to the defaults (the last 28 days, everything), so a
hand-edited URL never breaks the page; the page says which were ignored (``form.errors``).
"""

from __future__ import annotations

from datetime import timedelta

from django import forms

from monitoring.forms.fields import FilterDateField, IdField
from monitoring.forms.widgets import QuickSelect
from monitoring.models import (
    ENGINE_CHOICES,
    Brand,
    BrandKind,
    Monitor,
    Prompt,
    Tag,
    Workspace,
)
from monitoring.selectors.filters import MAX_DAYS, Filters, default_range
from monitoring.selectors.summaries import answered_models

WEB_CHOICES = [("", "Web search: any"), ("on", "Web search on"), ("off", "Web search off")]


class DashboardFilterForm(forms.Form):
    start = FilterDateField(label="From")
    end = FilterDateField(label="To")
    tag = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, widget=QuickSelect)
    prompt = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, widget=QuickSelect
    )
    monitor = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, widget=QuickSelect
    )
    model = forms.ChoiceField(required=False, widget=QuickSelect)
    engine = forms.ChoiceField(required=False, widget=QuickSelect)
    web = forms.ChoiceField(required=False, choices=WEB_CHOICES, widget=QuickSelect)
    own = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, widget=QuickSelect)

    def __init__(self, data=None, *, workspace: Workspace):
        if data is not None and not (data.get("start") and data.get("end")):
            data = data.copy()  # show the default dates in the inputs, not empty boxes
            start, end = default_range()
            data["start"] = data.get("start") or start.isoformat()
            data["end"] = data.get("end") or end.isoformat()
        super().__init__(data)
        self.workspace = workspace
        ws = workspace.pk
        self.fields["tag"].choices = [("", "All tags")] + list(
            Tag.objects.filter(workspace_id=ws).values_list("id", "name")
        )
        self.fields["prompt"].choices = [("", "All prompts")] + [
            (pk, text if len(text) <= 70 else text[:67] + "…")
            for pk, text in Prompt.objects.filter(workspace_id=ws)
            .order_by("text")
            .values_list("id", "text")
        ]
        self.fields["monitor"].choices = [("", "All monitors")] + list(
            Monitor.objects.filter(workspace_id=ws).values_list("id", "name")
        )
        # Both menus from the (engine, model) pairs that answered.
        pairs = answered_models(ws)
        models = list(dict.fromkeys(model for _, model in pairs))
        self.fields["model"].choices = [("", "All models")] + [(m, m) for m in models]
        #: (engine, label) of the engines with answers in the workspace, in the API's order:
        #: the filter offers only those, and the pages name them instead of one engine.
        present = {engine for engine, _ in pairs}
        self.engines = [(key, label) for key, label in ENGINE_CHOICES if key in present]
        self.fields["engine"].choices = [("", "All engines")] + self.engines
        own = list(
            Brand.objects.filter(workspace_id=ws, kind=BrandKind.OWN).values_list("id", "name")
        )
        self.fields["own"].choices = [("", "First own brand")] + own
        self.own_brand_count = len(own)

    @property
    def engine_names(self) -> str:
        """The engines that answered, in words ("ChatGPT and Gemini"); empty when none."""
        labels = [label for _, label in self.engines]
        if len(labels) < 2:
            return "".join(labels)
        return ", ".join(labels[:-1]) + " and " + labels[-1]

    def filters(self) -> Filters:
        default_start, default_end = default_range()
        # An invalid field falls back to its default; the valid ones still apply.
        data = self.cleaned_data if self.is_bound and self._validate() else {}
        start, end = data.get("start") or default_start, data.get("end") or default_end
        if start > end:
            start, end = end, start
        start = max(start, end - timedelta(days=MAX_DAYS))
        return Filters(
            start=start,
            end=end,
            tag=data.get("tag"),
            prompt=data.get("prompt"),
            monitor=data.get("monitor"),
            model=data.get("model") or "",
            engine=data.get("engine") or "",
            web=data.get("web") or "",
            own=data.get("own"),
            **self.drill_down(data),
        )

    def _validate(self) -> bool:
        self.is_valid()  # fills cleaned_data with the fields that are valid
        return True

    def drill_down(self, data) -> dict:
        return {}


class AnswerFilterForm(DashboardFilterForm):
    """The dashboard filters plus what a drill-down link narrows to."""

    version = IdField(required=False)
    brand = IdField(required=False)
    mentioned = forms.TypedChoiceField(
        required=False,
        choices=[("", "Any"), ("1", "Mentioned"), ("0", "Not mentioned")],
        coerce=lambda v: v == "1",
        empty_value=None,
    )
    domain = forms.CharField(required=False, max_length=253, strip=True)
    q = forms.CharField(
        label="Search the answers",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Words in the answer"}),
    )

    def drill_down(self, data) -> dict:
        return {
            "version": data.get("version"),
            "brand": data.get("brand"),
            "mentioned": data.get("mentioned"),
            "domain": (data.get("domain") or "").lower(),
            "q": data.get("q") or "",
        }
