"""The summary rows (``models.summaries``) of some blocks that a page's filters keep."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from django.db.models import Q, QuerySet

from monitoring.models import Answer, AnswerSummary, SummaryStale, Workspace
from monitoring.models.summaries import SPANS, SummaryKey, WorkspaceVersion, blocks_cover
from monitoring.selectors.filters import Filters, columns_q
from monitoring.selectors.periods import days_q

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


def stale_days(workspace_id: int, start: date | None = None, end: date | None = None) -> list[date]:
    """The workspace's days whose summaries await a rebuild (between two days, if given)."""
    marks = SummaryStale.objects.filter(workspace_id=workspace_id)
    if start:
        marks = marks.filter(day__gte=start)
    if end:
        marks = marks.filter(day__lte=end)
    return sorted(set(marks.values_list("day", flat=True)))


def fresh_cover(workspace_id: int, start: date, end: date) -> tuple[list[Block], list[date]]:
    """The blocks covering ``start``..``end`` but its stale days, and those days: the
    summaries' rows of the blocks plus the raw rows of the days count exactly, however
    recent the changes (one query)."""
    stale = stale_days(workspace_id, start, end)
    blocks: list[Block] = []
    day = start
    for next_stale in [*stale, end + timedelta(days=1)]:
        if day < next_stale:
            blocks += blocks_cover(day, next_stale - timedelta(days=1))
        day = next_stale + timedelta(days=1)
    return blocks, stale


def answered_models(workspace_id: int) -> list[tuple[str, str]]:
    """The (engine, model) pairs that answered in the workspace, by model: from the
    longest blocks' summary rows (a few a year; a DISTINCT over the answers read all of
    them, a million in an agency's year), plus the answers of the days not rebuilt yet."""
    summed = AnswerSummary.objects.filter(
        workspace_id=workspace_id, prompt__isnull=True, span=SPANS[0]
    ).values_list("engine", "model_name")
    pairs = set(summed.distinct().order_by())
    stale = stale_days(workspace_id)
    if stale:
        answers = Answer.objects.filter(workspace_id=workspace_id).filter(
            days_q("answered_at", stale)
        )
        pairs |= set(answers.values_list("engine", "model_name").distinct().order_by())
    return sorted(pairs, key=lambda pair: (pair[1], pair[0]))
