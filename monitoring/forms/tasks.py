"""The task list's filters: status, prompt, monitor and creation dates."""

from __future__ import annotations

from django import forms

from monitoring.models import TaskStatus
from monitoring.selectors.tasks import TaskFilters


class TaskFilterForm(forms.Form):
    """The list's query string → clean filters; anything unparseable is simply ignored."""

    status = forms.ChoiceField(choices=[("", "All"), *TaskStatus.choices], required=False)
    q = forms.CharField(required=False, max_length=200, strip=True)
    prompt = forms.IntegerField(required=False, min_value=1)
    monitor = forms.IntegerField(required=False, min_value=1)
    created_from = forms.DateField(required=False)
    created_to = forms.DateField(required=False)

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
