"""Creating tasks: the request builder's sends and monitors' runs (``services.monitors``).

Tasks start as ``queued``; the posting job (the pipeline) takes them from there. Every
task gets a unique tag generated here, and a first history row.

A monitor's run gets random tags (each run is new). A builder send derives its tags from the
form's one-time send token, so the same form submitted twice (a double click, a retry, a
replayed POST) makes the same tags: the second submit finds the first one's tasks, or hits
the unique constraint on ``Task.tag``, and creates (and pays for) nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction

from monitoring.aisa import contract
from monitoring.models import Monitor, MonitorRun, Prompt, Task, TaskMode, TaskStatus, Workspace
from monitoring.services.history import tasks_record_created
from monitoring.services.jobs import post_enqueue
from monitoring.services.prompts import prompt_versions_ensure
from monitoring.services.summaries import days_mark
from monitoring.services.webhooks import webhook_fields

#: Hex digits of a send's tag prefix (shared by its tasks) and of each task's own part.
SEND_PREFIX_CHARS = SEND_ITEM_CHARS = 16


def tag_generate() -> str:
    """A unique, unguessable tag: how a task is found again when a post's answer is lost."""
    return f"t-{secrets.token_hex(12)}"


def _send_digest(message: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"send-tag:{message}".encode(), hashlib.sha256).hexdigest()


def send_tag_prefix(*, workspace: Workspace, send_token: str) -> str:
    """What every tag of one send starts with: unguessable without the installation's secret."""
    return "t-" + _send_digest(f"{workspace.pk}:{send_token}")[:SEND_PREFIX_CHARS]


def send_tag(*, workspace: Workspace, send_token: str, prompt: Prompt, sample: int) -> str:
    """The tag of one task of a send: the same token, prompt and sample give the same tag."""
    own = _send_digest(f"{workspace.pk}:{send_token}:{prompt.pk}:{sample}")[:SEND_ITEM_CHARS]
    return send_tag_prefix(workspace=workspace, send_token=send_token) + own


def _tasks_insert(
    *,
    workspace: Workspace,
    prompts: list[Prompt],
    request_settings: dict,
    samples: int,
    monitor: Monitor | None,
    tag_for: Callable[[Prompt, int], str],
    monitor_run: MonitorRun | None = None,
    engine: str = contract.DEFAULT_FAMILY,
) -> list[Task]:
    mode = TaskMode.LIVE if engine in contract.LIVE_ONLY_FAMILIES else TaskMode.STANDARD
    tasks = []
    with transaction.atomic():
        versions = prompt_versions_ensure(prompts=prompts)
        for prompt in prompts:
            for sample in range(1, samples + 1):
                tag = tag_for(prompt, sample)
                tasks.append(
                    Task(
                        workspace=workspace,
                        prompt=prompt,
                        prompt_version=versions[prompt.pk],
                        monitor=monitor,
                        monitor_run=monitor_run,
                        engine=engine,
                        mode=mode,
                        tag=tag,
                        sample=sample,
                        request_body=prompt.task_body(
                            request_settings=request_settings,
                            tag=tag,
                            # A live call answers in its response: no webhook to call.
                            extra=webhook_fields(tag=tag) if mode == TaskMode.STANDARD else {},
                        ),
                        status=TaskStatus.QUEUED,
                    )
                )
        Task.objects.bulk_create(tasks)
        days_mark((t.workspace_id, t.created_at) for t in tasks)
        saved = list(Task.objects.filter(tag__in=[t.tag for t in tasks]).only("id"))
        post_enqueue()
        origin = f"monitor “{monitor.name}”" if monitor else "the request builder"
        tasks_record_created(tasks=saved, message=f"Created by {origin}.")
    return tasks


def task_batch_create(
    *,
    workspace: Workspace,
    prompts: list[Prompt],
    request_settings: dict,
    samples: int = 1,
    monitor: Monitor | None = None,
    monitor_run: MonitorRun | None = None,
    engine: str = contract.DEFAULT_FAMILY,
) -> list[Task]:
    """Queue ``samples`` tasks per prompt of ``engine``, each with its exact request body
    and history row.

    Tags are random: every call is a new batch (a monitor's run). The builder's sends, which
    must not repeat, go through ``task_batch_send``.
    """
    return _tasks_insert(
        workspace=workspace,
        prompts=prompts,
        request_settings=request_settings,
        samples=samples,
        monitor=monitor,
        monitor_run=monitor_run,
        tag_for=lambda prompt, sample: tag_generate(),
        engine=engine,
    )


@dataclass(frozen=True)
class TaskSend:
    """The tasks of one builder send; ``created`` is false when it had been sent before."""

    tasks: list[Task]
    created: bool

    @property
    def queued_at(self) -> datetime | None:
        return min((t.created_at for t in self.tasks), default=None)


def _tasks_sent(*, workspace: Workspace, prefix: str) -> list[Task]:
    # Tags are "t-" and lower-case hex, so a range (which the unique index serves on every
    # database, unlike SQLite's LIKE) finds exactly the tags starting with the prefix.
    return list(
        Task.objects.filter(workspace=workspace, tag__gte=prefix, tag__lt=prefix + "g").order_by(
            "id"
        )
    )


def task_batch_send(
    *,
    workspace: Workspace,
    prompts: list[Prompt],
    request_settings: dict,
    samples: int,
    send_token: str,
    engine: str = contract.DEFAULT_FAMILY,
) -> TaskSend:
    """Queue a builder send once: a second call with the same token creates nothing.

    It then returns the tasks the first call created (``created=False``), whatever the
    second call's prompts: one token is one send. Two calls at the same time are told apart
    by the unique tag: the later one's insert fails and its savepoint is rolled back.
    """
    if not send_token:
        raise ValueError("A send needs the form's send token.")
    prefix = send_tag_prefix(workspace=workspace, send_token=send_token)
    try:
        with transaction.atomic():
            sent = _tasks_sent(workspace=workspace, prefix=prefix)
            if sent:
                return TaskSend(tasks=sent, created=False)
            tasks = _tasks_insert(
                workspace=workspace,
                prompts=prompts,
                request_settings=request_settings,
                samples=samples,
                monitor=None,
                tag_for=lambda prompt, sample: send_tag(
                    workspace=workspace, send_token=send_token, prompt=prompt, sample=sample
                ),
                engine=engine,
            )
    except IntegrityError:
        # A concurrent submit of the same form committed first (PostgreSQL lets both pass
        # the check above; SQLite's IMMEDIATE transactions queue, so the check sees it).
        sent = _tasks_sent(workspace=workspace, prefix=prefix)
        if not sent:
            raise
        return TaskSend(tasks=sent, created=False)
    return TaskSend(tasks=tasks, created=True)
