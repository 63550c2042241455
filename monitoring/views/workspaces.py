"""The workspace home, members and settings pages, the switcher, and making a workspace."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from monitoring import services
from monitoring.access import SESSION_KEY, default_workspace, workspace_access
from monitoring.forms.workspaces import BudgetForm, MemberRoleForm, WorkspaceForm
from monitoring.models import Role, Workspace
from monitoring.selectors import budget as budget_selectors
from monitoring.selectors import costs as cost_selectors
from monitoring.selectors import workspaces as team_selectors
from monitoring.selectors.jobs import failed_job_list
from monitoring.services import workspaces as team_services
from monitoring.views import dashboard

#: Where the invitation view leaves a new link for the members page to show, once.
NEW_INVITATION_LINK = "new_invitation_link"
LAST_OWNER_CANNOT_LEAVE = (
    "You are the only owner of this workspace, so you cannot leave it: make another member "
    "an owner first."
)


def home(request):
    """Send the user to their current workspace, or explain that they have none."""
    wanted = request.session.get(SESSION_KEY)
    workspace = (
        Workspace.objects.filter(pk=wanted, memberships__user=request.user).first()
        if wanted
        else None
    ) or default_workspace(request.user)
    if workspace is None:
        return render(request, "monitoring/no_workspace.html")
    return redirect("workspace_home", workspace_id=workspace.pk)


@vary_on_headers("HX-Request")
@require_GET
def workspace_home(request, workspace_id: int):
    """The dashboard: filters and body share this URL; htmx gets the body partial."""
    membership = workspace_access(request, workspace_id)
    return dashboard.dashboard_page(request, membership)


@require_http_methods(["GET", "POST"])
def workspace_create(request):
    """Any logged-in user may start a workspace; they become its owner."""
    form = WorkspaceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        workspace = team_services.workspace_create(
            name=form.cleaned_data["name"], owner=request.user
        )
        messages.success(request, f"Created {workspace.name}. You are its owner.")
        return redirect("onboarding_start", workspace_id=workspace.pk)
    return render(request, "monitoring/workspace_new.html", {"form": form})


@require_GET
def workspace_members(request, workspace_id: int):
    """Everyone sees the team; owners change roles, remove members and invite people."""
    membership = workspace_access(request, workspace_id)
    workspace = membership.workspace
    members = team_selectors.member_list(workspace=workspace)
    context = {
        "membership": membership,
        "members": members,
        "owner_count": sum(m.is_owner for m in members),
        "roles": Role.choices,
        "invitations": [],
        "new_link": None,
    }
    if membership.is_owner:
        context["invitations"] = team_selectors.invitation_pending_list(
            workspace=workspace, now=timezone.now()
        )
        context["new_link"] = _new_invitation_link(request, workspace)
    return render(request, "monitoring/workspace_members.html", context)


@require_POST
def member_role(request, workspace_id: int, membership_id: int):
    membership = workspace_access(request, workspace_id, write=True, owner=True)
    member = _member_or_404(membership, membership_id)
    form = MemberRoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the roles: owner, editor or viewer.")
        return redirect("workspace_members", workspace_id=workspace_id)
    try:
        member = team_services.membership_role_set(
            membership=member, role=form.cleaned_data["role"]
        )
    except team_services.TeamRuleError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"{member.user} is now {member.get_role_display().lower()}.")
    return redirect("workspace_members", workspace_id=workspace_id)


@require_http_methods(["GET", "POST"])
def member_remove(request, workspace_id: int, membership_id: int):
    membership = workspace_access(request, workspace_id, write=True, owner=True)
    member = _member_or_404(membership, membership_id)
    if member.pk == membership.pk:  # removing oneself is leaving
        return redirect("workspace_leave", workspace_id=workspace_id)
    if request.method == "GET":
        return render(
            request,
            "monitoring/workspace_member_remove.html",
            {"membership": membership, "member": member},
        )
    try:
        team_services.membership_remove(membership=member)
    except team_services.TeamRuleError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Removed {member.user} from {membership.workspace.name}.")
    return redirect("workspace_members", workspace_id=workspace_id)


@require_http_methods(["GET", "POST"])
def workspace_leave(request, workspace_id: int):
    """Any member may leave, except the last owner (who must name another first)."""
    membership = workspace_access(request, workspace_id)
    if request.method == "GET":
        last_owner = membership.is_owner and not team_selectors.other_owner_exists(
            membership=membership
        )
        return render(
            request,
            "monitoring/workspace_leave.html",
            {"membership": membership, "last_owner": last_owner},
        )
    try:
        team_services.membership_remove(membership=membership)
    except team_services.LastOwnerError:
        messages.error(request, LAST_OWNER_CANNOT_LEAVE)
        return redirect("workspace_leave", workspace_id=workspace_id)
    except team_services.TeamRuleError:
        pass  # removed by an owner meanwhile: as good as left
    request.session.pop(SESSION_KEY, None)
    messages.success(request, f"You left {membership.workspace.name}.")
    return redirect("home")


def _new_invitation_link(request, workspace) -> dict | None:
    """The link an owner just made here, shown once (the session forgets it on reading)."""
    link = request.session.get(NEW_INVITATION_LINK)
    if not link or link.get("workspace_id") != workspace.pk:
        return None
    del request.session[NEW_INVITATION_LINK]
    return {**link, "expires_at": parse_datetime(link["expires_at"])}


def _member_or_404(membership, membership_id: int):
    member = team_selectors.membership_in_workspace(
        workspace=membership.workspace, membership_id=membership_id
    )
    if member is None:
        raise Http404("No such member.")
    return member


@require_http_methods(["GET", "POST"])
def workspace_settings(request, workspace_id: int):
    """The name (editors and owners may change it) and the budgets (owners may set one)."""
    membership = workspace_access(request, workspace_id, write=request.method == "POST")
    form = WorkspaceForm(request.POST or None, initial={"name": membership.workspace.name})
    if request.method == "POST" and form.is_valid():
        services.workspace_rename(workspace=membership.workspace, name=form.cleaned_data["name"])
        messages.success(request, "Workspace renamed.")
        return redirect("workspace_settings", workspace_id=workspace_id)
    return _settings_page(request, membership, form=form)


@require_POST
def workspace_budget(request, workspace_id: int):
    """Set or clear the workspace's monthly budget: owners only (editors spend, owners cap)."""
    membership = workspace_access(request, workspace_id, write=True, owner=True)
    budget_form = BudgetForm(request.POST)
    if budget_form.is_valid():
        amount = budget_form.cleaned_data["monthly_budget_usd"]
        services.workspace_budget_set(workspace=membership.workspace, amount=amount)
        messages.success(
            request,
            "Monthly budget removed." if amount is None else f"Monthly budget set to ${amount}.",
        )
        return redirect("workspace_settings", workspace_id=workspace_id)
    return _settings_page(request, membership, budget_form=budget_form)


def _settings_page(request, membership, *, form=None, budget_form=None):
    workspace = membership.workspace
    cap, cap_valid = _daily_cap()
    month = cost_selectors.month_spend(workspace=workspace, now=timezone.now())
    remaining = month.remaining
    context = {
        "membership": membership,
        "form": form or WorkspaceForm(initial={"name": workspace.name}),
        "can_set_budget": membership.is_owner,
        "budget_form": budget_form
        or BudgetForm(initial={"monthly_budget_usd": workspace.monthly_budget_usd}),
        "month": month,
        "over_budget": -remaining if remaining is not None and remaining < 0 else None,
        "daily_cap": cap,
        "daily_cap_valid": cap_valid,
        # Owners are told of the workspace's failed jobs (each can be retried from there).
        "failed_jobs": failed_job_list(workspace=workspace) if membership.is_owner else [],
    }
    return render(request, "monitoring/workspace_settings.html", context)


def _daily_cap() -> tuple[Decimal | None, bool]:
    """The installation's daily cap, and whether its setting is a readable amount at all."""
    try:
        return budget_selectors.daily_cap(), True
    except (InvalidOperation, TypeError, ValueError):
        return None, False
