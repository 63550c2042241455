"""The task object's fields, their limits, and the money constants of the API."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

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
#: What a task costs beyond the model's ``money_spent``. Documented for live only; the docs
#: do not say it for task_post, so the same base price is assumed (uncertain).
TASK_BASE_PRICE_USD = LIVE_BASE_PRICE_USD

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

# --- Per-family limits (docs/engines.md, section 0 and 2) ---------------------------------


@dataclass(frozen=True)
class FamilyLimits:
    """The numeric rules of one family's request fields, as docs/engines.md sources them."""

    temperature_max: float
    temperature_default: float | None
    top_p_default: float | None
    #: The least ``max_output_tokens`` without reasoning, and the most.
    min_output_tokens: int = MIN_OUTPUT_TOKENS
    max_output_tokens: int = MAX_OUTPUT_TOKENS
    #: The least ``max_output_tokens`` when reasoning applies (None: the family has none).
    min_reasoning_output_tokens: int | None = None
    #: The most ``max_output_tokens`` when reasoning applies.
    max_reasoning_output_tokens: int = MAX_OUTPUT_TOKENS


FAMILY_LIMITS: dict[str, FamilyLimits] = {
    "claude": FamilyLimits(1, DEFAULT_TEMPERATURE, None, min_reasoning_output_tokens=1025),
    # Non-reasoning models: min 16; an older doc revision caps them at 2048, the safest rule.
    "chat_gpt": FamilyLimits(
        2,
        0.94,
        0.92,
        min_output_tokens=16,
        max_output_tokens=2048,
        min_reasoning_output_tokens=1024,
    ),
    # The live doc says 1024 with reasoning, the task_post doc (a copy of Claude's) 1025:
    # 1025 satisfies both.
    "gemini": FamilyLimits(2, 1.3, 0.9, min_reasoning_output_tokens=1025),
    "perplexity": FamilyLimits(1.9, 0.77, 0.9),
}

#: ChatGPT models without location (country and city) support, by base name.
CHAT_GPT_NO_LOCATION_MODELS = ("o3-mini", "o1-pro", "o1")
