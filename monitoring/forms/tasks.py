"""The task list's filters: status, prompt, monitor and creation dates."""

from __future__ import annotations

from django import forms

from monitoring.forms.fields import FilterDateField, IdField
from monitoring.models import TaskStatus
from monitoring.selectors.tasks import TaskFilters


class TaskFilterForm(forms.Form):
    """The list's query string → clean filters; anything unparseable is ignored (and said)."""

    status = forms.ChoiceField(choices=[("", "All"), *TaskStatus.choices], required=False)
    q = forms.CharField(required=False, max_length=200, strip=True)
    prompt = IdField(required=False)
    monitor = IdField(required=False)
    created_from = FilterDateField(label="Created from")
    created_to = FilterDateField(label="Created to")

    def filters(self) -> TaskFilters:
        self.is_valid()
        data = self.cleaned_data  # only the fields that parsed
        return TaskFilters(
            status=data.get("status") or "",
            search=data.get("q") or "",
            prompt_id=data.get("prompt"),
            monitor_id=data.get("monitor"),
            created_from=data.get("created_from"),
            created_to=data.get("created_to"),
        )
