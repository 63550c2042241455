"""Reads behind the drill-down: the answer list and one answer with its brands highlighted."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch
from django.utils.safestring import SafeString, mark_safe

from monitoring.analysis.markdown import Span, answer_excerpt, answer_html, normal_spans
from monitoring.analysis.search import search_terms
from monitoring.models import Answer, Citation, Mention, Workspace
from monitoring.selectors.dashboard import answer_drill_scope
from monitoring.selectors.filters import Filters

PAGE_SIZE = 25


def answer_page(*, workspace: Workspace, filters: Filters, page: str | None) -> Page:
    """One page of the answers behind a number; a constant number of queries per page.

    Each answer gets ``excerpt``: the start of its text as plain text, or, with a search,
    the text around the first word searched for.
    """
    answers = (
        answer_drill_scope(workspace=workspace, filters=filters)
        .select_related("prompt", "prompt_version", "task")
        .prefetch_related(
            Prefetch("mentions", queryset=Mention.objects.select_related("brand").order_by("rank"))
        )
        .defer("raw")
        .order_by("-answered_at", "-id")
    )
    listed = Paginator(answers, PAGE_SIZE).get_page(page)
    terms = search_terms(filters.q)
    for answer in listed.object_list:
        answer.excerpt = answer_excerpt(answer.text, near=terms)
    return listed


def answer_detail_queryset():
    """One answer with what the page shows: the wording it was asked, brands, citations."""
    return Answer.objects.select_related(
        "prompt", "prompt_version", "task", "monitor"
    ).prefetch_related(
        Prefetch("mentions", queryset=Mention.objects.select_related("brand").order_by("rank")),
        Prefetch("citations", queryset=Citation.objects.select_related("brand")),
    )


def highlight_spans(mentions) -> list[Span]:
    """``(start, end, brand_id)`` from the mentions' spans, sorted, overlaps dropped."""
    return normal_spans((int(s[0]), int(s[1]), m.brand_id) for m in mentions for s in m.spans)


def answer_text_highlighted(text: str, mentions) -> SafeString:
    """The answer's Markdown as HTML, each brand span wrapped in ``<mark>``."""
    # answer_html's output has been through nh3's allowlist: safe to put in the page as is.
    return mark_safe(answer_html(text, highlight_spans(mentions)))  # noqa: S308
