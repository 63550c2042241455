"""Rows of the CSV exports, read in chunks so no export holds all its rows in memory."""

from __future__ import annotations

from collections.abc import Iterator

from monitoring.models import Citation, Mention, Workspace
from monitoring.selectors.dashboard import answer_drill_scope, task_scope
from monitoring.selectors.filters import Filters

CHUNK = 2000

# kind -> (header, fields of values_list)
EXPORTS: dict[str, tuple[list[str], list[str]]] = {
    "answers": (
        [
            "answer_id",
            "answered_at",
            "prompt_id",
            "prompt",
            "model",
            "web_search",
            "monitor",
            "task_tag",
            "informative",
            "money_spent",
            "text",
        ],
        [
            "id",
            "answered_at",
            "prompt_id",
            "prompt__text",
            "model_name",
            "web_search",
            "monitor__name",
            "task__tag",
            "is_informative",
            "money_spent",
            "text",
        ],
    ),
    "mentions": (
        [
            "answer_id",
            "answered_at",
            "prompt_id",
            "brand_id",
            "brand",
            "brand_kind",
            "count",
            "rank",
            "first_offset",
        ],
        [
            "answer_id",
            "answer__answered_at",
            "answer__prompt_id",
            "brand_id",
            "brand__name",
            "brand__kind",
            "count",
            "rank",
            "first_offset",
        ],
    ),
    "citations": (
        [
            "answer_id",
            "answered_at",
            "prompt_id",
            "position",
            "domain",
            "brand",
            "brand_kind",
            "url",
            "title",
        ],
        [
            "answer_id",
            "answer__answered_at",
            "answer__prompt_id",
            "position",
            "domain",
            "brand__name",
            "brand__kind",
            "url",
            "title",
        ],
    ),
    "costs": (
        [
            "task_id",
            "tag",
            "created_at",
            "status",
            "prompt_id",
            "model",
            "sample",
            "cost_reserved",
            "cost_prepaid",
            "money_spent",
            "cost_real",
        ],
        [
            "id",
            "tag",
            "created_at",
            "status",
            "prompt_id",
            "request_body__model_name",
            "sample",
            "cost_reserved",
            "cost_prepaid",
            "money_spent",
            "cost_real",
        ],
    ),
}


def _cell(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def export_rows(*, kind: str, workspace: Workspace, filters: Filters) -> tuple[list[str], Iterator]:
    header, columns = EXPORTS[kind]
    answers = answer_drill_scope(workspace=workspace, filters=filters)
    if kind == "answers":
        rows = answers.order_by("answered_at", "id")
    elif kind == "mentions":
        rows = Mention.objects.filter(answer__in=answers).order_by("answer_id", "rank")
    elif kind == "citations":
        rows = Citation.objects.filter(answer__in=answers).order_by("answer_id", "position")
    else:
        rows = task_scope(workspace=workspace, filters=filters).order_by("created_at", "id")
    values = rows.values_list(*columns).iterator(chunk_size=CHUNK)
    return header, ([_cell(v) for v in row] for row in values)
