"""What of a task object may be shown to a person: never the secret in its webhook URLs.

The API signs no postback or pingback, so the receiving URL itself is the credential (the
contract: "the receiving URL must carry an unguessable secret"). Whoever reads a task's
``postback_url`` can post a forged answer for it; so every page, export or admin screen
that shows a request body shows it through ``task_body_redacted``, whatever the reader's role.

Pure Python: the rule is about the API's fields, not about who asks.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

REDACTED = "[redacted]"
#: The task fields that carry a URL of ours, with its secret.
WEBHOOK_URL_FIELDS = ("postback_url", "pingback_url")
#: A part of a URL that cannot be a secret: a ``$id``/``$tag`` placeholder the provider
#: fills in, or a short word without digits ("hooks", "postback"). Anything else (a token,
#: a long or digit-bearing segment, a key in the query) is hidden.
_SHOWN = re.compile(r"\$[a-z]+|[A-Za-z._~-]{1,20}")


def task_body_redacted(body: dict) -> dict:
    """A copy of a task object fit to show: its webhook URLs without their secrets."""
    shown = dict(body)
    for field in WEBHOOK_URL_FIELDS:
        value = shown.get(field)
        if value is not None:
            shown[field] = url_redacted(value) if isinstance(value, str) else REDACTED
    return shown


def url_redacted(url: str) -> str:
    """The URL with its credentials and every part that could be a secret replaced."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        host = f"[{host}]" if host and ":" in host else host  # IPv6, as it was written
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # e.g. a broken IPv6 authority
        return REDACTED
    if not parts.scheme or not host:
        return REDACTED
    path = "/".join(_part(segment) for segment in parts.path.split("/"))
    query = "&".join(_query_item(item) for item in parts.query.split("&")) if parts.query else ""
    shown = f"{parts.scheme}://{host}{port}{path}"
    if query:
        shown += f"?{query}"
    if parts.fragment:
        shown += f"#{_part(parts.fragment)}"
    return shown


def _part(text: str) -> str:
    return text if not text or _SHOWN.fullmatch(text) else REDACTED


def _query_item(item: str) -> str:
    name, sep, value = item.partition("=")
    return f"{_part(name)}{sep}{_part(value)}"
