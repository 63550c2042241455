"""Every main page on a laptop and a phone: no page-wide scroll, no console error, no 404."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from monitoring.models import BrandKind, LlmModel, TaskStatus
from monitoring.selectors.onboarding import STEP_KEYS
from tests.factories import MODEL, make_answer, make_brand, make_monitor, make_prompt, make_task

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
LONG_PROMPT = "Which customer-relationship-management platform suits a fast-growing agency? " * 3


@pytest.fixture
def filled_workspace(workspace, make_member):
    """A workspace with a row or two on every page, and its owner "olga"."""
    now = timezone.now()
    LlmModel.objects.create(model_name=MODEL, web_search_supported=True, refreshed_at=now)
    make_brand(workspace=workspace, name="Acme CRM", kind=BrandKind.OWN, domains=["acme.com"])
    make_brand(workspace=workspace, name="HubSpot", domains=["hubspot.com"])
    prompt = make_prompt(workspace=workspace, text=LONG_PROMPT, tags=["crm"])
    task = make_task(prompt=prompt, status=TaskStatus.COLLECTED)
    answer = make_answer(
        prompt=prompt,
        task=task,
        model_name=MODEL,
        text="**HubSpot** and [Acme CRM](https://acme.com/very/long/path/to/a/page) lead.",
        citations=["https://acme.com/very/long/path/to/a/page"],
    )
    make_task(prompt=prompt, status=TaskStatus.QUEUED)
    monitor = make_monitor(workspace=workspace, name="Weekly CRM", prompts=[prompt])
    make_member(workspace, "owner", username="olga")
    return {"task": task, "answer": answer, "monitor": monitor}


def _pages(workspace, filled) -> list[str]:
    w = f"/w/{workspace.pk}"
    return [
        f"{w}/",
        f"{w}/answers/",
        f"{w}/answers/{filled['answer'].pk}/",
        f"{w}/tasks/",
        f"{w}/tasks/{filled['task'].pk}/",
        f"{w}/builder/",
        f"{w}/brands/",
        f"{w}/prompts/",
        f"{w}/monitors/",
        f"{w}/monitors/{filled['monitor'].pk}/",
        f"{w}/monitors/new/",
        f"{w}/costs/",
        f"{w}/members/",
        f"{w}/settings/",
        f"{w}/jobs/failed/",
        *(f"{w}/start/{step}/" for step in STEP_KEYS),
    ]


@pytest.fixture
def problems(page):
    """Console errors, uncaught exceptions and failed requests (>= 400) of the page."""
    found: list[str] = []
    page.on("pageerror", lambda e: found.append(f"exception: {e}"))
    page.on("console", lambda m: found.append(f"console: {m.text}") if m.type == "error" else None)
    # ERR_ABORTED is the browser cancelling a request (the favicon, say) because the walk
    # moved on to the next page; a missing file is a 404, which the response check catches.
    page.on(
        "requestfailed",
        lambda r: (
            None
            if "ERR_ABORTED" in (r.failure or "")
            else found.append(f"failed: {r.url} {r.failure}")
        ),
    )
    page.on("response", lambda r: found.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
    return found


def _page_scroll(page) -> int:
    """How far the page itself scrolls sideways (a table's own scroll box is fine)."""
    return page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")


def _visit(page, url: str, problems: list[str]) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("networkidle")  # the builder's first preview, the charts
    bad = [f"{url}: scrolls {_page_scroll(page)}px sideways"] if _page_scroll(page) > 0 else []
    bad += [f"{url}: {p}" for p in problems]
    problems.clear()
    return bad


@pytest.mark.parametrize("size", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_every_page_fits_and_loads_cleanly(
    size, page, live_server, log_in, problems, workspace, filled_workspace, screenshot
):
    page.set_viewport_size(size)
    bad = _visit(page, live_server.url + "/accounts/login/", problems)
    log_in("olga")
    for path in _pages(workspace, filled_workspace):
        bad += _visit(page, live_server.url + path, problems)
    assert bad == []


def test_a_live_check_in_the_builder_is_clean(
    page, live_server, log_in, problems, workspace, filled_workspace
):
    log_in("olga")
    page.goto(f"{live_server.url}/w/{workspace.pk}/builder/")
    page.wait_for_load_state("networkidle")
    expect(page.get_by_test_id("builder-errors")).to_have_count(0)  # nothing touched yet
    page.locator("#id_max_output_tokens").fill("5000")
    expect(page.locator("#error-max_output_tokens")).to_contain_text("at most")
    expect(page.get_by_test_id("builder-errors")).to_contain_text("to fix")
    page.locator("#id_prompts").select_option(index=0)
    page.locator("#id_max_output_tokens").fill("2000")
    expect(page.locator("#error-max_output_tokens")).to_have_text("")
    expect(page.get_by_test_id("builder-ok")).to_be_visible()
    assert problems == []


def test_the_phone_menu_opens_onto_the_workspace_pages(
    page, live_server, log_in, workspace, filled_workspace, screenshot
):
    page.set_viewport_size(PHONE)
    log_in("olga")
    nav = page.locator(".topbar nav")
    assert nav.bounding_box()["height"] < 80  # one line, not three
    expect(nav.get_by_role("link", name="Prompts")).to_have_count(0)
    page.get_by_test_id("nav-menu").get_by_text("Menu").click()
    screenshot("screens-phone-menu")
    nav.get_by_role("link", name="Prompts").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Prompts")
    page.set_viewport_size(LAPTOP)
    expect(nav.get_by_role("link", name="Prompts")).to_be_visible()
