"""The one access helper every view uses.

Rules: an object of a workspace you are not a member of does not exist for you (404, so
ids leak nothing); a viewer may read but every write is refused (403).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest

from monitoring.models import Membership, Workspace

SESSION_KEY = "workspace_id"


def membership_get(
    *, user, workspace_id: int, write: bool = False, owner: bool = False
) -> Membership:
    """The user's membership of a workspace; 404 for outsiders, 403 for writes by viewers
    (and for anything but an owner where ``owner`` is asked)."""
    if not user.is_authenticated:
        raise Http404("No such workspace.")
    membership = (
        Membership.objects.select_related("workspace")
        .filter(user=user, workspace_id=workspace_id)
        .first()
    )
    if membership is None:
        raise Http404("No such workspace.")
    if write and not membership.can_write:
        raise PermissionDenied("Viewers can look but not change anything in this workspace.")
    if owner and not membership.is_owner:
        raise PermissionDenied("Only an owner of this workspace can do this.")
    return membership


def workspace_access(
    request: HttpRequest, workspace_id: int, *, write: bool = False, owner: bool = False
) -> Membership:
    """Check access for a view and remember the workspace as the user's current one."""
    membership = membership_get(
        user=request.user, workspace_id=workspace_id, write=write, owner=owner
    )
    request.membership = membership
    request.workspace = membership.workspace
    if request.session.get(SESSION_KEY) != membership.workspace_id:
        request.session[SESSION_KEY] = membership.workspace_id
    return membership


def workspace_object_or_404(
    request: HttpRequest, queryset: QuerySet | type[Model], *, write: bool = False, **lookup
):
    """An object that belongs to a workspace the user is a member of (then access-checked).

    The object's model must have a ``workspace`` foreign key.
    """
    if isinstance(queryset, type):
        queryset = queryset._default_manager.all()
    obj = queryset.filter(workspace__memberships__user=request.user, **lookup).first()
    if obj is None:
        raise Http404("Not found.")
    workspace_access(request, obj.workspace_id, write=write)
    return obj


def default_workspace(user) -> Workspace | None:
    """The workspace a user lands in when none is chosen: their first one by name."""
    if not user.is_authenticated:
        return None
    return Workspace.objects.filter(memberships__user=user).order_by("name").first()
