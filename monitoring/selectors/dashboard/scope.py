"""The raw rows the dashboard's filters select: answers (the list behind a number) and
tasks. The dashboard's counts come from the summaries (``blocks``) instead."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from monitoring.analysis.search import search_terms
from monitoring.models import Answer, Citation, Mention, Task, Workspace
from monitoring.selectors.filters import Filters, columns_q
from monitoring.selectors.periods import created_between, day_start


def answer_q(
    *, workspace: Workspace, filters: Filters, start: date | None = None, prefix: str = ""
) -> Q:
    """The filters as a condition on an answer, reached through ``prefix`` (e.g. "answer__").

    Rows of an answer (its task, mentions, citations) can be filtered by joining their
    answer under this same condition rather than with ``answer IN (SELECT id FROM answers
    ...)``: the join lets the database walk the ``(workspace, answered_at)`` index once.
    """
    q = Q(
        **{
            f"{prefix}workspace": workspace,
            f"{prefix}answered_at__gte": day_start(start or filters.start),
            f"{prefix}answered_at__lt": day_start(filters.end + timedelta(days=1)),
        }
    )
    q &= columns_q(filters, prefix=prefix)
    return q


def answer_scope(*, workspace: Workspace, filters: Filters, start: date | None = None) -> QuerySet:
    """The answers the filters select (from ``start`` when given, e.g. the previous period)."""
    return Answer.objects.filter(answer_q(workspace=workspace, filters=filters, start=start))


def answer_drill_scope(*, workspace: Workspace, filters: Filters) -> QuerySet:
    """The answers behind one number: the filters plus brand / mentioned / cited domain /
    words searched for."""
    answers = answer_scope(workspace=workspace, filters=filters)
    if filters.brand:
        mentioned = Exists(Mention.objects.filter(answer=OuterRef("pk"), brand_id=filters.brand))
        answers = answers.filter(~mentioned if filters.mentioned is False else mentioned)
    elif filters.mentioned is not None:  # mentioned=0 alone: answers naming no tracked brand
        anything = Exists(Mention.objects.filter(answer=OuterRef("pk")))
        answers = answers.filter(anything if filters.mentioned else ~anything)
    if filters.domain:
        answers = answers.filter(
            Exists(Citation.objects.filter(answer=OuterRef("pk"), domain=filters.domain))
        )
    # A case-insensitive substring per word, on SQLite and PostgreSQL alike, rather than
    # PostgreSQL's full-text search: without a stored, indexed tsvector (a migration) both
    # read every answer the other filters keep, and to_tsvector per row costs more than a
    # LIKE; a substring also finds part of a name ("Hub" finds "HubSpot"), which stemming
    # would not. The period and workspace, from the index, bound the rows scanned. (SQLite
    # folds the case of ASCII letters only; PostgreSQL compares UPPER() of both.)
    for term in search_terms(filters.q):
        answers = answers.filter(text__icontains=term)
    return answers


def task_scope(*, workspace: Workspace, filters: Filters) -> QuerySet:
    """Tasks created in the period under the same filters (model and web search read from
    the request body, since failed tasks have no answer; the engine is the task's own)."""
    tasks = created_between(
        Task.objects.filter(workspace=workspace), start=filters.start, end=filters.end
    )
    if filters.tag:
        tasks = tasks.filter(prompt__tags=filters.tag)
    if filters.prompt:
        tasks = tasks.filter(prompt_id=filters.prompt)
    if filters.version:
        tasks = tasks.filter(prompt_version_id=filters.version)
    if filters.monitor:
        tasks = tasks.filter(monitor_id=filters.monitor)
    if filters.model:
        tasks = tasks.filter(request_body__model_name=filters.model)
    if filters.engine:
        tasks = tasks.filter(engine=filters.engine)
    if filters.web == "on":
        tasks = tasks.filter(request_body__web_search=True)
    elif filters.web == "off":
        tasks = tasks.exclude(request_body__web_search=True)
    return tasks
