"""A ``<select>`` built in Python: Django renders each option through a template, which
for a workspace's thousand prompts took 100 ms of every dashboard view."""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join


class QuickSelect(forms.Select):
    """The HTML of ``forms.Select`` (flat choices only), without a template per option."""

    def render(self, name, value, attrs=None, renderer=None):
        options = format_html_join("\n", '<option value="{}"{}>{}</option>', self._marked(value))
        final = self.build_attrs(self.attrs, attrs)
        return format_html('<select name="{}"{}>\n{}\n</select>', name, flatatt(final), options)

    def _marked(self, value):
        """(value, " selected" or "", label) per option; as ``Select``, only the first
        match is selected unless the widget takes several."""
        chosen = set(self.format_value(value))
        for key, label in self.choices:
            hit = str(key) in chosen
            if hit and not self.allow_multiple_selected:
                chosen = set()
            yield key, " selected" if hit else "", label
