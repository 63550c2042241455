"""An owner invites a colleague as viewer; the colleague signs up through the link (on a
phone), sees the dashboard, and can change nothing."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
CHANGES = re.compile(r"^(Add|Edit|Delete|Save|New|Import|Pause|Resume|Run|Change|Invite)\b")


def _shot(page, name: str) -> None:
    """A screenshot of a page other than the ``page`` fixture's (the colleague's phone)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_an_invited_viewer_signs_up_sees_the_dashboard_and_changes_nothing(
    browser, live_server, page, screenshot, log_in, make_member, workspace, data
):
    from monitoring.models import Brand, Membership

    make_member(workspace, "owner", username="marta")
    log_in("marta")

    # The owner makes a viewer's invitation and gets its link.
    page.get_by_role("link", name="Members").click()
    page.get_by_test_id("invite-button").click()
    expect(page.get_by_text("no mail server")).to_be_visible()
    page.get_by_label("Viewer").check()
    page.get_by_label("Who is it for? (optional)").fill("sam@example.com")
    page.get_by_role("button", name="Create the link").click()
    new = page.get_by_test_id("new-invitation")
    expect(new).to_contain_text("joins as viewer")
    new.get_by_role("button", name="Copy link").click()  # shown only with JavaScript
    expect(page.locator("#invite-link-status")).not_to_be_empty()
    link = page.get_by_test_id("invite-link").input_value()
    assert link.startswith(live_server.url + "/invite/")
    expect(page.get_by_test_id("pending-invitations")).to_contain_text("sam@example.com")
    screenshot("team-01-owner-made-an-invitation")

    # The colleague, logged out on a phone, opens it and signs up.
    phone = browser.new_context(viewport=PHONE)
    sam = phone.new_page()
    sam.goto(link)
    expect(sam.get_by_role("heading", level=1)).to_have_text("Join Acme")
    expect(sam.get_by_test_id("invitation-offer")).to_contain_text("Viewer")
    assert _no_horizontal_scroll(sam)
    _shot(sam, "team-02-phone-invitation")
    form = sam.get_by_test_id("sign-up-form")
    form.get_by_label("Username").fill("sam")
    form.get_by_label("Password", exact=True).fill("quiet-meadow-lantern-81")
    form.get_by_label("Password confirmation").fill("quiet-meadow-lantern-81")
    form.get_by_role("button", name="Create account and join").click()

    # The dashboard, as a viewer.
    expect(sam.get_by_role("heading", level=1)).to_contain_text("Acme")
    expect(sam.get_by_test_id("role")).to_have_text("Viewer")
    expect(sam.locator(".flash-success")).to_contain_text("you joined as viewer")
    assert Membership.objects.get(user__username="sam").role == "viewer"

    # Nothing to change anywhere: no edit controls on the pages that have them for editors.
    wid = workspace.pk
    for path in ("brands/", "prompts/", "monitors/", "members/", "settings/"):
        sam.goto(f"{live_server.url}/w/{wid}/{path}")
        expect(sam.get_by_role("heading", level=1)).to_be_visible()
        buttons, links = (sam.get_by_role(role, name=CHANGES) for role in ("button", "link"))
        expect(buttons.or_(links)).to_have_count(0)
        if path == "members/":
            expect(sam.get_by_role("combobox")).to_have_count(0)  # no role selects
            assert _no_horizontal_scroll(sam)
            _shot(sam, "team-03-phone-viewer-members")

    # And a write sent by hand, with a valid CSRF token, is refused.
    brand = Brand.objects.get(workspace=workspace, name="Beta")
    csrf = next(c["value"] for c in phone.cookies() if c["name"] == "csrftoken")
    refused = sam.request.post(
        f"{live_server.url}/w/{wid}/brands/{brand.pk}/edit/",
        form={"name": "Hijacked", "kind": "competitor"},
        headers={"X-CSRFToken": csrf, "Referer": live_server.url + "/"},
    )
    assert refused.status == 403
    assert "Viewers can look but not change anything" in refused.text()
    brand.refresh_from_db()
    assert brand.name == "Beta"

    # The owner sees the new member, and the invitation is no longer open.
    page.goto(f"{live_server.url}/w/{wid}/members/")
    expect(page.get_by_test_id("member-sam")).to_contain_text("Viewer")
    expect(page.get_by_test_id("pending-invitations")).to_contain_text("No open invitations")
    screenshot("team-04-owner-sees-the-new-member")
    page.set_viewport_size(PHONE)  # the owner's controls fit a phone too
    expect(page.get_by_test_id("member-sam").get_by_role("combobox")).to_be_visible()
    assert _no_horizontal_scroll(page)
    screenshot("team-05-phone-owner-members")
    phone.close()
