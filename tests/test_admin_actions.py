"""Admin actions on tasks and halts: each goes through a service and leaves history."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.models import PipelineHalt, Task, TaskEvent
from tests.factories import make_task, queued_jobs

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:monitoring_task_changelist"


def _act(client, action, tasks, url=CHANGELIST):
    return client.post(
        reverse(url), {"action": action, "_selected_action": [t.pk for t in tasks]}, follow=True
    )


@pytest.fixture(autouse=True)
def _empty_queue(empty_job_queue):
    return


def _queued_jobs() -> list[str]:
    return [func for func, _ in queued_jobs()]


def test_it_retries_failed_rejected_expired_and_cancelled_tasks(
    admin_client, workspace, django_capture_on_commit_callbacks
):
    tasks = [
        make_task(workspace=workspace, status=status, attempts=8, next_attempt_at=timezone.now())
        for status in ("failed", "rejected", "cancelled")
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = _act(admin_client, "retry", tasks)
    assert "Queued again 3 task(s)." in response.content.decode()
    for task in tasks:
        task.refresh_from_db()
        assert (task.status, task.next_attempt_at, task.attempts) == ("queued", None, 0)
        event = task.events.get()
        assert event.status_to == "queued"
        assert event.message == "Queued again by admin admin."
    assert "monitoring.jobs.pipeline_post" in _queued_jobs()  # posted now, not in a minute


def test_it_retries_a_billed_task_as_a_new_task_keeping_its_costs(admin_client, workspace):
    expired = make_task(
        workspace=workspace,
        status="expired",
        provider_task_id="prov-1",
        cost_prepaid=Decimal("0.010000"),
    )
    _act(admin_client, "retry", [expired])
    expired.refresh_from_db()
    assert expired.status == "expired"
    assert expired.cost_prepaid == Decimal("0.010000")
    copy = Task.objects.exclude(pk=expired.pk).get()
    assert copy.status == "queued"
    assert copy.prompt_id == expired.prompt_id
    assert copy.tag != expired.tag
    assert copy.request_body["tag"] == copy.tag
    assert copy.provider_task_id == ""
    assert copy.cost_prepaid is None
    assert f"retry of task #{expired.pk}" in copy.events.get().message
    assert "by admin admin" in copy.events.get().message
    assert f"Retried by admin admin as task #{copy.pk}" in expired.events.get().message
    assert copy.retry_of == expired

    _act(admin_client, "retry", [expired])  # a second click pays for nothing more
    assert Task.objects.filter(prompt_id=expired.prompt_id).count() == 2


def test_it_gives_a_retried_copy_its_own_webhook_secret(admin_client, workspace, settings):
    settings.AISA_COLLECT_MODES = ["poll", "postback"]
    settings.AISA_WEBHOOK_BASE_URL = "https://visibility.example.com"
    old = make_task(
        workspace=workspace,
        status="failed",
        provider_task_id="prov-2",
        cost_prepaid=Decimal("0.01"),
    )
    Task.objects.filter(pk=old.pk).update(
        request_body={**old.request_body, "postback_url": "https://old/hooks/postback/OLD/"}
    )
    _act(admin_client, "retry", [old])
    copy = Task.objects.get(retry_of=old)
    assert "OLD" not in copy.request_body["postback_url"]
    assert copy.request_body["postback_url"].startswith("https://visibility.example.com/")


def test_it_never_retries_unknown_or_live_tasks(admin_client, workspace):
    unknown = make_task(workspace=workspace, status="unknown")
    posted = make_task(workspace=workspace, status="posted")
    response = _act(admin_client, "retry", [unknown, posted])
    assert "2 task(s) not retried" in response.content.decode()
    assert set(Task.objects.values_list("status", flat=True)) == {"unknown", "posted"}
    assert not TaskEvent.objects.exists()


def test_a_retried_copy_asks_the_same_engine(admin_client, workspace):
    failed = make_task(
        workspace=workspace,
        status="failed",
        engine="chat_gpt",
        provider_task_id="prov-3",
        cost_prepaid=Decimal("0.01"),
    )
    _act(admin_client, "retry", [failed])
    copy = Task.objects.get(retry_of=failed)
    assert (copy.engine, copy.mode) == ("chat_gpt", "standard")


def test_a_live_call_of_unknown_outcome_is_retried_only_by_an_admin_as_a_copy(
    admin_client, workspace, settings
):
    settings.AISA_COLLECT_MODES = ["poll", "postback"]
    settings.AISA_WEBHOOK_BASE_URL = "https://visibility.example.com"
    lost = make_task(
        workspace=workspace,
        status="unknown",
        engine="perplexity",
        mode="live",
        cost_reserved=Decimal("0.05"),
    )
    response = _act(admin_client, "reconcile", [lost])
    assert "cannot be reconciled" in response.content.decode()

    response = _act(admin_client, "retry", [lost])
    assert "Queued again 1 task(s)." in response.content.decode()
    lost.refresh_from_db()
    assert (lost.status, lost.cost_reserved) == ("unknown", Decimal("0.05"))  # it may be billed
    copy = Task.objects.get(retry_of=lost)
    assert (copy.status, copy.engine, copy.mode) == ("queued", "perplexity", "live")
    assert "postback_url" not in copy.request_body  # live calls answer in their response
    assert "may have been answered and billed" in copy.events.get().message

    _act(admin_client, "retry", [lost])  # a second click asks nothing more
    assert Task.objects.filter(retry_of=lost).count() == 1


def test_it_cancels_only_tasks_not_sent_yet(admin_client, workspace):
    queued, held, posted = (
        make_task(workspace=workspace, status=s) for s in ("queued", "held", "posted")
    )
    response = _act(admin_client, "cancel", [queued, held, posted])
    body = response.content.decode()
    assert "Cancelled 2 task(s)." in body
    assert "1 task(s) not cancelled" in body
    for task, status in ((queued, "cancelled"), (held, "cancelled"), (posted, "posted")):
        task.refresh_from_db()
        assert task.status == status
    event = queued.events.get()
    assert (event.status_from, event.status_to) == ("queued", "cancelled")
    assert event.message == "Cancelled by admin admin."
    assert not posted.events.exists()


def test_it_enqueues_reconciling_for_unknown_tasks_after_commit(
    admin_client, workspace, django_capture_on_commit_callbacks
):
    unknown = make_task(workspace=workspace, status="unknown")
    collected = make_task(workspace=workspace, status="collected")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _act(admin_client, "reconcile", [unknown, collected])
    assert "reconcile 1 task(s)" in response.content.decode()
    assert len(callbacks) == 1
    assert _queued_jobs() == ["monitoring.jobs.pipeline_tick"]

    queued_jobs()  # drain
    with django_capture_on_commit_callbacks(execute=True):
        response = _act(admin_client, "reconcile", [collected])
    assert "None of these tasks is unknown" in response.content.decode()
    assert _queued_jobs() == []


def test_it_resumes_a_halted_pipeline(admin_client, admin_user, workspace):
    halt = PipelineHalt.objects.create(reason="Insufficient balance", error_code=402)
    changelist = admin_client.get(reverse("admin:monitoring_pipelinehalt_changelist"))
    assert "HALTED" in changelist.content.decode()
    response = _act(admin_client, "resume", [halt], url="admin:monitoring_pipelinehalt_changelist")
    assert "Resolved 1 halt(s)" in response.content.decode()
    halt.refresh_from_db()
    assert halt.resolved_at is not None
    assert halt.resolved_by == admin_user
    response = _act(admin_client, "resume", [halt], url="admin:monitoring_pipelinehalt_changelist")
    assert "already resolved" in response.content.decode()


def test_it_shows_api_calls_answers_and_budgets_read_only(admin_client, workspace):
    for name in ("apicall", "answer", "pipelinehalt", "task", "workspace"):
        assert admin_client.get(reverse(f"admin:monitoring_{name}_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:monitoring_apicall_add")).status_code == 403
    assert admin_client.get(reverse("admin:monitoring_answer_add")).status_code == 403
    page = admin_client.get(reverse("admin:monitoring_workspace_change", args=[workspace.pk]))
    assert 'name="monthly_budget_usd"' in page.content.decode()


def test_it_keeps_site_users_out_of_the_admin(owner_client, workspace):
    response = owner_client.get(reverse("admin:monitoring_task_changelist"))
    assert response.status_code == 302
    assert "/login/" in response.url
    page = owner_client.get(reverse("task_list", args=[workspace.pk])).content.decode()
    assert reverse("admin:index") not in page
