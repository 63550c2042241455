"""The dashboard (the workspace home): filters, headline cards, trends and tables.

The filters and the body share one URL; htmx requests get the body partial only. The
body is cached under the workspace's version, so an unchanged workspace renders it once.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from monitoring.forms.filters import DashboardFilterForm
from monitoring.models import Membership
from monitoring.selectors.dashboard import dashboard_get
from monitoring.selectors.filters import Filters
from monitoring.selectors.onboarding import onboarding_get
from monitoring.selectors.summaries import version_get
from monitoring.services.summaries import period_prepare

PALETTE = ["#4f46e5", "#dc2626", "#059669", "#d97706", "#0891b2", "#9333ea", "#db2777", "#65a30d"]


def brand_colours(brands) -> dict[int, str]:
    return {b.pk: PALETTE[i % len(PALETTE)] for i, b in enumerate(brands)}


#: Changed with the body's template or the shape of its numbers, so that new code never
#: serves a body cached by the code before it.
BODY_FORMAT = 1
BODY_SECONDS = 6 * 3600


def dashboard_page(request, membership: Membership):
    form = DashboardFilterForm(request.GET, workspace=membership.workspace)
    filters = form.filters()
    period_prepare(workspace_id=membership.workspace_id, start=filters.start, end=filters.end)
    body = _body(request, membership, filters)
    if request.htmx:
        return HttpResponse(body)
    context = {"membership": membership, "form": form, "filters": filters, "body": body}
    return render(request, "monitoring/workspace_home.html", context)


def _body(request, membership: Membership, filters: Filters) -> str:
    """The rendered body, from the cache when the workspace has not changed since it was
    rendered for the same filters and role (``WorkspaceVersion``, read after the period's
    summaries are rebuilt). An empty dashboard is not cached: its set-up steps change
    without a version."""
    key = _body_key(membership, filters)
    body = cache.get(key) if key else None
    if body is None:
        context = _body_context(membership, filters)
        body = render_to_string("monitoring/dashboard/_body.html", context, request=request)
        if key and "onboarding" not in context:
            cache.set(key, str(body), BODY_SECONDS)
    return mark_safe(body)  # noqa: S308 -- rendered by our template, escaped there


def _body_key(membership: Membership, filters: Filters) -> str | None:
    workspace = membership.workspace
    version = version_get(workspace.pk)
    if version is None:
        return None
    # The creation time tells apart a workspace made again under a reused id.
    made = int(workspace.created_at.timestamp() * 1_000_000)
    wanted = hashlib.sha256(repr(filters).encode()).hexdigest()[:32]
    return f"dashboard:{BODY_FORMAT}:{workspace.pk}:{made}:{version}:{membership.role}:{wanted}"


def _body_context(membership: Membership, filters: Filters) -> dict:
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
        "filters": filters,
        "colours": colours,
        "charts": {"trend": trend},
        **data,
    }
    if not data["overview"].answers.n:
        # An empty dashboard points to the next set-up step (one query, only when empty).
        context["onboarding"] = onboarding_get(workspace=membership.workspace)
    return context
