import threading

import pytest
from django.db import close_old_connections, connection

from monitoring.aisa.client import AisaClient
from monitoring.models import Prompt, Workspace
from monitoring.services.tasks import task_batch_create

SETTINGS = {"model_name": "claude-sonnet-4-20250514", "max_output_tokens": 1024}


@pytest.fixture
def api(sandbox):
    """A client of the sandbox with a short read timeout (drops are detected quickly)."""
    with AisaClient(sandbox.aisa_base_url, "sk-aisa-test-key", read_timeout=5) as client:
        yield client


@pytest.fixture
def pipeline_settings(settings):
    settings.AISA_CALLS_PER_MINUTE = 1000
    settings.AISA_DAILY_CAP_USD = ""
    settings.AISA_COLLECT_MODES = ["poll"]
    settings.AISA_WEBHOOK_BASE_URL = ""
    return settings


@pytest.fixture
def engines_settings(pipeline_settings, sandbox):
    """The pipeline's settings against the sandbox, Claude the default engine, none live."""
    pipeline_settings.AISA_BASE_URL = sandbox.aisa_base_url
    pipeline_settings.AISA_API_KEY = "sk-aisa-test-key"
    pipeline_settings.AISA_LIVE_FAMILIES = []
    pipeline_settings.AISA_LLM_FAMILY = "claude"
    return pipeline_settings


@pytest.fixture
def no_post_enqueue(monkeypatch):
    """Creating tasks enqueues a post on the broker; these tests post themselves."""
    monkeypatch.setattr("monitoring.services.tasks.post_enqueue", lambda: None)


@pytest.fixture
def queue(db, pipeline_settings):
    """queue(n, workspace=None, text=...) -> n queued tasks, one prompt each."""

    def make(n, *, workspace=None, request_settings=None, samples=1):
        workspace = workspace or Workspace.objects.get_or_create(name="Pipeline")[0]
        prompts = [
            Prompt.objects.create(workspace=workspace, text=f"Which CRM is best for team {i}?")
            for i in range(n)
        ]
        return task_batch_create(
            workspace=workspace,
            prompts=prompts,
            request_settings=request_settings or SETTINGS,
            samples=samples,
        )

    return make


@pytest.fixture
def run_workers():
    """run_workers(target, n=4): run ``target(i)`` in n threads started together (workers)."""
    return _run_workers


def _run_workers(target, n: int = 4) -> list:
    """Run ``target(i)`` in n threads started together; return their results, re-raise errors."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = target(i)
        except BaseException as exc:  # noqa: BLE001 - reported in the main thread
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a worker hung"
    if errors:
        raise errors[0]
    close_old_connections()
    return results
