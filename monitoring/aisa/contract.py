"""The AIsa / DataForSEO "LLM Responses" contract: the single source of truth.

Every rule of a ``task_post`` request, every status code and what it means for the
caller, and every endpoint path live here. The request-builder form, the API client and
the sandbox all import this module; no rule is written anywhere else.

Pure Python on purpose (no Django import) so the sandbox and scripts can use it too.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

# --- Families and endpoints -------------------------------------------------------------

#: LLM families sharing the same endpoint shapes. ``claude`` is what the product uses today.
LLM_FAMILIES = ("claude", "chat_gpt", "gemini")
DEFAULT_FAMILY = "claude"

AISA_BASE_URL = "https://api.aisa.one/apis/v1/dataforseo"
DATAFORSEO_BASE_URL = "https://api.dataforseo.com/v3"


class Endpoint(enum.StrEnum):
    TASK_POST = "task_post"
    TASKS_READY = "tasks_ready"
    TASK_GET = "task_get"
    LIVE = "live"
    MODELS = "models"
    ID_LIST = "id_list"


#: HTTP method of each endpoint.
ENDPOINT_METHODS = {
    Endpoint.TASK_POST: "POST",
    Endpoint.TASKS_READY: "GET",
    Endpoint.TASK_GET: "GET",
    Endpoint.LIVE: "POST",
    Endpoint.MODELS: "GET",
    Endpoint.ID_LIST: "POST",
}


def endpoint_path(
    endpoint: Endpoint | str, *, family: str = DEFAULT_FAMILY, task_id: str = ""
) -> str:
    """The path of an endpoint under either base URL (it starts with ``/``)."""
    endpoint = Endpoint(endpoint)
    if family not in LLM_FAMILIES:
        raise ValueError(f"Unknown LLM family {family!r}; expected one of {LLM_FAMILIES}.")
    if endpoint is Endpoint.ID_LIST:
        return "/ai_optimization/id_list"
    path = f"/ai_optimization/{family}/llm_responses/{endpoint.value}"
    if endpoint is Endpoint.TASK_GET:
        if not task_id:
            raise ValueError("task_get needs a task id.")
        path = f"{path}/{task_id}"
    return path


def path_api_segments(path: str) -> list[str]:
    """The ``tasks[].path`` array the API echoes: ``["v3", "ai_optimization", ...]``."""
    return ["v3", *[p for p in path.split("/") if p]]


# --- Limits -----------------------------------------------------------------------------

MAX_TASKS_PER_POST = 100
MAX_PROMPT_CHARS = 500
MAX_SYSTEM_MESSAGE_CHARS = 500
MAX_CHAIN_TURNS = 10
MAX_CHAIN_MESSAGE_CHARS = 500
MAX_TAG_CHARS = 255
MIN_OUTPUT_TOKENS = 1
MAX_OUTPUT_TOKENS = 4096
DEFAULT_OUTPUT_TOKENS = 2048
MIN_REASONING_OUTPUT_TOKENS = 1025
DEFAULT_TEMPERATURE = 0.7
CHAIN_ROLES = ("user", "ai")
TASKS_READY_MAX_IDS = 1000
ID_LIST_MAX_LIMIT = 1000
#: Tasks not completed within this many hours are failed (and refunded) by the provider.
TASK_EXPIRY_HOURS = 72
#: Results stay free to fetch with task_get for this many days.
RESULT_RETENTION_DAYS = 30

#: Every Standard task prepays this; the difference to the real cost is refunded later.
TASK_PREPAYMENT_USD = Decimal("0.01")
#: Base price of a live call, added to the model's money_spent.
LIVE_BASE_PRICE_USD = Decimal("0.0006")

COUNTRY_CODES = (
    "AR",
    "AT",
    "AU",
    "BE",
    "BR",
    "CA",
    "CH",
    "CL",
    "CN",
    "DE",
    "DK",
    "ES",
    "FI",
    "FR",
    "GB",
    "HK",
    "ID",
    "IN",
    "IT",
    "JP",
    "KR",
    "MX",
    "MY",
    "NL",
    "NO",
    "NZ",
    "PH",
    "PL",
    "PT",
    "RU",
    "SA",
    "SE",
    "TR",
    "TW",
    "US",
    "ZA",
)

#: Every field a task object may carry, in the API's documented order.
TASK_FIELDS = (
    "user_prompt",
    "model_name",
    "max_output_tokens",
    "temperature",
    "top_p",
    "web_search",
    "force_web_search",
    "web_search_country_iso_code",
    "web_search_city",
    "system_message",
    "message_chain",
    "use_reasoning",
    "tag",
    "postback_url",
    "pingback_url",
)
#: ``live`` accepts the same fields minus the webhooks.
LIVE_FIELDS = tuple(f for f in TASK_FIELDS if f not in ("postback_url", "pingback_url"))
BOOLEAN_FIELDS = ("web_search", "force_web_search", "use_reasoning")
STRING_FIELDS = (
    "user_prompt",
    "model_name",
    "web_search_country_iso_code",
    "web_search_city",
    "system_message",
    "tag",
    "postback_url",
    "pingback_url",
)

#: Human labels, used by messages and by the form.
FIELD_LABELS = {
    "user_prompt": "Prompt",
    "model_name": "Model",
    "max_output_tokens": "Max output tokens",
    "temperature": "Temperature",
    "top_p": "Top-p",
    "web_search": "Web search",
    "force_web_search": "Force web search",
    "web_search_country_iso_code": "Country",
    "web_search_city": "City",
    "system_message": "System message",
    "message_chain": "Message chain",
    "use_reasoning": "Reasoning",
    "tag": "Tag",
    "postback_url": "Postback URL",
    "pingback_url": "Pingback URL",
}


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


# --- Validation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request: the field it concerns and how to fix it."""

    field: str
    message: str
    #: The API status code the real API answers with for this problem.
    code: int = INVALID_FIELD


@dataclass(frozen=True)
class ModelInfo:
    """Capabilities of one model, as the ``models`` endpoint reports them."""

    model_name: str
    web_search_supported: bool = False
    task_post_supported: bool = True
    reasoning: bool = False


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, Decimal)) and not isinstance(value, bool)


def normalize_task(task: Mapping[str, Any]) -> dict[str, Any]:
    """Drop ``null`` options: the official clients send unset fields as explicit null."""
    return {k: v for k, v in task.items() if v is not None}


def _check_text(task, field, limit, problems, *, required=False):
    label = FIELD_LABELS[field]
    value = task.get(field)
    if value is None:
        if required:
            problems.append(Problem(field, f"{label} is required."))
        return
    if not isinstance(value, str):
        problems.append(Problem(field, f"{label} must be text."))
        return
    if required and not value.strip():
        problems.append(Problem(field, f"{label} is required; it cannot be blank."))
    elif limit and len(value) > limit:
        problems.append(
            Problem(
                field,
                f"{label} is {len(value)} characters; the API accepts at most {limit}. "
                f"Shorten it by {len(value) - limit}.",
            )
        )


def _check_unit_interval(task, field, problems):
    value = task.get(field)
    if value is None:
        return
    label = FIELD_LABELS[field]
    if not _is_number(value):
        problems.append(Problem(field, f"{label} must be a number between 0 and 1."))
    elif not 0 <= value <= 1:
        problems.append(Problem(field, f"{label} must be between 0 and 1 (you gave {value})."))


def _check_tokens(task, problems):
    value = task.get("max_output_tokens")
    reasoning = task.get("use_reasoning") is True
    if value is None:
        return
    if not _is_int(value):
        problems.append(Problem("max_output_tokens", "Max output tokens must be a whole number."))
        return
    low = MIN_REASONING_OUTPUT_TOKENS if reasoning else MIN_OUTPUT_TOKENS
    if value > MAX_OUTPUT_TOKENS:
        problems.append(
            Problem("max_output_tokens", f"Max output tokens can be at most {MAX_OUTPUT_TOKENS}.")
        )
    elif value < low:
        why = " when reasoning is on" if reasoning else ""
        problems.append(
            Problem("max_output_tokens", f"Max output tokens must be at least {low}{why}.")
        )


def _check_booleans(task, problems):
    for field in BOOLEAN_FIELDS:
        if field in task and not isinstance(task[field], bool):
            problems.append(Problem(field, f"{FIELD_LABELS[field]} must be true or false."))


def _check_sampling(task, problems):
    if task.get("temperature") is not None and task.get("top_p") is not None:
        problems.append(Problem("top_p", "Use temperature or top-p, not both: clear one of them."))
    if task.get("use_reasoning") is True:
        for field in ("temperature", "top_p"):
            if task.get(field) is not None:
                problems.append(
                    Problem(field, f"{FIELD_LABELS[field]} cannot be set when reasoning is on.")
                )


def _check_web_search(task, problems, model):
    web = task.get("web_search") is True
    if task.get("force_web_search") is True:
        if not web:
            problems.append(
                Problem("force_web_search", "Force web search needs web search to be turned on.")
            )
        if task.get("use_reasoning") is True:
            problems.append(
                Problem("force_web_search", "Force web search must be off when reasoning is on.")
            )
    if web and model is not None and not model.web_search_supported:
        problems.append(
            Problem("web_search", f"The model {model.model_name} does not support web search.")
        )


def _check_location(task, problems):
    country = task.get("web_search_country_iso_code")
    if country is not None and (not isinstance(country, str) or country not in COUNTRY_CODES):
        problems.append(
            Problem(
                "web_search_country_iso_code",
                "Choose a supported country (two-letter code such as US, GB or DE).",
            )
        )
    city = task.get("web_search_city")
    if city is not None:
        _check_text(task, "web_search_city", 0, problems)
        if country is None:
            problems.append(
                Problem("web_search_city", "A city needs a country: choose the country first.")
            )


def _check_chain(task, problems):
    chain = task.get("message_chain")
    if chain is None:
        return
    if not isinstance(chain, list):
        problems.append(Problem("message_chain", "The message chain must be a list of turns."))
        return
    if len(chain) > MAX_CHAIN_TURNS:
        problems.append(
            Problem(
                "message_chain",
                f"The message chain has {len(chain)} turns; the API accepts at most "
                f"{MAX_CHAIN_TURNS}. Remove {len(chain) - MAX_CHAIN_TURNS}.",
            )
        )
    for i, turn in enumerate(chain, start=1):
        if not isinstance(turn, Mapping) or set(turn) != {"role", "message"}:
            problems.append(
                Problem("message_chain", f"Turn {i} must have exactly a role and a message.")
            )
            continue
        if turn["role"] not in CHAIN_ROLES:
            problems.append(Problem("message_chain", f"Turn {i}: the role must be 'user' or 'ai'."))
        message = turn["message"]
        if not isinstance(message, str) or not message.strip():
            problems.append(Problem("message_chain", f"Turn {i}: the message cannot be empty."))
        elif len(message) > MAX_CHAIN_MESSAGE_CHARS:
            problems.append(
                Problem(
                    "message_chain",
                    f"Turn {i} is {len(message)} characters; at most {MAX_CHAIN_MESSAGE_CHARS}.",
                )
            )


def _check_model(task, problems, models):
    name = task.get("model_name")
    if not isinstance(name, str) or not name.strip() or models is None:
        return None
    model = resolve_model(name, models)
    if model is None:
        problems.append(Problem("model_name", f"Unknown model {name!r}: choose one from the list."))
    elif not model.task_post_supported:
        problems.append(Problem("model_name", f"The model {name} cannot be used for tasks."))
    return model


def resolve_model(name: str, models: Mapping[str, ModelInfo]) -> ModelInfo | None:
    """A model by exact name, or a base name (``claude-opus-4-0``) resolved to its latest."""
    if name in models:
        return models[name]
    base = name.removesuffix("-0").removesuffix("-latest")
    versions = sorted(
        m for m in models if m.startswith(base + "-") and m[len(base) + 1 :].isdigit()
    )
    return models[versions[-1]] if versions else None


def validate_task(
    task: Mapping[str, Any],
    *,
    models: Mapping[str, ModelInfo] | None = None,
    live: bool = False,
) -> list[Problem]:
    """Every problem with one task object; an empty list means the API accepts it.

    ``models`` maps model names to their capabilities; when given, the model name and its
    web-search support are checked too. ``live`` applies the rules of the ``live`` endpoint.
    """
    if not isinstance(task, Mapping):
        return [Problem("", "Each task must be a JSON object.", POST_DATA_INVALID)]
    task = normalize_task(task)
    allowed = LIVE_FIELDS if live else TASK_FIELDS
    problems = [
        Problem(field, f"'{field}' is not a field the API knows.")
        for field in task
        if field not in allowed
    ]
    _check_text(task, "user_prompt", MAX_PROMPT_CHARS, problems, required=True)
    _check_text(task, "model_name", 0, problems, required=True)
    _check_text(task, "system_message", MAX_SYSTEM_MESSAGE_CHARS, problems)
    _check_text(task, "tag", MAX_TAG_CHARS, problems)
    for url_field in ("postback_url", "pingback_url"):
        if url_field in allowed:
            _check_url(task, url_field, problems)
    _check_booleans(task, problems)
    _check_tokens(task, problems)
    _check_unit_interval(task, "temperature", problems)
    _check_unit_interval(task, "top_p", problems)
    _check_sampling(task, problems)
    model = _check_model(task, problems, models)
    _check_web_search(task, problems, model)
    _check_location(task, problems)
    _check_chain(task, problems)
    return problems


def _check_url(task, field, problems):
    value = task.get(field)
    if value is None:
        return
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        problems.append(Problem(field, f"{FIELD_LABELS[field]} must be an http(s) URL."))


def validate_batch(tasks: Any) -> Problem | None:
    """The envelope-level check of a ``task_post`` body (before per-task validation)."""
    if not isinstance(tasks, list) or not tasks:
        return Problem(
            "", "The request body must be a non-empty array of tasks.", POST_DATA_INVALID
        )
    if len(tasks) > MAX_TASKS_PER_POST:
        return Problem(
            "",
            f"At most {MAX_TASKS_PER_POST} tasks per call; split the batch.",
            TOO_MANY_TASKS,
        )
    return None


def first_invalid_field(problems: list[Problem]) -> str:
    """The field the API would name in its ``40501 Invalid Field: '<name>'.`` answer."""
    for problem in problems:
        if problem.field:
            return problem.field
    return ""


def build_task(**fields: Any) -> dict[str, Any]:
    """A task object in the documented field order, with unset (None) fields left out."""
    unknown = set(fields) - set(TASK_FIELDS)
    if unknown:
        raise ValueError(f"Unknown task fields: {sorted(unknown)}")
    return {f: fields[f] for f in TASK_FIELDS if fields.get(f) is not None}


#: The fields that belong to a prompt rather than to the request settings.
PROMPT_FIELDS = ("user_prompt", "system_message", "message_chain")


def validate_prompt(
    user_prompt: Any, system_message: Any = None, message_chain: Any = None
) -> list[Problem]:
    """The problems of a prompt's own fields, judged by the same rules as a whole task."""
    task = {
        "user_prompt": user_prompt,
        "model_name": "any",
        "system_message": system_message or None,
        "message_chain": message_chain or None,
    }
    return [p for p in validate_task(task) if p.field in PROMPT_FIELDS]
