"""One monitor across the four engines, end to end against the sandbox over HTTP.

An editor chooses Claude, ChatGPT, Gemini and Perplexity on the monitor form, each with a
model from that engine's list (refreshed from the sandbox); "Run now" queues each prompt
once per engine; posting sends the three Standard engines' tasks, each engine in its own
batch, and asks Perplexity's with live calls; collecting fetches the rest by each engine's
own path. Every answer carries its engine, every task its real cost and its history, and
the dashboard compares the four engines with n and intervals.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from monitoring.aisa.contract import LLM_FAMILIES
from monitoring.models import (
    Answer,
    ApiCall,
    BrandKind,
    Monitor,
    Task,
    TaskEvent,
    TaskMode,
    TaskStatus,
)
from monitoring.pipeline import runner
from monitoring.pipeline.catalog import model_catalog_refresh
from sandbox import answers as sandbox_answers
from tests.factories import make_brand, make_prompt

HTMX = {"HTTP_HX_REQUEST": "true"}
PROMPTS = (
    "Which CRM is best for a small sales team?",
    "What CRM software do agencies recommend?",
    "Best CRM for contact management in 2025?",
)


def _model(family: str) -> str:
    """A model of the family's list that needs no reasoning switch (Standard if it has one)."""
    return next(
        m.model_name
        for m in sandbox_answers.MODELS[family].values()
        if not m.reasoning and (family == "perplexity" or m.task_post_supported)
    )


@pytest.fixture(autouse=True)
def _no_enqueue(no_post_enqueue):
    pass


@pytest.mark.django_db(transaction=True)  # live calls run in threads, each its own connection
def test_one_monitor_asks_four_engines_and_the_dashboard_compares_them(
    sandbox, engines_settings, editor_client, workspace
):
    make_brand(workspace=workspace, name="HubSpot", kind=BrandKind.OWN)
    for name in ("Salesforce", "Pipedrive"):
        make_brand(workspace=workspace, name=name)
    prompts = [make_prompt(workspace=workspace, text=text) for text in PROMPTS]
    for family in LLM_FAMILIES:
        assert model_catalog_refresh(family=family).ok
    models = {family: _model(family) for family in LLM_FAMILIES}

    # The editor's monitor: every engine, each with its own model.
    form = {
        "monitor_name": "Every engine",
        "schedule": "manual",
        "scope": "selected",
        "prompts": [p.pk for p in prompts],
        "samples": "1",
        "max_output_tokens": "512",
        "engines_shown": "1",
        **{f"engine-{f}": "on" for f in LLM_FAMILIES},
        **{f"model-{f}": m for f, m in models.items()},
    }
    response = editor_client.post(reverse("monitor_create", args=[workspace.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    monitor = Monitor.objects.get()
    assert monitor.targets == list(models.items())
    detail = editor_client.get(reverse("monitor_detail", args=[workspace.pk, monitor.pk]))
    for label in ("Claude", "ChatGPT", "Gemini", "Perplexity"):
        assert label in detail.content.decode()

    run_now = editor_client.post(
        reverse("monitor_run_now", args=[workspace.pk, monitor.pk]), **HTMX
    )
    assert run_now.status_code == 200
    tasks = Task.objects.filter(monitor=monitor)
    assert tasks.count() == 12
    assert (
        sorted(tasks.filter(mode=TaskMode.LIVE).values_list("engine", flat=True))
        == ["perplexity"] * 3
    )
    for task in tasks:
        assert task.request_body["model_name"] == models[task.engine]

    # Posting: one task_post per Standard engine; Perplexity answered by three live calls.
    posted = runner.pipeline_post()
    assert posted["posted"] == 9
    assert posted["live"]["collected"] == 3
    assert sorted(n for endpoint, n in sandbox.calls if endpoint == "task_post") == [3, 3, 3]
    assert [e for e, _ in sandbox.calls].count("live") == 3

    sandbox.complete_all()
    Task.objects.update(next_attempt_at=None)
    tick = runner.pipeline_tick()
    assert tick["collect"]["collected"] == 9

    # Every task collected, with its engine's answer, its real cost and its history.
    assert set(tasks.values_list("status", flat=True)) == {TaskStatus.COLLECTED}
    for family in LLM_FAMILIES:
        answers = Answer.objects.filter(task__monitor=monitor, engine=family)
        assert answers.count() == 3
        assert set(answers.values_list("model_name", flat=True)) == {models[family]}
    for task in tasks.all():  # fresh rows (the earlier loop cached them queued)
        assert task.cost_real is not None
        assert task.cost_real > 0
        moves = list(
            TaskEvent.objects.filter(task=task)
            .exclude(status_to="")
            .order_by("id")
            .values_list("status_to", flat=True)
        )
        assert moves[0] == TaskStatus.QUEUED
        assert moves[-1] == TaskStatus.COLLECTED
        assert TaskEvent.objects.filter(task=task, cost_field="cost_real", api_call__isnull=False)
    paid = ApiCall.objects.filter(endpoint__in=["task_post", "live"])
    assert paid.count() == 3 + 3  # every paid call is a ledger row

    # The dashboard compares the four engines, each with its n and its interval.
    body = editor_client.get(reverse("workspace_home", args=[workspace.pk])).content.decode()
    section = body.split('data-testid="engine-comparison"')[1].split("</section>")[0]
    rows = re.findall(r'data-testid="engine-row" data-engine="(\w+)"', section)
    assert sorted(rows) == sorted(LLM_FAMILIES)
    assert len(re.findall(r"\d/3</small>", section)) == 4  # k of n = 3 answers per engine
    assert len(re.findall(r'data-testid="engine-ci">\d+\.\d–\d+\.\d%', section)) == 4
    assert 'data-testid="engine-test"' in section
