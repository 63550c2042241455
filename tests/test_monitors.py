"""The monitors pages and their runs: list, history, create, edit, pause, run now, delete."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.models import (
    Answer,
    LlmModel,
    Monitor,
    MonitorRun,
    Tag,
    Task,
    TaskEvent,
    TaskStatus,
)
from monitoring.models.requests import RunTrigger
from monitoring.pipeline.schedules import monitors_run_due
from monitoring.selectors import estimates
from monitoring.services import monitors as monitor_services
from tests.factories import MODEL, make_answer, make_monitor, make_prompt

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
OPUS = "claude-opus-4-20250514"
#: A Monday, 07:00 UTC: an hour after the daily and weekly slots.
MONDAY = datetime(2025, 6, 2, 7, 0, tzinfo=UTC)


@pytest.fixture
def catalog(db):
    now = timezone.now()
    for name in (MODEL, OPUS):
        LlmModel.objects.create(model_name=name, web_search_supported=True, refreshed_at=now)


@pytest.fixture
def frozen(monkeypatch):
    """frozen(moment): timezone.now() returns ``moment`` from then on."""

    def freeze(moment: datetime) -> None:
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return freeze


def _url(name, workspace, *ids):
    return reverse(name, args=[workspace.pk, *ids])


def _form(prompts=(), /, **overrides):
    data = {
        "monitor_name": "Weekly CRM",
        "schedule": "weekly",
        "scope": "selected",
        "prompts": [p.pk for p in prompts],
        "samples": "1",
        "model_name": MODEL,
        "max_output_tokens": "2048",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _old(monitor, **delta):
    """Make the monitor as if created ``delta`` ago (its first slots are then due)."""
    created = timezone.now() - timedelta(**(delta or {"days": 3}))
    Monitor.objects.filter(pk=monitor.pk).update(created_at=created)
    monitor.refresh_from_db()
    return monitor


def _run(monitor, *, slot=None, **kwargs):
    slot = slot or timezone.now().replace(second=0, microsecond=0)
    return monitor_services.monitor_run_create(monitor=monitor, slot=slot, **kwargs)


def _settle(run, statuses_and_costs):
    """Put the run's tasks, in id order, in these (status, real cost) states."""
    tasks = list(run.tasks.order_by("id"))
    for task, (status, real) in zip(tasks, statuses_and_costs, strict=True):
        Task.objects.filter(pk=task.pk).update(status=status, cost_real=real)


# --- The list ------------------------------------------------------------------------------


def test_it_lists_every_monitor_with_its_scope_schedule_last_run_and_projection(
    editor_client, workspace, frozen
):
    frozen(MONDAY)
    asked = [make_prompt(workspace=workspace, text=f"Best CRM #{i}?") for i in range(2)]
    settings = {"model_name": MODEL, "max_output_tokens": 1024, "web_search": True}
    daily = make_monitor(
        workspace=workspace,
        name="Daily CRM",
        prompts=asked,
        request_settings=settings,
        schedule="daily",
    )
    tag = Tag.objects.create(workspace=workspace, name="pricing")
    for i in range(3):
        make_prompt(workspace=workspace, text=f"Cheapest CRM #{i}?", tags=[tag])
    make_prompt(workspace=workspace, text="Paused", tags=[tag], is_active=False)
    manual = make_monitor(workspace=workspace, name="Pricing check", tag=tag, is_active=False)
    run = _run(daily)
    _settle(run, [(TaskStatus.COLLECTED, Decimal("0.012")), (TaskStatus.FAILED, None)])

    html = editor_client.get(_url("monitor_list", workspace)).content.decode()

    assert html.count('data-testid="monitor-row"') == 2
    assert html.index("Daily CRM") < html.index("Pricing check")
    assert "2 chosen prompts" in html
    assert "tag: pricing" in html
    assert "3 active prompts now" in html
    assert "Partly answered" in html
    assert "$0.0120" in html
    assert "Paused: no run until resumed" in html
    assert 'Next: <time datetime="2025-06-03T06:00:00+00:00">Tue 3 Jun, 06:00</time>' in html
    bodies = [p.task_body(request_settings=settings) for p in asked]
    projection = estimates.monitor_projection_get(
        workspace=workspace, bodies=bodies, schedule="daily"
    )
    assert projection["runs"] == 30
    assert f"${projection['expected']:.2f}</span>" in html
    assert f"at most ${projection['worst']:.2f}" in html
    assert manual.runs.count() == 0


def test_it_explains_an_empty_list_and_offers_creation_to_editors_only(
    client, make_member, workspace
):
    client.force_login(make_member(workspace, "viewer"))
    html = client.get(_url("monitor_list", workspace)).content.decode()
    assert "No monitors yet" in html
    assert _url("monitor_create", workspace) not in html
    client.force_login(make_member(workspace, "editor"))
    assert (
        _url("monitor_create", workspace)
        in client.get(_url("monitor_list", workspace)).content.decode()
    )


def _monitors_with_runs(workspace, count):
    tag = Tag.objects.create(workspace=workspace, name=f"t{count}")
    for i in range(count):
        prompts = [make_prompt(workspace=workspace, text=f"Q{i}-{j}", tags=[tag]) for j in range(2)]
        if i % 2:
            monitor = make_monitor(workspace=workspace, name=f"M{i:03}", tag=tag, schedule="daily")
        else:
            monitor = make_monitor(workspace=workspace, name=f"M{i:03}", prompts=prompts)
        run = _run(monitor)
        Task.objects.filter(monitor_run=run).update(
            status=TaskStatus.COLLECTED, cost_real=Decimal("0.01")
        )


@pytest.mark.parametrize("count", [2, 12])
def test_it_lists_monitors_in_constant_queries(
    editor_client, workspace, count, django_assert_max_num_queries
):
    _monitors_with_runs(workspace, count)
    url = _url("monitor_list", workspace)
    editor_client.get(url)  # the first visit stores the current workspace in the session
    # session, user, membership, switcher; monitors, their prompts, their tags' prompts;
    # last runs, their tasks; budgets (workspace's, today's spend, the month's, prices);
    # the workspace's recent costs per kind of task (the expected cost)
    with django_assert_max_num_queries(14):
        response = editor_client.get(url)
    assert response.content.decode().count('data-testid="monitor-row"') == count


def test_the_navigation_links_to_the_monitors_page(viewer_client, workspace):
    html = viewer_client.get(_url("workspace_home", workspace)).content.decode()
    assert f'href="{_url("monitor_list", workspace)}"' in html
    page = viewer_client.get(_url("monitor_list", workspace)).content.decode()
    assert f'href="{_url("monitor_list", workspace)}" aria-current="page">Monitors' in page


# --- One monitor and its runs --------------------------------------------------------------


def test_it_shows_each_run_with_its_status_counts_and_cost(viewer_client, workspace, editor):
    prompts = [make_prompt(workspace=workspace, text=f"Best CRM #{i}?") for i in range(3)]
    monitor = make_monitor(workspace=workspace, name="CRM", prompts=prompts, schedule="daily")
    now = timezone.now().replace(second=0, microsecond=0)
    first = _run(monitor, slot=now - timedelta(days=1))
    _settle(
        first,
        [
            (TaskStatus.COLLECTED, Decimal("0.010")),
            (TaskStatus.COLLECTED, Decimal("0.005")),
            (TaskStatus.FAILED, None),
        ],
    )
    second = _run(monitor, slot=now, trigger=RunTrigger.MANUAL, user=editor)
    _settle(second, [(TaskStatus.HELD, None), (TaskStatus.QUEUED, None), (TaskStatus.QUEUED, None)])

    html = viewer_client.get(_url("monitor_detail", workspace, monitor.pk)).content.decode()

    assert html.count('data-testid="run-row"') == 2
    newest, oldest = html.split('data-testid="run-row"')[1:]
    assert f"Run now by {editor.username}" in newest
    assert "Held for budget" in newest
    assert "Queued</span> 2" in newest
    assert "$0.0000" in newest
    assert "Scheduled" in oldest
    assert "Partly answered" in oldest
    assert "Collected</span> 2" in oldest
    assert "Failed</span> 1" in oldest
    assert "$0.0150" in oldest
    assert "3 prompts" in oldest
    assert 'data-testid="monitor-spent"><span class="money">$0.0150' in html
    assert _url("monitor_edit", workspace, monitor.pk) not in html  # a viewer gets no actions


# --- Create and edit -------------------------------------------------------------------------


def test_it_creates_a_tag_scoped_monitor_from_the_monitors_page(editor_client, workspace, catalog):
    tag = Tag.objects.create(workspace=workspace, name="crm")
    make_prompt(workspace=workspace, text="Best CRM?", tags=[tag])
    data = _form(scope="tag", tag=tag.pk, schedule="cron", cron="0 9 * * 1", web_search="on")
    response = editor_client.post(_url("monitor_create", workspace), data)
    monitor = Monitor.objects.get()
    assert response.url == _url("monitor_detail", workspace, monitor.pk)
    assert (monitor.tag, list(monitor.prompts.all())) == (tag, [])
    assert (monitor.schedule, monitor.cron) == ("cron", "0 9 * * 1")
    assert monitor.request_settings["web_search"] is True
    assert Task.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"monitor_name": ""}, "Name the monitor to save it."),
        ({"schedule": "cron", "cron": "every monday"}, "Enter a valid cron expression"),
        ({"max_output_tokens": "5000"}, "at most 4096"),
        ({"temperature": "0.5", "top_p": "0.5"}, "not both"),
        ({"prompts": []}, "Choose at least one active prompt"),
    ],
)
def test_it_refuses_what_the_builder_refuses(editor_client, workspace, catalog, fields, words):
    prompt = make_prompt(workspace=workspace)
    response = editor_client.post(_url("monitor_create", workspace), _form([prompt], **fields))
    assert response.status_code == 200
    assert words in response.content.decode()
    assert Monitor.objects.count() == 0


def test_the_edit_form_starts_from_the_monitors_settings(editor_client, workspace, catalog):
    prompts = [make_prompt(workspace=workspace, text=f"Best CRM #{i}?") for i in range(2)]
    paused = make_prompt(workspace=workspace, text="Old question", is_active=False)
    settings = {"model_name": OPUS, "max_output_tokens": 1500, "web_search": True}
    monitor = make_monitor(
        workspace=workspace,
        name="Opus",
        prompts=[prompts[1], paused],
        request_settings=settings,
        samples_per_run=3,
        schedule="daily",
    )
    html = editor_client.get(_url("monitor_edit", workspace, monitor.pk)).content.decode()
    assert 'value="Opus"' in html
    assert f'<option value="{OPUS}" selected>' in html
    assert 'name="max_output_tokens" value="1500"' in html
    assert 'name="web_search" id="id_web_search" checked' in html
    assert f'<option value="{prompts[1].pk}" selected>' in html
    assert f'<option value="{prompts[0].pk}">' in html
    assert f'<option value="{paused.pk}" selected>Old question (paused)</option>' in html
    assert 'name="samples" value="3"' in html


def test_the_edit_form_says_when_the_monitors_model_is_no_longer_listed(
    editor_client, workspace, catalog
):
    monitor = make_monitor(workspace=workspace, request_settings={"model_name": "claude-2"})
    html = editor_client.get(_url("monitor_edit", workspace, monitor.pk)).content.decode()
    assert "The API no longer lists this monitor's model, claude-2: choose another." in html
    LlmModel.objects.all().delete()
    html = editor_client.get(_url("monitor_edit", workspace, monitor.pk)).content.decode()
    assert "The model list has not been loaded from the API yet" in html


def test_editing_a_monitor_changes_its_next_runs_but_not_its_past_ones(
    editor_client, workspace, catalog, frozen
):
    prompts = [make_prompt(workspace=workspace, text=f"Best CRM #{i}?") for i in range(2)]
    monitor = make_monitor(
        workspace=workspace,
        name="CRM",
        prompts=prompts,
        request_settings={"model_name": MODEL, "max_output_tokens": 1024},
    )
    frozen(MONDAY)
    editor_client.post(_url("monitor_run_now", workspace, monitor.pk))
    run = MonitorRun.objects.get()
    before = {t.pk: t.request_body for t in Task.objects.all()}

    tag = Tag.objects.create(workspace=workspace, name="new")
    make_prompt(workspace=workspace, text="Tagged CRM question?", tags=[tag])
    edited = _form(
        monitor_name="CRM (Opus)",
        model_name=OPUS,
        web_search="on",
        samples="2",
        scope="tag",
        tag=tag.pk,
        schedule="manual",
    )
    response = editor_client.post(_url("monitor_edit", workspace, monitor.pk), edited)
    assert response.status_code == 302

    run.refresh_from_db()
    assert run.request_settings == {"model_name": MODEL, "max_output_tokens": 1024}
    assert (run.samples_per_run, run.prompt_count, run.tag_name) == (1, 2, "")
    assert {t.pk: t.request_body for t in Task.objects.all()} == before
    monitor.refresh_from_db()
    assert (monitor.name, monitor.tag, monitor.samples_per_run) == ("CRM (Opus)", tag, 2)
    assert monitor.request_settings["model_name"] == OPUS

    frozen(MONDAY + timedelta(minutes=1))
    editor_client.post(_url("monitor_run_now", workspace, monitor.pk))
    new = MonitorRun.objects.exclude(pk=run.pk).get()
    bodies = [t.request_body for t in new.tasks.all()]
    assert len(bodies) == 2  # the tag's one prompt, twice
    assert {(b["model_name"], b["web_search"], b["user_prompt"]) for b in bodies} == {
        (OPUS, True, "Tagged CRM question?")
    }
    html = editor_client.get(_url("monitor_detail", workspace, monitor.pk)).content.decode()
    newest, oldest = html.split('data-testid="run-settings"')[1:]
    assert OPUS in newest
    assert "web search" in newest
    assert "2 samples" in newest
    assert MODEL in oldest
    assert "web search" not in oldest
    assert "1 sample" in oldest


def test_a_new_schedule_starts_at_its_next_slot(editor_client, workspace, catalog, frozen):
    prompt = make_prompt(workspace=workspace)
    monitor = _old(make_monitor(workspace=workspace, prompts=[prompt], schedule="weekly"))
    frozen(MONDAY + timedelta(days=1))  # Tuesday 07:00: today's 06:00 daily slot has passed
    edit = _form([prompt], monitor_name=monitor.name, schedule="daily")
    editor_client.post(_url("monitor_edit", workspace, monitor.pk), edit)
    assert monitors_run_due(now=MONDAY + timedelta(days=1, hours=1)) == 0
    assert monitors_run_due(now=MONDAY + timedelta(days=2, minutes=-59)) == 1  # Wed 06:01


# --- Pause and resume --------------------------------------------------------------------------


def test_it_pauses_and_resumes_a_monitor_in_place(editor_client, workspace, frozen):
    monitor = make_monitor(workspace=workspace, name="CRM", schedule="daily")
    url = _url("monitor_toggle", workspace, monitor.pk)
    row = editor_client.post(url, {"active": "0"}, **HTMX).content.decode()
    assert row.startswith(f'<tr id="monitor-{monitor.pk}"')
    assert "Paused “CRM”." in row
    assert ">Resume</button>" in row
    assert "Run now" not in row
    monitor.refresh_from_db()
    assert not monitor.is_active

    frozen(MONDAY)
    row = editor_client.post(url, {"active": "1"}, **HTMX).content.decode()
    assert "Resumed “CRM”." in row
    assert ">Pause</button>" in row
    assert "Run now" in row
    monitor.refresh_from_db()
    assert (monitor.is_active, monitor.starts_at) == (True, MONDAY)


def test_a_paused_monitor_skips_its_slots_and_resumes_at_the_next_one(workspace):
    monitor = make_monitor(workspace=workspace, schedule="daily")
    Monitor.objects.filter(pk=monitor.pk).update(created_at=MONDAY - timedelta(days=7))
    monitor.refresh_from_db()
    assert monitors_run_due(now=MONDAY) == 1  # Monday 06:00
    monitor_services.monitor_set_active(monitor=monitor, is_active=False)
    assert monitors_run_due(now=MONDAY + timedelta(days=1)) == 0  # Tuesday: paused
    monitor_services.monitor_set_active(
        monitor=monitor, is_active=True, now=MONDAY + timedelta(days=1, hours=1)
    )
    assert monitors_run_due(now=MONDAY + timedelta(days=1, hours=2)) == 0  # missed: not run
    assert monitors_run_due(now=MONDAY + timedelta(days=2, minutes=-59)) == 1  # Wednesday
    assert [r.slot.day for r in monitor.runs.order_by("slot")] == [2, 4]


def test_the_detail_pages_buttons_work_without_javascript(editor_client, workspace):
    monitor = make_monitor(workspace=workspace, name="CRM")
    detail = _url("monitor_detail", workspace, monitor.pk)
    html = editor_client.get(detail).content.decode()
    assert 'name="back" value="detail"' in html
    response = editor_client.post(
        _url("monitor_toggle", workspace, monitor.pk), {"active": "0", "back": "detail"}
    )
    assert response.url == detail
    assert "Paused “CRM”." in editor_client.get(detail).content.decode()
    response = editor_client.post(_url("monitor_toggle", workspace, monitor.pk), {"active": "1"})
    assert response.url == _url("monitor_list", workspace)


# --- Running ---------------------------------------------------------------------------------


def test_a_scheduled_monitor_keeps_running_on_its_schedule(workspace):
    daily = make_monitor(workspace=workspace, name="Daily", schedule="daily", samples_per_run=2)
    manual = make_monitor(workspace=workspace, name="Manual", schedule="manual")
    Monitor.objects.update(created_at=MONDAY - timedelta(days=7))
    created = []
    for day in range(4):
        for minute in (0, 1, 30):  # every tick of the day after 06:00 finds the slot taken
            created.append(monitors_run_due(now=MONDAY + timedelta(days=day, minutes=minute)))
    assert created == [2, 0, 0] * 4
    assert [r.slot.day for r in daily.runs.order_by("slot")] == [2, 3, 4, 5]
    assert {r.trigger for r in daily.runs.all()} == {RunTrigger.SCHEDULE}
    assert manual.runs.count() == 0  # nothing runs a manual monitor by itself


def test_a_manual_monitor_runs_when_asked(editor_client, editor, workspace, frozen):
    prompts = [make_prompt(workspace=workspace, text=f"Best CRM #{i}?") for i in range(2)]
    monitor = make_monitor(workspace=workspace, name="Manual", prompts=prompts, samples_per_run=2)
    assert monitors_run_due() == 0
    frozen(MONDAY)
    row = editor_client.post(_url("monitor_run_now", workspace, monitor.pk), **HTMX)
    html = row.content.decode()
    assert "Queued 4 tasks at 07:00 UTC" in html
    assert "wait as held" in html
    assert "In progress" in html
    run = MonitorRun.objects.get()
    assert (run.monitor, run.slot, run.trigger, run.requested_by) == (
        monitor,
        MONDAY,
        RunTrigger.MANUAL,
        editor,
    )
    assert run.request_settings == monitor.request_settings
    tasks = Task.objects.filter(monitor_run=run)
    assert tasks.count() == run.task_count == 4
    assert set(tasks.values_list("status", flat=True)) == {TaskStatus.QUEUED}
    assert set(tasks.values_list("monitor", flat=True)) == {monitor.pk}
    assert TaskEvent.objects.filter(task__in=tasks, status_to=TaskStatus.QUEUED).count() == 4


def test_run_now_twice_in_a_minute_queues_one_run(editor_client, workspace, frozen):
    monitor = make_monitor(workspace=workspace)
    url = _url("monitor_run_now", workspace, monitor.pk)
    frozen(MONDAY + timedelta(seconds=5))
    editor_client.post(url, **HTMX)
    frozen(MONDAY + timedelta(seconds=50))
    again = editor_client.post(url, **HTMX).content.decode()
    assert "already ran this minute: nothing new was queued" in again
    assert (MonitorRun.objects.count(), Task.objects.count()) == (1, 1)
    frozen(MONDAY + timedelta(minutes=1))
    editor_client.post(url)
    assert (MonitorRun.objects.count(), Task.objects.count()) == (2, 2)


def test_run_now_refuses_a_paused_monitor(editor_client, workspace):
    monitor = make_monitor(workspace=workspace, name="CRM", is_active=False)
    response = editor_client.post(_url("monitor_run_now", workspace, monitor.pk), follow=True)
    assert "“CRM” is paused: resume it to run it." in response.content.decode()
    assert MonitorRun.objects.count() == 0


def test_viewers_can_neither_run_pause_edit_nor_delete_a_monitor(viewer_client, workspace):
    monitor = make_monitor(workspace=workspace, name="CRM")
    posts = [
        ("monitor_run_now", {}),
        ("monitor_toggle", {"active": "0"}),
        ("monitor_edit", {"monitor_name": "Hijacked"}),
        ("monitor_delete", {}),
    ]
    for name, data in posts:
        assert viewer_client.post(_url(name, workspace, monitor.pk), data).status_code == 403
    monitor.refresh_from_db()
    assert (monitor.name, monitor.is_active, monitor.runs.count()) == ("CRM", True, 0)
    assert Task.objects.count() == 0


def test_a_tag_scoped_monitor_asks_the_prompts_tagged_at_each_run(workspace):
    tag = Tag.objects.create(workspace=workspace, name="crm")
    first = make_prompt(workspace=workspace, text="Best CRM?", tags=[tag])
    make_prompt(workspace=workspace, text="Untagged")
    monitor = make_monitor(workspace=workspace, tag=tag)
    run = _run(monitor, slot=MONDAY)
    assert [t.prompt for t in run.tasks.all()] == [first]
    later = make_prompt(workspace=workspace, text="Cheapest CRM?", tags=[tag])
    first.is_active = False
    first.save()
    run = _run(monitor, slot=MONDAY + timedelta(days=1))
    assert [t.prompt for t in run.tasks.all()] == [later]
    assert (run.prompt_count, run.tag_name) == (1, "crm")


def test_the_builder_saves_a_tag_scope_as_the_tag(editor_client, workspace, catalog):
    tag = Tag.objects.create(workspace=workspace, name="crm")
    make_prompt(workspace=workspace, text="Best CRM?", tags=[tag])
    data = _form(scope="tag", tag=tag.pk, schedule="daily", action="monitor")
    data["send_token"] = "x" * 43
    response = editor_client.post(_url("builder", workspace), data)
    monitor = Monitor.objects.get()
    assert (monitor.tag, monitor.prompts.count()) == (tag, 0)
    assert response.url == _url("monitor_detail", workspace, monitor.pk)
    later = make_prompt(workspace=workspace, text="Cheapest CRM?", tags=[tag])
    run = _run(monitor)
    assert later in [t.prompt for t in run.tasks.all()]


# --- Delete -------------------------------------------------------------------------------------


def test_deleting_a_monitor_keeps_its_runs_tasks_and_answers(editor_client, editor, workspace):
    prompts = [make_prompt(workspace=workspace, text=f"Best CRM #{i}?") for i in range(2)]
    monitor = make_monitor(workspace=workspace, name="CRM", prompts=prompts)
    run = _run(monitor)
    answered, waiting = run.tasks.order_by("id")
    Task.objects.filter(pk=answered.pk).update(status=TaskStatus.COLLECTED)
    answer = make_answer(task=Task.objects.get(pk=answered.pk), monitor=monitor, analyze=False)

    page = editor_client.get(_url("monitor_delete", workspace, monitor.pk)).content.decode()
    assert "runs, tasks and answers are kept" in page
    row = editor_client.post(_url("monitor_delete", workspace, monitor.pk), **HTMX)
    html = row.content.decode()
    assert f'<tr id="monitor-{monitor.pk}" class="deleted-row"' in html
    assert "Deleted “CRM”. Its runs, tasks and answers are kept. 1 task not sent yet" in html

    assert not Monitor.objects.exists()
    run.refresh_from_db()
    assert (run.monitor, run.task_count) == (None, 2)
    assert set(Task.objects.values_list("monitor_run", flat=True)) == {run.pk}
    assert Answer.objects.get(pk=answer.pk).monitor is None
    waiting.refresh_from_db()
    assert waiting.status == TaskStatus.CANCELLED
    assert f"was deleted by {editor}" in waiting.events.last().message
    assert Task.objects.get(pk=answered.pk).status == TaskStatus.COLLECTED
