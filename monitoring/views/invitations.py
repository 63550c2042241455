"""Invitations: owners make and withdraw them; the link's page lets its holder join.

The link's page needs no login (its holder may have no account yet) and shows nothing of
the workspace but its name and the role offered. Signing up there goes through the same
lockout as the login form: an address locked for guessing passwords cannot sign up either.
"""

from __future__ import annotations

from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from monitoring.access import SESSION_KEY, workspace_access
from monitoring.forms.workspaces import InvitationForm, SignUpForm
from monitoring.models import InvitationStatus
from monitoring.selectors import workspaces as team_selectors
from monitoring.services import invitations as invitation_services
from monitoring.views.workspaces import NEW_INVITATION_LINK

#: Sign-up logs the new user in without a password check, so not through django-axes' backend.
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_http_methods(["GET", "POST"])
def invitation_create(request, workspace_id: int):
    membership = workspace_access(request, workspace_id, write=True, owner=True)
    form = InvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        new = invitation_services.invitation_create(
            workspace=membership.workspace,
            created_by=request.user,
            role=form.cleaned_data["role"],
            note=form.cleaned_data["note"],
            valid_for=form.cleaned_data["valid_for_days"],
        )
        # The link is shown once, on the members page; only its hash is stored.
        request.session[NEW_INVITATION_LINK] = {
            "workspace_id": membership.workspace_id,
            "url": request.build_absolute_uri(reverse("invitation_accept", args=[new.token])),
            "role": new.invitation.get_role_display(),
            "note": new.invitation.note,
            "expires_at": new.invitation.expires_at.isoformat(),
        }
        return redirect(reverse("workspace_members", args=[workspace_id]) + "#new-invitation")
    return render(
        request, "monitoring/invitations/new.html", {"membership": membership, "form": form}
    )


@require_POST
def invitation_revoke(request, workspace_id: int, invitation_id: int):
    membership = workspace_access(request, workspace_id, write=True, owner=True)
    invitation = team_selectors.invitation_in_workspace(
        workspace=membership.workspace, invitation_id=invitation_id
    )
    if invitation is None:
        raise Http404("No such invitation.")
    if invitation_services.invitation_revoke(invitation=invitation):
        messages.success(request, "Invitation withdrawn: its link no longer works.")
    else:
        messages.info(request, "That invitation was already used or withdrawn.")
    return redirect("workspace_members", workspace_id=workspace_id)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept(request, token: str):
    invitation = team_selectors.invitation_from_token(token=token)
    if invitation is None:
        return _unusable(request, None)
    status = invitation.status_at(timezone.now())
    if status != InvitationStatus.PENDING:
        return _unusable(request, status)
    if request.user.is_authenticated:
        return _join(request, invitation)
    return _sign_up(request, invitation)


def _join(request, invitation):
    """A logged-in visitor joins with one click (or learns they are a member already)."""
    if request.method == "POST" and request.POST.get("action") == "join":
        try:
            invitation_services.invitation_accept(invitation=invitation, user=request.user)
        except invitation_services.InvitationUnusable as unusable:
            return _unusable(request, unusable.status)
        except invitation_services.AlreadyMember:
            pass  # shown below, the invitation left unused
        else:
            return _joined(request, invitation)
    member = team_selectors.membership_of(workspace=invitation.workspace, user=request.user)
    return _page(request, invitation, member=member)


def _sign_up(request, invitation):
    """A visitor without an account makes one and joins, in one step."""
    if request.method != "POST":
        return _page(request, invitation, form=SignUpForm())
    credentials = {"username": request.POST.get("username", "")}
    if not AxesProxyHandler.is_allowed(request, credentials):
        return get_lockout_response(request, credentials=credentials)
    form = SignUpForm(request.POST)
    if not form.is_valid():
        return _page(request, invitation, form=form)
    try:
        user = invitation_services.invitation_sign_up(
            invitation=invitation,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password1"],
        )
    except invitation_services.UsernameTaken:
        form.add_error("username", "A user with that username already exists.")
        return _page(request, invitation, form=form)
    except invitation_services.InvitationUnusable as unusable:
        return _unusable(request, unusable.status)
    login(request, user, backend=MODEL_BACKEND)
    return _joined(request, invitation)


def _joined(request, invitation):
    request.session[SESSION_KEY] = invitation.workspace_id
    messages.success(
        request,
        f"Welcome to {invitation.workspace.name}: you joined as "
        f"{invitation.get_role_display().lower()}.",
    )
    return redirect("workspace_home", workspace_id=invitation.workspace_id)


def _page(request, invitation, *, form=None, member=None):
    here = request.path
    context = {
        "invitation": invitation,
        "workspace_name": invitation.workspace.name,
        "form": form,
        "member": member,
        "login_url": reverse("login") + "?" + urlencode({"next": here}),
        "here": here,
    }
    return render(request, "monitoring/invitations/accept.html", context)


def _unusable(request, status: InvitationStatus | None):
    """Why the link does not work: never which workspace it was for."""
    return render(
        request,
        "monitoring/invitations/unusable.html",
        {"status": status and status.value},
        status=404 if status is None else 410,
    )
