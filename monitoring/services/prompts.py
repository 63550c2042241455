"""Writes of prompts and their tags, one by one or imported in bulk."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction

from monitoring.aisa import contract
from monitoring.models import Prompt, Tag, Workspace


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
    _check(text, system_message, message_chain)
    with transaction.atomic():
        prompt.text, prompt.system_message = text, system_message
        prompt.message_chain, prompt.is_active = message_chain, is_active
        prompt.save()
        prompt.tags.set(tags_get_or_create(workspace=prompt.workspace, names=tags))
    return prompt


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
