"""What the admin reads from a request, held to the rules of the pages' forms.

The admin turns a list's query string into lookups (``?workspace=12``,
``?created_at__year=2024``) and catches the errors of building them, but not those that
come when the query runs or its dates are computed: an id beyond 64 bits (SQLite's
OverflowError, PostgreSQL's DataError), ``year=99999`` (ValueError) or
``year=9999&month=12&day=31`` (the day after it overflows). Its forms and actions look up
posted ids with ``pk__in``, which overflows the same way, and its JSON fields let through
what Python's json refuses with anything but JSONDecodeError. ``CheckedInputAdmin`` makes
each of these the admin's own answer to bad input: a list's "invalid lookup" redirect, a
field error, a "no items selected" message.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.db import DataError, models, transaction

from monitoring.forms.fields import (
    IdModelChoiceField,
    IdModelMultipleChoiceField,
    JSONField,
    is_id,
)


class CheckedChangeList(ChangeList):
    def get_queryset(self, request, exclude_parameters=None):
        try:
            queryset = super().get_queryset(request, exclude_parameters)
            # One cheap query now, so that a value the database refuses is found here,
            # where the admin expects lookup errors, and not while the page renders.
            with transaction.atomic(using=queryset.db):
                queryset.exists()
        except (OverflowError, ValueError, DataError) as exc:
            raise IncorrectLookupParameters(exc) from exc
        return queryset


class CheckedInputAdmin:
    """A ModelAdmin mixin: lists, forms and actions refuse what the database cannot hold."""

    formfield_overrides = {
        models.ForeignKey: {"form_class": IdModelChoiceField},
        models.ManyToManyField: {"form_class": IdModelMultipleChoiceField},
        models.JSONField: {"form_class": JSONField},
    }

    def get_changelist(self, request, **kwargs):
        return CheckedChangeList

    def response_action(self, request, queryset):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(is_id(pk, queryset.model) for pk in selected):
            self.message_user(request, "No such items: nothing was done.", messages.WARNING)
            return None  # the list is shown again, as when nothing is selected
        return super().response_action(request, queryset)
