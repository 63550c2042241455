"""Status codes and what each means for the caller; the API's datetime format."""

from __future__ import annotations

import enum
from dataclasses import dataclass

# --- Status codes -----------------------------------------------------------------------


class Outcome(enum.StrEnum):
    """What a status code means for the caller."""

    SUCCESS = "success"  # done; read the result
    NOT_READY = "not_ready"  # poll again later
    RETRYABLE = "retryable"  # transient; retry with backoff
    RATE_LIMITED = "rate_limited"  # retry after a pause (Retry-After when given)
    PERMANENT = "permanent"  # this task/request will never succeed as it is
    AUTH = "auth"  # stop: credentials are wrong; an admin must act
    PAYMENT = "payment"  # stop: money or cost limit; an admin must act
    NOT_FOUND = "not_found"  # unknown id or path
    UNKNOWN = "unknown"  # outcome unknown: the request may have been acted on


@dataclass(frozen=True)
class StatusCode:
    code: int
    message: str
    outcome: Outcome
    http_status: int = 200


STATUS_CODES: dict[int, StatusCode] = {
    s.code: s
    for s in (
        StatusCode(20000, "Ok.", Outcome.SUCCESS),
        StatusCode(20100, "Task Created.", Outcome.SUCCESS),
        StatusCode(40006, "You can set no more than 100 tasks at a time.", Outcome.PERMANENT),
        StatusCode(
            40100,
            "You are not authorized to access this resource. Please check your credentials.",
            Outcome.AUTH,
            401,
        ),
        StatusCode(40200, "Payment Required.", Outcome.PAYMENT, 402),
        StatusCode(40202, "The rate-limit per minute has been exceeded.", Outcome.RATE_LIMITED),
        StatusCode(40203, "Cost limit exceeded.", Outcome.PAYMENT),
        StatusCode(40205, "Duplicate task limit per hour exceeded.", Outcome.PERMANENT),
        StatusCode(40206, "Duplicate task limit per day exceeded.", Outcome.PERMANENT),
        StatusCode(40400, "Not Found.", Outcome.NOT_FOUND, 404),
        StatusCode(40401, "Task Not Found.", Outcome.NOT_FOUND),
        StatusCode(40403, "Results Expired.", Outcome.PERMANENT),
        StatusCode(40501, "Invalid Field.", Outcome.PERMANENT),
        StatusCode(40503, "POST Data Is Invalid.", Outcome.PERMANENT),
        StatusCode(40601, "Task Handed.", Outcome.NOT_READY),
        StatusCode(40602, "Task In Queue.", Outcome.NOT_READY),
        StatusCode(50000, "Internal Error.", Outcome.RETRYABLE, 500),
        StatusCode(50301, "Service Temporarily Unavailable.", Outcome.RETRYABLE),
        StatusCode(50303, "Update In Progress.", Outcome.RETRYABLE),
        StatusCode(50401, "Timeout Exceeded.", Outcome.RETRYABLE),
    )
}

OK = 20000
TASK_CREATED = 20100
TOO_MANY_TASKS = 40006
UNAUTHORIZED = 40100
PAYMENT_REQUIRED = 40200
RATE_LIMIT = 40202
NOT_FOUND = 40400
TASK_NOT_FOUND = 40401
INVALID_FIELD = 40501
POST_DATA_INVALID = 40503
TASK_HANDED = 40601
TASK_IN_QUEUE = 40602
INTERNAL_ERROR = 50000


def outcome_for_code(code: int | None) -> Outcome:
    """Classify any status code, including ones this table does not list."""
    if code is None:
        return Outcome.UNKNOWN
    known = STATUS_CODES.get(code)
    if known:
        return known.outcome
    if 20000 <= code < 30000:
        return Outcome.SUCCESS
    if 50000 <= code < 60000:
        return Outcome.RETRYABLE
    return Outcome.PERMANENT


def status_message(code: int, field: str | None = None) -> str:
    """The API's message for a code; 40501 names the field like the real API does."""
    if code == INVALID_FIELD and field:
        return f"Invalid Field: '{field}'."
    known = STATUS_CODES.get(code)
    return known.message if known else "Unknown status."


def gateway_outcome(http_status: int) -> Outcome:
    """Classify an HTTP error status from the AIsa gateway (which uses real HTTP codes)."""
    if http_status in (401, 403):
        return Outcome.AUTH
    if http_status == 402:
        return Outcome.PAYMENT
    if http_status == 429:
        return Outcome.RATE_LIMITED
    if http_status == 404:
        return Outcome.NOT_FOUND
    if http_status >= 500 or http_status in (408, 425):
        return Outcome.RETRYABLE
    return Outcome.PERMANENT


def dt_string(value) -> str:
    """A datetime as the API writes it: ``"2025-07-24 17:35:51 +00:00"`` (UTC)."""
    from datetime import UTC

    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S +00:00")


def parse_dt_string(text: str | None):
    """Parse the API's datetime strings (``"yyyy-mm-dd hh:mm:ss +00:00"``); None stays None."""
    from datetime import datetime

    if not text:
        return None
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z")
