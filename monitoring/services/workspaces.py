"""Workspaces and their teams: creating one, changing a member's role, removing a member.

Every workspace keeps at least one owner. The rule is checked under a lock on the
workspace's row, so two owners demoting (or removing) each other at the same moment cannot
both succeed: the second waits for the first and then counts one owner. (SQLite has no row
locks, but its transactions take the write lock when they begin, which serialises them too.)
"""

from __future__ import annotations

from django.db import transaction

from monitoring.models import Membership, Role, Workspace


class TeamRuleError(Exception):
    """A change the team's rules refuse; the message says why, in words for the page."""


class LastOwnerError(TeamRuleError):
    pass


def workspace_create(*, name: str, owner) -> Workspace:
    """A new workspace with its creator as its owner."""
    with transaction.atomic():
        workspace = Workspace.objects.create(name=name)
        Membership.objects.create(workspace=workspace, user=owner, role=Role.OWNER)
    return workspace


def membership_role_set(*, membership: Membership, role: str) -> Membership:
    """Give a member another role; the last owner cannot be made an editor or a viewer."""
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}.")
    with transaction.atomic():
        current = _locked(membership)
        if current.role == Role.OWNER and role != Role.OWNER:
            _refuse_if_last_owner(current)
        current.role = role
        current.save(update_fields=["role"])
    return current


def membership_remove(*, membership: Membership) -> None:
    """Take a member out of the workspace (or let them leave): never its last owner."""
    with transaction.atomic():
        current = _locked(membership)
        if current.role == Role.OWNER:
            _refuse_if_last_owner(current)
        current.delete()


def _locked(membership: Membership) -> Membership:
    """The membership as it is now, read after locking its workspace's row."""
    Workspace.objects.select_for_update().filter(pk=membership.workspace_id).first()
    current = Membership.objects.select_related("user").filter(pk=membership.pk).first()
    if current is None:
        raise TeamRuleError(f"{membership.user} is no longer a member of this workspace.")
    return current


def _refuse_if_last_owner(membership: Membership) -> None:
    owners = Membership.objects.filter(workspace_id=membership.workspace_id, role=Role.OWNER)
    if owners.count() <= 1:
        raise LastOwnerError(
            f"{membership.user} is the only owner of this workspace, and a workspace needs "
            "one: make another member an owner first."
        )
