"""Fields for what a URL or a form body may carry: ids and dates the database can hold.

A hand-edited URL can say ``prompt=99999999999999999999`` or ``end=9999-12-31``. Django's
fields accept both, and then the database fails (SQLite raises OverflowError for an int
beyond 64 bits, PostgreSQL a DataError beyond the column) or the period arithmetic does
(``date.max + 1 day``). These fields refuse such values with a message, like any typo, so
they never reach a query.
"""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection
from django.forms.fields import InvalidJSONInput

#: Every table's primary key (``DEFAULT_AUTO_FIELD``).
DEFAULT_PK_TYPE = "BigAutoField"
_INTEGER = re.compile(r"[+-]?\d+")
#: The dates a filter may name: years of answers that can exist, with room for both ends of
#: a period, the one before it and a day past its end.
DATE_MIN, DATE_MAX = date(2000, 1, 1), date(2100, 12, 31)
DATE_RANGE_MESSAGE = f"Choose a date between {DATE_MIN:%Y-%m-%d} and {DATE_MAX:%Y-%m-%d}."


def id_max(model=None) -> int:
    """The largest value the primary key column of ``model`` (or of every table) holds."""
    internal_type = model._meta.pk.get_internal_type() if model else DEFAULT_PK_TYPE
    return connection.ops.integer_field_range(internal_type)[1]


def is_id(value, model=None) -> bool:
    """True for a number (as a form sends it) that a primary key of ``model`` can equal."""
    text = str(value).strip()
    if not _INTEGER.fullmatch(text) or len(text) > 100:  # Python refuses to read 4,300 digits
        return False
    return 1 <= int(text) <= id_max(model)


def is_id_beyond_column(value, model=None) -> bool:
    """True for a number no primary key of ``model`` can equal (False for a non-number:
    the field's own check refuses that)."""
    return bool(_INTEGER.fullmatch(str(value).strip())) and not is_id(value, model)


class IdField(forms.IntegerField):
    """An object's id in a query string: a positive integer a primary key column holds."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", id_max())
        kwargs.setdefault("error_messages", {"max_value": "No item has so large a number."})
        super().__init__(**kwargs)


def _keyed_by_pk(field: forms.ModelChoiceField) -> bool:
    """The field's values are primary keys (a foreign key's form field names ``id``)."""
    pk = field.queryset.model._meta.pk
    return field.to_field_name in (None, pk.name, pk.attname)


class IdModelChoiceField(forms.ModelChoiceField):
    """A ModelChoiceField that refuses an id beyond the column before any query.

    Nor does it show anything but an id (a value posted back, the admin's ``?workspace=``
    initial value): the admin's autocomplete widget looks up the value it shows with
    ``pk__in``, which overflows, or raises ValueError for a non-number.
    """

    def to_python(self, value):
        if _keyed_by_pk(self) and is_id_beyond_column(value, self.queryset.model):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)

    def prepare_value(self, value):
        value = super().prepare_value(value)
        if value in self.empty_values or not _keyed_by_pk(self):
            return value
        return value if is_id(value, self.queryset.model) else None


class IdModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several ids, each refused unless a primary key can equal it: Django looks them up
    (and up again to show them) with ``pk__in``, which overflows."""

    def clean(self, value):
        wrong = self._not_ids(value)
        if wrong:
            raise forms.ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": str(wrong[0])[:30]},
            )
        return super().clean(value)

    def prepare_value(self, value):
        value = super().prepare_value(value)
        wrong = self._not_ids(value)
        return [item for item in value if item not in wrong] if wrong else value

    def _not_ids(self, values) -> list:
        if not _keyed_by_pk(self) or not isinstance(values, list | tuple):
            return []
        return [item for item in values if not is_id(item, self.queryset.model)]


class FilterDateField(forms.DateField):
    """A date of a filter: refused (with a message) outside ``DATE_MIN``..``DATE_MAX``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        super().__init__(**kwargs)
        self.validators += [
            MinValueValidator(DATE_MIN, message=DATE_RANGE_MESSAGE),
            MaxValueValidator(DATE_MAX, message=DATE_RANGE_MESSAGE),
        ]


class JSONField(forms.JSONField):
    """Django's, but any text ``json`` refuses is invalid JSON (Django catches only
    JSONDecodeError): a number of more than 4,300 digits raises ValueError, and deep nesting
    RecursionError, both while cleaning and while showing the text back."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except (ValueError, RecursionError) as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except (ValueError, RecursionError):
            return InvalidJSONInput(data)
