"""The builder's live feedback: every error it sends has a slot, and none before a touch."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.forms.builder import send_token_new
from monitoring.models import LlmModel
from tests.factories import make_prompt

pytestmark = pytest.mark.django_db

MODEL = "claude-sonnet-4-20250514"


@pytest.fixture
def catalog(db):
    now = timezone.now()
    LlmModel.objects.create(model_name=MODEL, web_search_supported=True, refreshed_at=now)


def _untouched(**extra):
    """What the page's form posts as first rendered: its initial values, no prompt chosen."""
    data = {
        "scope": "selected",
        "samples": "1",
        "model_name": MODEL,
        "max_output_tokens": "2048",
        "schedule": "manual",
        "send_token": send_token_new(),
        "intent": "",
    }
    return {**data, **extra}


def _preview(client, workspace, data):
    url = reverse("builder_preview", args=[workspace.pk])
    return client.post(url, data, HTTP_HX_REQUEST="true").content.decode()


def _oob_ids(html: str) -> set[str]:
    return set(re.findall(r'id="([^"]+)"[^>]*hx-swap-oob="true"', html))


@pytest.mark.parametrize("who", ["editor_client", "viewer_client"])
def test_every_out_of_band_error_has_its_slot_on_the_page(request, who, workspace, catalog):
    client = request.getfixturevalue(who)
    page = client.get(reverse("builder", args=[workspace.pk])).content.decode()
    sent = _oob_ids(_preview(client, workspace, _untouched(scope="bogus")))
    assert "error-scope" in sent  # the scope's own error reaches the user
    missing = {i for i in sent if f'id="{i}"' not in page}
    assert missing == set()  # htmx logs oobErrorNoTarget for each of these


def test_the_first_preview_of_an_untouched_form_shows_no_errors(editor_client, workspace, catalog):
    make_prompt(workspace=workspace, text="Best CRM?")
    html = _preview(editor_client, workspace, _untouched(untouched="1"))
    assert "to fix" not in html
    assert "Choose at least one active prompt" not in html
    assert 'data-testid="estimate"' in html  # the estimate still comes


def test_a_touched_form_shows_its_errors(editor_client, workspace, catalog):
    html = _preview(editor_client, workspace, _untouched())
    assert "1 thing to fix" in html
    assert "Choose at least one active prompt" in html


def test_the_untouched_marker_rides_only_on_the_first_load(editor_client, workspace, catalog):
    page = editor_client.get(reverse("builder", args=[workspace.pk])).content.decode()
    loader = re.search(r"<[^>]*hx-trigger=\"load\"[^>]*>", page)
    assert loader
    assert '"untouched": "1"' in loader.group(0)
    form = re.search(r'<form[^>]*id="builder-form"[^>]*>', page, re.S).group(0)
    assert "load" not in form
    assert "untouched" not in form
