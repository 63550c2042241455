"""A marketer watches tasks move live, opens one, and looks at the costs chart."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from monitoring.models import TaskStatus
from monitoring.services.history import task_cost_record, task_transition
from tests.factories import make_prompt, make_task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_updates_badges_live_and_stops_polling_when_final(
    log_in, live_server, page, screenshot, make_member, workspace
):
    make_member(workspace, "viewer", username="vera")
    make_task(
        prompt=make_prompt(workspace=workspace, text="Which helpdesk for a small team?"),
        status=TaskStatus.QUEUED,
    )
    posted = make_task(
        prompt=make_prompt(workspace=workspace, text="What is the best CRM for agencies?"),
        status=TaskStatus.POSTED,
    )
    task_cost_record(task=posted, field="cost_prepaid", amount=Decimal("0.010000"))
    log_in("vera")

    page.goto(f"{live_server.url}/w/{workspace.pk}/tasks/")
    badge = page.locator(f"#task-status-{posted.pk}")
    expect(badge).to_have_text("Posted")
    expect(badge).to_have_attribute("hx-trigger", "every 2s")
    screenshot("tasks-01-list-live")

    status_calls = []
    status_url = f"/tasks/{posted.pk}/status/"
    page.on("request", lambda r: status_calls.append(r.url) if status_url in r.url else None)
    task_transition(
        task=posted,
        to=TaskStatus.COLLECTED,
        allowed_from=[TaskStatus.POSTED],
        message="Answer stored.",
    )
    task_cost_record(task=posted, field="money_spent", amount=Decimal("0.004321"))
    expect(badge).to_have_text("Collected", timeout=8000)
    expect(badge).not_to_have_attribute("hx-trigger", re.compile(".*"))
    calls_when_final = len(status_calls)
    page.wait_for_timeout(4500)  # two polling periods
    assert len(status_calls) == calls_when_final, "a final badge must stop polling"
    screenshot("tasks-02-badge-collected")

    page.get_by_role("link", name="What is the best CRM for agencies?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Task #{posted.pk}")
    expect(page.get_by_test_id("timeline")).to_contain_text("Answer stored.")
    expect(page.get_by_test_id("task-costs")).to_contain_text("0.004321")
    screenshot("tasks-03-detail")

    page.get_by_role("link", name="Costs", exact=True).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Costs")
    canvas = page.locator("#cost-chart")
    expect(canvas).to_be_visible()
    page.wait_for_function("() => !!document.getElementById('cost-chart').chart")
    assert canvas.bounding_box()["height"] > 100
    screenshot("costs-01-chart")


def test_it_filters_the_list_in_place(
    log_in, live_server, page, screenshot, make_member, workspace
):
    make_member(workspace, "viewer", username="vic")
    for i in range(3):
        make_task(
            prompt=make_prompt(workspace=workspace, text=f"Best invoicing app #{i}?"),
            status=TaskStatus.COLLECTED,
        )
    make_task(prompt=make_prompt(workspace=workspace, text="Best CRM?"), status=TaskStatus.FAILED)
    log_in("vic")
    page.goto(f"{live_server.url}/w/{workspace.pk}/tasks/")
    page.evaluate("window.__samePage = true")
    expect(page.get_by_test_id("task-row")).to_have_count(4)
    page.get_by_test_id("status-counts").get_by_role("link", name=re.compile("Failed")).click()
    expect(page.get_by_test_id("task-row")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"status=failed"))
    page.get_by_role("searchbox").press_sequentially("invoicing")
    expect(page.get_by_test_id("task-count")).to_contain_text("No tasks")  # status kept
    assert page.evaluate("window.__samePage") is True  # htmx swapped the results in place
    screenshot("tasks-04-filtered")
    page.get_by_role("link", name="Clear filters").click()  # a plain link: resets the form too
    expect(page.get_by_test_id("task-row")).to_have_count(4)
    expect(page.get_by_role("searchbox")).to_have_value("")
