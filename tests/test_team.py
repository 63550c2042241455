"""Workspaces and their teams: making a workspace, roles, removing and leaving, the members
page (which also makes and lists invitations) and the last-owner rule."""

import re
from html import unescape

import pytest
from django.urls import reverse

from monitoring.models import Membership, Workspace
from monitoring.selectors.workspaces import invitation_from_token
from monitoring.services.invitations import invitation_create
from monitoring.services.workspaces import (
    LastOwnerError,
    membership_remove,
    membership_role_set,
    workspace_create,
)
from tests.factories import make_user
from tests.test_csp import inline_code

pytestmark = pytest.mark.django_db


def _membership(user, workspace):
    return Membership.objects.get(user=user, workspace=workspace)


def _members_url(workspace):
    return reverse("workspace_members", args=[workspace.pk])


def _flash(response) -> str:
    return " ".join(str(m) for m in response.context["messages"])


# --- Services -------------------------------------------------------------------------------


def test_the_creator_of_a_workspace_is_its_owner():
    user = make_user(username="founder")
    workspace = workspace_create(name="Founders & Co", owner=user)
    assert workspace.slug == "founders-co"
    assert _membership(user, workspace).role == "owner"


def test_the_last_owner_can_be_neither_demoted_nor_removed(workspace, owner, editor):
    membership = _membership(owner, workspace)
    with pytest.raises(LastOwnerError, match="only owner"):
        membership_role_set(membership=membership, role="editor")
    with pytest.raises(LastOwnerError):
        membership_remove(membership=membership)
    assert _membership(owner, workspace).role == "owner"


def test_an_owner_steps_down_once_another_owner_exists(workspace, owner, editor):
    membership_role_set(membership=_membership(editor, workspace), role="owner")
    membership_role_set(membership=_membership(owner, workspace), role="viewer")
    assert _membership(owner, workspace).role == "viewer"
    assert _membership(editor, workspace).role == "owner"


def test_two_owners_cannot_both_step_down_through_stale_copies(workspace, owner, make_member):
    """The count is made after the lock, on the rows as they are, not on what was read."""
    second = make_member(workspace, "owner")
    mine, theirs = _membership(owner, workspace), _membership(second, workspace)
    membership_role_set(membership=mine, role="editor")
    with pytest.raises(LastOwnerError):
        membership_role_set(membership=theirs, role="editor")  # theirs still says "owner"
    with pytest.raises(LastOwnerError):
        membership_remove(membership=theirs)
    assert list(workspace.memberships.filter(role="owner")) == [theirs]


def test_an_owner_may_be_removed_while_another_remains(workspace, owner, make_member):
    second = make_member(workspace, "owner")
    membership_remove(membership=_membership(second, workspace))
    assert not Membership.objects.filter(user=second).exists()


# --- Making a workspace ---------------------------------------------------------------------


def test_a_user_without_a_workspace_is_offered_to_create_one(client):
    client.force_login(make_user(username="lonely"))
    page = client.get(reverse("home")).content.decode()
    assert reverse("workspace_create") in page
    response = client.post(reverse("workspace_create"), {"name": "  Lonely Labs "})
    workspace = Workspace.objects.get(name="Lonely Labs")
    assert response.url == reverse("onboarding_start", args=[workspace.pk])  # the set-up walk
    assert _membership(response.wsgi_request.user, workspace).role == "owner"
    assert client.get(reverse("home")).url == reverse("workspace_home", args=[workspace.pk])


def test_any_member_can_create_another_workspace_from_the_switcher(viewer_client, workspace):
    page = viewer_client.get(reverse("workspace_home", args=[workspace.pk])).content.decode()
    assert 'data-testid="new-workspace"' in page
    assert viewer_client.get(reverse("workspace_create")).status_code == 200
    viewer_client.post(reverse("workspace_create"), {"name": "Side project"})
    assert Workspace.objects.get(name="Side project").memberships.get().role == "owner"


def test_a_workspace_needs_a_name(owner_client):
    response = owner_client.post(reverse("workspace_create"), {"name": "   "})
    assert response.status_code == 200
    assert 'id="id_name_error"' in response.content.decode()
    assert Workspace.objects.count() == 1


# --- The members page -----------------------------------------------------------------------


def test_viewers_and_editors_see_the_team_without_controls(
    client, workspace, owner, editor, viewer
):
    for user in (viewer, editor):
        client.force_login(user)
        page = client.get(_members_url(workspace)).content.decode()
        assert owner.username in page
        assert 'name="role"' not in page
        assert reverse("invitation_create", args=[workspace.pk]) not in page
        assert "Remove" not in page
        assert "Only an owner can invite people or change roles." in page


def test_owners_see_role_forms_except_for_the_last_owner(owner_client, workspace, owner, editor):
    page = owner_client.get(_members_url(workspace)).content.decode()
    editor_m, owner_m = _membership(editor, workspace), _membership(owner, workspace)
    assert reverse("member_role", args=[workspace.pk, editor_m.pk]) in page
    assert reverse("member_remove", args=[workspace.pk, editor_m.pk]) in page
    assert reverse("member_role", args=[workspace.pk, owner_m.pk]) not in page
    assert "the only owner" in page


def test_an_owner_changes_a_role(owner_client, workspace, viewer):
    membership = _membership(viewer, workspace)
    url = reverse("member_role", args=[workspace.pk, membership.pk])
    response = owner_client.post(url, {"role": "editor"}, follow=True)
    assert _membership(viewer, workspace).role == "editor"
    assert f"{viewer.username} is now editor." in _flash(response)


def test_an_owner_cannot_demote_themselves_when_alone(owner_client, workspace, owner):
    membership = _membership(owner, workspace)
    url = reverse("member_role", args=[workspace.pk, membership.pk])
    response = owner_client.post(url, {"role": "viewer"}, follow=True)
    assert _membership(owner, workspace).role == "owner"
    assert "only owner" in _flash(response)


def test_a_role_that_does_not_exist_changes_nothing(owner_client, workspace, viewer):
    membership = _membership(viewer, workspace)
    url = reverse("member_role", args=[workspace.pk, membership.pk])
    response = owner_client.post(url, {"role": "admin"}, follow=True)
    assert _membership(viewer, workspace).role == "viewer"
    assert "Choose one of the roles" in _flash(response)


def test_members_of_another_workspace_are_not_found_here(
    owner_client, workspace, other_workspace, make_member
):
    stranger = _membership(make_member(other_workspace, "viewer"), other_workspace)
    for name in ("member_role", "member_remove"):
        url = reverse(name, args=[workspace.pk, stranger.pk])
        assert owner_client.post(url, {"role": "owner"}).status_code == 404
    assert _membership(stranger.user, other_workspace).role == "viewer"


def test_an_owner_removes_a_member_after_confirming(owner_client, workspace, editor):
    url = reverse("member_remove", args=[workspace.pk, _membership(editor, workspace).pk])
    confirm = owner_client.get(url)
    assert f"Remove {editor.username}?" in confirm.content.decode()
    assert inline_code(confirm) == []
    response = owner_client.post(url, follow=True)
    assert not Membership.objects.filter(user=editor).exists()
    assert editor.__class__.objects.filter(pk=editor.pk).exists()  # the account stays
    assert f"Removed {editor.username} from Acme." in _flash(response)


def test_the_members_page_makes_a_constant_number_of_queries(
    owner_client, workspace, django_assert_max_num_queries
):
    def count():
        with django_assert_max_num_queries(12) as queries:
            assert owner_client.get(_members_url(workspace)).status_code == 200
        return len(queries)

    owner_client.get(_members_url(workspace))  # the session remembers the workspace
    few = count()
    for n in range(15):
        make_user(workspace=workspace, role="viewer", username=f"many{n}")
        invitation_create(workspace=workspace, created_by=None, role="editor")
    assert count() == few


# --- Invitations on the members page --------------------------------------------------------


def _invite(client, workspace, **data):
    url = reverse("invitation_create", args=[workspace.pk])
    return client.post(url, {"role": "viewer", "valid_for_days": "7", **data}, follow=True)


def _shown_link(page: str) -> str:
    match = re.search(r'id="invite-link" value="([^"]+)"', page)
    return unescape(match.group(1)) if match else ""


def test_an_owner_makes_an_invitation_and_sees_its_link_once(owner_client, workspace):
    response = _invite(owner_client, workspace, role="editor", note="jane@example.com")
    page = response.content.decode()
    link = _shown_link(page)
    assert link.startswith("http://testserver/invite/")
    token = link.removeprefix("http://testserver/invite/").rstrip("/")
    invitation = invitation_from_token(token=token)
    assert (invitation.role, invitation.note) == ("editor", "jane@example.com")
    assert "sends nothing" in page  # no mail server: the owner sends the link
    assert inline_code(response) == []
    # Listed as open; the link itself is not shown again.
    again = owner_client.get(_members_url(workspace)).content.decode()
    assert _shown_link(again) == ""
    assert f'data-testid="invitation-{invitation.pk}"' in again
    assert "jane@example.com" in again


def test_the_invitation_form_explains_and_checks_its_fields(owner_client, workspace):
    url = reverse("invitation_create", args=[workspace.pk])
    page = owner_client.get(url)
    assert "no mail server" in page.content.decode()
    assert inline_code(page) == []
    refused = owner_client.post(url, {"role": "admin", "valid_for_days": "365"})
    html = refused.content.decode()
    assert refused.status_code == 200
    assert 'id="id_role_error"' in html
    assert 'id="id_valid_for_days_error"' in html
    assert not workspace.invitations.exists()


def test_an_owner_withdraws_an_open_invitation(owner_client, client, workspace):
    link = _shown_link(_invite(owner_client, workspace).content.decode())
    invitation = workspace.invitations.get()
    url = reverse("invitation_revoke", args=[workspace.pk, invitation.pk])
    response = owner_client.post(url, follow=True)
    assert "Invitation withdrawn" in _flash(response)
    assert f'data-testid="invitation-{invitation.pk}"' not in response.content.decode()
    client.logout()
    assert client.get(link.removeprefix("http://testserver")).status_code == 410


def test_an_invitation_of_another_workspace_cannot_be_withdrawn_here(
    owner_client, workspace, other_workspace
):
    theirs = invitation_create(workspace=other_workspace, created_by=None, role="viewer")
    url = reverse("invitation_revoke", args=[workspace.pk, theirs.invitation.pk])
    assert owner_client.post(url).status_code == 404
    theirs.invitation.refresh_from_db()
    assert theirs.invitation.revoked_at is None


# --- Leaving ---------------------------------------------------------------------------------


def test_a_member_leaves_and_lands_on_the_no_workspace_page(viewer_client, workspace, viewer):
    url = reverse("workspace_leave", args=[workspace.pk])
    confirm = viewer_client.get(url)
    assert "Leave Acme?" in confirm.content.decode()
    assert inline_code(confirm) == []
    response = viewer_client.post(url, follow=True)
    assert not Membership.objects.filter(user=viewer).exists()
    assert "You left Acme." in _flash(response)
    assert "not in any workspace" in response.content.decode()


def test_the_last_owner_cannot_leave(owner_client, workspace, owner):
    url = reverse("workspace_leave", args=[workspace.pk])
    confirm = owner_client.get(url).content.decode()
    assert 'data-testid="last-owner"' in confirm
    response = owner_client.post(url, follow=True)
    assert _membership(owner, workspace).role == "owner"
    assert "You are the only owner of this workspace" in _flash(response)


def test_an_owner_may_leave_once_another_owner_exists(owner_client, workspace, owner, make_member):
    make_member(workspace, "owner")
    owner_client.post(reverse("workspace_leave", args=[workspace.pk]))
    assert not Membership.objects.filter(user=owner).exists()


def test_an_outsider_cannot_leave_what_they_are_not_in(client, make_member, workspace):
    client.force_login(make_member(Workspace.objects.create(name="Elsewhere"), "owner"))
    assert client.post(reverse("workspace_leave", args=[workspace.pk])).status_code == 404
