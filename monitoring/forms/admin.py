"""Model forms of the admin: what the admin saves is judged by the rules the pages apply.

Each rule lives beside its page's form (brands, prompts, the builder, monitors) and is
only called from here, so the admin can never store what a page would refuse.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.conf import settings as django_settings
from django.forms.models import BaseInlineFormSet

from monitoring.aisa import contract
from monitoring.forms import brands as brand_rules
from monitoring.forms.builder import MAX_SAMPLES, SETTINGS_FIELDS
from monitoring.forms.prompts import check_prompt, prompt_text
from monitoring.forms.schedules import schedule_error
from monitoring.models import Brand, BrandAlias, BrandDomain, Monitor, Prompt
from monitoring.selectors.catalog import model_catalog

# --- Brands, with their aliases and domains as inlines ------------------------------------


class BrandAdminForm(forms.ModelForm):
    class Meta:
        model = Brand
        fields = ["workspace", "name", "kind"]

    def clean_name(self) -> str:
        return brand_rules.tidy_name(self.cleaned_data["name"])

    def clean(self):
        cleaned = super().clean()
        workspace_id = self._workspace_id()
        name = cleaned.get("name")
        if name and workspace_id:
            others = brand_rules.other_brands(workspace_id=workspace_id, brand=self.instance)
            try:
                brand_rules.check_name_unclaimed(name, others=others)
            except forms.ValidationError as error:
                self.add_error("name", error)
        return cleaned

    def _workspace_id(self) -> int | None:
        if "workspace" not in self.fields:  # read-only once the brand exists
            return self.instance.workspace_id
        workspace = self.cleaned_data.get("workspace")
        return workspace.pk if workspace else None


class _BrandPartForm(forms.ModelForm):
    """An alias or domain row; knows its brand, which the add page has not saved yet."""

    def __init__(self, *args, brand: Brand, **kwargs):
        super().__init__(*args, **kwargs)
        self.brand = brand


class BrandAliasAdminForm(_BrandPartForm):
    class Meta:
        model = BrandAlias
        fields = ["name"]

    def clean_name(self) -> str:
        name = brand_rules.tidy_name(self.cleaned_data["name"])
        if not self.brand.workspace_id:
            return name  # the brand's own form says what is wrong with its workspace
        if self.brand.name and name.casefold() == self.brand.name.casefold():
            raise forms.ValidationError("This is the brand's own name; it needs no alias.")
        others = brand_rules.other_brands(workspace_id=self.brand.workspace_id, brand=self.brand)
        brand_rules.check_aliases_unclaimed([name], others=others)
        return name


class BrandDomainAdminForm(_BrandPartForm):
    # Any URL of the site is accepted and kept as its domain, so no column-sized limit here.
    domain = forms.CharField(
        help_text="A domain or any URL of the site; https://www.example.com/pricing is kept "
        "as example.com."
    )

    class Meta:
        model = BrandDomain
        fields = ["domain"]

    def clean_domain(self) -> str:
        return brand_rules.clean_domain(self.cleaned_data["domain"])


class _BrandPartFormSet(BaseInlineFormSet):
    """Rows of one brand: each form gets the brand, and no value may be listed twice."""

    unique_field = ""

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "brand": self.instance}

    def clean(self):
        seen: set[str] = set()
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                continue
            value = getattr(form, "cleaned_data", {}).get(self.unique_field)
            if not value:
                continue
            if value.casefold() in seen:
                form.add_error(self.unique_field, f"“{value}” is listed twice.")
            seen.add(value.casefold())
        super().clean()


class BrandAliasFormSet(_BrandPartFormSet):
    unique_field = "name"  # ignoring case, as the mentions do


class BrandDomainFormSet(_BrandPartFormSet):
    unique_field = "domain"  # after normalising: m.example.com and example.com are one


# --- Prompts ------------------------------------------------------------------------------

#: Contract field → admin form field.
PROMPT_FIELD_FOR = {
    "user_prompt": "text",
    "system_message": "system_message",
    "message_chain": "message_chain",
}


class PromptAdminForm(forms.ModelForm):
    # No max_length: the contract's own message says how much to shorten.
    text = forms.CharField(
        label="Prompt", required=False, strip=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    system_message = forms.CharField(
        required=False, strip=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    class Meta:
        model = Prompt
        fields = ["workspace", "text", "tags", "system_message", "message_chain", "is_active"]
        help_texts = {
            "message_chain": 'Earlier turns as JSON: [{"role": "user", "message": "…"}, '
            '{"role": "ai", "message": "…"}]; [] for none.'
        }

    def clean_text(self) -> str:
        return prompt_text(self.cleaned_data["text"])

    def clean_system_message(self) -> str:
        return prompt_text(self.cleaned_data["system_message"])

    def clean_message_chain(self):
        return self.cleaned_data["message_chain"] or []

    def clean(self):
        cleaned = super().clean()
        workspace = cleaned.get("workspace")
        foreign = [
            t.name for t in cleaned.get("tags") or [] if workspace and t.workspace != workspace
        ]
        if foreign:
            self.add_error("tags", f"Tags of another workspace: {', '.join(foreign)}.")
        if "message_chain" in cleaned:
            check_prompt(
                self,
                workspace=workspace,
                prompt=self.instance,
                text=cleaned.get("text", ""),
                system_message=cleaned.get("system_message"),
                chain=cleaned["message_chain"],
                field_for=PROMPT_FIELD_FOR,
            )
        return cleaned


# --- Monitors -----------------------------------------------------------------------------


class MonitorAdminForm(forms.ModelForm):
    """A monitor whose every run would be accepted: settings, prompts and schedule checked."""

    class Meta:
        model = Monitor
        fields = [
            "workspace",
            "name",
            "prompts",
            "request_settings",
            "samples_per_run",
            "schedule",
            "cron",
            "is_active",
            "created_by",
        ]

    def __init__(self, *args, models: Mapping[str, contract.ModelInfo] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.models = dict(model_catalog() if models is None else models)
        #: The shared settings are the default engine's (the one ``model_catalog()`` lists).
        self.family = django_settings.AISA_LLM_FAMILY
        if "request_settings" in self.fields:
            names = ", ".join(self.models) or "none yet (refresh the model list)"
            self.fields["request_settings"].help_text = (
                "The task fields every prompt is sent with, as a JSON object: "
                f"{', '.join(SETTINGS_FIELDS)}. Models: {names}."
            )

    def clean_request_settings(self) -> dict:
        settings = self.cleaned_data["request_settings"]
        if not isinstance(settings, dict):
            raise forms.ValidationError(
                'Enter the request settings as a JSON object, e.g. {"model_name": "…"}.'
            )
        unknown = sorted(set(settings) - set(SETTINGS_FIELDS))
        if unknown:
            raise forms.ValidationError(
                f"Not a request setting: {', '.join(unknown)}. "
                f"The settings are {', '.join(SETTINGS_FIELDS)}."
            )
        settings = contract.build_task(**settings)  # the builder's field order, nulls dropped
        probe = {"user_prompt": "probe", **settings}  # the settings' problems, reported once
        problems = contract.validate_task(probe, models=self.models, family=self.family)
        if problems:
            raise forms.ValidationError(list(dict.fromkeys(p.message for p in problems)))
        return settings

    def clean(self):
        cleaned = super().clean()
        samples = cleaned.get("samples_per_run")
        if samples is not None and not 1 <= samples <= MAX_SAMPLES:
            self.add_error(
                "samples_per_run", f"Choose between 1 and {MAX_SAMPLES} samples per prompt."
            )
        error = schedule_error(cleaned.get("schedule") or "", cleaned.get("cron") or "")
        if error:
            self.add_error("cron", error)
        prompts = list(cleaned.get("prompts") or [])
        workspace = cleaned.get("workspace")
        foreign = [p for p in prompts if workspace and p.workspace_id != workspace.pk]
        if foreign:
            self.add_error("prompts", f"Prompts of another workspace: “{foreign[0]}”.")
        settings = cleaned.get("request_settings")
        if settings is not None:
            # The settings pass; what is left is what a prompt's own fields bring to its task.
            for prompt in prompts:
                task = prompt.task_body(request_settings=settings)
                for problem in contract.validate_task(task, models=self.models, family=self.family):
                    self.add_error("prompts", f"Prompt “{prompt}”: {problem.message}")
        return cleaned
