"""The prompts page: search, tag filter and pages on one URL; edit, pause, delete, import."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.text import Truncator
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from monitoring.access import workspace_access, workspace_object_or_404
from monitoring.aisa import contract
from monitoring.forms.prompts import PromptFilterForm, PromptForm, PromptImportForm
from monitoring.selectors.prompts import prompt_page, prompt_queryset, tag_list
from monitoring.services import prompts as prompt_services

#: Limits shown beside the fields (the rules themselves live in the contract).
LIMITS = {
    "prompt": contract.MAX_PROMPT_CHARS,
    "system": contract.MAX_SYSTEM_MESSAGE_CHARS,
    "turns": contract.MAX_CHAIN_TURNS,
    "turn": contract.MAX_CHAIN_MESSAGE_CHARS,
}


#: Rows listed in the import's preview (all of them are counted).
IMPORT_PREVIEW_ROWS = 100


def _prompt(request, workspace_id: int, prompt_id: int, *, write: bool):
    return workspace_object_or_404(
        request, prompt_queryset(), write=write, pk=prompt_id, workspace_id=workspace_id
    )


def _posted(request, *, files: bool = False) -> tuple:
    """Form arguments: bound to the POST (even an empty one), unbound for a GET."""
    if request.method != "POST":
        return ()
    return (request.POST, request.FILES) if files else (request.POST,)


def _short(prompt) -> str:
    return Truncator(prompt.text).chars(60)


@vary_on_headers("HX-Request")
@require_GET
def prompt_list(request, workspace_id: int):
    membership = workspace_access(request, workspace_id)
    filters = PromptFilterForm(request.GET)
    page = prompt_page(
        workspace=membership.workspace, **filters.values(), page=request.GET.get("page")
    )
    context = {"membership": membership, "filters": filters.values(), "page": page}
    if request.htmx:
        return render(request, "monitoring/prompts/_results.html", context)
    context["tags"] = tag_list(workspace=membership.workspace)
    return render(request, "monitoring/prompts/list.html", context)


@require_http_methods(["GET", "POST"])
def prompt_create(request, workspace_id: int):
    membership = workspace_access(request, workspace_id, write=True)
    form = PromptForm(*_posted(request), workspace=membership.workspace)
    if request.method == "POST" and form.is_valid():
        prompt = prompt_services.prompt_create(workspace=membership.workspace, **_fields(form))
        messages.success(request, f"Added “{_short(prompt)}”.")
        return redirect("prompt_list", workspace_id=workspace_id)
    return render(
        request, "monitoring/prompts/form.html", {"form": form, "prompt": None, "limits": LIMITS}
    )


@require_http_methods(["GET", "POST"])
def prompt_edit(request, workspace_id: int, prompt_id: int):
    prompt = _prompt(request, workspace_id, prompt_id, write=True)
    form = PromptForm(*_posted(request), workspace=prompt.workspace, prompt=prompt)
    if request.method == "POST" and form.is_valid():
        prompt_services.prompt_update(prompt=prompt, **_fields(form))
        messages.success(request, f"Saved “{_short(prompt)}”.")
        return redirect("prompt_list", workspace_id=workspace_id)
    return render(
        request, "monitoring/prompts/form.html", {"form": form, "prompt": prompt, "limits": LIMITS}
    )


def _fields(form: PromptForm) -> dict:
    data = form.cleaned_data
    return {
        "text": data["text"],
        "tags": data["tags"],
        "system_message": data["system_message"],
        "message_chain": data["chain"],
        "is_active": data["is_active"],
    }


@require_POST
def prompt_toggle(request, workspace_id: int, prompt_id: int):
    prompt = _prompt(request, workspace_id, prompt_id, write=True)
    wanted = request.POST.get("active")
    is_active = not prompt.is_active if wanted is None else wanted == "1"
    prompt_services.prompt_set_active(prompt=prompt, is_active=is_active)
    if request.htmx:
        return _row(request, prompt)
    state = "Resumed" if is_active else "Paused"
    messages.success(request, f"{state} “{_short(prompt)}”.")
    return redirect("prompt_list", workspace_id=workspace_id)


@require_http_methods(["GET", "POST"])
def prompt_delete(request, workspace_id: int, prompt_id: int):
    prompt = _prompt(request, workspace_id, prompt_id, write=True)
    if request.method == "GET":
        return render(request, "monitoring/prompts/delete.html", {"prompt": prompt})
    try:
        prompt_services.prompt_delete(prompt=prompt)
    except prompt_services.PromptInUse as in_use:
        if request.htmx:
            return _row(request, prompt, notice=str(in_use))
        messages.warning(request, str(in_use))
        return redirect("prompt_delete", workspace_id=workspace_id, prompt_id=prompt_id)
    if request.htmx:
        return render(request, "monitoring/prompts/_deleted.html", {"prompt": prompt})
    messages.success(request, f"Deleted “{_short(prompt)}”.")
    return redirect("prompt_list", workspace_id=workspace_id)


def _row(request, prompt, **extra):
    context = {"prompt": prompt, "membership": request.membership, **extra}
    return render(request, "monitoring/prompts/_row.html", context)


@require_http_methods(["GET", "POST"])
def prompt_import(request, workspace_id: int):
    """Paste or upload, see the preview (what is added, skipped, wrong), then confirm it."""
    membership = workspace_access(request, workspace_id, write=True)
    form = PromptImportForm(*_posted(request, files=True), workspace=membership.workspace)
    if request.method == "POST" and form.is_valid() and form.cleaned_data["confirm"]:
        result = prompt_services.prompt_import(
            workspace=membership.workspace,
            rows=[(row.text, row.tags) for row in form.cleaned_data["rows"]],
            tags=form.cleaned_data["tags"],
        )
        messages.success(request, _import_message(result))
        return redirect("prompt_list", workspace_id=workspace_id)
    context = {"form": form, "plan": form.plan, "shown": IMPORT_PREVIEW_ROWS}
    return render(request, "monitoring/prompts/import.html", context)


def _import_message(result) -> str:
    imported = f"Imported {result.imported} prompt{'s' if result.imported != 1 else ''}"
    if not result.skipped:
        return f"{imported}."
    return f"{imported}; skipped {result.skipped} already in the workspace."
