"""The pipeline per engine, against the sandbox over HTTP: each engine's tasks go through its
own paths (task_post, task_get, tasks_ready), a batch never mixes families, and the model
lists of every engine in use are refreshed."""

from __future__ import annotations

from collections import defaultdict

import pytest

from monitoring.models import (
    Answer,
    ApiCall,
    LlmModel,
    Monitor,
    Prompt,
    Task,
    TaskEvent,
    TaskStatus,
    Workspace,
)
from monitoring.pipeline import runner
from monitoring.pipeline.catalog import model_catalogs_refresh
from monitoring.selectors.catalog import families_in_use, model_catalog
from monitoring.services.tasks import task_batch_create
from sandbox import answers as sandbox_answers


def _settings(family: str) -> dict:
    """A non-reasoning Standard model the sandbox lists for the family (its lists change)."""
    name = next(
        m.model_name
        for m in sandbox_answers.MODELS[family].values()
        if m.task_post_supported and not m.reasoning
    )
    return {"model_name": name, "max_output_tokens": 256}


SETTINGS = {family: _settings(family) for family in ("claude", "chat_gpt", "gemini")}


@pytest.fixture(autouse=True)
def _no_enqueue(no_post_enqueue):
    pass


def make_tasks(engine: str, n: int) -> list[Task]:
    workspace = Workspace.objects.get_or_create(name="Engines")[0]
    prompts = [
        Prompt.objects.create(workspace=workspace, text=f"Best {engine} CRM for team {i}?")
        for i in range(n)
    ]
    return task_batch_create(
        workspace=workspace, prompts=prompts, request_settings=SETTINGS[engine], engine=engine
    )


@pytest.mark.django_db
def test_each_engine_is_posted_in_its_own_batches_and_collected_by_its_own_path(
    sandbox, engines_settings
):
    made = {engine: make_tasks(engine, n) for engine, n in (("claude", 3), ("chat_gpt", 2))}
    made["gemini"] = make_tasks("gemini", 2)

    report = runner.pipeline_post()

    assert report["posted"] == 7
    # Three calls, one per family: the sandbox created each task under its engine's path.
    assert sorted(n for endpoint, n in sandbox.calls if endpoint == "task_post") == [2, 2, 3]
    family_of_tag = {t.tag: t.family for t in sandbox.tasks.values()}
    for engine, tasks in made.items():
        assert {family_of_tag[t.tag] for t in tasks} == {engine}
    # Per call, the tasks whose post it recorded are of one engine only.
    per_call = defaultdict(set)
    for event in TaskEvent.objects.filter(status_to=TaskStatus.POSTED):
        per_call[event.api_call_id].add(event.task.engine)
    assert sorted(per_call.values(), key=sorted) == [{"chat_gpt"}, {"claude"}, {"gemini"}]
    assert set(per_call) == set(
        ApiCall.objects.filter(endpoint="task_post").values_list("pk", flat=True)
    )

    sandbox.complete_all()
    Task.objects.update(next_attempt_at=None)
    tick = runner.pipeline_tick()

    assert tick["collect"]["collected"] == 7
    assert tick["collect"]["failed"] == 0
    for engine, tasks in made.items():
        answers = Answer.objects.filter(task__in=tasks)
        assert set(answers.values_list("engine", flat=True)) == {engine}
        assert answers.count() == len(tasks)


@pytest.mark.django_db
def test_tasks_ready_is_asked_per_engine(sandbox, engines_settings):
    engines_settings.AISA_COLLECT_MODES = ["poll", "tasks_ready"]
    make_tasks("claude", 2)
    make_tasks("gemini", 2)
    runner.pipeline_post()
    sandbox.complete_all()

    tick = runner.pipeline_tick()

    assert tick["ready"]["collected"] == 4
    assert [e for e, _ in sandbox.calls].count("tasks_ready") == 2  # one per family
    assert Task.objects.filter(status=TaskStatus.COLLECTED).count() == 4


@pytest.mark.django_db
def test_models_are_refreshed_for_every_engine_in_use(sandbox, engines_settings):
    workspace = Workspace.objects.create(name="Models")
    Monitor.objects.create(
        workspace=workspace,
        name="Both",
        engines=[{"engine": "gemini"}, {"engine": "perplexity"}],
    )
    Monitor.objects.create(
        workspace=workspace, name="Off", is_active=False, engines=[{"engine": "chat_gpt"}]
    )
    assert families_in_use() == ["claude", "gemini", "perplexity"]

    refreshes = model_catalogs_refresh()

    assert [r.family for r in refreshes] == ["claude", "gemini", "perplexity"]
    assert all(r.ok for r in refreshes)
    for family in ("claude", "gemini", "perplexity"):
        assert set(model_catalog(family=family)) == set(sandbox_answers.MODELS[family])
    assert not LlmModel.objects.filter(family="chat_gpt").exists()  # no active monitor asks it
    assert [e for e, _ in sandbox.calls] == ["models"] * 3
