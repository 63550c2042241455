"""Creating tasks and monitors from the request builder.

Tasks start as ``queued``; the posting job (the pipeline) takes them from there. Every
task gets a unique tag generated here, and a first history row.
"""

from __future__ import annotations

import secrets

from django.db import transaction

from monitoring.models import Monitor, Prompt, Task, TaskStatus, Workspace
from monitoring.services.history import tasks_record_created
from monitoring.services.jobs import post_enqueue
from monitoring.services.webhooks import webhook_fields


def tag_generate() -> str:
    """A unique, unguessable tag: how a task is found again when a post's answer is lost."""
    return f"t-{secrets.token_hex(12)}"


def task_batch_create(
    *,
    workspace: Workspace,
    prompts: list[Prompt],
    request_settings: dict,
    samples: int = 1,
    monitor: Monitor | None = None,
) -> list[Task]:
    """Queue ``samples`` tasks per prompt, each with its exact request body and history row."""
    tasks = []
    with transaction.atomic():
        for prompt in prompts:
            for sample in range(1, samples + 1):
                tag = tag_generate()
                tasks.append(
                    Task(
                        workspace=workspace,
                        prompt=prompt,
                        monitor=monitor,
                        tag=tag,
                        sample=sample,
                        request_body=prompt.task_body(
                            request_settings=request_settings,
                            tag=tag,
                            extra=webhook_fields(tag=tag),
                        ),
                        status=TaskStatus.QUEUED,
                    )
                )
        Task.objects.bulk_create(tasks)
        saved = list(Task.objects.filter(tag__in=[t.tag for t in tasks]).only("id"))
        post_enqueue()
        origin = f"monitor “{monitor.name}”" if monitor else "the request builder"
        tasks_record_created(tasks=saved, message=f"Created by {origin}.")
    return tasks


def monitor_create(
    *,
    workspace: Workspace,
    name: str,
    prompts: list[Prompt],
    request_settings: dict,
    samples: int,
    schedule: str,
    cron: str = "",
    user=None,
) -> Monitor:
    with transaction.atomic():
        monitor = Monitor.objects.create(
            workspace=workspace,
            name=name,
            request_settings=request_settings,
            samples_per_run=samples,
            schedule=schedule,
            cron=cron,
            created_by=user,
        )
        monitor.prompts.set(prompts)
    return monitor
