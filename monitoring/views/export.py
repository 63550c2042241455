"""CSV exports of answers, mentions, citations and costs for the current filters, streamed.

UTF-8 with a byte-order mark: without it, Excel reads the file in the machine's legacy code
page and mangles every non-ASCII brand, title and answer."""

from __future__ import annotations

import csv
import itertools

from django.http import Http404, StreamingHttpResponse
from django.views.decorators.http import require_GET

from monitoring.access import workspace_access
from monitoring.forms.filters import AnswerFilterForm
from monitoring.selectors.export import EXPORTS, export_rows

BOM = "\ufeff"


class _Echo:
    """A file-like object whose write returns the line, so csv.writer feeds a generator."""

    def write(self, value: str) -> str:
        return value


@require_GET
def export_csv(request, workspace_id: int, kind: str):
    membership = workspace_access(request, workspace_id)
    if kind not in EXPORTS:
        raise Http404("No such export.")
    filters = AnswerFilterForm(request.GET, workspace=membership.workspace).filters()
    writer = csv.writer(_Echo())
    header, rows = export_rows(kind=kind, workspace=membership.workspace, filters=filters)
    lines = (writer.writerow(row) for row in itertools.chain([header], rows))
    stream = itertools.chain([BOM], lines)
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    name = f"{kind}-{filters.start:%Y%m%d}-{filters.end:%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
