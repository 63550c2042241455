"""Rows of the CSV exports, read in chunks so no export holds all its rows in memory."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models.functions import Coalesce

from monitoring.models import Citation, Mention, Workspace
from monitoring.selectors.dashboard import answer_drill_scope, task_scope
from monitoring.selectors.filters import Filters

CHUNK = 2000

# kind -> (header, fields of values_list). ``prompt`` is the wording the answer was asked and
# ``prompt_version`` its number (1, 2, … as the prompt was reworded); ``engine`` is the engine
# that answered (or was asked, for costs). Both were added last, so the columns before them
# keep their places.
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
            "prompt_version",
            "engine",
        ],
        [
            "id",
            "answered_at",
            "prompt_id",
            "prompt_asked",
            "model_name",
            "web_search",
            "monitor__name",
            "task__tag",
            "is_informative",
            "money_spent",
            "text",
            "prompt_version__number",
            "engine",
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
            "prompt_version",
            "engine",
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
            "answer__prompt_version__number",
            "answer__engine",
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
            "prompt_version",
            "engine",
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
            "answer__prompt_version__number",
            "answer__engine",
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
            "prompt_version",
            "engine",
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
            "prompt_version__number",
            "engine",
        ],
    ),
}


#: A text cell starting with one of these is a formula to Excel, LibreOffice and Google
#: Sheets (tab and carriage return too: some of them skip those first). Answers, page titles
#: and URLs come from third parties, so such a cell gets a leading apostrophe, which the
#: spreadsheet shows as text (OWASP's advice for CSV injection). Numbers are not text here:
#: a negative amount stays a number.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def export_rows(*, kind: str, workspace: Workspace, filters: Filters) -> tuple[list[str], Iterator]:
    header, columns = EXPORTS[kind]
    answers = answer_drill_scope(workspace=workspace, filters=filters)
    if kind == "answers":
        # The wording the answer was asked, not the prompt's current one.
        asked = Coalesce("prompt_version__text", "prompt__text")
        rows = answers.annotate(prompt_asked=asked).order_by("answered_at", "id")
    elif kind == "mentions":
        rows = Mention.objects.filter(answer__in=answers).order_by("answer_id", "rank")
    elif kind == "citations":
        rows = Citation.objects.filter(answer__in=answers).order_by("answer_id", "position")
    else:
        rows = task_scope(workspace=workspace, filters=filters).order_by("created_at", "id")
    values = rows.values_list(*columns).iterator(chunk_size=CHUNK)
    return header, ([_cell(v) for v in row] for row in values)
