"""The pingback and postback URLs a task carries, each with the task's own secret."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def webhook_token(*, tag: str) -> str:
    """The per-task secret of a webhook URL: unguessable without the installation's secret."""
    key = (settings.AISA_WEBHOOK_SECRET or settings.SECRET_KEY).encode()
    return hmac.new(key, f"webhook:{tag}".encode(), hashlib.sha256).hexdigest()[:40]


def webhook_fields(*, tag: str) -> dict:
    """The pingback/postback URLs of one task, per AISA_COLLECT_MODES (empty if not used)."""
    base = settings.AISA_WEBHOOK_BASE_URL
    modes = set(settings.AISA_COLLECT_MODES)
    if not base:
        return {}
    token = webhook_token(tag=tag)
    fields = {}
    if "pingback" in modes:
        fields["pingback_url"] = f"{base}/hooks/pingback/{token}/?id=$id&tag=$tag"
    if "postback" in modes:
        fields["postback_url"] = f"{base}/hooks/postback/{token}/?id=$id&tag=$tag"
    return fields
