"""Invitations: made by an owner, used once by the person who gets the link, or withdrawn.

An invitation is used up by one conditional UPDATE (still unused, not withdrawn, not
expired); only the request whose UPDATE changed the row goes on to add the member, so two
people opening the same link at the same moment cannot both join. The membership is added
in the same transaction, so a failure leaves the invitation unused.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from monitoring.models import Invitation, InvitationStatus, Membership, Role, Workspace
from monitoring.models.workspaces import (
    invitation_secret_hash,
    invitation_secret_new,
    invitation_token_make,
)

#: How long a new invitation's link works unless its owner chooses otherwise.
INVITATION_VALID_FOR = timedelta(days=7)


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    #: The link's token: shown once, to the owner who made it; only its hash is kept.
    token: str


class InvitationUnusable(Exception):
    """The invitation was used, withdrawn or has expired (``status`` says which)."""

    def __init__(self, status: InvitationStatus):
        super().__init__(f"This invitation cannot be used: {status.label.lower()}.")
        self.status = status


class AlreadyMember(Exception):
    """The user is in the workspace already; the invitation is left for someone else."""

    def __init__(self, membership: Membership):
        super().__init__(f"Already a member ({membership.get_role_display()}).")
        self.membership = membership


class UsernameTaken(Exception):
    pass


def invitation_create(
    *,
    workspace: Workspace,
    created_by,
    role: str,
    note: str = "",
    valid_for: timedelta = INVITATION_VALID_FOR,
    now: datetime | None = None,
) -> NewInvitation:
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}.")
    if valid_for <= timedelta(0):
        raise ValueError("An invitation must be valid for some time.")
    now = now or timezone.now()
    secret = invitation_secret_new()
    invitation = Invitation.objects.create(
        workspace=workspace,
        role=role,
        note=note,
        token_hash=invitation_secret_hash(secret),
        created_by=created_by,
        created_at=now,
        expires_at=now + valid_for,
    )
    return NewInvitation(
        invitation, invitation_token_make(invitation_id=invitation.pk, secret=secret)
    )


def invitation_revoke(*, invitation: Invitation, now: datetime | None = None) -> bool:
    """Withdraw an unused invitation; False when it was used (or withdrawn) meanwhile."""
    now = now or timezone.now()
    changed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    return changed == 1


def invitation_accept(*, invitation: Invitation, user, now: datetime | None = None) -> Membership:
    """Add the user to the invitation's workspace in its role, using the invitation up.

    Raises ``AlreadyMember`` (the invitation stays unused) or ``InvitationUnusable``.
    """
    now = now or timezone.now()
    existing = Membership.objects.filter(workspace_id=invitation.workspace_id, user=user).first()
    if existing is not None:
        raise AlreadyMember(existing)
    try:
        with transaction.atomic():
            _use_up(invitation, user, now)
            return Membership.objects.create(
                workspace_id=invitation.workspace_id, user=user, role=invitation.role
            )
    except IntegrityError:  # the user joined through another link at the same moment
        joined = Membership.objects.get(workspace_id=invitation.workspace_id, user=user)
        raise AlreadyMember(joined) from None


def invitation_sign_up(
    *, invitation: Invitation, username: str, password: str, now: datetime | None = None
):
    """A new account that joins through the invitation, or neither (one transaction)."""
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(username=username, password=password)
            invitation_accept(invitation=invitation, user=user, now=now)
    except IntegrityError:  # the name was taken between the form's check and this insert
        raise UsernameTaken(username) from None
    return user


def _use_up(invitation: Invitation, user, now: datetime) -> None:
    used = Invitation.objects.filter(
        pk=invitation.pk,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now,
    ).update(accepted_at=now, accepted_by=user)
    if used != 1:
        current = Invitation.objects.filter(pk=invitation.pk).first()
        # Gone altogether (its workspace was deleted): as good as withdrawn.
        raise InvitationUnusable(current.status_at(now) if current else InvitationStatus.REVOKED)
