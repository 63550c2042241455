"""The summary rows (``models.summaries``) of some blocks that a page's filters keep."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.db.models import Q, QuerySet

from monitoring.models import Workspace
from monitoring.models.summaries import SummaryKey, WorkspaceVersion
from monitoring.selectors.filters import Filters, columns_q

Block = tuple[date, int]


def blocks_q(blocks: Iterable[Block]) -> Q:
    """Rows of these blocks: one ``day IN (…)`` per span, under a condition the
    ``(workspace, span, day)`` index answers (the databases do not walk an index for an OR,
    and would read every block of the workspace)."""
    by_span: dict[int, list[date]] = {}
    for day, span in blocks:
        by_span.setdefault(span, []).append(day)
    if not by_span:
        return Q(pk__in=[])
    days = [day for listed in by_span.values() for day in listed]
    q = Q(pk__in=[])
    for span, listed in sorted(by_span.items()):
        q |= Q(span=span, day__in=sorted(listed))
    return Q(span__in=sorted(by_span), day__gte=min(days), day__lte=max(days)) & q


def per_prompt(filters: Filters) -> bool:
    """Whether the filters pick prompts, so the rows per prompt must be read."""
    return bool(filters.prompt or filters.tag or filters.version)


def summary_rows(
    model: type[SummaryKey],
    *,
    workspace: Workspace,
    filters: Filters,
    blocks: Iterable[Block],
    by_prompt: bool = False,
) -> QuerySet:
    """The rows of ``model`` in these blocks under the filters: per prompt when the filters
    pick prompts or ``by_prompt`` asks, else the rows summing every prompt."""
    prompts = by_prompt or per_prompt(filters)
    q = Q(workspace=workspace, prompt__isnull=not prompts) & blocks_q(blocks)
    return model._default_manager.filter(q & columns_q(filters, prompts=prompts))


def version_get(workspace_id: int) -> int | None:
    """The workspace's ``WorkspaceVersion`` number; None without a row (nothing may be
    cached under it then)."""
    row = WorkspaceVersion.objects.filter(workspace_id=workspace_id).values_list("number")
    return next((number for (number,) in row), None)
