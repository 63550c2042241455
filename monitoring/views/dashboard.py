"""The dashboard (the workspace home): filters, headline cards, trends and tables.

The filters and the body share one URL; htmx requests get the body partial only.
"""

from __future__ import annotations

from django.shortcuts import render

from monitoring.forms.filters import DashboardFilterForm
from monitoring.models import Membership
from monitoring.selectors.dashboard import dashboard_get
from monitoring.selectors.onboarding import onboarding_get
from monitoring.services.summaries import period_prepare

PALETTE = ["#4f46e5", "#dc2626", "#059669", "#d97706", "#0891b2", "#9333ea", "#db2777", "#65a30d"]


def brand_colours(brands) -> dict[int, str]:
    return {b.pk: PALETTE[i % len(PALETTE)] for i, b in enumerate(brands)}


def dashboard_page(request, membership: Membership):
    form = DashboardFilterForm(request.GET, workspace=membership.workspace)
    filters = form.filters()
    period_prepare(workspace_id=membership.workspace_id, start=filters.start, end=filters.end)
    data = dashboard_get(workspace=membership.workspace, filters=filters)
    colours = brand_colours(data["brands"])
    trend = data["trend"]
    for series in (*trend["visibility"], *trend["sov"]):
        series["colour"] = colours[series["brand"]]
    for stat in data["overview"].brands:
        stat.colour = colours[stat.brand.pk]
    for row in data["domains"]:
        row["owner"] = data["brand_by_id"].get(row["brand"])
    context = {
        "membership": membership,
        "form": form,
        "filters": filters,
        "colours": colours,
        "charts": {"trend": trend},
        **data,
    }
    if not data["overview"].answers.n:
        # An empty dashboard points to the next set-up step (one query, only when empty).
        context["onboarding"] = onboarding_get(workspace=membership.workspace)
    if request.htmx:
        return render(request, "monitoring/dashboard/_body.html", context)
    return render(request, "monitoring/workspace_home.html", context)
