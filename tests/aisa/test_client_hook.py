"""The client's ``before_call`` hook: called right before each request is sent, and only then."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitoring.aisa.client import AisaClient
from monitoring.aisa.contract import Endpoint, Outcome
from monitoring.aisa.errors import AisaError
from tests.factories import TEST_KEY, client_task


def _client(sandbox, hook) -> AisaClient:
    return AisaClient(sandbox.aisa_base_url, TEST_KEY, read_timeout=5, before_call=hook)


def test_it_calls_the_hook_once_before_each_request_of_every_endpoint(sandbox):
    seen: list[tuple[Endpoint, int]] = []

    def hook(endpoint: Endpoint) -> None:
        seen.append((endpoint, len(sandbox.calls)))  # how many requests had arrived before

    now = datetime.now(UTC)
    with _client(sandbox, hook) as client:
        posted = client.task_post([client_task("a")]).tasks[0]
        client.task_get(posted.id)
        client.tasks_ready()
        client.models()
        client.id_list(datetime_from=now - timedelta(minutes=5), datetime_to=now)
        client.live(client_task("b"))
    assert seen == [
        (Endpoint.TASK_POST, 0),
        (Endpoint.TASK_GET, 1),
        (Endpoint.TASKS_READY, 2),
        (Endpoint.MODELS, 3),
        (Endpoint.ID_LIST, 4),
        (Endpoint.LIVE, 5),
    ]
    assert len(sandbox.calls) == 6


def test_it_does_not_call_the_hook_for_a_request_refused_before_sending(sandbox):
    seen: list[Endpoint] = []
    with _client(sandbox, seen.append) as client:
        with pytest.raises(ValueError):
            client.task_post([client_task(f"t{i}") for i in range(101)])
        with pytest.raises(ValueError):
            client.id_list(datetime_from=datetime(2025, 1, 1), datetime_to=datetime.now(UTC))
    assert seen == []
    assert sandbox.calls == []


def test_a_hook_that_refuses_sends_nothing_and_its_error_reaches_the_caller(sandbox):
    def refuse(endpoint: Endpoint) -> None:
        raise AisaError(
            f"{endpoint} not sent", outcome=Outcome.RATE_LIMITED, retry_after=2.5, endpoint=endpoint
        )

    with _client(sandbox, refuse) as client, pytest.raises(AisaError) as caught:
        client.task_post([client_task("a")])
    assert caught.value.outcome is Outcome.RATE_LIMITED
    assert caught.value.retry_after == 2.5
    assert caught.value.retryable
    assert not caught.value.request_may_have_been_processed  # nothing was sent
    assert sandbox.calls == []
    assert not sandbox.accepted_tags()
