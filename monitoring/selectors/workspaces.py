"""The reads of the members page and of an invitation's link."""

from __future__ import annotations

import hmac
from datetime import datetime

from django.db.models import Case, IntegerField, Value, When

from monitoring.models import Invitation, Membership, Role, Workspace
from monitoring.models.workspaces import invitation_secret_hash, invitation_token_read

_ROLE_ORDER = Case(
    When(role=Role.OWNER, then=Value(0)),
    When(role=Role.EDITOR, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def member_list(*, workspace: Workspace) -> list[Membership]:
    """The members, owners first, then editors, then viewers; by username within a role."""
    return list(
        Membership.objects.filter(workspace=workspace)
        .select_related("user")
        .order_by(_ROLE_ORDER, "user__username")
    )


def membership_in_workspace(*, workspace: Workspace, membership_id: int) -> Membership | None:
    return (
        Membership.objects.select_related("user")
        .filter(workspace=workspace, pk=membership_id)
        .first()
    )


def invitation_in_workspace(*, workspace: Workspace, invitation_id: int) -> Invitation | None:
    return Invitation.objects.filter(workspace=workspace, pk=invitation_id).first()


def invitation_pending_list(*, workspace: Workspace, now: datetime) -> list[Invitation]:
    """Invitations that can still be used, the newest first."""
    return list(
        Invitation.objects.filter(
            workspace=workspace,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=now,
        ).select_related("created_by")
    )


def invitation_from_token(*, token: str) -> Invitation | None:
    """The invitation a link's token names, in whatever state; None for any other token.

    The signature is checked first, so made-up tokens cost no query.
    """
    found = invitation_token_read(token)
    if found is None:
        return None
    invitation_id, secret = found
    invitation = Invitation.objects.select_related("workspace").filter(pk=invitation_id).first()
    if invitation is None or not hmac.compare_digest(
        invitation.token_hash, invitation_secret_hash(secret)
    ):
        return None
    return invitation


def other_owner_exists(*, membership: Membership) -> bool:
    """Whether the workspace has an owner besides this member."""
    return (
        Membership.objects.filter(workspace_id=membership.workspace_id, role=Role.OWNER)
        .exclude(pk=membership.pk)
        .exists()
    )


def membership_of(*, workspace: Workspace, user) -> Membership | None:
    return Membership.objects.filter(workspace=workspace, user=user).first()
