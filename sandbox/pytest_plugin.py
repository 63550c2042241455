"""pytest fixtures: one sandbox server per session, reset before each test that uses it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.server import SandboxServer


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxServer]:
    """The session's sandbox, served on a free loopback port (prefer ``sandbox``)."""
    with SandboxServer(seed=0, task_delay=0.0, webhook_timeout=2.0) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: SandboxServer) -> Iterator[SandboxServer]:
    """A clean sandbox: no tasks, no record, no faults, task_delay 0 (no jitter) and seed 0."""
    sandbox_server.reset()
    sandbox_server.task_delay = 0.0
    sandbox_server.task_delay_jitter = 0.0
    sandbox_server.seed = 0
    yield sandbox_server
    sandbox_server.reset()
