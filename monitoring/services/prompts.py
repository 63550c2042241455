"""Writes of prompts, their tags and versions, one by one or imported in bulk.

A prompt's versions keep the wordings it was sent with (``models.PromptVersion``): its first
send makes version 1 (``prompt_versions_ensure``, called as tasks are created), and editing
the wording of a prompt that was sent starts the next one (``prompt_update``). The wording
is the text, the system message and the chain: each changes what the model is asked.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from monitoring.aisa import contract
from monitoring.models import Answer, Prompt, PromptVersion, Tag, Task, Workspace
from monitoring.services.summaries import days_mark


class PromptInUse(Exception):
    """The prompt has tasks (and so answers); it can be paused but not deleted."""

    def __init__(self, prompt: Prompt, task_count: int):
        self.prompt, self.task_count = prompt, task_count
        super().__init__(
            f"This prompt has {task_count} task{'s' if task_count != 1 else ''} whose answers "
            "are kept, so it cannot be deleted. Pause it instead: no new tasks will be sent."
        )


@dataclass(frozen=True)
class ImportResult:
    imported: int
    skipped: int


def _check(text: str, system_message: str = "", message_chain: list | None = None) -> None:
    """A guard for callers other than the forms (admin, jobs): never store what the API refuses."""
    problems = contract.validate_prompt(text, system_message, message_chain)
    if problems:
        raise ValueError(problems[0].message)


def tags_get_or_create(*, workspace: Workspace, names: Iterable[str]) -> list[Tag]:
    """The workspace's tags for these names (matched case-insensitively), creating missing ones."""
    firsts: dict[str, str] = {}
    for name in names:
        firsts.setdefault(name.casefold(), name)
    wanted = [n for n in firsts.values() if n]
    if not wanted:
        return []
    existing = {t.name.casefold(): t for t in Tag.objects.filter(workspace=workspace)}
    missing = [n for n in wanted if n.casefold() not in existing]
    if missing:
        Tag.objects.bulk_create(
            [Tag(workspace=workspace, name=n) for n in missing], ignore_conflicts=True
        )
        existing |= {
            t.name.casefold(): t for t in Tag.objects.filter(workspace=workspace, name__in=missing)
        }
    return [existing[n.casefold()] for n in wanted]


def prompt_create(
    *,
    workspace: Workspace,
    text: str,
    tags: Sequence[str] = (),
    system_message: str = "",
    message_chain: list | None = None,
    is_active: bool = True,
) -> Prompt:
    _check(text, system_message, message_chain)
    with transaction.atomic():
        prompt = Prompt.objects.create(
            workspace=workspace,
            text=text,
            system_message=system_message,
            message_chain=message_chain or [],
            is_active=is_active,
        )
        prompt.tags.set(tags_get_or_create(workspace=workspace, names=tags))
    return prompt


def prompt_update(
    *,
    prompt: Prompt,
    text: str,
    tags: Sequence[str],
    system_message: str,
    message_chain: list,
    is_active: bool,
) -> Prompt:
    """Save the prompt; a new wording of a prompt already sent becomes its next version.

    The answers (and tasks) so far stay under the wording they were asked. A prompt never
    sent, or whose current version was not sent yet, is simply edited.
    """
    _check(text, system_message, message_chain)
    with transaction.atomic():
        before = _wording(prompt)
        prompt.text, prompt.system_message = text, system_message
        prompt.message_chain, prompt.is_active = message_chain, is_active
        prompt.save()
        if _wording(prompt) != before:
            _version_after_edit(prompt=prompt, before=before)
        prompt.tags.set(tags_get_or_create(workspace=prompt.workspace, names=tags))
    return prompt


def _wording(source: Prompt | PromptVersion) -> tuple[str, str, str]:
    """What a version is told apart by (the chain as canonical JSON, so it can be a key)."""
    chain = json.dumps(source.message_chain or [], sort_keys=True)
    return source.text, source.system_message, chain


def _version_fields(prompt: Prompt) -> dict:
    return {
        "text": prompt.text,
        "system_message": prompt.system_message,
        "message_chain": prompt.message_chain or [],
    }


def _version_after_edit(*, prompt: Prompt, before: tuple[str, str, str]) -> None:
    # Locked, like a send's (``prompt_versions_ensure``): one of the two waits for the other.
    latest = prompt.versions.select_for_update().order_by("-number").first()
    if latest is None:
        if not prompt.tasks.exists():
            return  # never sent: nothing was asked in the old wording
        # Sent before versions were recorded: the old wording becomes version 1 first.
        text, system_message, chain = before
        latest = PromptVersion.objects.create(
            prompt=prompt,
            number=1,
            text=text,
            system_message=system_message,
            message_chain=json.loads(chain),
            created_at=prompt.created_at,
        )
        tasks = Task.objects.filter(prompt=prompt, prompt_version=None)
        days_mark((prompt.workspace_id, at) for at in tasks.values_list("created_at", flat=True))
        tasks.update(prompt_version=latest)
        unversioned = Answer.objects.filter(prompt=prompt, prompt_version=None)
        moments = unversioned.values_list("answered_at", flat=True)
        days_mark((prompt.workspace_id, at) for at in moments)
        unversioned.update(prompt_version=latest)
    elif not Task.objects.filter(prompt_version=latest).exists():
        # Its current version was never sent (e.g. edited twice before a send): edit it.
        for field, value in _version_fields(prompt).items():
            setattr(latest, field, value)
        latest.save(update_fields=["text", "system_message", "message_chain"])
        return
    now = timezone.now()
    latest.replaced_at = now
    latest.save(update_fields=["replaced_at"])
    PromptVersion.objects.create(
        prompt=prompt, number=latest.number + 1, created_at=now, **_version_fields(prompt)
    )


def prompt_versions_ensure(*, prompts: Sequence[Prompt]) -> dict[int, PromptVersion]:
    """The version each prompt's new task asks, by prompt id (one query when all exist).

    That is the latest version with the prompt's wording as loaded (what its task body
    asks). One is made for a prompt sent for the first time, or whose wording changed
    without ``prompt_update`` (the admin). The versions are locked until the tasks are
    saved, so an edit at the same moment sees the tasks (and starts a new version).
    """
    if not prompts:
        return {}
    with transaction.atomic():
        latest: dict[int, PromptVersion] = {}
        by_wording: dict[tuple, PromptVersion] = {}
        for version in (
            PromptVersion.objects.select_for_update()
            .filter(prompt__in=prompts)
            .order_by("prompt_id", "number")
        ):
            latest[version.prompt_id] = version
            by_wording[(version.prompt_id, *_wording(version))] = version
        found = {
            p.pk: by_wording[key] for p in prompts if (key := (p.pk, *_wording(p))) in by_wording
        }
        missing = {p.pk: p for p in prompts if p.pk not in found}
        if missing:
            found |= _versions_make(prompts=list(missing.values()), latest=latest)
    return found


def _versions_make(
    *, prompts: list[Prompt], latest: dict[int, PromptVersion]
) -> dict[int, PromptVersion]:
    now = timezone.now()
    PromptVersion.objects.filter(
        pk__in=[latest[p.pk].pk for p in prompts if p.pk in latest], replaced_at=None
    ).update(replaced_at=now)
    made = [
        PromptVersion(
            prompt=p,
            number=latest[p.pk].number + 1 if p.pk in latest else 1,
            created_at=now,
            **_version_fields(p),
        )
        for p in prompts
    ]
    # A concurrent first send of the same prompt made the same row: that one is kept.
    PromptVersion.objects.bulk_create(made, ignore_conflicts=True)
    wanted = {(v.prompt_id, v.number) for v in made}
    return {
        v.prompt_id: v
        for v in PromptVersion.objects.filter(
            prompt__in=[p.pk for p in prompts], number__in={n for _, n in wanted}
        )
        if (v.prompt_id, v.number) in wanted
    }


def prompt_set_active(*, prompt: Prompt, is_active: bool) -> Prompt:
    prompt.is_active = is_active
    prompt.save(update_fields=["is_active", "updated_at"])
    return prompt


def prompt_delete(*, prompt: Prompt) -> None:
    """Delete a prompt that was never sent; one with tasks raises PromptInUse."""
    task_count = prompt.tasks.count()
    if task_count:
        raise PromptInUse(prompt, task_count)
    prompt.delete()


def prompt_import(
    *, workspace: Workspace, rows: Sequence[tuple[str, Sequence[str]]], tags: Sequence[str] = ()
) -> ImportResult:
    """Create prompts from (text, tags) rows, all or none; texts already present are skipped."""
    for text, _ in rows:
        _check(text)
    with transaction.atomic():
        seen = set(Prompt.objects.filter(workspace=workspace).values_list("text", flat=True))
        new: list[tuple[Prompt, list[str]]] = []
        for text, row_tags in rows:
            if text not in seen:
                seen.add(text)
                new.append((Prompt(workspace=workspace, text=text), [*tags, *row_tags]))
        created = Prompt.objects.bulk_create([prompt for prompt, _ in new])
        _tags_attach(workspace=workspace, prompts=created, names=[names for _, names in new])
    return ImportResult(imported=len(created), skipped=len(rows) - len(created))


def _tags_attach(*, workspace: Workspace, prompts: list[Prompt], names: list[list[str]]) -> None:
    all_tags = tags_get_or_create(workspace=workspace, names=[n for ns in names for n in ns])
    by_name = {t.name.casefold(): t for t in all_tags}
    through = Prompt.tags.through
    links = {
        (prompt.pk, by_name[n.casefold()].pk)
        for prompt, prompt_names in zip(prompts, names, strict=True)
        for n in prompt_names
    }
    through.objects.bulk_create(through(prompt_id=p, tag_id=t) for p, t in links)
