"""The request builder's fields, errors and live region as assistive technology reads them."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.forms.builder import send_token_new
from monitoring.models import LlmModel
from tests.factories import make_prompt

pytestmark = pytest.mark.django_db

FIELDS = ("id_samples", "id_max_output_tokens", "id_temperature", "id_model_name", "id_cron")
VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "area", "base", "wbr"}


class Page(HTMLParser):
    """Every element's attributes, the ids on the page, and which ids sit inside a <label>."""

    def __init__(self, html: str):
        super().__init__()
        self.elements: dict[str, dict] = {}
        self.in_label: set[str] = set()
        self.headings: list[int] = []
        self._open: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.elements[attrs["id"]] = {"tag": tag, **attrs}
            if "label" in self._open:
                self.in_label.add(attrs["id"])
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.headings.append(int(tag[1]))
        if tag not in VOID:
            self._open.append(tag)

    def handle_endtag(self, tag):
        if tag in self._open:
            while self._open.pop() != tag:
                pass


@pytest.fixture
def catalog(db):
    now = timezone.now()
    LlmModel.objects.create(
        model_name="claude-sonnet-4-20250514", web_search_supported=True, refreshed_at=now
    )


@pytest.fixture
def prompt(workspace):
    return make_prompt(workspace=workspace, text="Best CRM for startups?")


def _data(prompt, **overrides):
    data = {
        "scope": "selected",
        "prompts": [prompt.pk],
        "samples": "1",
        "model_name": "claude-sonnet-4-20250514",
        "max_output_tokens": "2048",
        "send_token": send_token_new(),
        "action": "send",
    }
    return {**data, **overrides}


def _page(client, workspace, data=None):
    url = reverse("builder", args=[workspace.pk])
    response = client.post(url, data) if data else client.get(url)
    assert response.status_code == 200
    return Page(response.content.decode())


def test_it_ties_a_fields_error_to_it_without_naming_the_field_by_it(
    editor_client, workspace, catalog, prompt
):
    page = _page(editor_client, workspace, _data(prompt, max_output_tokens="5000"))
    field = page.elements["id_max_output_tokens"]
    assert field["aria-invalid"] == "true"
    assert "error-max_output_tokens" in field["aria-describedby"].split()
    assert "error-max_output_tokens" not in page.in_label
    assert "aria-invalid" not in page.elements["id_samples"]


def test_it_describes_each_field_by_ids_that_exist(editor_client, workspace, catalog, prompt):
    page = _page(editor_client, workspace)
    for name in FIELDS:
        ids = page.elements[name]["aria-describedby"].split()
        assert ids, name
        assert all(i in page.elements for i in ids), (name, ids)
    samples = page.elements["id_samples"]["aria-describedby"].split()
    assert samples == ["id_samples_helptext", "error-samples"]


def test_it_keeps_a_live_region_and_updates_only_its_content(
    editor_client, workspace, catalog, prompt
):
    region = _page(editor_client, workspace).elements["builder-status"]
    assert region["role"] == "status"
    assert region["aria-live"] == "polite"
    response = editor_client.post(
        reverse("builder_preview", args=[workspace.pk]),
        _data(prompt, max_output_tokens="0"),
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert Page(html).elements["builder-status"]["hx-swap-oob"] == "innerHTML"
    start = html.index('id="builder-status"')
    assert "1 thing to fix" in html[start : html.index("</div>", start)]


def test_it_orders_the_builders_headings(editor_client, workspace, catalog, prompt):
    headings = _page(editor_client, workspace).headings
    assert headings[0] == 1
    assert all(b - a <= 1 for a, b in zip(headings, headings[1:], strict=False)), headings
