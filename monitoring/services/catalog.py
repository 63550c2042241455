"""Refreshing the model catalogue from the API's ``models`` endpoint."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from monitoring.aisa.client import AisaClient
from monitoring.aisa.errors import AisaError
from monitoring.models import LlmModel, ModelRefresh
from monitoring.services.jobs import models_refresh_enqueue


def model_catalog_refresh(*, client: AisaClient | None = None, family: str | None = None):
    """Fetch the model list and store it; on failure keep the last good list and say why."""
    family = family or settings.AISA_LLM_FAMILY
    refresh = ModelRefresh.objects.create(family=family, started_at=timezone.now())
    own_client = client is None
    client = client or AisaClient.from_settings(family=family)
    try:
        models = client.models()
    except AisaError as exc:
        refresh.error = str(exc)
    else:
        if models:
            _store(family=family, models=models, at=refresh.started_at)
            refresh.ok, refresh.model_count = True, len(models)
        else:
            refresh.error = "The API returned an empty model list; the previous list is kept."
    finally:
        if own_client:
            client.close()
    refresh.finished_at = timezone.now()
    refresh.save(update_fields=["ok", "model_count", "error", "finished_at"])
    return refresh


def _store(*, family: str, models, at) -> None:
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
