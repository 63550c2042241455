"""The whole dashboard body assembled from the cards, trends and tables."""

from __future__ import annotations

from typing import Any

from monitoring.models import Workspace
from monitoring.selectors.dashboard.blocks import blocks_get
from monitoring.selectors.dashboard.engines import (
    change_bucket,
    engine_comparison_get,
    engine_models_get,
    model_changes,
    web_comparison_get,
)
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
    """Everything the dashboard body shows, in a fixed number of queries (10, plus one
    to compare engines when two or more answered, plus two to compare web search with
    none unless the web-search filter is set), read from the summaries: the caller
    refreshes the period's first (``services.summaries.period_prepare``)."""
    blocks = blocks_get(filters)
    scoped: dict[str, Any] = {"workspace": workspace, "filters": filters, "blocks": blocks}
    brands = brand_list_ordered(workspace=workspace, own_id=filters.own)
    counts = period_counts_get(**scoped)
    overview = overview_get(workspace=workspace, filters=filters, brands=brands, counts=counts)
    own = overview.own.brand if overview.own else None
    prompts = prompt_table_get(**scoped, own=own, brands=brands)
    models = engine_models_get(**scoped)
    trend = trend_get(workspace=workspace, filters=filters, brands=brands, counts=counts)
    changes = model_changes(models=models, filters=filters)
    # The charts mark each change on its bucket; the page lists them too, in words.
    trend["changes"] = [
        {
            "bucket": change_bucket(c["day"], trend["bucket"]).isoformat(),
            "day": c["day"].isoformat(),
            "text": f"{c['label']}: {c['model']}",
        }
        for c in changes
    ]
    return {
        "overview": overview,
        "brands": brands,
        "brand_by_id": {b.pk: b for b in brands},
        "trend": trend,
        "engines": models.engines,
        "model_changes": changes,
        "engine_comparison": engine_comparison_get(**scoped, own=own, brands=brands, models=models),
        "web_comparison": web_comparison_get(**scoped, own=own),
        "domains": domain_top(
            **scoped, n=overview.answers.n, total_citations=overview.total_citations
        ),
        "fan_out": fan_out_top(**scoped),
        "untracked": untracked_list(**scoped, brands=brands),
        "prompts": prompts[:PROMPT_ROWS],
        "prompt_count": len(prompts),
    }
