"""The one error type of the AIsa client.

Every failure of a call (transport, gateway, envelope, unreadable body) becomes an
``AisaError`` whose ``outcome`` says what the caller should do. Per-task failures inside
a successful call are not errors: they are outcomes on the typed results.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any

from monitoring.aisa.contract import Outcome

#: What to do next, by outcome; appended to every message so an admin can act on it.
ADVICE = {
    Outcome.RETRYABLE: "This is transient; retrying later with backoff is safe.",
    Outcome.RATE_LIMITED: "The rate limit was hit; wait before sending more requests.",
    Outcome.AUTH: (
        "The credentials were refused; check AISA_API_KEY and AISA_AUTH_SCHEME "
        "(an admin must fix this before anything else is sent)."
    ),
    Outcome.PAYMENT: (
        "The account is out of funds or over its cost limit; top it up or raise the "
        "limit before posting again. Nothing was created by this call."
    ),
    Outcome.PERMANENT: "The request will not succeed as it is; fix it before sending it again.",
    Outcome.NOT_FOUND: (
        "The task id is unknown or the path is wrong; check the id, AISA_BASE_URL and "
        "AISA_LLM_FAMILY."
    ),
    Outcome.UNKNOWN: (
        "The request may have been processed: tasks may have been created and billed. "
        "Do not retry blindly (the API has no idempotency key); look the tags up with "
        "id_list first."
    ),
    Outcome.SUCCESS: "",
    Outcome.NOT_READY: "The task is not done yet; poll again later.",
}

_RETRYABLE_OUTCOMES = frozenset({Outcome.RETRYABLE, Outcome.RATE_LIMITED, Outcome.NOT_READY})


class AisaError(Exception):
    """A call to the API failed; ``outcome`` says whether and how to try again."""

    def __init__(
        self,
        message: str,
        *,
        outcome: Outcome = Outcome.UNKNOWN,
        status_code: int | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
        endpoint: str = "",
        call=None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.outcome = Outcome(outcome)
        self.status_code = status_code
        self.http_status = http_status
        self.retry_after = retry_after
        self.endpoint = endpoint
        #: ``results.CallInfo`` when a response arrived (its cost headers belong in the ledger).
        self.call = call

    @property
    def retryable(self) -> bool:
        """Safe to send the same request again later (after ``retry_after`` when given)."""
        return self.outcome in _RETRYABLE_OUTCOMES

    @property
    def request_may_have_been_processed(self) -> bool:
        """The server may have acted on the request although no answer was read."""
        return self.outcome is Outcome.UNKNOWN

    @property
    def price_usd(self) -> Decimal | None:
        return self.call.price_usd if self.call is not None else None

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return (
            f"AisaError(outcome={self.outcome.value!r}, status_code={self.status_code!r}, "
            f"http_status={self.http_status!r}, endpoint={self.endpoint!r}, "
            f"message={self.message!r})"
        )

    def __reduce__(self):
        # Keyword-only arguments do not survive the default Exception pickling, and
        # job queues pickle exceptions.
        return (self.__class__, (self.message,), self.__dict__)


# --- Reading failure responses --------------------------------------------------------
# The gateway and the API fail in many shapes; these turn each into a short text.

#: Server text quoted in an error message is cut to this many characters.
QUOTE_CHARS = 300


def describe_error_body(
    body: Any, content: bytes, content_type: str
) -> tuple[int | None, str, str]:
    """(API status code, human text, gateway error code) of any error body shape."""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):  # {"error": {"type", "code", "message", "request_id"}}
            kind = "/".join(str(error[k]) for k in ("type", "code") if error.get(k))
            request_id = f" (request id {error['request_id']})" if error.get("request_id") else ""
            text = f"{kind}: {str(error.get('message', ''))[:QUOTE_CHARS]}{request_id}"
            return None, text, str(error.get("code", ""))
        code = body.get("status_code")
        if isinstance(code, int) and not isinstance(code, bool):
            return code, f"{code} {body.get('status_message', '')!r}", ""
        message = error if isinstance(error, str) else body.get("message")
        if isinstance(message, str):  # {"error": "..."} or {"message": "..."}
            return None, repr(message[:QUOTE_CHARS]), ""
    return None, quote_body(content, content_type), ""


def quote_body(content: bytes, content_type: str) -> str:
    """A short, readable excerpt of a body that is not the expected JSON (HTML: its title)."""
    text = content.decode("utf-8", "replace")
    title = re.search(r"<title[^>]*>(.*?)</title>", text, re.IGNORECASE | re.DOTALL)
    if title:
        text = title.group(1)
    text = " ".join(re.sub(r"<[^>]+>", " ", text).split())[:QUOTE_CHARS]
    kind = content_type.split(";")[0] or "untyped"
    return f"{kind} body {text!r}" if text else f"empty {kind} body"


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
