"""``QuickSelect`` renders the same HTML as Django's ``Select``, without its templates."""

import pytest
from django import forms
from django.test.html import parse_html

from monitoring.forms.widgets import QuickSelect

CHOICES = [("", "All prompts"), (1, "Best CRM?"), (2, 'Tom & "Jerry" <b>'), (30, "Thirty")]


@pytest.mark.parametrize("value", [None, "", 2, "2", "30", "99", ["1", "30"]])
@pytest.mark.parametrize("attrs", [None, {"id": "id_prompt"}, {"id": "p", "disabled": True}])
def test_it_renders_what_select_renders(value, attrs):
    quick = QuickSelect(choices=CHOICES, attrs={"class": "filter"})
    django = forms.Select(choices=CHOICES, attrs={"class": "filter"})
    mine, theirs = (w.render("prompt", value, attrs=attrs) for w in (quick, django))
    assert parse_html(mine) == parse_html(theirs)


def test_it_escapes_labels_and_values():
    html = QuickSelect(choices=[('"><script>', "<i>x</i>")]).render("q", None)
    assert "<script>" not in html
    assert "<i>" not in html
    assert "&lt;i&gt;x&lt;/i&gt;" in html


def test_a_bound_form_marks_the_chosen_option():
    class Form(forms.Form):
        prompt = forms.TypedChoiceField(choices=CHOICES, coerce=int, widget=QuickSelect)

    html = str(Form({"prompt": "30"})["prompt"])
    assert '<option value="30" selected>Thirty</option>' in html
    assert 'id="id_prompt"' in html
