"""Engines (the API's LLM families) on monitors, tasks and answers."""

import pytest
from django.utils import timezone

from monitoring.aisa import contract
from monitoring.models import Monitor, MonitorRun, Task, TaskMode
from monitoring.models.requests import engine_targets
from monitoring.services.monitors import monitor_run_create
from tests.factories import MODEL, make_monitor, make_prompt

pytestmark = pytest.mark.django_db

FOUR = [
    {"engine": "claude", "model_name": MODEL},
    {"engine": "chat_gpt", "model_name": "gpt-4o"},
    {"engine": "gemini", "model_name": "gemini-2.5-flash"},
    {"engine": "perplexity", "model_name": "sonar"},
]


def test_a_monitor_across_four_engines_queues_each_engines_tasks(workspace, settings):
    settings.AISA_WEBHOOK_BASE_URL = "https://dash.example.com"
    settings.AISA_COLLECT_MODES = ["postback"]
    prompts = [make_prompt(workspace=workspace, text=t) for t in ("Best CRM?", "Cheap CRM?")]
    monitor = make_monitor(
        workspace=workspace,
        prompts=prompts,
        request_settings={
            "model_name": MODEL,
            "web_search": True,
            "use_reasoning": True,
            "max_output_tokens": 2048,
            "force_web_search": True,
        },
        engines=FOUR,
        samples_per_run=2,
    )
    run = monitor_run_create(monitor=monitor, slot=timezone.now())
    assert run.task_count == 16  # 2 prompts × 2 samples × 4 engines
    assert run.engines == FOUR  # the run keeps what it asked
    tasks = {t.engine: t for t in Task.objects.filter(monitor_run=run).order_by("pk")}
    assert set(tasks) == set(contract.LLM_FAMILIES)
    assert {e: tasks[e].request_body["model_name"] for e in tasks} == {
        t["engine"]: t["model_name"] for t in FOUR
    }
    assert tasks["perplexity"].mode == TaskMode.LIVE
    assert {tasks[e].mode for e in contract.TASK_FAMILIES} == {TaskMode.STANDARD}
    # Each engine is sent only the fields its family takes; a live call has no webhook.
    assert "web_search" not in tasks["perplexity"].request_body
    assert "postback_url" not in tasks["perplexity"].request_body
    assert "use_reasoning" not in tasks["chat_gpt"].request_body
    assert "force_web_search" not in tasks["gemini"].request_body
    assert tasks["claude"].request_body["use_reasoning"] is True
    assert tasks["claude"].request_body["postback_url"].startswith("https://dash.example.com/")


def test_a_monitor_without_engines_asks_the_default_engine_with_its_model(workspace):
    monitor = make_monitor(workspace=workspace)
    assert monitor.targets == [("claude", MODEL)]
    run = monitor_run_create(monitor=monitor, slot=timezone.now())
    task = Task.objects.get(monitor_run=run)
    assert (task.engine, task.mode, task.request_body["model_name"]) == (
        "claude",
        TaskMode.STANDARD,
        MODEL,
    )
    assert MonitorRun.objects.get().engines == []


@pytest.mark.parametrize(
    ("engines", "expected"),
    [
        ("not a list", [("claude", "m")]),
        ([{"engine": "bard"}, 3, None], [("claude", "m")]),
        ([{"engine": "gemini", "model_name": 7}], [("gemini", "")]),
        ([{"engine": "perplexity", "model_name": "sonar"}], [("perplexity", "sonar")]),
    ],
)
def test_engine_targets_are_read_leniently(engines, expected):
    assert engine_targets(engines, {"model_name": "m"}) == expected


def test_settings_for_family_drops_only_what_the_family_lacks():
    settings = {"model_name": "x", "web_search": True, "use_reasoning": True, "top_p": 0.5}
    assert contract.settings_for_family(settings, family="claude") == settings
    assert contract.settings_for_family(settings, family="perplexity") == {
        "model_name": "x",
        "top_p": 0.5,
    }
    assert Monitor._meta.get_field("engines").default is list
