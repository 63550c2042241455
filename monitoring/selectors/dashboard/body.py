"""The whole dashboard body assembled from the cards, trends and tables."""

from __future__ import annotations

from monitoring.models import Workspace
from monitoring.selectors.dashboard.overview import (
    brand_list_ordered,
    overview_get,
    period_counts_get,
)
from monitoring.selectors.dashboard.tables import (
    domain_top,
    fan_out_top,
    prompt_table_get,
    untracked_list,
)
from monitoring.selectors.dashboard.trends import trend_get
from monitoring.selectors.filters import Filters

PROMPT_ROWS = 200


def dashboard_get(*, workspace: Workspace, filters: Filters) -> dict:
    """Everything the dashboard body shows, in a fixed number of queries."""
    brands = brand_list_ordered(workspace=workspace, own_id=filters.own)
    counts = period_counts_get(workspace=workspace, filters=filters)
    overview = overview_get(workspace=workspace, filters=filters, brands=brands, counts=counts)
    own = overview.own.brand if overview.own else None
    prompts = prompt_table_get(workspace=workspace, filters=filters, own=own, brands=brands)
    return {
        "overview": overview,
        "brands": brands,
        "brand_by_id": {b.pk: b for b in brands},
        "trend": trend_get(workspace=workspace, filters=filters, brands=brands, counts=counts),
        "domains": domain_top(
            workspace=workspace,
            filters=filters,
            n=overview.answers.n,
            total_citations=overview.total_citations,
        ),
        "fan_out": fan_out_top(workspace=workspace, filters=filters),
        "untracked": untracked_list(workspace=workspace, filters=filters, brands=brands),
        "prompts": prompts[:PROMPT_ROWS],
        "prompt_count": len(prompts),
    }
