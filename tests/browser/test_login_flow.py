import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_logs_in_switches_workspace_and_sees_the_home_page(
    live_server, page, screenshot, make_member, workspace, other_workspace
):
    from monitoring.models import Membership

    user = make_member(workspace, "owner", username="marta")
    Membership.objects.create(workspace=other_workspace, user=user, role="viewer")

    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/accounts/login/?next=/")
    screenshot("01-login")
    page.get_by_label("Username").fill("marta")
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Acme")
    expect(page.get_by_test_id("role")).to_have_text("Owner")
    screenshot("02-workspace-home")

    switcher = page.get_by_test_id("workspace-switcher")
    switcher.locator("summary").click()
    switcher.get_by_role("link", name="Other Corp").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Other Corp")
    expect(page.get_by_test_id("role")).to_have_text("Viewer")
    expect(switcher.locator("summary")).to_have_text("Other Corp")
    screenshot("03-switched-workspace")
