"""The settings page's budgets: owners set the monthly budget; everyone sees both limits."""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.models import TaskStatus
from tests.factories import make_task

pytestmark = pytest.mark.django_db


def _settings_url(workspace):
    return reverse("workspace_settings", args=[workspace.pk])


def _budget_url(workspace):
    return reverse("workspace_budget", args=[workspace.pk])


def _cell(html: str, testid: str) -> str:
    """The text of a ``data-testid`` element, tags dropped and whitespace collapsed."""
    match = re.search(rf'data-testid="{testid}"[^>]*>(.*?)</(td|small|p)>', html, re.S)
    assert match, testid
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(1))).split())


def _page(client, workspace) -> str:
    response = client.get(_settings_url(workspace))
    assert response.status_code == 200
    return response.content.decode()


def _spend(workspace, amount: str):
    """A task posted now that counts ``amount`` against this month's budget."""
    return make_task(
        workspace=workspace,
        status=TaskStatus.POSTED,
        claimed_at=timezone.now(),
        cost_prepaid=Decimal(amount),
    )


def test_an_owner_sets_changes_and_removes_the_budget(owner_client, workspace):
    page = _page(owner_client, workspace)
    assert 'data-testid="budget-form"' in page
    assert _cell(page, "monthly-budget") == "No budget"
    assert _cell(page, "month-remaining") == "No limit"

    response = owner_client.post(_budget_url(workspace), {"monthly_budget_usd": "250"}, follow=True)
    workspace.refresh_from_db()
    assert workspace.monthly_budget_usd == Decimal("250.00")
    html = response.content.decode()
    assert "Monthly budget set to $250.00." in html
    assert _cell(html, "monthly-budget") == "$250.00"
    assert 'value="250.00"' in html  # the form shows the saved amount

    owner_client.post(_budget_url(workspace), {"monthly_budget_usd": " $99.5 "})
    workspace.refresh_from_db()
    assert workspace.monthly_budget_usd == Decimal("99.50")

    response = owner_client.post(_budget_url(workspace), {"monthly_budget_usd": ""}, follow=True)
    workspace.refresh_from_db()
    assert workspace.monthly_budget_usd is None
    assert "Monthly budget removed." in response.content.decode()


@pytest.mark.parametrize(("typed", "stored"), [("0", "0.00"), ("-0", "0.00"), ("1e2", "100.00")])
def test_it_stores_odd_but_valid_amounts_as_plain_cents(owner_client, workspace, typed, stored):
    owner_client.post(_budget_url(workspace), {"monthly_budget_usd": typed})
    workspace.refresh_from_db()
    assert str(workspace.monthly_budget_usd) == stored


@pytest.mark.parametrize(
    ("typed", "words"),
    [
        ("-5", "cannot be negative"),
        ("-0.01", "cannot be negative"),
        ("abc", "Enter an amount in dollars"),
        ("12,50", "Enter an amount in dollars"),
        ("NaN", "Enter an amount in dollars"),
        ("Infinity", "Enter an amount in dollars"),
        ("10.005", "at most 2 decimals"),
        ("1e-3", "at most 2 decimals"),
        ("100000000", "largest budget is $99,999,999.99"),
        ("1e400", "largest budget is $99,999,999.99"),
        ("9" * 5000, "largest budget is $99,999,999.99"),
    ],
)
def test_it_explains_a_bad_amount_beside_the_field_and_keeps_the_budget(
    owner_client, workspace, typed, words
):
    workspace.monthly_budget_usd = Decimal("40.00")
    workspace.save()
    response = owner_client.post(_budget_url(workspace), {"monthly_budget_usd": typed})
    assert response.status_code == 200
    html = response.content.decode()
    assert words in _cell(html, "budget-error")
    assert 'aria-invalid="true"' in html
    workspace.refresh_from_db()
    assert workspace.monthly_budget_usd == Decimal("40.00")
    assert _cell(html, "monthly-budget") == "$40.00"  # the table shows what is saved


@pytest.mark.parametrize("role", ["editor", "viewer"])
def test_editors_and_viewers_see_the_budgets_read_only_and_cannot_post(
    client, make_member, workspace, role, settings
):
    settings.AISA_DAILY_CAP_USD = "12.5"
    workspace.monthly_budget_usd = Decimal("40.00")
    workspace.save()
    _spend(workspace, "2.50")
    client.force_login(make_member(workspace, role))

    page = _page(client, workspace)
    assert _cell(page, "monthly-budget") == "$40.00"
    assert _cell(page, "month-counted") == "$2.50"
    assert _cell(page, "month-remaining") == "$37.50 (6% used)"
    assert _cell(page, "daily-cap") == "$12.50 a day (UTC)"
    assert "Only an owner of this workspace can change its monthly budget." in page
    assert 'name="monthly_budget_usd"' not in page
    assert reverse("workspace_budget", args=[workspace.pk]) not in page

    response = client.post(_budget_url(workspace), {"monthly_budget_usd": "1000"})
    assert response.status_code == 403
    workspace.refresh_from_db()
    assert workspace.monthly_budget_usd == Decimal("40.00")


def test_an_editor_may_still_rename_the_workspace(editor_client, workspace):
    page = _page(editor_client, workspace)
    assert 'name="name"' in page
    assert "disabled" not in page[page.index('name="name"') : page.index("</label>")]
    editor_client.post(_settings_url(workspace), {"name": "Acme Europe"})
    workspace.refresh_from_db()
    assert workspace.name == "Acme Europe"


def test_an_outsider_cannot_set_the_budget(client, make_member, workspace, other_workspace):
    client.force_login(make_member(other_workspace, "owner"))
    response = client.post(_budget_url(workspace), {"monthly_budget_usd": "1"})
    assert response.status_code == 404
    workspace.refresh_from_db()
    assert workspace.monthly_budget_usd is None


def test_it_shows_the_counted_spend_past_the_budget(owner_client, workspace):
    workspace.monthly_budget_usd = Decimal("1.00")
    workspace.save()
    _spend(workspace, "2.50")
    _spend(workspace, "0.25")
    page = _page(owner_client, workspace)
    assert _cell(page, "month-counted") == "$2.75"
    assert _cell(page, "month-remaining") == "$0.00 (the counted spend is $1.75 past the budget)"


def test_a_zero_budget_has_nothing_left(owner_client, workspace):
    workspace.monthly_budget_usd = Decimal("0.00")
    workspace.save()
    page = _page(owner_client, workspace)
    assert _cell(page, "monthly-budget") == "$0.00"
    assert _cell(page, "month-remaining") == "$0.00"


@pytest.mark.parametrize(
    ("cap", "shown"),
    [
        ("5.00", "$5.00 a day (UTC)"),
        ("", "No daily cap"),
        (None, "No daily cap"),
        ("lots", "not an amount"),
    ],
)
def test_it_shows_the_daily_cap_and_never_fails_on_a_bad_setting(
    viewer_client, workspace, settings, cap, shown
):
    settings.AISA_DAILY_CAP_USD = cap
    assert shown in _cell(_page(viewer_client, workspace), "daily-cap")


def test_a_get_of_the_budget_url_is_not_allowed(owner_client, workspace):
    assert owner_client.get(_budget_url(workspace)).status_code == 405
