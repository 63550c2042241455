import re

import pytest
from playwright.sync_api import expect

from tests.factories import make_brand

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def demo(workspace, prompts, make_dashboard_answers):
    """The dashboard's data set with fan-out queries; only Acme has a domain."""
    make_brand(workspace=workspace, name="Acme", kind="own", domains=["acme.com"])
    make_brand(workspace=workspace, name="Beta")
    make_brand(workspace=workspace, name="Gamma")
    make_dashboard_answers(fan_out_queries=["best tool"])
    return workspace


def test_it_filters_in_place_and_drills_down_to_a_highlighted_answer(
    log_in, live_server, page, screenshot, make_member, demo
):
    make_member(demo, "viewer", username="mara")
    log_in("mara")
    page.goto(f"{live_server.url}/w/{demo.pk}/")
    acme = page.get_by_test_id("card-acme")
    expect(acme.get_by_test_id("visibility")).to_have_text("70.0%")
    expect(acme.get_by_test_id("visibility-ci")).to_contain_text("7/10 answers · 95% CI 39.7–89.2%")
    expect(page.locator("body")).to_have_attribute("data-charts-drawn", "1")
    expect(page.get_by_test_id("competitor-table").get_by_role("row")).to_have_count(4)
    screenshot("dashboard-01-overview")
    page.evaluate("window.__samePage = true")

    page.get_by_label("Model").select_option("m2")
    expect(acme.get_by_test_id("visibility")).to_have_text("0.0%")
    expect(page.get_by_test_id("dash-summary")).to_contain_text("3 answers")
    expect(page.locator("body")).to_have_attribute("data-charts-drawn", "2")  # charts redrawn
    assert page.evaluate("window.__samePage") is True  # swapped in place, not reloaded
    assert "model=m2" in page.url
    screenshot("dashboard-02-filtered")

    page.get_by_label("Model").select_option("")
    expect(acme.get_by_test_id("visibility")).to_have_text("70.0%")  # swapped back first
    page.get_by_test_id("card-acme").get_by_test_id("visibility").get_by_role("link").click()
    expect(page.get_by_test_id("answer-count")).to_contain_text("7 answers")
    expect(page.get_by_test_id("answer-row")).to_have_count(7)
    screenshot("dashboard-03-drill-down")
    page.get_by_test_id("answer-row").filter(has_text="Gamma").filter(
        has_text="3. Acme"
    ).get_by_role("link", name="Read").click()
    text = page.get_by_test_id("answer-text")
    expect(text.locator("mark")).to_have_count(3)
    expect(text.locator("mark").first).to_have_text("Gamma")
    expect(text.locator("mark", has_text="Acme")).to_have_attribute(
        "class", re.compile(r"brand-\d+")
    )
    screenshot("dashboard-04-answer")


def _engine_answer(workspace, prompt, engine, text, *, model, days_ago):
    from datetime import timedelta

    from django.utils import timezone

    from monitoring.models import TaskStatus
    from tests.factories import make_answer, make_task

    at = timezone.now() - timedelta(days=days_ago)
    task = make_task(
        workspace=workspace,
        prompt=prompt,
        status=TaskStatus.COLLECTED,
        request_settings={"model_name": model},
        created_at=at,
        engine=engine,
    )
    make_answer(task=task, engine=engine, text=text, model_name=model, answered_at=at)


def test_it_compares_engines_marks_model_changes_and_filters_by_engine(
    log_in, live_server, page, screenshot, make_member, workspace, prompts
):
    make_brand(workspace=workspace, name="Acme", kind="own")
    make_brand(workspace=workspace, name="Beta")
    p1 = prompts["P1"]
    for days, model in ((6, "gpt-4o"), (5, "gpt-4o"), (3, "gpt-5"), (2, "gpt-5")):
        _engine_answer(workspace, p1, "chat_gpt", "Acme.", model=model, days_ago=days)
    for days in (6, 5, 3, 2):
        _engine_answer(workspace, p1, "gemini", "Beta.", model="gemini-2.5", days_ago=days)
    make_member(workspace, "viewer", username="eli")
    log_in("eli")
    page.goto(f"{live_server.url}/w/{workspace.pk}/")
    expect(page.get_by_test_id("dashboard-question")).to_contain_text("Do ChatGPT and Gemini")
    rows = page.get_by_test_id("engine-row")
    expect(rows).to_have_count(2)
    expect(rows.first.get_by_test_id("engine-visibility")).to_contain_text("100.0% 4/4")
    expect(rows.nth(1).get_by_test_id("engine-visibility")).to_contain_text("0.0% 0/4")
    expect(page.get_by_test_id("engine-test")).to_contain_text("chi-square")
    expect(page.get_by_test_id("model-change")).to_contain_text("ChatGPT answers with gpt-5")
    expect(page.locator("#chart-visibility")).to_have_attribute("data-model-marks", "1")
    expect(page.locator("#chart-sov")).to_have_attribute("data-model-marks", "1")
    screenshot("dashboard-05-engines")

    page.get_by_label("Engine").select_option("gemini")
    expect(page.get_by_test_id("card-acme").get_by_test_id("visibility")).to_have_text("0.0%")
    expect(page.get_by_test_id("engine-comparison")).to_have_count(0)
    expect(page.get_by_test_id("model-changes")).to_have_count(0)
    assert "engine=gemini" in page.url
    expect(page.locator("body")).not_to_contain_text("Claude")
