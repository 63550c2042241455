"""The Content-Security-Policy, and pages that need nothing it forbids.

The policy allows only this site's own files: no inline script, no style attribute or
element, no event-handler attribute, no eval. A page that relied on one would break in the
browser (tests/browser/test_csp.py watches for that); these tests find it in the HTML.
"""

import json
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from monitoring.models import LlmModel
from monitoring.templatetags.monitoring_extras import colour_class
from monitoring.views.dashboard import PALETTE

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    """The Content-Security-Policy header as {directive: [sources]}."""
    directives = (d.split() for d in response["Content-Security-Policy"].split(";"))
    return {name: sources for name, *sources in directives}


class _InlineCode(HTMLParser):
    """Collects what the policy would block: inline scripts and styles, handlers, js: links."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        # A JSON data block (json_script) is never run, so the policy does not apply to it.
        if tag == "script" and not values.get("src") and values.get("type") != "application/json":
            self.found.append(self.get_starttag_text())
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs:
            if name == "style" or name.startswith(("on", "hx-on", "data-hx-on")):
                self.found.append(f"{tag} {name}={value!r}")
            if name in ("href", "src", "action") and re.match(r"\s*javascript:", value or "", re.I):
                self.found.append(f"{tag} {name}={value!r}")


def inline_code(response) -> list[str]:
    parser = _InlineCode()
    parser.feed(response.content.decode())
    return parser.found


def test_every_page_carries_the_policy(owner_client, workspace):
    got = policy(owner_client.get(reverse("workspace_home", args=[workspace.pk])))
    assert got == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }


def test_the_policy_allows_no_inline_code_or_eval_and_no_framing(owner_client, workspace):
    responses = [
        Client().get(reverse("login")),
        owner_client.get(reverse("workspace_home", args=[workspace.pk])),
        owner_client.get(reverse("task_list", args=[workspace.pk]), headers={"HX-Request": "1"}),
    ]
    for response in responses:
        header = response["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in header
        assert "'unsafe-inline'" not in header
        assert "'unsafe-eval'" not in header
        assert "*" not in header  # no wildcard source anywhere


def test_htmx_is_told_to_need_no_inline_style_or_eval(client):
    page = client.get(reverse("login")).content.decode()
    meta = re.search(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    config = json.loads(meta.group(1))
    assert config["includeIndicatorStyles"] is False  # else it injects a <style>
    assert config["allowEval"] is False  # hx-on, js: values and event filters would eval
    assert "style" not in config["attributesToSettle"]  # a style attribute would be refused
    assert config["historyCacheSize"] == 0  # a cached page brings Chart.js's style attributes
    assert page.index("htmx-config") < page.index("htmx-2")  # read when htmx starts


@pytest.fixture
def site(workspace, data):
    """Every kind of object the main pages show: brands, prompts, answers, tasks, models."""
    LlmModel.objects.create(
        model_name="claude-sonnet-4-20250514",
        web_search_supported=True,
        refreshed_at=timezone.now(),
    )
    workspace.monthly_budget_usd = Decimal("10.00")
    workspace.save()
    answer = data["answers"][0]  # names Acme and Beta, cites three URLs
    return {
        "answer": answer.pk,
        "task": answer.task_id,
        "brand": data["acme"].pk,
        "prompt": data["P1"].pk,
    }


# (URL name, the objects in its arguments after the workspace, HX-Request)
PAGES = [
    ("workspace_home", [], False),
    ("workspace_home", [], True),
    ("answer_list", [], False),
    ("answer_detail", ["answer"], False),
    ("task_list", [], False),
    ("task_detail", ["task"], False),
    ("task_detail", ["task"], True),
    ("task_status", ["task"], True),
    ("builder", [], False),
    ("brand_list", [], False),
    ("brand_edit", ["brand"], False),
    ("brand_delete", ["brand"], False),
    ("prompt_list", [], False),
    ("prompt_create", [], False),
    ("prompt_edit", ["prompt"], False),
    ("prompt_import", [], False),
    ("prompt_delete", ["prompt"], False),
    ("cost_report", [], False),
    ("failed_jobs", [], False),
    ("workspace_settings", [], False),
    ("workspace_members", [], False),
]


@pytest.mark.parametrize(
    ("name", "objects", "htmx"),
    PAGES,
    ids=[f"{name}{'-htmx' if htmx else ''}" for name, _, htmx in PAGES],
)
def test_the_page_has_no_inline_script_style_or_handler(
    owner_client, workspace, site, name, objects, htmx
):
    url = reverse(name, args=[workspace.pk, *(site[o] for o in objects)])
    response = owner_client.get(url, headers={"HX-Request": "true"} if htmx else {})
    assert response.status_code == 200
    assert inline_code(response) == []


def test_the_login_page_has_no_inline_script_style_or_handler(db):
    response = Client().get(reverse("login"))
    assert response.status_code == 200
    assert inline_code(response) == []


def test_the_builder_preview_has_no_inline_script_style_or_handler(owner_client, workspace, site):
    response = owner_client.post(
        reverse("builder_preview", args=[workspace.pk]),
        {
            "scope": "selected",
            "prompts": [site["prompt"]],
            "samples": "1",
            "model_name": "claude-sonnet-4-20250514",
            "max_output_tokens": "2048",
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert inline_code(response) == []


def test_the_brand_colours_are_classes_the_stylesheet_defines(owner_client, workspace, site):
    css = (Path(settings.BASE_DIR) / "static" / "css" / "app.css").read_text()
    for colour in [*PALETTE, "#888888"]:  # the dashboard's palette and the answer page's grey
        assert f".{colour_class(colour)} {{ --brand-colour: {colour};" in css
    page = owner_client.get(reverse("workspace_home", args=[workspace.pk])).content.decode()
    assert f'class="swatch {colour_class(PALETTE[0])}"' in page


def test_a_colour_that_is_not_a_plain_hex_value_gets_the_neutral_class():
    assert colour_class("#4F46E5") == "colour-4f46e5"
    assert colour_class("red; background: url(x)") == "colour-none"
    assert colour_class("#12345") == "colour-none"
    assert colour_class(None) == "colour-none"
