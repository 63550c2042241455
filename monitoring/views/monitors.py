"""The monitors pages: the list, one monitor with its runs, create, edit, pause, run now, delete.

Pause / resume, run now and delete answer htmx with the monitor's row (or its "deleted"
row); without JavaScript they redirect back with a message.
"""

from __future__ import annotations

from datetime import UTC

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from monitoring.access import workspace_access, workspace_object_or_404
from monitoring.aisa import contract
from monitoring.forms.monitors import MonitorForm, monitor_fields
from monitoring.selectors import catalog
from monitoring.selectors import monitors as monitor_selectors
from monitoring.services import monitors as monitor_services


def _monitor(request, workspace_id: int, monitor_id: int, *, write: bool = False):
    return workspace_object_or_404(
        request,
        monitor_selectors.monitor_queryset(),
        write=write,
        pk=monitor_id,
        workspace_id=workspace_id,
    )


def _form(request, workspace, monitor=None) -> MonitorForm:
    """The form with every engine's model list (a monitor may ask several engines)."""
    data = request.POST if request.method == "POST" else None
    catalogs = {family: catalog.model_catalog(family=family) for family in contract.LLM_FAMILIES}
    return MonitorForm(
        data,
        workspace=workspace,
        models=catalogs[contract.DEFAULT_FAMILY],
        monitor=monitor,
        catalogs=catalogs,
    )


@require_GET
def monitor_list(request, workspace_id: int):
    membership = workspace_access(request, workspace_id)
    rows = monitor_selectors.monitor_rows_get(workspace=membership.workspace)
    return render(
        request, "monitoring/monitors/list.html", {"membership": membership, "rows": rows}
    )


@vary_on_headers("HX-Request")
@require_GET
def monitor_detail(request, workspace_id: int, monitor_id: int):
    """The monitor's scope, settings and schedule, and its runs page by page."""
    monitor = _monitor(request, workspace_id, monitor_id)
    detail = monitor_selectors.monitor_detail_get(monitor=monitor, page=request.GET.get("page"))
    context = {"membership": request.membership, "detail": detail, "row": detail.row}
    if request.htmx:
        return render(request, "monitoring/monitors/_runs.html", context)
    return render(request, "monitoring/monitors/detail.html", context)


@require_http_methods(["GET", "POST"])
def monitor_create(request, workspace_id: int):
    membership = workspace_access(request, workspace_id, write=True)
    form = _form(request, membership.workspace)
    if request.method == "POST" and form.is_valid():
        monitor = monitor_services.monitor_create(
            workspace=membership.workspace, user=request.user, **monitor_fields(form)
        )
        messages.success(request, f"Saved the monitor “{monitor.name}”.")
        return redirect("monitor_detail", workspace_id=workspace_id, monitor_id=monitor.pk)
    return _form_page(request, form, monitor=None)


@require_http_methods(["GET", "POST"])
def monitor_edit(request, workspace_id: int, monitor_id: int):
    monitor = _monitor(request, workspace_id, monitor_id, write=True)
    form = _form(request, monitor.workspace, monitor)
    if request.method == "POST" and form.is_valid():
        monitor_services.monitor_update(monitor=monitor, **monitor_fields(form))
        messages.success(
            request, f"Saved “{monitor.name}”. Its earlier runs keep the settings they ran with."
        )
        return redirect("monitor_detail", workspace_id=workspace_id, monitor_id=monitor.pk)
    return _form_page(request, form, monitor=monitor)


def _form_page(request, form, *, monitor):
    context = {"membership": request.membership, "form": form, "monitor": monitor}
    if monitor is not None:
        context["row"] = monitor_selectors.monitor_rows_get(
            workspace=monitor.workspace, monitor_ids=[monitor.pk]
        )[0]
    return render(request, "monitoring/monitors/form.html", context)


@require_POST
def monitor_toggle(request, workspace_id: int, monitor_id: int):
    """Pause, or resume from the next slot."""
    monitor = _monitor(request, workspace_id, monitor_id, write=True)
    wanted = request.POST.get("active")
    is_active = not monitor.is_active if wanted is None else wanted == "1"
    monitor_services.monitor_set_active(monitor=monitor, is_active=is_active)
    state = "Resumed" if is_active else "Paused"
    return _done(request, monitor, f"{state} “{monitor.name}”.")


@require_POST
def monitor_run_now(request, workspace_id: int, monitor_id: int):
    """Run it now, through the path the scheduler takes (budgets, caps, once per slot)."""
    monitor = _monitor(request, workspace_id, monitor_id, write=True)
    try:
        run = monitor_services.monitor_run_now(monitor=monitor, user=request.user)
    except monitor_services.MonitorPaused as paused:
        return _done(request, monitor, str(paused), level=messages.WARNING)
    return _done(request, monitor, _run_message(run), level=messages.INFO)


def _run_message(run) -> str:
    if run is None:
        return (
            "It already ran this minute: nothing new was queued. "
            "Run it again in a minute if you mean to."
        )
    at = run.slot.astimezone(UTC)
    if not run.task_count:
        return f"Ran at {at:%H:%M} UTC, but no active prompt is in its scope: nothing was queued."
    tasks = f"{run.task_count} task{'s' if run.task_count != 1 else ''}"
    return (
        f"Queued {tasks} at {at:%H:%M} UTC. The pipeline posts them within the daily cap "
        "and the workspace's budget; tasks beyond them wait as held."
    )


@require_http_methods(["GET", "POST"])
def monitor_delete(request, workspace_id: int, monitor_id: int):
    monitor = _monitor(request, workspace_id, monitor_id, write=True)
    if request.method == "GET":
        return render(request, "monitoring/monitors/delete.html", {"monitor": monitor})
    name = monitor.name
    cancelled = monitor_services.monitor_delete(monitor=monitor, user=request.user)
    notice = _deleted_message(name, cancelled)
    if request.htmx:
        context = {"name": name, "monitor_id": monitor_id, "notice": notice}
        return render(request, "monitoring/monitors/_deleted.html", context)
    messages.success(request, notice)
    return redirect("monitor_list", workspace_id=workspace_id)


def _deleted_message(name: str, cancelled: int) -> str:
    kept = f"Deleted “{name}”. Its runs, tasks and answers are kept."
    if not cancelled:
        return kept
    tasks = "1 task not sent yet was" if cancelled == 1 else f"{cancelled} tasks not sent yet were"
    return f"{kept} {tasks} cancelled."


def _done(request, monitor, notice: str, *, level: int = messages.SUCCESS):
    """The monitor's row with the notice for htmx, else back where the button was."""
    if request.htmx:
        row = monitor_selectors.monitor_rows_get(
            workspace=monitor.workspace, monitor_ids=[monitor.pk]
        )[0]
        context = {"row": row, "membership": request.membership, "notice": notice}
        return render(request, "monitoring/monitors/_row.html", context)
    messages.add_message(request, level, notice)
    if request.POST.get("back") == "detail":
        return redirect("monitor_detail", workspace_id=monitor.workspace_id, monitor_id=monitor.pk)
    return redirect("monitor_list", workspace_id=monitor.workspace_id)
