"""Idempotent sends: one rendering of the builder queues (and pays for) its tasks once.

The page carries a one-time send token; the tasks' tags derive from it, so a second submit
of the same form (double click, retry, two tabs, a replayed POST) finds the first one's tasks
or hits the unique tag, and creates nothing. Two renderings are two sends, on purpose.
"""

import re
import threading
from datetime import UTC
from html import unescape

import pytest
import requests
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from monitoring.forms.builder import send_token_new
from monitoring.models import LlmModel, Task, TaskEvent
from monitoring.services import tasks as task_services
from tests.factories import make_prompt

pytestmark = pytest.mark.django_db

MODEL = "claude-sonnet-4-20250514"


@pytest.fixture
def catalog(db):
    LlmModel.objects.create(
        model_name=MODEL, web_search_supported=True, refreshed_at=timezone.now()
    )


@pytest.fixture
def prompts(workspace):
    return [
        make_prompt(workspace=workspace, text="Best CRM for startups?"),
        make_prompt(workspace=workspace, text="Best CRM for banks?"),
    ]


def _data(prompts, token, **overrides):
    return {
        "scope": "selected",
        "prompts": [p.pk for p in prompts],
        "samples": "2",
        "model_name": MODEL,
        "max_output_tokens": "2048",
        "send_token": token,
        "action": "send",
        **overrides,
    }


def _builder(workspace):
    return reverse("builder", args=[workspace.pk])


def _token_in(html: str) -> str:
    return re.search(r'name="send_token" value="([^"]+)"', html).group(1)


def _flash(html: str) -> str:
    return " ".join(
        unescape(m) for m in re.findall(r'<article class="flash[^"]*">(.*?)</article>', html)
    )


def test_a_second_submit_of_the_same_form_creates_nothing_and_says_so(
    editor_client, workspace, catalog, prompts, django_capture_on_commit_callbacks
):
    token = _token_in(editor_client.get(_builder(workspace)).content.decode())
    with django_capture_on_commit_callbacks() as first_jobs:
        first = editor_client.post(_builder(workspace), _data(prompts, token), follow=True)
    assert "Queued 4 tasks" in _flash(first.content.decode())
    tags = set(Task.objects.values_list("tag", flat=True))
    events = TaskEvent.objects.count()

    with django_capture_on_commit_callbacks() as second_jobs:
        second = editor_client.post(_builder(workspace), _data(prompts, token), follow=True)

    assert set(Task.objects.values_list("tag", flat=True)) == tags  # nothing new, 4 tasks
    assert TaskEvent.objects.count() == events
    assert len(first_jobs) == 1
    assert second_jobs == []  # no second posting job either
    queued_at = Task.objects.earliest("created_at").created_at.astimezone(UTC)
    notice = _flash(second.content.decode())
    assert f"Already sent: these 4 tasks were queued at {queued_at:%H:%M} UTC." in notice
    assert "Nothing new was created or paid for" in notice
    day = queued_at.date().isoformat()
    link = reverse("task_list", args=[workspace.pk]) + f"?created_from={day}&amp;created_to={day}"
    assert f'<a href="{link}">See them</a>' in second.content.decode()
    assert second.redirect_chain[-1][0] == reverse("task_list", args=[workspace.pk])


def test_the_same_token_is_one_send_even_if_the_form_was_changed(
    editor_client, workspace, catalog, prompts
):
    # Back, change the prompts, submit again: still the page that was sent, so refused.
    token = send_token_new()
    editor_client.post(_builder(workspace), _data(prompts[:1], token, samples="1"))
    response = editor_client.post(_builder(workspace), _data(prompts, token), follow=True)
    assert Task.objects.count() == 1
    task = Task.objects.get()
    notice = response.content.decode()
    assert "Already sent: this task was queued at" in _flash(notice)
    assert reverse("task_detail", args=[workspace.pk, task.pk]) in notice


def test_two_renderings_of_the_form_send_twice_on_purpose(
    editor_client, workspace, catalog, prompts
):
    tokens = [_token_in(editor_client.get(_builder(workspace)).content.decode()) for _ in "ab"]
    assert tokens[0] != tokens[1]
    for token in tokens:
        response = editor_client.post(_builder(workspace), _data(prompts, token), follow=True)
        assert "Queued 4 tasks" in _flash(response.content.decode())
    assert Task.objects.count() == 8
    assert len(set(Task.objects.values_list("tag", flat=True))) == 8


def test_the_token_survives_a_re_render_and_stays_out_of_the_preview(
    editor_client, workspace, catalog, prompts
):
    token = _token_in(editor_client.get(_builder(workspace)).content.decode())
    preview = editor_client.post(
        reverse("builder_preview", args=[workspace.pk]),
        _data(prompts, token),
        HTTP_HX_REQUEST="true",
    )
    assert token not in preview.content.decode()
    # An invalid send re-renders the page with the same token: fixing it sends once.
    invalid = editor_client.post(_builder(workspace), _data(prompts, token, top_p="3"))
    assert invalid.status_code == 200
    assert _token_in(invalid.content.decode()) == token
    editor_client.post(_builder(workspace), _data(prompts, token))
    editor_client.post(_builder(workspace), _data(prompts, token))
    assert Task.objects.count() == 4
    for task in Task.objects.all():
        assert token not in task.tag
        assert token not in str(task.request_body)
        assert token not in str(list(task.events.values_list("message", flat=True)))


@pytest.mark.parametrize("token", [None, "", "short", "x" * 65, "bad token with spaces" * 3])
def test_it_refuses_a_send_without_a_valid_token_and_offers_a_fresh_one(
    editor_client, workspace, catalog, prompts, token
):
    data = _data(prompts, token)
    if token is None:
        del data["send_token"]
    response = editor_client.post(_builder(workspace), data)
    assert response.status_code == 200
    assert Task.objects.count() == 0
    assert "without a send token" in unescape(response.content.decode())
    fresh = _token_in(response.content.decode())
    assert fresh != token
    editor_client.post(_builder(workspace), _data(prompts, fresh))
    assert Task.objects.count() == 4


def test_tags_are_derived_from_the_token_and_unguessable_without_the_secret(
    workspace, prompts, settings
):
    token = send_token_new()
    tag = task_services.send_tag(workspace=workspace, send_token=token, prompt=prompts[0], sample=1)
    assert re.fullmatch(r"t-[0-9a-f]{32}", tag)
    assert tag == task_services.send_tag(
        workspace=workspace, send_token=token, prompt=prompts[0], sample=1
    )
    others = {
        task_services.send_tag(workspace=workspace, send_token=token, prompt=prompts[0], sample=2),
        task_services.send_tag(workspace=workspace, send_token=token, prompt=prompts[1], sample=1),
        task_services.send_tag(
            workspace=workspace, send_token=send_token_new(), prompt=prompts[0], sample=1
        ),
    }
    assert tag not in others
    assert len(others) == 3
    settings.SECRET_KEY = "another-installation-" * 3
    assert tag != task_services.send_tag(
        workspace=workspace, send_token=token, prompt=prompts[0], sample=1
    )


def test_a_concurrent_duplicate_that_passes_the_check_hits_the_unique_tag(
    workspace, prompts, monkeypatch
):
    # PostgreSQL lets two transactions both find nothing sent yet; the later insert then
    # fails on the unique tag. Simulate it by hiding the first send from the check once.
    send = {
        "workspace": workspace,
        "prompts": prompts,
        "request_settings": {"model_name": MODEL},
        "samples": 2,
        "send_token": send_token_new(),
    }
    first = task_services.task_batch_send(**send)
    events = TaskEvent.objects.count()
    real, calls = task_services._tasks_sent, []

    def blind_once(**kwargs):
        calls.append(kwargs)
        return [] if len(calls) == 1 else real(**kwargs)

    monkeypatch.setattr(task_services, "_tasks_sent", blind_once)
    second = task_services.task_batch_send(**send)

    assert first.created
    assert not second.created
    assert len(calls) == 2  # the check, then the lookup after the IntegrityError
    assert [t.pk for t in second.tasks] == sorted(t.pk for t in Task.objects.all())
    assert Task.objects.count() == 4
    assert TaskEvent.objects.count() == events


def test_monitor_runs_keep_random_tags(workspace, prompts):
    run = {"workspace": workspace, "prompts": prompts, "request_settings": {"model_name": MODEL}}
    first = task_services.task_batch_create(**run)
    second = task_services.task_batch_create(**run)
    assert Task.objects.count() == 4
    assert not {t.tag for t in first} & {t.tag for t in second}


def test_the_send_button_is_guarded_and_the_form_still_posts_plainly(
    editor_client, workspace, catalog
):
    html = editor_client.get(_builder(workspace)).content.decode()
    form = re.search(r'<form method="post" id="builder-form"[^>]*>', html)
    # The guard is static/js/builder.js (the CSP refuses an onsubmit attribute); the browser
    # test tests/browser/test_csp.py clicks twice and sees one post.
    assert re.search(r'<script src="[^"]*/js/builder\.js"', html)
    assert "onsubmit" not in form.group(0)
    assert 'action="' not in form.group(0)  # posts to the page itself, with or without JS
    assert 'name="send_token" value="' in html


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_identical_posts_create_one_set_of_tasks(
    client, live_server, make_member, workspace, catalog, prompts, empty_job_queue
):
    client.force_login(make_member(workspace, "editor"))
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    url = live_server.url + _builder(workspace)

    def browser_tab():
        tab = requests.Session()
        tab.cookies.set(settings.SESSION_COOKIE_NAME, session_cookie)
        return tab

    page = browser_tab().get(url, timeout=30)
    assert page.status_code == 200
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    data = {**_data(prompts, _token_in(page.text)), "csrfmiddlewaretoken": csrf}
    tabs = []
    for _ in range(2):  # the same page twice: same cookies, same form, same token
        tab = browser_tab()
        tab.cookies.update(page.cookies)
        tabs.append(tab)

    barrier, responses = threading.Barrier(2), []

    def submit(tab):
        barrier.wait()
        responses.append(tab.post(url, data=data, timeout=60))

    threads = [threading.Thread(target=submit, args=(tab,)) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    assert [r.status_code for r in responses] == [200, 200]
    notices = sorted(_flash(r.text) for r in responses)
    assert "Already sent: these 4 tasks were queued at" in notices[0]
    assert "Queued 4 tasks" in notices[1]
    assert Task.objects.filter(workspace=workspace).count() == 4
    assert TaskEvent.objects.count() == 4
