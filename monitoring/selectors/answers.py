"""Reads behind the drill-down: the answer list and one answer with its brands highlighted."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from monitoring.models import Answer, Citation, Mention, Workspace
from monitoring.selectors.dashboard import answer_drill_scope
from monitoring.selectors.filters import Filters

PAGE_SIZE = 25


def answer_page(*, workspace: Workspace, filters: Filters, page: str | None) -> Page:
    """One page of the answers behind a number; a constant number of queries per page."""
    answers = (
        answer_drill_scope(workspace=workspace, filters=filters)
        .select_related("prompt", "prompt_version", "task")
        .prefetch_related(
            Prefetch("mentions", queryset=Mention.objects.select_related("brand").order_by("rank"))
        )
        .defer("raw")
        .order_by("-answered_at", "-id")
    )
    return Paginator(answers, PAGE_SIZE).get_page(page)


def answer_detail_queryset():
    """One answer with what the page shows: the wording it was asked, brands, citations."""
    return Answer.objects.select_related(
        "prompt", "prompt_version", "task", "monitor"
    ).prefetch_related(
        Prefetch("mentions", queryset=Mention.objects.select_related("brand").order_by("rank")),
        Prefetch("citations", queryset=Citation.objects.select_related("brand")),
    )


def highlight_spans(mentions) -> list[tuple[int, int, int]]:
    """``(start, end, brand_id)`` from the mentions' spans, sorted, overlaps dropped.

    Matching never produces overlapping spans, but an alias edit between analyses could;
    the earlier (then longer) span wins so the markup always nests correctly.
    """
    spans = sorted(
        ((int(s[0]), int(s[1]), m.brand_id) for m in mentions for s in m.spans),
        key=lambda s: (s[0], -s[1]),
    )
    kept: list[tuple[int, int, int]] = []
    for start, end, brand_id in spans:
        if start < end and (not kept or start >= kept[-1][1]):
            kept.append((start, end, brand_id))
    return kept


def answer_text_highlighted(text: str, mentions, names: dict[int, str] | None = None) -> SafeString:
    """The answer text, every segment escaped, each brand span wrapped in ``<mark>``."""
    names = names or {}
    parts, cursor = [], 0
    for start, end, brand_id in highlight_spans(mentions):
        if end > len(text):
            continue  # spans of an older text: skip rather than mark the wrong words
        parts.append(escape(text[cursor:start]))
        title = escape(names.get(brand_id, ""))
        parts.append(
            f'<mark class="brand-{brand_id}" data-brand="{brand_id}" title="{title}">'
            f"{escape(text[start:end])}</mark>"
        )
        cursor = end
    parts.append(escape(text[cursor:]))
    # Every piece of the answer text is escaped above; only our own <mark> tags are raw.
    return mark_safe("".join(parts))  # noqa: S308
