"""The dashboard (the workspace home): filters, headline cards, trends and tables.

The filters and the body share one URL; htmx requests get the body partial only. The
body comes from ``services.dashboard_body``, cached under the workspace's version.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render

from monitoring.forms.filters import DashboardFilterForm
from monitoring.models import Membership
from monitoring.services.dashboard_body import PALETTE, body_get, brand_colours
from monitoring.services.summaries import period_prepare

__all__ = ["PALETTE", "brand_colours", "dashboard_page"]


def dashboard_page(request, membership: Membership):
    form = DashboardFilterForm(request.GET, workspace=membership.workspace)
    filters = form.filters()
    period_prepare(workspace_id=membership.workspace_id, start=filters.start, end=filters.end)
    body = body_get(membership=membership, filters=filters, request=request)
    if request.htmx:
        return HttpResponse(body)
    context = {"membership": membership, "form": form, "filters": filters, "body": body}
    return render(request, "monitoring/workspace_home.html", context)
