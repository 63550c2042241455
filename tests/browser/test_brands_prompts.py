import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_adds_brands_in_place_and_imports_and_searches_prompts(
    log_in, live_server, page, screenshot, make_member, workspace, add_brand
):
    make_member(workspace, "owner", username="marta")
    log_in("marta")

    page.goto(f"{live_server.url}/w/{workspace.pk}/brands/")
    expect(page.get_by_text("No own brand yet")).to_be_visible()
    screenshot("brands-01-empty")
    page.evaluate("window.__samePage = true")  # lost if anything reloads the whole page

    add_brand("Acme CRM", "Acme, AcmeCRM", "https://www.Acme-CRM.com/pricing")
    own = page.get_by_test_id("brands-own")
    expect(own.get_by_role("row", name=re.compile("Acme CRM"))).to_contain_text("acme-crm.com")
    competitors = page.get_by_test_id("brands-competitor")
    add_brand("HubSpot", "HubSpot CRM, HS", "hubspot.com", kind="competitor")
    expect(competitors).to_contain_text("hubspot.com")
    add_brand("Pipedrive", "Pipedrive CRM", "pipedrive.com")  # competitor by default now
    expect(competitors).to_contain_text("pipedrive.com")
    expect(competitors.get_by_role("row")).to_have_count(3)  # header + two brands
    expect(competitors).to_contain_text("HubSpot CRM")

    add_brand("hubspot")
    error = page.get_by_test_id("brand-add-form").locator(".field-error")
    expect(error).to_have_text("There is already a brand called “hubspot” here.")
    screenshot("brands-02-duplicate-rejected")

    row = competitors.get_by_role("row", name=re.compile("Pipedrive"))
    row.get_by_role("button", name="Edit").click()
    edit = page.get_by_test_id("brand-edit-form")
    edit.get_by_label("Aliases").fill("Pipedrive CRM, PD")
    screenshot("brands-03-inline-edit")
    edit.get_by_role("button", name="Save").click()
    expect(competitors.get_by_role("row", name=re.compile("Pipedrive"))).to_contain_text("PD")
    expect(page.get_by_test_id("brand-edit-form")).to_have_count(0)
    assert page.evaluate("window.__samePage") is True
    screenshot("brands-04-own-and-competitors")

    page.goto(f"{live_server.url}/w/{workspace.pk}/prompts/new/")
    page.get_by_label("Prompt", exact=True).press_sequentially("Best CRM?")
    expect(page.locator("#text-count")).to_have_text("9 / 500")
    screenshot("prompts-00-new-with-counter")

    page.goto(f"{live_server.url}/w/{workspace.pk}/prompts/import/")
    topics = ["CRM", "email tool", "helpdesk", "invoicing app"]
    lines = [f"What is the best {topics[i % 4]} for team #{i + 1}?" for i in range(20)]
    page.get_by_label("Prompts, one per line").fill("\n".join(lines))
    page.get_by_label("Tags for every imported prompt").fill("import")
    page.get_by_role("button", name="Preview", exact=True).click()  # then confirm it
    page.get_by_role("button", name="Import 20 prompts").click()
    expect(page.locator(".flash-success")).to_have_text("Imported 20 prompts.")
    expect(page.get_by_test_id("prompt-count")).to_contain_text("Showing 1–20 of 20 prompts")
    screenshot("prompts-01-imported")

    page.get_by_role("searchbox", name="Search prompts").press_sequentially("crm")
    expect(page.get_by_test_id("prompt-count")).to_contain_text("of 5 prompts matching “crm”")
    expect(page.locator("tr.prompt-row")).to_have_count(5)
    expect(page).to_have_url(re.compile(r"/prompts/\?q=crm(&tag=)?$"))
    screenshot("prompts-02-searched")
