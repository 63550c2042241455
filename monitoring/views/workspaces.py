"""The workspace home, members and settings pages, and the switcher."""

from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from monitoring import selectors, services
from monitoring.access import SESSION_KEY, default_workspace, workspace_access
from monitoring.forms.workspaces import BudgetForm, WorkspaceForm
from monitoring.models import Workspace
from monitoring.selectors import budget as budget_selectors
from monitoring.selectors import costs as cost_selectors
from monitoring.selectors.jobs import failed_job_list
from monitoring.views import dashboard


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


def workspace_members(request, workspace_id: int):
    membership = workspace_access(request, workspace_id)
    members = selectors.membership_list(workspace=membership.workspace)
    return render(
        request, "monitoring/workspace_members.html", {"membership": membership, "members": members}
    )


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
