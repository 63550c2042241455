"""Storing a task's answer: text, tokens, citations, fan-out queries and the raw JSON."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from monitoring.aisa.results import Answer as ApiAnswer
from monitoring.analysis import normalize_domain
from monitoring.models import Answer, ApiCall, Citation, Task, TaskStatus
from monitoring.models.prices import TASK_BASE_PRICE_USD
from monitoring.services.analysis import answer_analyze
from monitoring.services.history import task_cost_record, task_transition

logger = logging.getLogger(__name__)


def answer_store(
    *, task: Task, answer: ApiAnswer, api_call: ApiCall | None = None, via: str = "task_get"
) -> bool:
    """Store the answer once and mark the task collected; a replay is a harmless no-op."""
    now = timezone.now()
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
            stored = Answer.objects.create(
                task=task,
                workspace_id=task.workspace_id,
                prompt_id=task.prompt_id,
                text=answer.text,
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
            _real_cost_record(task, answer, api_call)
    except IntegrityError:
        return False  # a concurrent collector stored it first
    _after_store(stored)
    return True


def _real_cost_record(task: Task, answer: ApiAnswer, api_call: ApiCall | None) -> None:
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
        amount=answer.money_spent + TASK_BASE_PRICE_USD,
        api_call=api_call,
        message=(
            f"Real cost: the model's charge plus the ${TASK_BASE_PRICE_USD} base task price; "
            "it replaces the reservation in the budgets."
        ),
    )


def _after_store(answer: Answer) -> None:
    """Analyse the new answer at once: it is cheap (a few ms) and the dashboard wants it."""
    try:
        answer_analyze(answer=answer)
    except Exception:  # the answer is safe; a re-analysis (analyzed_at is null) retries it
        logger.exception("Analysis of answer %s failed", answer.pk)
