"""The drill-down: the answers behind a dashboard number, and one answer highlighted."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from monitoring.access import workspace_access, workspace_object_or_404
from monitoring.forms.filters import AnswerFilterForm
from monitoring.selectors.answers import (
    answer_detail_queryset,
    answer_page,
    answer_text_highlighted,
)
from monitoring.selectors.dashboard import brand_list_ordered
from monitoring.views.dashboard import brand_colours


@vary_on_headers("HX-Request")
@require_GET
def answer_list(request, workspace_id: int):
    membership = workspace_access(request, workspace_id)
    form = AnswerFilterForm(request.GET, workspace=membership.workspace)
    filters = form.filters()
    page = answer_page(
        workspace=membership.workspace, filters=filters, page=request.GET.get("page")
    )
    brands = brand_list_ordered(workspace=membership.workspace)
    context = {
        "membership": membership,
        "form": form,
        "filters": filters,
        "page": page,
        "brand": next((b for b in brands if b.pk == filters.brand), None),
        "colours": brand_colours(brands),
    }
    if request.htmx:
        return render(request, "monitoring/answers/_results.html", context)
    return render(request, "monitoring/answers/list.html", context)


def _task_url(request, answer) -> str | None:
    """The task's own page if the project has one, else its admin page for staff."""
    try:
        return reverse("task_detail", args=[answer.workspace_id, answer.task_id])
    except NoReverseMatch:
        pass
    if request.user.is_staff:
        return reverse("admin:monitoring_task_change", args=[answer.task_id])
    return None


@require_GET
def answer_detail(request, workspace_id: int, answer_id: int):
    answer = workspace_object_or_404(
        request, answer_detail_queryset(), pk=answer_id, workspace_id=workspace_id
    )
    mentions = list(answer.mentions.all())
    brands = brand_list_ordered(workspace=request.membership.workspace)
    colours = brand_colours(brands)
    for mention in mentions:
        mention.colour = colours.get(mention.brand_id, "#888888")
    context = {
        "membership": request.membership,
        "answer": answer,
        "mentions": mentions,
        "citations": list(answer.citations.all()),
        "text": answer_text_highlighted(answer.text, mentions),
        "task_url": _task_url(request, answer),
        "back": request.GET.urlencode(),
    }
    return render(request, "monitoring/answers/detail.html", context)
