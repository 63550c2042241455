"""A new user sets up an empty workspace and sees its first answers, in a real browser.

Own brand → competitors → prompts → a daily monitor with its projected cost → its first
results. The monitor then runs on its schedule: the clock is moved to its next slot (the
scheduler is told the time), the pipeline posts its tasks to the sandbox and collects the
answers, and the waiting results page shows them without a reload.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from monitoring.models import Answer, Brand, LlmModel, Monitor, MonitorRun, Task, TaskStatus
from monitoring.models.requests import RunTrigger
from monitoring.pipeline import collecting, schedules
from monitoring.pipeline.client import api_client
from monitoring.pipeline.runner import pipeline_tick
from monitoring.selectors.monitors import next_run_get
from tests.factories import MODEL, TEST_KEY

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PROMPTS = ("What is the best CRM for a small agency?", "Which CRM has the best free plan?")


def _dollars(text: str) -> float:
    return float(text.strip().removeprefix("$").replace(",", ""))


@pytest.fixture
def api(settings, sandbox):
    """The pipeline talks to the sandbox; answers are collected by polling."""
    settings.AISA_BASE_URL = sandbox.aisa_base_url
    settings.AISA_API_KEY = TEST_KEY
    settings.AISA_CALLS_PER_MINUTE = 1000
    settings.AISA_DAILY_CAP_USD = ""
    settings.AISA_COLLECT_MODES = ["poll"]
    settings.AISA_WEBHOOK_BASE_URL = ""
    LlmModel.objects.create(
        model_name=MODEL, web_search_supported=True, refreshed_at=timezone.now()
    )
    return sandbox


def test_a_new_user_goes_from_an_empty_workspace_to_first_answers(
    api, log_in, page, screenshot, make_member, workspace
):
    make_member(workspace, "owner", username="nora")
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    log_in("nora")

    # The empty dashboard points to the first step.
    expect(page.get_by_test_id("next-step")).to_contain_text("No brands tracked yet")
    screenshot("onboarding-00-empty-dashboard")
    page.get_by_test_id("next-step-link").click()

    # 1. Own brand
    expect(page.get_by_role("heading", level=2)).to_have_text("1. Your brand")
    page.get_by_label("Brand name").fill("Acme CRM")
    page.get_by_label("Domains").fill("acme.com")
    screenshot("onboarding-01-brand")
    page.get_by_test_id("step-save").click()

    # 2. Competitors: nothing to suggest before any answer
    expect(page.get_by_role("heading", level=2)).to_have_text("2. Competitors")
    expect(page.get_by_test_id("step-brand")).to_contain_text("(done)")
    expect(page.get_by_test_id("no-suggestions")).to_be_visible()
    page.get_by_label("Competitors, one per line").fill("HubSpot\nSalesforce")
    page.get_by_test_id("step-save").click()

    # 3. Prompts, pasted
    expect(page.get_by_role("heading", level=2)).to_have_text("3. Prompts")
    page.get_by_label("Questions your buyers ask, one per line").fill("\n".join(PROMPTS))
    screenshot("onboarding-03-prompts")
    page.get_by_test_id("step-save").click()

    # 4. The first monitor, its projected cost following the settings
    expect(page.get_by_role("heading", level=2)).to_have_text("4. First monitor")
    expect(page.get_by_test_id("projection-runs")).to_contain_text("2 tasks a run")
    cost = page.get_by_test_id("projected-cost")
    one_sample = _dollars(cost.inner_text())
    assert one_sample > 0
    page.get_by_label("Samples").fill("2")
    expect(page.get_by_test_id("projection-runs")).to_contain_text("4 tasks a run")
    two_samples = _dollars(cost.inner_text())
    assert abs(two_samples - 2 * one_sample) <= 0.011  # twice the tasks, twice the money
    page.get_by_label("Schedule").select_option("weekly")
    expect(page.get_by_test_id("projection-runs")).not_to_contain_text("30 runs")
    assert _dollars(cost.inner_text()) < two_samples / 4  # four or five runs, not thirty
    page.get_by_label("Schedule").select_option("daily")
    expect(page.get_by_test_id("projection-runs")).to_contain_text("30 runs")
    screenshot("onboarding-04-monitor")
    page.get_by_test_id("step-save").click()

    # 5. Waiting for the first results
    expect(page.get_by_role("heading", level=2)).to_have_text("5. First results")
    expect(page.get_by_test_id("results-waiting")).to_be_visible()
    expect(page.get_by_test_id("monitor-next-run")).to_contain_text("Next:")
    screenshot("onboarding-05-waiting")
    monitor = Monitor.objects.get()
    assert (monitor.name, monitor.schedule, monitor.samples_per_run) == ("Daily check", "daily", 2)
    assert not Task.objects.exists()  # nothing is asked before its time

    # The clock reaches the monitor's next slot: the scheduler runs it, the pipeline posts
    # the tasks to the sandbox and collects the answers.
    slot = next_run_get(monitor=monitor, now=timezone.now())
    assert schedules.monitors_run_due(now=slot - timedelta(seconds=1)) == 0
    assert schedules.monitors_run_due(now=slot + timedelta(seconds=30)) == 4
    assert schedules.monitors_run_due(now=slot + timedelta(minutes=5)) == 0  # once per slot
    pipeline_tick()  # posts the run's tasks
    with api_client() as client:  # a few minutes on, their first poll is due
        collecting.tasks_collect(client=client, now=timezone.now() + timedelta(minutes=5))
    run = MonitorRun.objects.get()
    assert (run.slot, run.trigger) == (slot, RunTrigger.SCHEDULE)
    assert set(Task.objects.values_list("status", flat=True)) == {TaskStatus.COLLECTED}
    assert Answer.objects.count() == 4

    # The waiting page shows them on its own (it asks again every few seconds).
    expect(page.get_by_test_id("first-answer").first).to_be_visible(timeout=15_000)
    expect(page.get_by_test_id("first-answer")).to_have_count(4)
    expect(page.get_by_test_id("run-outcome")).to_have_text("Answered")
    screenshot("onboarding-06-first-answers")

    # Competitors now come with suggestions from those answers.
    page.get_by_test_id("step-competitors").get_by_role("link").click()
    suggestions = page.get_by_test_id("competitor-suggestions").get_by_role("checkbox")
    expect(suggestions.first).to_be_visible()
    tracked = set(Brand.objects.values_list("name", flat=True))
    assert not tracked & {
        suggestions.nth(i).get_attribute("value") for i in range(suggestions.count())
    }

    page.get_by_test_id("step-results").get_by_role("link").click()
    page.get_by_test_id("open-dashboard").click()
    expect(page.get_by_test_id("dash-summary")).to_contain_text("4 answers")
    expect(page.get_by_test_id("next-step")).to_have_count(0)
    card = page.get_by_test_id("card-hubspot")
    expect(card.get_by_test_id("visibility-ci")).to_contain_text("/4 answers")
    screenshot("onboarding-07-dashboard")
    assert problems == []
