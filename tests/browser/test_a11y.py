"""Usable by everyone: axe-core finds no violation on any page, logged in and out, on a
desktop and a phone; the builder's errors, live region and focus behave for keyboard and
screen-reader users; the skip link and the focus rings work."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from monitoring.models import LlmModel
from monitoring.selectors.onboarding import STEP_KEYS
from tests.browser.axe import axe_violations
from tests.factories import make_monitor

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
LOGGED_OUT = ["/accounts/login/", "/invite/not-a-token/", "/no-such-page/"]
PAGES = [
    "/w/{w}/",
    "/w/{w}/answers/",
    "/w/{w}/answers/{answer}/",
    "/w/{w}/tasks/",
    "/w/{w}/tasks/{task}/",
    "/w/{w}/builder/",
    "/w/{w}/brands/",
    "/w/{w}/prompts/",
    "/w/{w}/monitors/",
    "/w/{w}/monitors/{monitor}/",
    "/w/{w}/costs/",
    "/w/{w}/members/",
    "/w/{w}/settings/",
    *(f"/w/{{w}}/start/{step}/" for step in STEP_KEYS),  # the set-up walk
]


@pytest.fixture
def catalog(db):
    now = timezone.now()
    LlmModel.objects.create(
        model_name="claude-sonnet-4-20250514", web_search_supported=True, refreshed_at=now
    )


@pytest.fixture
def axe_page(browser, live_server):
    """Open a page in a context that lets axe's script in (see tests/browser/axe.py)."""
    contexts = []

    def open_(size: str):
        context = browser.new_context(bypass_csp=True, viewport=SIZES[size])
        contexts.append(context)
        return context.new_page()

    yield open_
    for context in contexts:
        context.close()


def _log_in(page, url: str, username: str) -> None:
    page.goto(url + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def _settled(page) -> None:
    """htmx's requests on load (the builder's first live check) have been answered."""
    page.wait_for_load_state("networkidle")


@pytest.mark.parametrize("size", SIZES)
def test_it_finds_no_violation_on_any_page(
    axe_page, live_server, make_member, workspace, data, catalog, size
):
    answer = data["answers"][0]
    monitor = make_monitor(workspace=workspace, prompts=[data["P1"]])
    make_member(workspace, "owner", username="olga")
    page = axe_page(size)
    found = {}
    for url in LOGGED_OUT:
        page.goto(live_server.url + url)
        found[url] = axe_violations(page)
    _log_in(page, live_server.url, "olga")
    ids = {"w": workspace.pk, "answer": answer.pk, "task": answer.task_id, "monitor": monitor.pk}
    for path in PAGES:
        url = path.format(**ids)
        page.goto(live_server.url + url)
        _settled(page)
        found[url] = axe_violations(page)
    assert {url: v for url, v in found.items() if v} == {}


def test_it_finds_no_violation_in_the_builders_error_state(
    axe_page, live_server, make_member, workspace, data, catalog
):
    make_member(workspace, "editor", username="ed")
    page = axe_page("desktop")
    _log_in(page, live_server.url, "ed")
    page.goto(f"{live_server.url}/w/{workspace.pk}/builder/")
    page.locator("#id_max_output_tokens").fill("5000")
    expect(page.locator("#error-max_output_tokens")).to_contain_text("at most")
    page.get_by_test_id("add-turn").click()
    expect(page.get_by_test_id("chain-turn")).to_have_count(1)
    _settled(page)
    assert axe_violations(page) == []


def test_it_ties_live_errors_to_their_field_and_keeps_the_live_region(
    log_in, page, live_server, make_member, workspace, data, catalog
):
    make_member(workspace, "editor", username="ed")
    log_in("ed")
    page.goto(f"{live_server.url}/w/{workspace.pk}/builder/")
    status = page.locator("#builder-status")
    expect(status).to_have_attribute("aria-live", "polite")
    region = status.element_handle()
    page.locator("#id_prompts").select_option(str(data["P1"].pk))
    field = page.locator("#id_max_output_tokens")
    field.fill("5000")
    expect(status).to_contain_text("1 thing to fix")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_have_accessible_name("Max output tokens")
    expect(field).to_have_accessible_description(re.compile("at most 4096"))
    field.fill("2048")
    expect(status).to_contain_text("The API will accept this request")
    expect(field).not_to_have_attribute("aria-invalid", "true")
    assert region.evaluate("(el) => el.isConnected")  # updated in place, never replaced


def test_it_focuses_the_turn_just_added_and_the_next_after_a_removal(
    log_in, page, live_server, make_member, workspace, data, catalog
):
    make_member(workspace, "editor", username="ed")
    log_in("ed")
    page.goto(f"{live_server.url}/w/{workspace.pk}/builder/")
    page.get_by_test_id("add-turn").click()
    expect(page.locator("[name=chain-0-role]")).to_be_focused()
    page.get_by_test_id("add-turn").focus()
    page.keyboard.press("Enter")
    expect(page.locator("[name=chain-1-role]")).to_be_focused()
    page.get_by_role("button", name="Remove").first.click()
    expect(page.get_by_test_id("chain-turn")).to_have_count(1)
    expect(page.locator("[name=chain-0-role]")).to_be_focused()
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_test_id("add-turn")).to_be_focused()


def test_it_skips_to_the_content_with_the_first_tab(
    log_in, page, live_server, make_member, workspace, data
):
    make_member(workspace, "editor", username="ed")
    log_in("ed")
    page.goto(f"{live_server.url}/w/{workspace.pk}/prompts/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main#content")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside the page's content, not the nav
    assert page.evaluate("() => document.querySelector('main').contains(document.activeElement)")


def _luminance(rgb: tuple[int, int, int]) -> float:
    def channel(c: int) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast_with_white(css_colour: str) -> float:
    parts = [float(p) for p in re.findall(r"[\d.]+", css_colour)]
    alpha = parts[3] if len(parts) > 3 else 1.0  # over white, as the page is
    rgb = tuple(round(c * alpha + 255 * (1 - alpha)) for c in parts[:3])
    return 1.05 / (_luminance(rgb) + 0.05)


FOCUSABLE = ["a.logo", "#id_max_output_tokens", "[data-testid=add-turn]", "#id_model_name"]


@pytest.mark.parametrize("selector", FOCUSABLE)
def test_it_draws_focus_rings_at_3_to_1_against_white(
    log_in, page, live_server, make_member, workspace, catalog, selector
):
    make_member(workspace, "editor", username="ed")
    log_in("ed")
    page.goto(f"{live_server.url}/w/{workspace.pk}/builder/")
    page.wait_for_load_state("networkidle")  # the first live preview has settled
    page.locator(selector).focus()
    page.keyboard.press("Shift+Tab")  # focus by keyboard, so :focus-visible applies
    page.keyboard.press("Tab")
    expect(page.locator(selector)).to_be_focused()
    style = page.locator(selector).evaluate(
        "(el) => { const s = getComputedStyle(el); return [s.outlineStyle, s.outlineColor]; }"
    )
    assert style[0] != "none"
    assert _contrast_with_white(style[1]) >= 3
