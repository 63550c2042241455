"""Browser tests: Playwright driving Debian's Chromium (Playwright cannot fetch its own here)."""

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"No Chromium at {CHROMIUM}: install the 'chromium' package")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


@pytest.fixture
def screenshot(page):
    """Save a full-page screenshot under test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def log_in(page, live_server):
    """Log in through the login form as a user made with ``make_member``."""
    from playwright.sync_api import expect

    def go(username: str) -> None:
        page.goto(live_server.url + "/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill("pw-for-tests")
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", level=1)).to_be_visible()

    return go


@pytest.fixture
def add_brand(page):
    """Fill in and send the brand list's "Add brand" form (the page must show it)."""

    def add(name: str, aliases: str = "", domains: str = "", kind: str | None = None) -> None:
        form = page.get_by_test_id("brand-add-form")
        form.get_by_label("Name", exact=True).fill(name)
        if kind:
            form.get_by_label("Kind").select_option(kind)
        form.get_by_label("Aliases").fill(aliases)
        form.get_by_label("Domains").fill(domains)
        form.get_by_role("button", name="Add brand").click()

    return add
