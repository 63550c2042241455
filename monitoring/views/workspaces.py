"""The workspace home, members and settings pages, and the switcher."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from monitoring import selectors, services
from monitoring.access import SESSION_KEY, default_workspace, workspace_access
from monitoring.models import Workspace
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


class WorkspaceForm(forms.Form):
    name = forms.CharField(max_length=120, strip=True)


@require_http_methods(["GET", "POST"])
def workspace_settings(request, workspace_id: int):
    membership = workspace_access(request, workspace_id, write=request.method == "POST")
    form = WorkspaceForm(request.POST or None, initial={"name": membership.workspace.name})
    if request.method == "POST" and form.is_valid():
        services.workspace_rename(workspace=membership.workspace, name=form.cleaned_data["name"])
        messages.success(request, "Workspace renamed.")
        return redirect("workspace_settings", workspace_id=workspace_id)
    return render(
        request, "monitoring/workspace_settings.html", {"membership": membership, "form": form}
    )
