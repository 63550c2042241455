"""A marketer creates a monitor, pauses and resumes it, and runs it now, on a laptop and a phone."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from monitoring.models import LlmModel, Monitor, MonitorRun, Task
from tests.factories import MODEL, make_prompt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_it_creates_pauses_resumes_and_runs_a_monitor_now(
    log_in, live_server, page, screenshot, make_member, workspace
):
    LlmModel.objects.create(
        model_name=MODEL, web_search_supported=True, refreshed_at=timezone.now()
    )
    for text in ("Best CRM for agencies?", "Cheapest CRM for startups?"):
        make_prompt(workspace=workspace, text=text)
    make_member(workspace, "editor", username="mona")
    errors, failed = [], []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )  # a failed request is a console error too: those are checked below, by URL
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    log_in("mona")

    page.get_by_role("link", name="Monitors", exact=True).click()
    expect(page.get_by_role("heading", level=2)).to_have_text("No monitors yet")
    page.get_by_test_id("monitor-new").click()
    page.get_by_label("Name", exact=True).fill("Weekly CRM")
    page.get_by_label("Schedule").select_option("weekly")
    page.get_by_role("listbox", name=re.compile("^Prompts")).select_option(
        ["Best CRM for agencies?", "Cheapest CRM for startups?"]
    )
    page.get_by_label("Web search", exact=True).check()
    screenshot("monitors-01-new")
    page.get_by_test_id("monitor-save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Weekly CRM")
    expect(page.get_by_test_id("monitor-settings")).to_contain_text("on")
    monitor = Monitor.objects.get()
    assert (monitor.schedule, monitor.prompts.count()) == ("weekly", 2)

    page.get_by_role("link", name="Monitors", exact=True).first.click()
    row = page.locator(f"#monitor-{monitor.pk}")
    expect(row).to_contain_text("2 chosen prompts")
    expect(row.get_by_test_id("monitor-next-run")).to_contain_text("Next: Mon")
    page.evaluate("window.__samePage = true")  # lost if anything reloads the whole page

    row.get_by_role("button", name="Pause").click()
    expect(row.get_by_test_id("monitor-notice")).to_have_text("Paused “Weekly CRM”.")
    expect(row.get_by_role("button", name="Run now")).to_have_count(0)
    expect(row.get_by_test_id("monitor-next-run")).to_have_text("Paused: no run until resumed")
    screenshot("monitors-02-paused")
    row.get_by_role("button", name="Resume").click()
    expect(row.get_by_test_id("monitor-notice")).to_have_text("Resumed “Weekly CRM”.")
    row.get_by_role("button", name="Run now").click()
    expect(row.get_by_test_id("monitor-notice")).to_contain_text("Queued 2 tasks at")
    expect(row.get_by_test_id("run-outcome")).to_have_text("In progress")
    assert page.evaluate("window.__samePage") is True
    assert MonitorRun.objects.get().task_count == Task.objects.filter(monitor=monitor).count() == 2
    screenshot("monitors-03-run-now")

    page.get_by_role("link", name="Weekly CRM").click()
    expect(page.get_by_test_id("run-row")).to_have_count(1)
    expect(page.get_by_test_id("run-counts")).to_contain_text(re.compile(r"Queued\s+2"))
    screenshot("monitors-04-detail")

    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("", "new/", f"{monitor.pk}/", f"{monitor.pk}/edit/"):
        page.goto(f"{live_server.url}/w/{workspace.pk}/monitors/{path}")
        assert _page_width(page) <= 390, path  # wide tables scroll inside their box
        screenshot(f"monitors-05-phone-{path.strip('/').replace('/', '-') or 'list'}")
    assert errors == []
    assert failed == []
