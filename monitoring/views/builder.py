"""The request builder: live validation, JSON preview, cost estimate, send or save."""

import json
from datetime import UTC

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_http_methods, require_POST

from monitoring.access import workspace_access
from monitoring.forms.builder import RequestBuilderForm, posted_engine
from monitoring.forms.monitors import monitor_fields
from monitoring.selectors import catalog, estimates
from monitoring.services import catalog as catalog_services
from monitoring.services import monitors as monitor_services
from monitoring.services import tasks as task_services
from monitoring.services.webhooks import webhook_fields, webhook_token

PREVIEW_LIMIT = 3  # bodies shown in full; the rest are counted
#: Only writers see the "Save as monitor" section, so only they have these error slots.
MONITOR_FIELDS = ("monitor_name", "schedule", "cron")
EXPIRED_FORM = (
    "This page was loaded without a send token, so a repeated submit could not be told "
    "apart from a new send. Check the request and press Send now again."
)


def _form(request, membership):
    """The builder for the posted engine (the default one at first), with its models."""
    engine = posted_engine(request.POST)
    return RequestBuilderForm(
        request.POST or None,
        workspace=membership.workspace,
        models=catalog.model_catalog(family=engine),
        engine=engine,
    )


def _money(form, membership) -> dict:
    """The send's prepayment, expected and worst-case cost, and a monitor's projection."""
    workspace = membership.workspace
    bodies, engines = form.sends()
    money = {
        "send": estimates.send_estimate_get(workspace=workspace, bodies=bodies, engines=engines)
    }
    data = getattr(form, "cleaned_data", {})
    schedule = data.get("schedule") or ""
    if schedule and schedule != "manual" and form.tasks:
        money["monitor"] = estimates.monitor_projection_get(
            workspace=workspace,
            bodies=bodies,
            engines=engines,
            schedule=schedule,
            cron=data.get("cron", ""),
        )
    return money


def _context(form, membership):
    bodies = [{**t, **_per_task_fields()} for t in form.tasks[:PREVIEW_LIMIT]]
    return {
        "money": _money(form, membership),
        "membership": membership,
        "form": form,
        "preview_json": json.dumps(bodies, indent=2, ensure_ascii=False) if bodies else "",
        "preview_more": max(0, len(form.tasks) - PREVIEW_LIMIT),
        "estimate": form.estimate(),
        "catalog": form.model_choices(),
        "engine": form.engine_notes,
        "refresh": catalog.model_refresh_status(family=form.engine),
        "preview_url": reverse("builder_preview", args=[membership.workspace_id]),
    }


def _per_task_fields() -> dict:
    """What each task gets when sent: its tag, and webhook URLs carrying its own secret."""
    tag = "(unique per task, set when sent)"
    hooks = webhook_fields(tag="preview")
    token = webhook_token(tag="preview")
    return {
        "tag": tag,
        **{k: v.replace(token, "(per-task secret)") for k, v in hooks.items()},
    }


@require_http_methods(["GET", "POST"])
def builder(request, workspace_id: int):
    membership = workspace_access(request, workspace_id, write=request.method == "POST")
    form = _form(request, membership)
    if request.method == "POST" and form.is_valid():
        if request.POST.get("action") == "monitor":
            return _save_monitor(request, form, membership)
        return _send(request, form, membership)
    return render(request, "monitoring/builder/page.html", _context(form, membership))


@require_POST
def builder_preview(request, workspace_id: int):
    """Live validation: 200 with the field errors (out-of-band), the JSON preview and the cost."""
    membership = workspace_access(request, workspace_id)
    form = _form(request, membership)
    chain_action = request.POST.get("chain_action", "")
    if chain_action == "add":
        last_role = form.message_chain[-1]["role"] if form.message_chain else "ai"
        form.message_chain.append({"role": "ai" if last_role == "user" else "user", "message": ""})
    form.is_valid()
    context = _context(form, membership)
    context["chain_action"] = chain_action
    context["untouched"] = request.POST.get("untouched") == "1"
    context["error_fields"] = _error_fields(form, membership)
    return render(request, "monitoring/builder/_feedback.html", context)


def _error_fields(form, membership) -> list:
    """The fields whose error slots the page has (an out-of-band swap needs its target)."""
    fields = form.visible_fields()
    if membership.can_write:
        return fields
    return [f for f in fields if f.name not in MONITOR_FIELDS]


def _send(request, form, membership):
    token = form.cleaned_data.get("send_token")
    if not token:
        # The page re-rendered now carries a fresh token (``send_token_value``).
        form.add_error(None, EXPIRED_FORM)
        return render(request, "monitoring/builder/page.html", _context(form, membership))
    sent = task_services.task_batch_send(
        workspace=membership.workspace,
        prompts=form.selected_prompts,
        request_settings=form.request_settings(),
        samples=form.cleaned_data["samples"],
        send_token=token,
        engine=form.engine,
    )
    if not sent.created:
        messages.info(request, _already_sent(sent, membership.workspace_id))
        return redirect("task_list", workspace_id=membership.workspace_id)
    tasks = sent.tasks
    estimate = form.estimate()
    messages.success(
        request,
        f"Queued {len(tasks)} task{'s' if len(tasks) != 1 else ''} "
        f"(prepayment ${estimate['prepaid']:.2f}). The pipeline posts them in the background.",
    )
    return redirect("task_list", workspace_id=membership.workspace_id)


def _already_sent(sent, workspace_id: int):
    """The notice for a repeated submit: what the first one queued, and where to see it."""
    count = len(sent.tasks)
    at = sent.queued_at.astimezone(UTC)
    if count == 1:
        what = "this task was"
        url = reverse("task_detail", args=[workspace_id, sent.tasks[0].pk])
    else:
        what = f"these {count} tasks were"
        day = at.date().isoformat()
        url = reverse("task_list", args=[workspace_id]) + f"?created_from={day}&created_to={day}"
    return format_html(
        "Already sent: {} queued at {} UTC{}. Nothing new was created or paid for. "
        '<a href="{}">See {}</a>. To send the same request again on purpose, '
        '<a href="{}">open the builder afresh</a>.',
        what,
        f"{at:%H:%M}",
        "" if at.date() == timezone.now().astimezone(UTC).date() else f" on {at:%Y-%m-%d}",
        url,
        "it" if count == 1 else "them",
        reverse("builder", args=[workspace_id]),
    )


def _save_monitor(request, form, membership):
    """The form judged the monitor's name and schedule too (``form.saving_monitor``)."""
    fields = monitor_fields(form)
    monitor = monitor_services.monitor_create(
        workspace=membership.workspace, user=request.user, **fields
    )
    schedule_label = monitor.get_schedule_display()
    bodies, engines = form.sends()
    projection = estimates.monitor_projection_get(
        workspace=membership.workspace,
        bodies=bodies,
        engines=engines,
        schedule=fields["schedule"],
        cron=fields["cron"],
    )
    messages.success(
        request,
        f"Saved the monitor “{monitor.name}” ({schedule_label}): {projection['runs']} runs in "
        f"the next 30 days, about ${projection['expected']:.2f} expected, at most "
        f"${projection['worst']:.2f}.",
    )
    return redirect("monitor_detail", workspace_id=membership.workspace_id, monitor_id=monitor.pk)


@require_POST
def models_refresh(request, workspace_id: int):
    membership = workspace_access(request, workspace_id, write=True)
    catalog_services.model_catalog_refresh_enqueue()
    messages.info(request, "Refreshing the model list in the background; reload in a moment.")
    return redirect("builder", workspace_id=membership.workspace_id)
