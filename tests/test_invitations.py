"""Invitations: a signed link, used once, before it expires, unless withdrawn.

The services first, then the link's page (which needs no login); the members page that
makes and lists invitations is in tests/test_team.py, two simultaneous accepts on
PostgreSQL in tests/test_team_concurrency.py.
"""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from monitoring.models import Invitation, InvitationStatus, Membership
from monitoring.models.workspaces import invitation_token_make
from monitoring.selectors.workspaces import invitation_from_token
from monitoring.services.invitations import (
    AlreadyMember,
    InvitationUnusable,
    UsernameTaken,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    invitation_sign_up,
)
from tests.factories import make_brand, make_user
from tests.test_csp import inline_code

pytestmark = pytest.mark.django_db

PASSWORD = "plum-orbit-lantern-47"


@pytest.fixture
def invite(workspace, owner):
    """Make an invitation to ``workspace`` (a viewer's, valid 7 days, unless told)."""

    def make(**fields):
        return invitation_create(
            workspace=workspace, created_by=owner, **{"role": "viewer", **fields}
        )

    return make


def _joined(user, workspace):
    return Membership.objects.filter(user=user, workspace=workspace).first()


# --- The link -------------------------------------------------------------------------------


def test_it_makes_a_link_that_names_its_invitation_and_stores_only_a_hash(invite):
    new = invite(note="jane@example.com")
    secret = new.token.split(".", 1)[1].rsplit(":", 1)[0]
    assert invitation_from_token(token=new.token) == new.invitation
    stored = Invitation.objects.values().get(pk=new.invitation.pk)
    assert not any(secret in str(value) for value in stored.values())


def test_it_refuses_tokens_it_did_not_make(invite, workspace):
    new = invite()
    pk = new.invitation.pk
    tampered = new.token[:-1] + ("A" if new.token[-1] != "A" else "B")
    wrong_secret = invitation_token_make(invitation_id=pk, secret="not-the-secret")
    other_row = invitation_token_make(invitation_id=pk + 1, secret="x")
    for token in (tampered, wrong_secret, other_row, "", "1.x", "\x00", "é" * 300):
        assert invitation_from_token(token=token) is None, token


def test_it_forgets_the_link_of_a_deleted_invitation(invite):
    new = invite()
    new.invitation.delete()
    assert invitation_from_token(token=new.token) is None


def test_it_refuses_an_unknown_role_or_no_time_at_all(workspace, owner):
    with pytest.raises(ValueError):
        invitation_create(workspace=workspace, created_by=owner, role="admin")
    with pytest.raises(ValueError):
        invitation_create(
            workspace=workspace, created_by=owner, role="viewer", valid_for=timedelta(0)
        )


# --- Using it -------------------------------------------------------------------------------


def test_it_adds_the_member_in_the_invitations_role_and_uses_it_up(invite, workspace):
    invitation = invite(role="editor").invitation
    colleague = make_user(username="colleague")
    membership = invitation_accept(invitation=invitation, user=colleague)
    assert (membership.user, membership.workspace, membership.role) == (
        colleague,
        workspace,
        "editor",
    )
    invitation.refresh_from_db()
    assert invitation.accepted_by == colleague
    assert invitation.status_at(timezone.now()) == InvitationStatus.ACCEPTED


def test_it_lets_only_one_person_join_even_through_stale_copies(invite, workspace):
    """Two requests that both read the invitation unused: the database decides, once."""
    first_copy = invite().invitation
    second_copy = Invitation.objects.get(pk=first_copy.pk)  # read before either accepts
    alice, bob = make_user(username="alice"), make_user(username="bob")
    invitation_accept(invitation=first_copy, user=alice)
    with pytest.raises(InvitationUnusable) as refused:
        invitation_accept(invitation=second_copy, user=bob)
    assert refused.value.status == InvitationStatus.ACCEPTED
    assert _joined(bob, workspace) is None
    assert Invitation.objects.get(pk=first_copy.pk).accepted_by == alice


def test_it_refuses_an_expired_invitation(invite, workspace):
    week_ago = timezone.now() - timedelta(days=8)
    invitation = invite(now=week_ago).invitation
    colleague = make_user(username="late")
    with pytest.raises(InvitationUnusable) as refused:
        invitation_accept(invitation=invitation, user=colleague)
    assert refused.value.status == InvitationStatus.EXPIRED
    assert _joined(colleague, workspace) is None


def test_it_refuses_a_withdrawn_invitation_and_withdraws_only_unused_ones(invite, workspace):
    invitation = invite().invitation
    assert invitation_revoke(invitation=invitation) is True
    assert invitation_revoke(invitation=invitation) is False  # already withdrawn
    with pytest.raises(InvitationUnusable) as refused:
        invitation_accept(invitation=invitation, user=make_user(username="x"))
    assert refused.value.status == InvitationStatus.REVOKED

    used = invite().invitation
    invitation_accept(invitation=used, user=make_user(username="y"))
    assert invitation_revoke(invitation=used) is False
    used.refresh_from_db()
    assert used.revoked_at is None
    assert used.accepted_at is not None


def test_a_member_already_in_leaves_the_invitation_for_someone_else(invite, workspace, viewer):
    invitation = invite(role="owner").invitation
    with pytest.raises(AlreadyMember):
        invitation_accept(invitation=invitation, user=viewer)
    assert _joined(viewer, workspace).role == "viewer"  # not promoted by the link
    invitation.refresh_from_db()
    assert invitation.status_at(timezone.now()) == InvitationStatus.PENDING


def test_signing_up_makes_the_account_and_the_membership_together(invite, workspace):
    invitation = invite().invitation
    user = invitation_sign_up(invitation=invitation, username="newbie", password=PASSWORD)
    assert user.check_password(PASSWORD)
    assert _joined(user, workspace).role == "viewer"


def test_signing_up_with_a_used_invitation_makes_no_account(invite, workspace):
    invitation = invite().invitation
    invitation_accept(invitation=invitation, user=make_user(username="first"))
    with pytest.raises(InvitationUnusable):
        invitation_sign_up(invitation=invitation, username="second", password=PASSWORD)
    assert not get_user_model().objects.filter(username="second").exists()


def test_signing_up_with_a_taken_name_leaves_the_invitation_unused(invite):
    make_user(username="taken")
    invitation = invite().invitation
    with pytest.raises(UsernameTaken):
        invitation_sign_up(invitation=invitation, username="taken", password=PASSWORD)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


# --- The link's page ------------------------------------------------------------------------


def _link(new) -> str:
    return reverse("invitation_accept", args=[new.token])


def _sign_up(client, url, username="newbie", password=PASSWORD, **extra):
    data = {"username": username, "password1": password, "password2": password}
    return client.post(url, data, **extra)


def test_the_page_shows_the_workspace_name_and_role_and_nothing_else(
    client, invite, workspace, owner
):
    make_brand(workspace=workspace, name="Zyxwidget", kind="own")
    make_user(workspace=workspace, role="editor", username="quietcolleague")
    response = client.get(_link(invite(note="jane@example.com")))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Join Acme" in page
    assert "Viewer" in page
    for private in ("Zyxwidget", "quietcolleague", "jane@example.com", owner.get_username()):
        assert private not in page, private
    assert "no-store" in response["Cache-Control"]
    assert inline_code(response) == []


def test_a_visitor_signs_up_through_the_link_and_lands_in_the_workspace(client, invite, workspace):
    new = invite()
    response = _sign_up(client, _link(new))
    assert response.status_code == 302
    assert response.url == reverse("workspace_home", args=[workspace.pk])
    user = get_user_model().objects.get(username="newbie")
    assert _joined(user, workspace).role == "viewer"
    dashboard = client.get(response.url, follow=True)
    assert dashboard.status_code == 200
    assert dashboard.context["user"] == user
    assert "you joined as viewer" in dashboard.content.decode()
    # The link is used up: a second visit explains, with the workspace left unnamed.
    client.logout()
    again = client.get(_link(new))
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert "Acme" not in again.content.decode()


def test_a_sign_up_with_mistakes_says_which_and_changes_nothing(client, invite):
    new = invite()
    response = client.post(
        _link(new), {"username": "newbie", "password1": PASSWORD, "password2": "other"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_password2_error"' in page
    assert 'aria-invalid="true"' in page
    assert not get_user_model().objects.filter(username="newbie").exists()
    assert invitation_from_token(token=new.token).accepted_at is None


def test_a_sign_up_with_a_taken_name_is_refused(client, invite):
    make_user(username="Taken")
    response = _sign_up(client, _link(invite()), username="taken")
    assert response.status_code == 200
    assert "already exists" in response.content.decode()


def test_a_locked_out_address_cannot_sign_up_either(client, invite, settings):
    """Guessing passwords from an address locks the login form; sign-up must not get in."""
    make_user(username="alice", password="right-horse-battery-staple")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"), {"username": "alice", "password": "wrong"}, REMOTE_ADDR="203.0.113.9"
        )
    assert AccessAttempt.objects.exists()
    new = invite()
    response = _sign_up(client, _link(new), REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 429
    assert not get_user_model().objects.filter(username="newbie").exists()
    assert invitation_from_token(token=new.token).accepted_at is None
    # From another address, the same link still works.
    assert _sign_up(client, _link(new), REMOTE_ADDR="192.0.2.5").status_code == 302


def test_a_logged_in_user_joins_with_one_click(client, invite, workspace):
    colleague = make_user(username="colleague")
    client.force_login(colleague)
    url = _link(invite(role="editor"))
    page = client.get(url).content.decode()
    assert "Join Acme as editor" in page
    assert 'name="username"' not in page  # no sign-up form for someone logged in
    response = client.post(url, {"action": "join"})
    assert response.url == reverse("workspace_home", args=[workspace.pk])
    assert _joined(colleague, workspace).role == "editor"


def test_a_member_opening_a_link_is_told_and_the_link_stays_unused(viewer_client, invite):
    new = invite(role="owner")
    response = viewer_client.post(_link(new), {"action": "join"})
    assert response.status_code == 200
    assert "already a member of Acme, as viewer" in response.content.decode()
    assert invitation_from_token(token=new.token).accepted_at is None


def test_a_visitor_can_log_in_and_come_back_to_join(client, invite):
    make_user(username="returning", password=PASSWORD)
    url = _link(invite())
    login_url = client.get(url).context["login_url"]
    response = client.post(login_url, {"username": "returning", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == url


@pytest.mark.parametrize(
    ("state", "status", "message"),
    [
        ("expired", 410, "This invitation has expired"),
        ("revoked", 410, "This invitation was withdrawn"),
        ("accepted", 410, "This invitation has already been used"),
        ("tampered", 404, "This invitation link does not work"),
    ],
)
def test_an_unusable_link_says_why_and_never_names_the_workspace(
    client, invite, state, status, message
):
    new = invite(now=timezone.now() - timedelta(days=30)) if state == "expired" else invite()
    url = _link(new)
    if state == "revoked":
        invitation_revoke(invitation=new.invitation)
    elif state == "accepted":
        invitation_accept(invitation=new.invitation, user=make_user(username="first"))
    elif state == "tampered":
        url = url.replace(new.token, new.token[:-3] + "xyz")
    for method in (client.get, lambda url: _sign_up(client, url)):
        response = method(url)
        page = response.content.decode()
        assert response.status_code == status, state
        assert message in page
        assert "Acme" not in page
        assert inline_code(response) == []
    assert not get_user_model().objects.filter(username="newbie").exists()
