"""Storing the model catalogue that the ``models`` endpoint returned, with a record of each try."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from monitoring.aisa.contract import ModelInfo
from monitoring.models import LlmModel, ModelRefresh
from monitoring.services.jobs import models_refresh_enqueue


def model_refresh_start(*, family: str) -> ModelRefresh:
    return ModelRefresh.objects.create(family=family, started_at=timezone.now())


def model_refresh_finish(
    *, refresh: ModelRefresh, models: Sequence[ModelInfo] = (), error: str = ""
) -> ModelRefresh:
    """Store a fetched list, or record why there is none; the last good list is kept."""
    if not error and models:
        _store(family=refresh.family, models=models, at=refresh.started_at)
        refresh.ok, refresh.model_count = True, len(models)
    else:
        refresh.error = error or "The API returned an empty model list; the previous list is kept."
    refresh.finished_at = timezone.now()
    refresh.save(update_fields=["ok", "model_count", "error", "finished_at"])
    return refresh


def _store(*, family: str, models: Sequence[ModelInfo], at) -> None:
    names = [m.model_name for m in models]
    with transaction.atomic():
        for m in models:
            LlmModel.objects.update_or_create(
                family=family,
                model_name=m.model_name,
                defaults={
                    "web_search_supported": m.web_search_supported,
                    "task_post_supported": m.task_post_supported,
                    "reasoning": m.reasoning,
                    "is_available": True,
                    "refreshed_at": at,
                },
            )
        LlmModel.objects.filter(family=family).exclude(model_name__in=names).update(
            is_available=False
        )


def model_catalog_refresh_enqueue() -> None:
    """Ask a background worker to refresh the catalogue (the browser never waits on the API)."""
    models_refresh_enqueue()
