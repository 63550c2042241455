"""Prompt versions: an answer stays under the wording it was asked when its prompt is edited.

The scenario (``reworded``): "Best CRM?" got 10 answers five days ago (4 name Acme, the own
brand), then an editor reworded it to "Best CRM for agencies?" on the prompts page, and it
got 2 answers since (both name Acme).
"""

import csv
import importlib
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from monitoring.aisa.results import Answer as ApiAnswer
from monitoring.models import Answer, Prompt, PromptVersion, Task, TaskStatus
from monitoring.pipeline.answers import answer_store
from monitoring.selectors import dashboard
from monitoring.selectors.dashboard import brand_list_ordered
from monitoring.selectors.filters import Filters, default_range
from monitoring.services.prompts import prompt_update
from monitoring.services.summaries import summaries_refresh
from monitoring.services.tasks import task_batch_create
from tests.factories import make_answer, make_prompt, make_task, refreshed

prompt_table_get = refreshed(dashboard.prompt_table_get)

pytestmark = pytest.mark.django_db

OLD, NEW = "Best CRM?", "Best CRM for agencies?"


def _filters(**kw):
    start, end = default_range()
    return Filters(start=start, end=end, **kw)


def _edit(client, prompt, **fields):
    url = reverse("prompt_edit", args=[prompt.workspace_id, prompt.pk])
    chain = "\n".join(f"{t['role']}: {t['message']}" for t in prompt.message_chain)
    data = {
        "text": prompt.text,
        "system_message": prompt.system_message,
        "chain": chain,
        "tags": "",
        "is_active": "on",
    } | fields
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()
    prompt.refresh_from_db()
    return prompt


@pytest.fixture
def reworded(workspace, brands, editor_client):
    prompt = make_prompt(workspace=workspace, text=OLD)
    before = timezone.now() - timedelta(days=5)
    old = [
        make_answer(prompt=prompt, text="Acme." if i < 4 else "Beta.", answered_at=before)
        for i in range(10)
    ]
    _edit(editor_client, prompt, text=NEW)
    new = [make_answer(prompt=prompt, text="Acme and Beta.") for _ in range(2)]
    return {"prompt": prompt, "old": old, "new": new, "client": editor_client}


def _table(workspace, **kw):
    brands = brand_list_ordered(workspace=workspace)
    own = next(b for b in brands if b.kind == "own")
    return prompt_table_get(workspace=workspace, filters=_filters(**kw), own=own, brands=brands)


# --- Editing -------------------------------------------------------------------------------


def test_editing_a_sent_prompt_starts_a_version_and_keeps_the_old_wording(workspace, reworded):
    prompt = reworded["prompt"]
    v1, v2 = PromptVersion.objects.filter(prompt=prompt).order_by("number")
    assert (v1.number, v1.text, v2.number, v2.text) == (1, OLD, 2, NEW)
    assert v1.replaced_at == v2.created_at
    assert v2.replaced_at is None
    assert prompt.text == NEW  # the builder sends the current wording
    assert set(Answer.objects.filter(prompt_version=v1)) == set(reworded["old"])
    assert set(Answer.objects.filter(prompt_version=v2)) == set(reworded["new"])
    assert Task.objects.filter(prompt_version=v1).count() == 10


def test_the_edit_itself_records_the_new_version(workspace, editor_client):
    prompt = make_prompt(workspace=workspace, text=OLD)
    make_answer(prompt=prompt)
    edited_at = timezone.now()
    _edit(editor_client, prompt, text=NEW)
    v1, v2 = prompt.versions.order_by("number")  # before anything is sent in the new wording
    assert (v1.text, v2.text) == (OLD, NEW)
    assert v2.created_at >= edited_at
    assert v1.replaced_at == v2.created_at


def test_editing_a_prompt_never_sent_just_edits_it(workspace, editor_client):
    prompt = make_prompt(workspace=workspace, text=OLD)
    _edit(editor_client, prompt, text=NEW, system_message="You are a buyer.")
    assert prompt.text == NEW
    assert not PromptVersion.objects.exists()
    task = make_task(prompt=prompt)  # its first send makes version 1, in the new wording
    assert (task.prompt_version.number, task.prompt_version.text) == (1, NEW)


def test_a_version_not_sent_yet_is_edited_in_place(workspace, reworded):
    prompt = reworded["prompt"]
    v2 = PromptVersion.objects.get(prompt=prompt, number=2)
    Task.objects.filter(prompt_version=v2).delete()  # as if v2's answers had not come yet
    Answer.objects.filter(prompt_version=v2).delete()
    _edit(reworded["client"], prompt, text="Best CRM for small agencies?")
    assert list(prompt.versions.values_list("number", "text")) == [
        (1, OLD),
        (2, "Best CRM for small agencies?"),
    ]


def test_tags_and_pausing_do_not_change_the_wording(workspace, reworded):
    prompt = reworded["prompt"]
    _edit(reworded["client"], prompt, tags="crm", is_active="")
    assert prompt.versions.count() == 2
    assert not prompt.is_active


def test_a_new_system_message_or_chain_is_a_new_version(workspace, reworded):
    prompt = reworded["prompt"]
    _edit(reworded["client"], prompt, system_message="Answer as a procurement expert.")
    make_answer(prompt=prompt)
    _edit(reworded["client"], prompt, chain="user: We are an agency of 12.")
    latest = prompt.versions.order_by("number").last()
    assert latest.number == 4
    assert latest.system_message == "Answer as a procurement expert."
    assert latest.message_chain == [{"role": "user", "message": "We are an agency of 12."}]


def test_an_answer_collected_after_the_edit_stays_under_the_wording_its_task_asked(workspace):
    prompt = make_prompt(workspace=workspace, text=OLD)
    (task,) = task_batch_create(
        workspace=workspace, prompts=[prompt], request_settings={"model_name": "m"}
    )
    prompt_update(
        prompt=prompt, text=NEW, tags=[], system_message="", message_chain=[], is_active=True
    )
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.POSTED)
    task.refresh_from_db()
    api_answer = ApiAnswer(
        model_name="m",
        input_tokens=1,
        output_tokens=1,
        reasoning_tokens=0,
        web_search=False,
        money_spent=Decimal("0.001"),
        datetime=None,
        items=(),
        fan_out_queries=[],
        raw={},
    )
    assert answer_store(task=task, answer=api_answer)
    assert task.request_body["user_prompt"] == OLD
    assert Answer.objects.get(task=task).asked.text == OLD
    (new,) = task_batch_create(
        workspace=workspace, prompts=[prompt], request_settings={"model_name": "m"}
    )
    assert (new.prompt_version.number, new.prompt_version.text) == (2, NEW)


def test_a_retry_of_an_old_task_asks_and_files_under_the_old_wording(workspace, editor):
    from monitoring.services.admin_actions import task_retry

    prompt = make_prompt(workspace=workspace, text=OLD)
    failed = make_task(prompt=prompt, status=TaskStatus.FAILED, provider_task_id="p-1")
    prompt_update(
        prompt=prompt, text=NEW, tags=[], system_message="", message_chain=[], is_active=True
    )
    copy = task_retry(task=failed, user=editor)
    assert copy.retry_of == failed
    assert copy.request_body["user_prompt"] == OLD
    assert (copy.prompt_version.number, copy.prompt_version.text) == (1, OLD)


# --- Where the answers show ----------------------------------------------------------------


def test_the_prompt_table_has_a_row_per_wording_current_first(workspace, reworded):
    rows = _table(workspace)
    assert [(r["text"], r["number"], r["visibility"].k, r["visibility"].n) for r in rows] == [
        (NEW, 2, 2, 2),
        (OLD, 1, 4, 10),
    ]
    assert rows[0]["is_current"]
    assert rows[0]["has_earlier"]
    assert not rows[1]["is_current"]
    assert rows[1]["is_earlier"]
    assert rows[1]["replaced_at"] == PromptVersion.objects.get(number=2).created_at


def test_the_dashboard_shows_where_the_wording_changed(workspace, reworded, viewer_client):
    page = viewer_client.get(reverse("workspace_home", args=[workspace.pk])).content.decode()
    day = timezone.now().date().isoformat()
    assert page.count('data-testid="prompt-row"') == 2
    assert f"Reworded on {day} (version 2); the answers to the earlier wording are below." in page
    assert f"Earlier wording (version 1), asked until {day}:" in page
    v1 = PromptVersion.objects.get(number=1)
    old_row = page[page.index('data-version="1"') :]
    assert f'prompt={reworded["prompt"].pk}&amp;version={v1.pk}">{OLD}</a>' in old_row
    assert "4/10" in old_row[: old_row.index("</tr>")]


def test_the_answer_list_and_page_show_the_wording_asked(workspace, reworded, viewer_client):
    url = reverse("answer_list", args=[workspace.pk])
    v1 = PromptVersion.objects.get(number=1)
    page = viewer_client.get(url).content.decode()
    assert page.count(f'<td class="prompt-text">{OLD}') == 10
    assert page.count(f'<td class="prompt-text">{NEW}') == 2
    only_old = viewer_client.get(url, {"prompt": reworded["prompt"].pk, "version": v1.pk})
    body = only_old.content.decode()
    assert body.count('data-testid="answer-row"') == 10
    assert "asked as version 1 of the prompt" in body
    assert f'name="version" value="{v1.pk}"' in body  # kept when another filter changes

    old = viewer_client.get(reverse("answer_detail", args=[workspace.pk, reworded["old"][0].pk]))
    old_page = old.content.decode()
    assert f'<p data-testid="answer-prompt">{OLD}</p>' in old_page
    assert f"It now reads: “{NEW}”." in old_page
    new = viewer_client.get(reverse("answer_detail", args=[workspace.pk, reworded["new"][0].pk]))
    assert f'<p data-testid="answer-prompt">{NEW}</p>' in new.content.decode()
    assert 'data-testid="version-note"' not in new.content.decode()


def test_the_exports_give_each_answer_the_wording_asked(workspace, reworded, viewer_client):
    def rows(kind, **params):
        response = viewer_client.get(reverse("export_csv", args=[workspace.pk, kind]), params)
        text = b"".join(response.streaming_content).decode()
        return list(csv.DictReader(io.StringIO(text)))

    answers = rows("answers")
    asked = sorted((r["prompt"], r["prompt_version"]) for r in answers)
    assert asked == [(NEW, "2")] * 2 + [(OLD, "1")] * 10
    assert {r["prompt_id"] for r in answers} == {str(reworded["prompt"].pk)}
    assert {r["prompt_version"] for r in rows("mentions")} == {"1", "2"}
    costs = rows("costs")
    assert sorted(r["prompt_version"] for r in costs) == ["1"] * 10 + ["2"] * 2
    v2 = PromptVersion.objects.get(number=2)
    assert len(rows("answers", version=v2.pk)) == 2


def test_the_prompts_page_shows_the_version_and_warns_before_an_edit(workspace, reworded):
    client, prompt = reworded["client"], reworded["prompt"]
    listing = client.get(reverse("prompt_list", args=[workspace.pk])).content.decode()
    assert f"version 2 · reworded {timezone.now().date().isoformat()}" in listing
    form = client.get(reverse("prompt_edit", args=[workspace.pk, prompt.pk])).content.decode()
    assert 'data-testid="version-notice"' in form
    unsent = make_prompt(workspace=workspace, text="Cheapest CRM?")
    form = client.get(reverse("prompt_edit", args=[workspace.pk, unsent.pk])).content.decode()
    assert 'data-testid="version-notice"' not in form


# --- Query counts ----------------------------------------------------------------------------


def test_versions_add_no_query_to_the_dashboard(
    workspace, data, editor_client, django_assert_num_queries
):
    _edit(editor_client, data["P1"], text="Best analytics tool for agencies?")
    make_answer(workspace=workspace, prompt=data["P1"], text="Acme.")
    summaries_refresh()
    with django_assert_num_queries(13):  # as without versions (tests/test_dashboard.py)
        result = dashboard.dashboard_get(workspace=workspace, filters=_filters())
    assert [r["number"] for r in result["prompts"]] == [1, 2, 1]


def test_versions_add_no_query_to_the_answer_list(
    workspace, reworded, viewer_client, django_assert_num_queries
):
    url = reverse("answer_list", args=[workspace.pk])
    summaries_refresh(workspace_id=workspace.pk)
    viewer_client.get(url)
    with django_assert_num_queries(14):  # as without versions (tests/test_answers.py)
        viewer_client.get(url)


# --- The data migration ------------------------------------------------------------------------


def _backfill():
    migration = importlib.import_module("monitoring.migrations.0009_prompt_versions")
    migration.prompt_versions_backfill(apps, None)


def _as_before_versions():
    """The rows as the migration finds them: no versions, tasks and answers without one."""
    Answer.objects.update(prompt_version=None)
    Task.objects.update(prompt_version=None)
    PromptVersion.objects.all().delete()


def test_the_migration_gives_every_prompt_version_1_and_its_answers(workspace):
    sent = make_prompt(workspace=workspace, text=OLD, system_message="Be brief.")
    answers = [make_answer(prompt=sent) for _ in range(3)]
    unsent = make_prompt(workspace=workspace, text="Cheapest CRM?")
    failed = make_task(prompt=sent, status=TaskStatus.FAILED, request_body={})
    _as_before_versions()

    _backfill()

    v1 = PromptVersion.objects.get(prompt=sent)
    assert (v1.number, v1.text, v1.system_message, v1.replaced_at) == (1, OLD, "Be brief.", None)
    assert v1.created_at == sent.created_at
    assert set(Answer.objects.filter(prompt_version=v1)) == set(answers)
    assert set(Task.objects.filter(prompt_version=v1)) == {a.task for a in answers} | {failed}
    assert PromptVersion.objects.get(prompt=unsent).number == 1


def test_the_migration_restores_answers_of_a_prompt_edited_before_versions(workspace):
    # On main an edit rewrote the prompt's text; its tasks' bodies still hold what was sent.
    prompt = make_prompt(workspace=workspace, text=OLD)
    day = timezone.now() - timedelta(days=3)
    Prompt.objects.filter(pk=prompt.pk).update(created_at=day - timedelta(days=1))
    old = [make_answer(prompt=prompt, answered_at=day) for _ in range(10)]
    Prompt.objects.filter(pk=prompt.pk).update(text=NEW)
    prompt.refresh_from_db()
    new = make_answer(prompt=prompt)
    _as_before_versions()

    _backfill()

    v1, v2 = PromptVersion.objects.filter(prompt=prompt).order_by("number")
    assert (v1.text, v2.text) == (OLD, NEW)
    assert v1.replaced_at == v2.created_at == new.task.created_at
    assert set(Answer.objects.filter(prompt_version=v1)) == set(old)
    assert list(Answer.objects.filter(prompt_version=v2)) == [new]
    assert [(r["text"], r["visibility"].n) for r in _table_all(workspace)] == [(NEW, 1), (OLD, 10)]


def _table_all(workspace):
    return prompt_table_get(workspace=workspace, filters=_filters(), own=None, brands=[])
