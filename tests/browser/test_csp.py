"""Under the Content-Security-Policy every page works: nothing refused, the JavaScript runs.

Chromium reports each thing the policy blocks (an inline script or style, a style attribute,
eval) on the console as "Refused to …"; the tests collect the console and fail on any.
"""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from monitoring.models import LlmModel, Task
from monitoring.views.dashboard import PALETTE
from tests.factories import make_answer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def rgb(colour: str) -> str:
    """ "#4f46e5" as the browser computes it: "rgb(79, 70, 229)"."""
    return "rgb({}, {}, {})".format(*(int(colour[i : i + 2], 16) for i in (1, 3, 5)))


@pytest.fixture
def refused(page):
    """What the browser refused or failed to run, as it reports it (filled as pages load)."""
    found: list[str] = []

    def on_console(message):
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            found.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: found.append(f"uncaught: {error}"))
    return found


@pytest.fixture
def site(workspace, brands, make_dashboard_answers, make_member, log_in):
    LlmModel.objects.create(
        model_name="claude-sonnet-4-20250514",
        web_search_supported=True,
        refreshed_at=timezone.now(),
    )
    answers = make_dashboard_answers()
    make_member(workspace, "owner", username="olga")
    log_in("olga")
    return {"answer": answers[0], "url": f"/w/{workspace.pk}/"}


def visit(page, live_server, path):
    response = page.goto(live_server.url + path)
    assert response.ok, path
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    page.wait_for_load_state("networkidle")  # htmx's load-triggered requests included


def test_the_main_pages_load_with_nothing_refused(live_server, page, site, refused):
    answer, base = site["answer"], site["url"]
    for path in [
        "",
        "answers/",
        "answers/?q=acme+beta",
        f"answers/{answer.pk}/",
        "tasks/",
        f"tasks/{answer.task_id}/",
        "builder/",
        "brands/",
        "prompts/",
        "prompts/new/",
        "prompts/import/",
        "costs/",
        "jobs/failed/",
        "settings/",
        "members/",
    ]:
        visit(page, live_server, base + path)
    assert refused == []


def test_the_login_page_loads_with_nothing_refused(live_server, page, refused, db):
    visit(page, live_server, "/accounts/login/")
    assert refused == []


def test_the_dashboard_draws_its_charts_and_colours_and_swaps_in_place(
    live_server, page, site, refused
):
    visit(page, live_server, site["url"])
    body = page.locator("body")
    expect(body).to_have_attribute("data-charts-drawn", "1")
    # Chart.js sizes its canvas through the CSSOM, which the policy allows.
    assert page.locator("#chart-visibility").evaluate("c => c.style.width") != ""
    swatch = page.get_by_test_id("card-acme").locator(".swatch")
    expect(swatch).to_have_css("background-color", rgb(PALETTE[0]))

    page.get_by_label("Model").select_option("m2")  # htmx swaps the body and its canvases
    expect(body).to_have_attribute("data-charts-drawn", "2")
    expect(page.get_by_test_id("card-acme").locator(".swatch")).to_have_css(
        "background-color", rgb(PALETTE[0])
    )
    # Back: the page is loaded afresh (a cached copy would bring Chart.js's style attributes,
    # which the policy refuses, and canvases without their charts).
    page.go_back()
    expect(page).not_to_have_url(re.compile("model=m2"))
    expect(page.get_by_test_id("card-acme").get_by_test_id("visibility")).to_have_text("70.0%")
    expect(body).to_have_attribute("data-charts-drawn", "1")
    assert page.evaluate("() => !!Chart.getChart(document.getElementById('chart-visibility'))")
    assert refused == []


def test_the_answer_page_paints_each_brand_in_its_colour(
    live_server, page, site, refused, brands, prompts
):
    # The answer is Markdown: its brands are marked inside bold text and a link's text.
    answer = make_answer(
        workspace=site["answer"].workspace,
        prompt=prompts["P1"],
        text="## Verdict\n\n**Acme** is great. [Beta](https://beta.com/x) too.",
    )
    visit(page, live_server, f"{site['url']}answers/{answer.pk}/")
    text = page.get_by_test_id("answer-text")
    expect(text.locator("h3")).to_have_text("Verdict")
    # Acme and Beta, the first two brands of the palette, in the text and in the table.
    for name, where, colour in (("Acme", "strong", PALETTE[0]), ("Beta", "a", PALETTE[1])):
        mark = text.locator(f"{where} > mark", has_text=name)
        expect(mark).to_have_css("border-bottom-color", rgb(colour))
        expect(page.get_by_test_id("mention-table").locator("mark", has_text=name)).to_have_css(
            "border-bottom-color", rgb(colour)
        )
    expect(text.locator("a")).to_have_attribute("rel", "noopener noreferrer nofollow")
    assert refused == []


def test_the_builder_previews_live_and_sends_once_however_often_submitted(
    live_server, page, site, refused, workspace
):
    visit(page, live_server, f"{site['url']}builder/")
    page.get_by_label("All active prompts with a tag").check()
    page.locator("#id_tag").select_option(label="pricing")
    page.locator("#id_samples").fill("3")
    expect(page.get_by_test_id("estimate-tasks")).to_have_text("3")  # the htmx preview ran
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    posts.clear()

    # Two submits in one go, before the buttons are disabled: the guard refuses the second.
    prevented = page.evaluate(
        """() => {
        const form = document.getElementById("builder-form");
        const button = form.querySelector("[data-testid=send-now]");
        const seen = [];
        form.addEventListener("submit", (event) => seen.push(event.defaultPrevented));
        form.requestSubmit(button);
        form.requestSubmit(button);
        return seen;
        }"""
    )
    assert prevented == [False, True]
    expect(page).to_have_url(re.compile(r"/tasks/"))
    expect(page.locator(".flash-success")).to_contain_text("Queued 3 tasks")
    assert len([url for url in posts if url.endswith(site["url"] + "builder/")]) == 1
    assert Task.objects.filter(workspace=workspace).count() == 10 + 3  # the answers' and these
    assert refused == []
