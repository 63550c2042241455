"""A marketer's first hour: brands, 20 prompts, a request built with live validation, sent."""

import json
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from monitoring.models import LlmModel, Task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalog(db):
    now = timezone.now()
    LlmModel.objects.create(
        model_name="claude-sonnet-4-20250514", web_search_supported=True, refreshed_at=now
    )
    LlmModel.objects.create(
        model_name="claude-3-5-haiku-20241022", web_search_supported=False, refreshed_at=now
    )


def _preview_json(page):
    return json.loads(page.get_by_test_id("json-preview").inner_text())


def test_it_walks_from_brands_to_a_sent_request(
    log_in, live_server, page, screenshot, make_member, workspace, catalog, add_brand
):
    make_member(workspace, "owner", username="marta")
    log_in("marta")

    page.goto(f"{live_server.url}/w/{workspace.pk}/brands/")
    add_brand("Acme CRM", "Acme", "acme-crm.com")
    expect(page.get_by_test_id("brands-own")).to_contain_text("acme-crm.com")
    competitors = page.get_by_test_id("brands-competitor")
    add_brand("HubSpot", "HubSpot CRM", "hubspot.com", kind="competitor")
    expect(competitors).to_contain_text("hubspot.com")
    add_brand("Pipedrive", "Pipedrive CRM", "pipedrive.com")
    expect(competitors).to_contain_text("pipedrive.com")
    expect(competitors.get_by_role("row")).to_have_count(3)  # header + two competitors

    page.goto(f"{live_server.url}/w/{workspace.pk}/prompts/import/")
    lines = [f"Which CRM should a team of {n} people choose?" for n in range(2, 22)]
    page.get_by_label("Prompts, one per line").fill("\n".join(lines))
    page.get_by_label("Tags for every imported prompt").fill("crm")
    page.get_by_role("button", name="Preview", exact=True).click()  # then confirm it
    page.get_by_role("button", name="Import 20 prompts").click()
    expect(page.locator(".flash-success")).to_have_text("Imported 20 prompts.")

    page.goto(f"{live_server.url}/w/{workspace.pk}/builder/")
    page.get_by_label("All active prompts with a tag").check()
    page.locator("#id_tag").select_option(label="crm")
    page.locator("#id_samples").fill("2")
    expect(page.get_by_test_id("estimate-tasks")).to_have_text("40")
    expect(page.get_by_test_id("estimate-prepaid")).to_have_text("$0.40")
    assert _preview_json(page)[0]["user_prompt"] == lines[0]
    screenshot("builder-01-ready")

    tokens = page.locator("#id_max_output_tokens")
    tokens.fill("")
    tokens.press_sequentially("5000")
    error = page.locator("#error-max_output_tokens")
    expect(error).to_have_text("Max output tokens can be at most 4096.")
    expect(page.get_by_test_id("builder-errors")).to_be_visible()
    screenshot("builder-02-live-error")
    tokens.fill("")
    tokens.press_sequentially("3000")
    expect(error).to_have_text("")
    expect(page.get_by_test_id("builder-ok")).to_be_visible()

    assert "web_search" not in _preview_json(page)[0]
    page.locator("#id_web_search").check()
    page.locator("#id_web_search_country_iso_code").select_option("DE")
    expect(page.get_by_test_id("json-preview")).to_contain_text(
        '"web_search_country_iso_code": "DE"'
    )
    body = _preview_json(page)[0]
    assert body["web_search"] is True
    assert body["max_output_tokens"] == 3000
    screenshot("builder-03-preview-changed")

    page.locator("#id_model_name").select_option("claude-3-5-haiku-20241022")
    expect(page.locator("#id_web_search")).to_be_disabled()
    page.locator("#id_model_name").select_option("claude-sonnet-4-20250514")
    page.locator("#id_web_search").check()

    page.get_by_test_id("send-now").click()
    expect(page).to_have_url(re.compile(rf"/w/{workspace.pk}/tasks/"))
    expect(page.locator(".flash-success")).to_contain_text("Queued 40 tasks")
    screenshot("builder-04-sent")
    assert Task.objects.filter(workspace=workspace).count() == 40
    sent = Task.objects.filter(workspace=workspace).first().request_body
    assert sent["web_search"] is True
    assert sent["web_search_country_iso_code"] == "DE"
    assert sent["max_output_tokens"] == 3000
