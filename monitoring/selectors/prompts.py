"""Reads for the prompts page: one page of prompts with their tags, in constant queries."""

from __future__ import annotations

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery

from monitoring.models import Prompt, PromptVersion, Tag, Task, Workspace

PAGE_SIZE = 50


def prompt_queryset() -> QuerySet[Prompt]:
    """Prompts with their tags prefetched, whether any task was sent for them, and their
    current version's number and start (None before the first send)."""
    latest = PromptVersion.objects.filter(prompt=OuterRef("pk")).order_by("-number")
    return Prompt.objects.prefetch_related("tags").annotate(
        has_tasks=Exists(Task.objects.filter(prompt=OuterRef("pk"))),
        version_number=Subquery(latest.values("number")[:1]),
        version_since=Subquery(latest.values("created_at")[:1]),
    )


def prompt_list(*, workspace: Workspace, search: str = "", tag: str = "") -> QuerySet[Prompt]:
    prompts = prompt_queryset().filter(workspace=workspace)
    if search:
        prompts = prompts.filter(text__icontains=search)
    if tag:
        prompts = prompts.filter(tags__name=tag)
    return prompts


def prompt_page(
    *, workspace: Workspace, search: str = "", tag: str = "", page: str | int | None = 1
) -> Page:
    prompts = prompt_list(workspace=workspace, search=search, tag=tag)
    return Paginator(prompts, PAGE_SIZE).get_page(page)


def tag_list(*, workspace: Workspace) -> QuerySet[Tag]:
    """The workspace's tags with how many prompts carry each, for the filter."""
    return Tag.objects.filter(workspace=workspace).annotate(prompt_count=Count("prompts"))
