"""The cached model catalogue, as the builder and the contract want it."""

from __future__ import annotations

from django.conf import settings

from monitoring.aisa import contract
from monitoring.aisa.contract import ModelInfo
from monitoring.models import LlmModel, ModelRefresh, Monitor


def model_catalog(*, family: str | None = None) -> dict[str, ModelInfo]:
    """Available models by name, with their capabilities (the contract's ``models`` argument)."""
    rows = LlmModel.objects.filter(
        family=family or settings.AISA_LLM_FAMILY, is_available=True
    ).order_by("model_name")
    return {
        r.model_name: ModelInfo(
            model_name=r.model_name,
            web_search_supported=r.web_search_supported,
            task_post_supported=r.task_post_supported,
            reasoning=r.reasoning,
        )
        for r in rows
    }


def model_refresh_status(*, family: str | None = None) -> dict:
    """The last refresh attempt and the last good one, for "refreshed at … / failed: …"."""
    family = family or settings.AISA_LLM_FAMILY
    refreshes = ModelRefresh.objects.filter(family=family)
    return {
        "last": refreshes.first(),
        "last_ok": refreshes.filter(ok=True).first(),
    }


def families_in_use() -> list[str]:
    """The engines whose model lists are needed: the default, and every engine an active
    monitor asks (in the contract's order)."""
    used = {settings.AISA_LLM_FAMILY}
    for monitor in Monitor.objects.filter(is_active=True).only("engines", "request_settings"):
        used.update(engine for engine, _ in monitor.targets)
    return [family for family in contract.LLM_FAMILIES if family in used]
