"""The dashboard's body, rendered once per workspace version and filters.

A body is cached under the workspace's ``WorkspaceVersion`` (which a summaries rebuild, a
brand's or a prompt's change moves), so an unchanged workspace is never computed twice and
a change is never shown stale. The pipeline's tick renders the default view again of the
workspaces it rebuilt that someone viewed within the hour, so their next view after new
answers arrive is a cached one too.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from monitoring.models import Membership, Role, Workspace
from monitoring.selectors.dashboard import dashboard_get
from monitoring.selectors.filters import Filters, default_range
from monitoring.selectors.onboarding import onboarding_get
from monitoring.selectors.summaries import version_get

logger = logging.getLogger(__name__)

PALETTE = ["#4f46e5", "#dc2626", "#059669", "#d97706", "#0891b2", "#9333ea", "#db2777", "#65a30d"]
#: Changed with the body's template or the shape of its numbers, so that new code never
#: serves a body cached by the code before it.
BODY_FORMAT = 2
BODY_SECONDS = 6 * 3600
#: A workspace whose dashboard was viewed this recently has its default view rendered
#: again by the tick that rebuilt its summaries; at most ``WARM_PER_TICK`` a tick.
VIEWED_SECONDS = 3600
WARM_PER_TICK = 5


def brand_colours(brands) -> dict[int, str]:
    return {b.pk: PALETTE[i % len(PALETTE)] for i, b in enumerate(brands)}


def body_get(*, membership: Membership, filters: Filters, request=None) -> SafeString:
    """The rendered body, from the cache when the workspace has not changed since it was
    rendered for the same filters (read after the period's summaries are rebuilt). An
    empty dashboard is not cached: its set-up steps change without a version, and it is
    the only part that differs by role."""
    workspace = membership.workspace
    _cache_call(cache.set, _viewed_key(workspace.pk), True, VIEWED_SECONDS)
    key = _body_key(workspace, filters)
    body = _cache_call(cache.get, key) if key else None
    if body is None:
        body, empty = _body_render(membership, filters, request)
        if key and not empty:
            _cache_call(cache.set, key, body, BODY_SECONDS)
    return mark_safe(body)  # noqa: S308 -- rendered by our template, escaped there


def bodies_warm(workspace_ids: Iterable[int]) -> int:
    """Render the default view (the last 28 days, no filter) of these workspaces, those
    viewed within the hour and not cached already; returns how many were rendered. One
    that fails is logged and the others go on."""
    ids = list(dict.fromkeys(workspace_ids))
    viewed = _cache_call(cache.get_many, [_viewed_key(pk) for pk in ids]) or {}
    wanted = [pk for pk in ids if _viewed_key(pk) in viewed][:WARM_PER_TICK]
    start, end = default_range()
    filters = Filters(start=start, end=end)
    rendered = 0
    for workspace in Workspace.objects.filter(pk__in=wanted):
        try:
            key = _body_key(workspace, filters)
            if key is None or _cache_call(cache.get, key) is not None:
                continue
            # The body shows no one's role unless it is empty (and then is not cached).
            stand_in = Membership(workspace=workspace, role=Role.VIEWER)
            body, empty = _body_render(stand_in, filters, None)
            if not empty:
                _cache_call(cache.set, key, body, BODY_SECONDS)
                rendered += 1
        except Exception:
            logger.exception("Rendering the dashboard of workspace %s failed", workspace.pk)
    return rendered


def _cache_call(operation, *args):
    """A cache read or write that fails (Redis down) as a miss, logged: the page is then
    computed, never an error."""
    try:
        return operation(*args)
    except Exception:
        logger.warning("The dashboard's cache failed (%s)", operation.__name__, exc_info=True)
        return None


def _viewed_key(workspace_id: int) -> str:
    return f"dashboard-viewed:{workspace_id}"


def _body_key(workspace: Workspace, filters: Filters) -> str | None:
    version = version_get(workspace.pk)
    if version is None:
        return None
    # The creation time tells apart a workspace made again under a reused id.
    made = int(workspace.created_at.timestamp() * 1_000_000)
    wanted = hashlib.sha256(repr(filters).encode()).hexdigest()[:32]
    return f"dashboard:{BODY_FORMAT}:{workspace.pk}:{made}:{version}:{wanted}"


def _body_render(membership: Membership, filters: Filters, request) -> tuple[str, bool]:
    """(the body's HTML, whether the dashboard is empty)."""
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
    empty = not data["overview"].answers.n
    if empty:
        # An empty dashboard points to the next set-up step (one query, only when empty).
        context["onboarding"] = onboarding_get(workspace=membership.workspace)
    html = render_to_string("monitoring/dashboard/_body.html", context, request=request)
    return str(html), empty
