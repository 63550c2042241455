"""The monitor form: the request builder's fields and rules, with a name and schedule required.

Creating or editing a monitor on the monitors page accepts exactly what "Save as monitor" in
the builder accepts (the same form class, so the same contract checks and schedule rule).
"""

from __future__ import annotations

from django import forms
from django.db.models import Q

from monitoring.forms.builder import SETTINGS_FIELDS, PromptScope, RequestBuilderForm
from monitoring.models import Monitor, Prompt, Schedule

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
    """A monitor's name, scope, request settings and schedule, judged as the builder does."""

    scope = forms.ChoiceField(
        choices=MONITOR_SCOPES, initial=PromptScope.SELECTED, widget=forms.RadioSelect
    )

    def __init__(self, data=None, *, workspace, models, monitor: Monitor | None = None):
        initial = monitor_initial(monitor) if monitor else None
        super().__init__(data, workspace=workspace, models=models, initial=initial)
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
    }
