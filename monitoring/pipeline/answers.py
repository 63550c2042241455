"""Storing a task's answer: text, tokens, citations, fan-out queries and the raw JSON.

The API's text is made storable first (``aisa.text``): one lone surrogate or NUL in an
answer used to make every collection fail. The text we show and analyse loses what no
column can hold (lone surrogates become U+FFFD; control characters other than tab,
newline and CR go); the raw copy is sanitised only where the database cannot store it
(lone surrogates and NUL, which PostgreSQL's jsonb refuses, become U+FFFD) and otherwise
kept as the API sent it. Either change is noted in the task's history.
"""

from __future__ import annotations

import dataclasses
import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from monitoring.aisa.results import Annotation, Item, Section
from monitoring.aisa.results import Answer as ApiAnswer
from monitoring.aisa.text import clean_json, clean_text, is_clean
from monitoring.analysis import normalize_domain
from monitoring.models import Answer, ApiCall, Citation, Task, TaskStatus
from monitoring.models.prices import TASK_BASE_PRICE_USD
from monitoring.services.analysis import answer_analyze
from monitoring.services.history import task_cost_record, task_note, task_transition

logger = logging.getLogger(__name__)

#: An answer's text is stored up to this many characters. The longest answer a listed
#: model can write is about 64k output tokens (~260k characters), so only a runaway or
#: broken answer is cut: its text is cut here (the raw copy keeps all of it) and the
#: task's history says so. Storing it whole would work, but every page that shows it and
#: every re-analysis of the workspace would pay for megabytes of noise.
MAX_ANSWER_CHARS = 1_000_000
#: The columns' lengths (``models.answers``).
MODEL_NAME_CHARS = 100


def answer_store(
    *,
    task: Task,
    answer: ApiAnswer,
    api_call: ApiCall | None = None,
    via: str = "task_get",
    base_price: Decimal = TASK_BASE_PRICE_USD,
) -> bool:
    """Store the answer once and mark the task collected; a replay is a harmless no-op.

    The answer is made storable first (see the module's docstring and ``MAX_ANSWER_CHARS``).
    Its real cost is the model's charge plus ``base_price`` (a live call's base price for
    ``via="live"``).
    """
    now = timezone.now()
    answer, notes = answer_storable(answer)
    try:
        with transaction.atomic():
            if not task_transition(
                task=task,
                to=TaskStatus.COLLECTED,
                api_call=api_call,
                message=f"Answer collected via {via}.",
                collected_at=now,
                completed_at=task.completed_at or now,
                next_attempt_at=None,
            ):
                return False
            for note in notes:
                task_note(task=task, message=note, api_call=api_call)
            stored = Answer.objects.create(
                task=task,
                workspace_id=task.workspace_id,
                prompt_id=task.prompt_id,
                prompt_version_id=task.prompt_version_id,  # the wording the task asked
                text=answer.text,
                engine=task.engine,
                model_name=answer.model_name,
                input_tokens=answer.input_tokens,
                output_tokens=answer.output_tokens,
                reasoning_tokens=answer.reasoning_tokens,
                web_search=answer.web_search,
                money_spent=answer.money_spent,
                answered_at=answer.datetime or now,
                fan_out_queries=answer.fan_out_queries,
                raw=answer.raw,
                monitor_id=task.monitor_id,
            )
            Citation.objects.bulk_create(
                Citation(
                    answer=stored,
                    position=i,
                    url=c.url[:2000],
                    title=c.title[:500],
                    domain=normalize_domain(c.url),
                )
                for i, c in enumerate(answer.citations, start=1)
            )
            _real_cost_record(task, answer, api_call, base_price)
    except IntegrityError:
        if Answer.objects.filter(task_id=task.pk).exists():
            return False  # a concurrent collector stored it first
        raise  # something else is wrong with this answer: the caller fails the task
    if notes:
        logger.warning("Answer of task %s stored with changes: %s", task.pk, " ".join(notes))
    _after_store(stored)
    return True


def answer_storable(answer: ApiAnswer) -> tuple[ApiAnswer, list[str]]:
    """The answer with its text made storable and cut to the caps, and notes of what changed.

    Cleaned (``clean_text``): the message and reasoning texts, citation titles and URLs,
    fan-out queries and the model name; the raw copy only where the database cannot store
    it (``clean_json``). The message text (what ``text`` joins) is cut at
    ``MAX_ANSWER_CHARS``, the model name at its column's length.
    """
    left, full = MAX_ANSWER_CHARS, 0
    items = []
    for item in answer.items:
        sections = []
        for section in item.sections:
            text = clean_text(section.text)
            if item.type == "message" and section.type == "text":
                full += len(text)
                text, left = text[:left], max(0, left - len(text))
            annotations = tuple(
                Annotation(title=clean_text(a.title), url=clean_text(a.url))
                for a in section.annotations
            )
            sections.append(Section(type=section.type, text=text, annotations=annotations))
        items.append(Item(type=item.type, sections=tuple(sections)))
    model_name = clean_text(answer.model_name)
    cleaned = dataclasses.replace(
        answer,
        model_name=model_name[:MODEL_NAME_CHARS],
        items=tuple(items),
        fan_out_queries=[clean_text(q) for q in answer.fan_out_queries],
        raw=clean_json(answer.raw),
    )
    return cleaned, _notes(answer, cleaned, full, model_name)


def _notes(answer: ApiAnswer, cleaned: ApiAnswer, full: int, model_name: str) -> list[str]:
    """What ``answer_storable`` changed, in words for the task's history."""
    sections = [s for item in answer.items for s in item.sections]
    dirty = {
        "the answer text": not all(is_clean(s.text) for s in sections),
        "citation titles or URLs": not all(
            is_clean(a.title) and is_clean(a.url) for s in sections for a in s.annotations
        ),
        "the fan-out queries": not all(is_clean(q) for q in answer.fan_out_queries),
        "the model name": not is_clean(answer.model_name),
    }
    notes = []
    if any(dirty.values()):
        notes.append(
            f"Unsafe characters cleaned in {', '.join(n for n, bad in dirty.items() if bad)}: "
            "lone surrogates (no database can store them) became U+FFFD; NUL and the other "
            "control characters but tab, newline and CR were removed."
        )
    if cleaned.raw is not answer.raw:
        notes.append(
            "The raw copy holds U+FFFD where the API sent a lone surrogate or a NUL, which "
            "the database cannot store; the rest is as the API sent it."
        )
    if full > MAX_ANSWER_CHARS:
        notes.append(
            f"The answer's text has {full:,} characters: the first {MAX_ANSWER_CHARS:,} are "
            "stored and analysed (the cap for runaway answers); the raw copy keeps it whole."
        )
    if len(model_name) > MODEL_NAME_CHARS:
        notes.append(f"The model name was cut to its first {MODEL_NAME_CHARS} characters.")
    return notes


def _real_cost_record(
    task: Task, answer: ApiAnswer, api_call: ApiCall | None, base_price: Decimal
) -> None:
    """The model's charge, and the real cost that replaces the task's reservation."""
    task_cost_record(
        task=task,
        field="money_spent",
        amount=answer.money_spent,
        api_call=api_call,
        message="Charged by the model provider for the answer.",
    )
    if answer.money_spent is None:
        return  # the reservation keeps counting: the real cost is not known
    task_cost_record(
        task=task,
        field="cost_real",
        amount=answer.money_spent + base_price,
        api_call=api_call,
        message=(
            f"Real cost: the model's charge plus the ${base_price} base price; "
            "it replaces the reservation in the budgets."
        ),
    )


def _after_store(answer: Answer) -> None:
    """Analyse the new answer at once: it is cheap (a few ms) and the dashboard wants it."""
    try:
        answer_analyze(answer=answer)
    except Exception:  # the answer is safe; a re-analysis (analyzed_at is null) retries it
        logger.exception("Analysis of answer %s failed", answer.pk)
