"""The set-up walk of a workspace: own brand → competitors → prompts → first monitor → results.

Every step can be skipped and come back to; each saves through the same services as the page
it stands in for. Only editors and owners walk it (viewers see the dashboard's pointer).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from monitoring.access import workspace_access
from monitoring.forms.monitors import monitor_fields
from monitoring.forms.onboarding import (
    CompetitorsForm,
    OwnBrandForm,
    PromptsForm,
    first_monitor_form,
)
from monitoring.models import Brand, BrandKind, Membership, Prompt
from monitoring.selectors import catalog, estimates
from monitoring.selectors import monitors as monitor_selectors
from monitoring.selectors import onboarding as selectors
from monitoring.services import brands as brand_services
from monitoring.services import monitors as monitor_services
from monitoring.services import onboarding as services
from monitoring.services import prompts as prompt_services
from monitoring.services.summaries import summaries_refresh

#: How often the results step asks again while the first answers are on their way.
RESULTS_POLL_SECONDS = 5


def _membership(request, workspace_id: int, step: str | None = None) -> Membership:
    if step is not None and step not in selectors.STEP_KEYS:
        raise Http404("No such set-up step.")
    return workspace_access(request, workspace_id, write=True)


@require_GET
def onboarding_start(request, workspace_id: int):
    """The first open step, or the dashboard once every step is done or skipped."""
    membership = _membership(request, workspace_id)
    step = selectors.onboarding_get(workspace=membership.workspace).next
    return _go(membership, step.key if step else None)


@require_POST
def onboarding_skip(request, workspace_id: int, step: str):
    membership = _membership(request, workspace_id, step)
    services.onboarding_skip(workspace=membership.workspace, step=step)
    return _go_after(membership, step)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def onboarding_step(request, workspace_id: int, step: str):
    membership = _membership(request, workspace_id, step)
    return STEP_VIEWS[step](request, membership)


def _go(membership: Membership, step: str | None):
    if step is None:
        return redirect("workspace_home", workspace_id=membership.workspace_id)
    return redirect("onboarding_step", workspace_id=membership.workspace_id, step=step)


def _go_after(membership: Membership, step: str):
    after = selectors.onboarding_get(workspace=membership.workspace).after(step)
    return _go(membership, after.key if after else None)


def _page(request, membership: Membership, step: str, **context):
    onboarding = selectors.onboarding_get(workspace=membership.workspace)
    after = onboarding.after(step)
    next_url = (
        reverse("onboarding_step", args=[membership.workspace_id, after.key])
        if after
        else reverse("workspace_home", args=[membership.workspace_id])
    )
    return render(
        request,
        "monitoring/onboarding/step.html",
        {
            "membership": membership,
            "onboarding": onboarding,
            "step": onboarding.step(step),
            "template": f"monitoring/onboarding/_{step}.html",
            "next_url": next_url,
            **context,
        },
    )


def _in_answers(value: str, answers: int) -> str:
    return f"{value} (in {answers} answer{'s' * (answers != 1)})"


# --- The steps -----------------------------------------------------------------------------


def _brand(request, membership: Membership):
    workspace = membership.workspace
    own = Brand.objects.filter(workspace=workspace, kind=BrandKind.OWN).order_by("pk").first()
    form = OwnBrandForm(request.POST or None, workspace=workspace)
    if request.method == "POST" and form.is_valid():
        brand = brand_services.brand_create(workspace=workspace, **form.cleaned_data)
        messages.success(request, f"Added {brand.name}, your brand.")
        return _go_after(membership, "brand")
    return _page(request, membership, "brand", form=form, own=own)


def _competitors(request, membership: Membership):
    workspace = membership.workspace
    summaries_refresh(workspace_id=workspace.pk)  # the suggestions read every day's
    suggestions = selectors.competitor_suggestions(workspace=workspace)
    choices = [(s["name"], _in_answers(s["name"], s["answers"])) for s in suggestions]
    form = CompetitorsForm(request.POST or None, workspace=workspace, suggestions=choices)
    if request.method == "POST" and form.is_valid():
        added = services.competitors_create(
            workspace=workspace, names=form.cleaned_data["competitors"]
        )
        messages.success(request, f"Added {len(added)} competitor{'s' * (len(added) != 1)}.")
        return _go_after(membership, "competitors")
    competitors = Brand.objects.filter(workspace=workspace, kind=BrandKind.COMPETITOR)
    return _page(
        request,
        membership,
        "competitors",
        form=form,
        suggestions=suggestions,
        competitors=list(competitors.order_by("name")),
    )


def _prompts(request, membership: Membership):
    workspace = membership.workspace
    summaries_refresh(workspace_id=workspace.pk)  # the suggestions read every day's
    suggestions = selectors.prompt_suggestions(workspace=workspace)
    choices = [(s["query"], _in_answers(s["query"], s["answers"])) for s in suggestions]
    form = PromptsForm(request.POST or None, workspace=workspace, suggestions=choices)
    if request.method == "POST" and form.is_valid():
        result = prompt_services.prompt_import(
            workspace=workspace, rows=[(r.text, r.tags) for r in form.cleaned_data["rows"]]
        )
        skipped = f" ({result.skipped} already there)" if result.skipped else ""
        messages.success(
            request, f"Added {result.imported} prompt{'s' * (result.imported != 1)}{skipped}."
        )
        return _go_after(membership, "prompts")
    active = Prompt.objects.filter(workspace=workspace, is_active=True)
    return _page(
        request,
        membership,
        "prompts",
        form=form,
        suggestions=suggestions,
        prompt_count=active.count(),
    )


def _monitor(request, membership: Membership):
    """The first monitor; its projected cost follows every change (htmx asks again)."""
    workspace = membership.workspace
    models = catalog.model_catalog()
    data = request.POST if request.method == "POST" else request.GET
    form = first_monitor_form(data, workspace=workspace, models=models)
    valid = form.is_valid()
    if request.method == "POST" and valid:
        monitor = monitor_services.monitor_create(
            workspace=workspace, user=request.user, **monitor_fields(form)
        )
        messages.success(request, f"Saved the monitor “{monitor.name}”.")
        return _go(membership, "results")
    projection = None
    if valid:
        bodies, engines = form.sends()
        projection = estimates.monitor_projection_get(
            workspace=workspace,
            bodies=bodies,
            engines=engines,
            schedule=form.cleaned_data["schedule"],
        )
    context = {
        "form": form,
        "models": models,
        "projection": projection,
        "prompt_count": len(form.selected_prompts),
        "shown_errors": request.method == "POST",
    }
    if request.htmx:
        return render(
            request,
            "monitoring/onboarding/_projection.html",
            {"membership": membership, **context},
        )
    return _page(request, membership, "monitor", **context)


def _results(request, membership: Membership):
    """The first monitor's next and last run, and the newest answers once they arrive."""
    workspace = membership.workspace
    monitor = selectors.first_monitor(workspace=workspace)
    row = (
        monitor_selectors.monitor_rows_get(workspace=workspace, monitor_ids=[monitor.pk])[0]
        if monitor
        else None
    )
    context = {
        "monitor": monitor,
        "row": row,
        "poll_seconds": RESULTS_POLL_SECONDS,
        **selectors.first_results_get(workspace=workspace, monitor=monitor),
    }
    if request.htmx:
        return render(
            request, "monitoring/onboarding/_results.html", {"membership": membership, **context}
        )
    template = "monitoring/onboarding/_results_live.html"
    return _page(request, membership, "results", template=template, **context)


STEP_VIEWS = {
    "brand": _brand,
    "competitors": _competitors,
    "prompts": _prompts,
    "monitor": _monitor,
    "results": _results,
}
