"""The API client as this installation configures it (the pipeline is its only user)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from monitoring.aisa.client import AisaClient
from monitoring.pipeline.ratelimit import CallLimiter


def api_client(**overrides: Any) -> AisaClient:
    """A client for the configured API; ``overrides`` replace single settings (e.g. family).

    Every call it sends is counted by the shared rate limit (``ratelimit.CallLimiter``).
    """
    options = {
        "base_url": settings.AISA_BASE_URL,
        "api_key": settings.AISA_API_KEY,
        "auth_scheme": settings.AISA_AUTH_SCHEME,
        "family": settings.AISA_LLM_FAMILY,
        "connect_timeout": settings.AISA_CONNECT_TIMEOUT,
        "read_timeout": settings.AISA_READ_TIMEOUT,
        "before_call": CallLimiter(),
        **overrides,
    }
    base_url, api_key = options.pop("base_url"), options.pop("api_key")
    return AisaClient(base_url, api_key, **options)
