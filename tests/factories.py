"""Test data: plain functions that make model objects, and the AIsa payloads tests send.

The ``make_*`` functions take keyword-only arguments, each with a default that makes a valid,
unremarkable object; a parent that is not given is made too (a task without a prompt gets
one, in a new workspace unless ``workspace`` is given). Names and tags that must be unique
get a serial number. Extra keyword arguments go to the model's ``objects.create``.
Import them in test modules (``from tests.factories import make_task``); fixtures built on
them live in the conftest files.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from monitoring.models import (
    Answer,
    Brand,
    BrandAlias,
    BrandDomain,
    BrandKind,
    Citation,
    Membership,
    Monitor,
    Prompt,
    Tag,
    Task,
    TaskStatus,
    Workspace,
)
from monitoring.services.analysis import answer_analyze
from monitoring.services.prompts import prompt_versions_ensure
from monitoring.services.summaries import days_mark, summaries_refresh

#: The password of every user made here (the browser tests' log-in form types it).
PASSWORD = "pw-for-tests"
#: The model of the request settings a task gets when none are given.
MODEL = "claude-sonnet-4-20250514"

_serial = itertools.count(1)


# --- Workspaces and people ---------------------------------------------------------------


def make_workspace(*, name: str = "Acme", **fields) -> Workspace:
    return Workspace.objects.create(name=name, **fields)


def make_user(
    *,
    workspace: Workspace | None = None,
    role: str = "editor",
    username: str | None = None,
    password: str = PASSWORD,
    **fields,
):
    """A user; with ``workspace``, also a member of it in ``role`` (owner, editor or viewer)."""
    user = get_user_model().objects.create_user(
        username=username or f"{role}-{next(_serial)}", password=password, **fields
    )
    if workspace is not None:
        Membership.objects.create(workspace=workspace, user=user, role=role)
    return user


# --- Brands and prompts ------------------------------------------------------------------


def make_brand(
    *,
    workspace: Workspace | None = None,
    name: str | None = None,
    kind: str = BrandKind.COMPETITOR,
    aliases: Iterable[str] = (),
    domains: Iterable[str] = (),
) -> Brand:
    """A brand with its aliases and domains, stored as given."""
    brand = Brand.objects.create(
        workspace=workspace or make_workspace(), name=name or f"Brand {next(_serial)}", kind=kind
    )
    for alias in aliases:
        BrandAlias.objects.create(brand=brand, name=alias)
    for domain in domains:
        BrandDomain.objects.create(brand=brand, domain=domain)
    return brand


def make_prompt(
    *,
    workspace: Workspace | None = None,
    text: str = "Best CRM?",
    tags: Iterable[str | Tag] = (),
    **fields,
) -> Prompt:
    """A prompt with tags: ``Tag`` objects, or names (found or made in the workspace)."""
    workspace = workspace or make_workspace()
    prompt = Prompt.objects.create(workspace=workspace, text=text, **fields)
    tag_objects = [
        t if isinstance(t, Tag) else Tag.objects.get_or_create(workspace=workspace, name=t)[0]
        for t in tags
    ]
    if tag_objects:
        prompt.tags.add(*tag_objects)
    return prompt


# --- Monitors ----------------------------------------------------------------------------


def make_monitor(
    *,
    workspace: Workspace | None = None,
    name: str | None = None,
    prompts: Iterable[Prompt] | None = None,
    request_settings: dict | None = None,
    **fields,
) -> Monitor:
    """A monitor asking ``prompts`` (one new prompt if not given; none for a tag scope)."""
    workspace = workspace or make_workspace()
    monitor = Monitor.objects.create(
        workspace=workspace,
        name=name or f"Monitor {next(_serial)}",
        request_settings={"model_name": MODEL} if request_settings is None else request_settings,
        **fields,
    )
    if prompts is None and not monitor.tag_id:
        prompts = [make_prompt(workspace=workspace)]
    monitor.prompts.set(prompts or [])
    return monitor


# --- Tasks and answers -------------------------------------------------------------------


def _task_fields(workspace, prompt, tag, request_body, request_settings) -> dict:
    if request_body is not None and request_settings is not None:
        raise TypeError("Give request_body or request_settings, not both.")
    if prompt is None:
        prompt = make_prompt(workspace=workspace)
    if request_body is None:
        settings = {"model_name": MODEL} if request_settings is None else request_settings
        request_body = prompt.task_body(request_settings=settings, tag=tag)
    return {
        "workspace": workspace or prompt.workspace,
        "prompt": prompt,
        "tag": tag,
        "request_body": request_body,
    }


def _version_fields(prompt: Prompt, fields: dict) -> dict:
    """The prompt's current version, as the services give a new task (unless given)."""
    if "prompt_version" in fields or "prompt_version_id" in fields:
        return fields
    return {**fields, "prompt_version": prompt_versions_ensure(prompts=[prompt])[prompt.pk]}


def make_task(
    *,
    workspace: Workspace | None = None,
    prompt: Prompt | None = None,
    status: str = TaskStatus.QUEUED,
    tag: str | None = None,
    request_body: dict | None = None,
    request_settings: dict | None = None,
    created_at: datetime | None = None,
    **fields,
) -> Task:
    """A task in any status.

    Its body is ``request_body`` as given, or else built by ``prompt.task_body`` from
    ``request_settings`` (by default just the model), with the task's tag. It asks the
    prompt's current version (made if the prompt has none), unless ``prompt_version`` is given.
    ``created_at`` (auto-set on insert) is written afterwards.
    """
    tag = tag or f"t-made-{next(_serial)}"
    made = _task_fields(workspace, prompt, tag, request_body, request_settings)
    task = Task.objects.create(**made, status=status, **_version_fields(made["prompt"], fields))
    if created_at is not None:
        Task.objects.filter(pk=task.pk).update(created_at=created_at)
        days_mark([(task.workspace_id, created_at)])  # an update() sends no signal
        task.created_at = created_at
    return task


def make_tasks(
    *,
    count: int,
    workspace: Workspace | None = None,
    prompt: Prompt | None = None,
    status: str = TaskStatus.QUEUED,
    request_body: dict | None = None,
    request_settings: dict | None = None,
    **fields,
) -> list[Task]:
    """``count`` tasks of one prompt (made once if not given), in one insert, in id order."""
    if prompt is None:
        prompt = make_prompt(workspace=workspace)
    tags = [f"t-made-{next(_serial)}" for _ in range(count)]
    fields = _version_fields(prompt, fields)
    Task.objects.bulk_create(
        Task(
            **_task_fields(workspace, prompt, tag, request_body, request_settings),
            status=status,
            **fields,
        )
        for tag in tags
    )
    made = list(Task.objects.filter(tag__in=tags).order_by("id"))
    days_mark((t.workspace_id, t.created_at) for t in made)  # as services.tasks does
    return made


def make_answer(
    *,
    workspace: Workspace | None = None,
    prompt: Prompt | None = None,
    task: Task | None = None,
    text: str = "HubSpot.",
    model_name: str = "m",
    web_search: bool = False,
    answered_at: datetime | None = None,
    fan_out_queries: Iterable[str] = (),
    citations: Iterable[str | Mapping] = (),
    task_money_spent=None,
    analyze: bool = True,
    **fields,
) -> Answer:
    """An answer with citations, analysed (mentions, citation owners) like the pipeline does.

    Without ``task``, a collected one is made for it, created when the answer was given,
    with ``model_name`` and ``web_search`` in its body and ``task_money_spent`` as its cost.
    ``answered_at`` defaults to a day ago: inside the dashboard's default range at any hour.
    A citation is a URL (its title "T<position>", its domain the host without "www.") or a
    mapping of Citation fields with at least ``url``. The answer is filed under its task's
    prompt version, like the pipeline files it.
    """
    answered_at = answered_at or timezone.now() - timedelta(days=1)
    if task is None:
        task = make_task(
            workspace=workspace,
            prompt=prompt,
            status=TaskStatus.COLLECTED,
            request_settings={"model_name": model_name, "web_search": web_search},
            money_spent=task_money_spent,
            created_at=answered_at,
        )
    fields.setdefault("raw", {})
    if "prompt_version" not in fields:  # as the pipeline stores it
        fields.setdefault("prompt_version_id", task.prompt_version_id)
    answer = Answer.objects.create(
        task=task,
        workspace=task.workspace,
        prompt=task.prompt,
        text=text,
        model_name=model_name,
        web_search=web_search,
        answered_at=answered_at,
        fan_out_queries=list(fan_out_queries),
        **fields,
    )
    for position, citation in enumerate(citations, start=1):
        made = {"url": citation} if isinstance(citation, str) else dict(citation)
        made.setdefault("title", f"T{position}")
        if "domain" not in made:
            made["domain"] = made["url"].split("/")[2].removeprefix("www.")
        Citation.objects.create(answer=answer, position=position, **made)
    if analyze:
        answer_analyze(answer=answer)
    return answer


# --- AIsa payloads and credentials -------------------------------------------------------

#: The API keys the sandbox accepts by default (``sandbox.server.DEFAULT_API_KEYS``).
SANDBOX_KEY = "sk-aisa-sandbox"
TEST_KEY = "sk-aisa-test-key"
#: A DataForSEO-style "login:password" pair, for basic auth once added to the sandbox.
BASIC_PAIR = "login:password"


def refreshed(select):
    """A dashboard selector that first brings the summaries up to date with the rows, as
    the pages do before reading them (for tests that write rows, then read numbers)."""

    def call(**kwargs):
        summaries_refresh()
        return select(**kwargs)

    return call


def sandbox_task(**fields) -> dict:
    """A task_post item as the sandbox tests send it: a CRM question, no tag unless given."""
    return {
        "user_prompt": "What is the best CRM for a small business?",
        "model_name": "claude-sonnet-4-0",
        **fields,
    }


def client_task(tag: str, **fields) -> dict:
    """A task_post item as the client tests send it, always tagged."""
    return {
        "user_prompt": "What is the best CRM for a small agency?",
        "model_name": "claude-sonnet-4-0",
        "tag": tag,
        **fields,
    }


def api_envelope(code: int, message: str = "", tasks=None, cost=0) -> dict:
    """A response envelope of the API, with ``tasks`` as given (None stays None)."""
    return {
        "version": "0.1.20250724",
        "status_code": code,
        "status_message": message,
        "time": "0.01 sec.",
        "cost": cost,
        "tasks_count": len(tasks or []),
        "tasks_error": 0,
        "tasks": tasks,
    }


def queued_jobs() -> list[tuple[str, tuple]]:
    """(function, arguments) of the jobs waiting in the configured broker, taken off it."""
    from django_q.brokers import get_broker
    from django_q.signing import SignedPackage

    broker, queued = get_broker(), []
    while broker.queue_size():
        for ack_id, payload in broker.dequeue() or []:
            job = SignedPackage.loads(payload)
            queued.append((job["func"], tuple(job["args"])))
            broker.acknowledge(ack_id)
    return queued
