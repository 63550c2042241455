"""Every rule of a task object: the verdict the form, the client and the sandbox share."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from monitoring.aisa.contract.codes import INVALID_FIELD, POST_DATA_INVALID, TOO_MANY_TASKS
from monitoring.aisa.contract.endpoints import (
    DEFAULT_FAMILY,
    LIVE_ONLY_FAMILIES,
    LLM_FAMILIES,
    family_label,
)
from monitoring.aisa.contract.fields import (
    BOOLEAN_FIELDS,
    CHAIN_ROLES,
    CHAT_GPT_NO_LOCATION_MODELS,
    COUNTRY_CODES,
    FAMILY_LIMITS,
    FIELD_LABELS,
    LIVE_FIELDS,
    MAX_CHAIN_MESSAGE_CHARS,
    MAX_CHAIN_TURNS,
    MAX_PROMPT_CHARS,
    MAX_SYSTEM_MESSAGE_CHARS,
    MAX_TAG_CHARS,
    MAX_TASKS_PER_POST,
    TASK_FIELDS,
    FamilyLimits,
)

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


def _check_range(task, field, high, problems):
    value = task.get(field)
    if value is None:
        return
    label = FIELD_LABELS[field]
    if not _is_number(value):
        problems.append(Problem(field, f"{label} must be a number between 0 and {high}."))
    elif not 0 <= value <= high:
        problems.append(Problem(field, f"{label} must be between 0 and {high} (you gave {value})."))


def _check_tokens(task, problems, limits: FamilyLimits, reasoning: bool):
    value = task.get("max_output_tokens")
    if value is None:
        return
    if not _is_int(value):
        problems.append(Problem("max_output_tokens", "Max output tokens must be a whole number."))
        return
    low, high = limits.min_output_tokens, limits.max_output_tokens
    if reasoning and limits.min_reasoning_output_tokens is not None:
        low, high = limits.min_reasoning_output_tokens, limits.max_reasoning_output_tokens
    why = " when reasoning is on" if reasoning else ""
    if value > high:
        problems.append(
            Problem("max_output_tokens", f"Max output tokens can be at most {high}{why}.")
        )
    elif value < low:
        problems.append(
            Problem("max_output_tokens", f"Max output tokens must be at least {low}{why}.")
        )


def _check_booleans(task, problems):
    for field in BOOLEAN_FIELDS:
        if field in task and not isinstance(task[field], bool):
            problems.append(Problem(field, f"{FIELD_LABELS[field]} must be true or false."))


def _check_sampling(task, problems, family: str, reasoning: bool):
    # Forbidden together for Claude and ChatGPT; not stated for the others, so forbidden too.
    if task.get("temperature") is not None and task.get("top_p") is not None:
        problems.append(Problem("top_p", "Use temperature or top-p, not both: clear one of them."))
    if not reasoning:
        return
    # ChatGPT's reasoning models take no temperature (top-p is not ruled out there).
    fields = ("temperature",) if family == "chat_gpt" else ("temperature", "top_p")
    for field in fields:
        if task.get(field) is not None:
            problems.append(
                Problem(field, f"{FIELD_LABELS[field]} cannot be set when reasoning is on.")
            )


def _check_web_search(task, problems, model, reasoning: bool):
    web = task.get("web_search") is True
    if task.get("force_web_search") is True:
        if not web:
            problems.append(
                Problem("force_web_search", "Force web search needs web search to be turned on.")
            )
        if reasoning:
            problems.append(
                Problem("force_web_search", "Force web search must be off when reasoning is on.")
            )
    if web and model is not None and not model.web_search_supported:
        problems.append(
            Problem("web_search", f"The model {model.model_name} does not support web search.")
        )


def _check_reasoning(task, problems, family: str, model) -> None:
    """Reasoning switched on for a model the models list says does not reason."""
    if task.get("use_reasoning") is not True or model is None or model.reasoning:
        return
    if family == "gemini" and _gemini_pro(model.model_name):
        return  # reasoning is forced on for Gemini Pro models anyway
    problems.append(
        Problem(
            "use_reasoning",
            f"The model {model.model_name} does not support reasoning: turn reasoning off "
            "or choose a model that reasons.",
        )
    )


def _gemini_pro(name: str) -> bool:
    return name.startswith("gemini-") and "-pro" in name


def reasoning_applies(task: Mapping[str, Any], *, family: str, model: ModelInfo | None) -> bool:
    """Whether the reasoning rules bind this task: Claude and Gemini by their switch (always
    for Gemini Pro models), ChatGPT by its model (the models list's ``reasoning`` flag, or
    else, as older docs say, a name starting with "o"), Perplexity never."""
    name = task.get("model_name")
    name = name if isinstance(name, str) else ""
    if family == "chat_gpt":
        return model.reasoning if model is not None else bool(re.match(r"o[0-9]", name))
    if family == "gemini" and _gemini_pro(model.model_name if model else name):
        return True
    return family in ("claude", "gemini") and task.get("use_reasoning") is True


def _check_location(task, problems, family: str):
    country = task.get("web_search_country_iso_code")
    if country is not None and (not isinstance(country, str) or country not in COUNTRY_CODES):
        # No list is published for ChatGPT and Perplexity: Claude's is assumed for both.
        problems.append(
            Problem(
                "web_search_country_iso_code",
                "Choose a supported country (two-letter code such as US, GB or DE).",
            )
        )
    if country is not None and family == "chat_gpt" and task.get("web_search") is not True:
        problems.append(
            Problem("web_search_country_iso_code", "A country needs web search to be turned on.")
        )
    city = task.get("web_search_city")
    if city is not None:
        _check_text(task, "web_search_city", 0, problems)
        if country is None:
            problems.append(
                Problem("web_search_city", "A city needs a country: choose the country first.")
            )
    _check_location_model(task, problems, family)


def _check_location_model(task, problems, family: str):
    """Models that take no location: ChatGPT's o1 / o1-pro / o3-mini; non-Sonar Perplexity."""
    name = task.get("model_name")
    if not isinstance(name, str):
        return
    located = [f for f in ("web_search_country_iso_code", "web_search_city") if f in task]
    if not located:
        return
    base = re.sub(r"-[0-9]{4}-[0-9]{2}-[0-9]{2}$", "", name)
    if family == "chat_gpt" and base in CHAT_GPT_NO_LOCATION_MODELS:
        refused = f"The model {name} takes no country or city: clear them."
    elif family == "perplexity" and not name.startswith("sonar"):
        refused = f"Only Sonar models take a country; {name} is not one: clear it."
    else:
        return
    problems.append(Problem(located[0], refused))


def _check_chain(task, problems, family: str):
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
    _check_alternation(chain, problems, family)


def _check_alternation(chain: list, problems, family: str) -> None:
    """Turns strictly alternate user → ai. Verified for Perplexity, assumed for the others
    (docs/engines.md: the safest rule). Perplexity's last turn must be the AI's too, so
    that the prompt follows an answer."""
    roles = [t.get("role") for t in chain if isinstance(t, Mapping)]
    for i, role in enumerate(roles, start=1):
        expected = "user" if i % 2 else "ai"
        if role in CHAIN_ROLES and role != expected:
            problems.append(
                Problem(
                    "message_chain",
                    f"Turn {i} should be '{expected}': the turns alternate user, ai, user, "
                    "… starting with the user.",
                )
            )
            return
    if family == "perplexity" and roles and roles[-1] == "user":
        problems.append(
            Problem(
                "message_chain",
                "For Perplexity the last earlier turn must be the AI's: the prompt follows it.",
            )
        )


def _check_model(task, problems, models, live: bool):
    name = task.get("model_name")
    if not isinstance(name, str) or not name.strip() or models is None:
        return None
    model = resolve_model(name, models)
    if model is None:
        problems.append(Problem("model_name", f"Unknown model {name!r}: choose one from the list."))
    elif not live and not model.task_post_supported:
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
    family: str = DEFAULT_FAMILY,
) -> list[Problem]:
    """Every problem with one task object; an empty list means the API accepts it.

    ``models`` maps model names to their capabilities (of ``family``'s models list); when
    given, the model name and its web-search support are checked too. ``live`` applies the
    rules of the ``live`` endpoint; ``family`` those of that engine (docs/engines.md).
    """
    if not isinstance(task, Mapping):
        return [Problem("", "Each task must be a JSON object.", POST_DATA_INVALID)]
    if family not in LLM_FAMILIES:
        return [Problem("", f"Unknown engine {family!r}.", POST_DATA_INVALID)]
    if family in LIVE_ONLY_FAMILIES and not live:
        return [Problem("", f"{family_label(family)} has no tasks: its prompts are asked live.")]
    task = normalize_task(task)
    allowed = LIVE_FIELDS if live else TASK_FIELDS
    unsupported = FAMILY_UNSUPPORTED_FIELDS.get(family, frozenset())
    problems = [
        Problem(field, f"'{field}' is not a field the API knows.")
        for field in task
        if field not in allowed
    ]
    problems += [
        Problem(field, f"{FIELD_LABELS[field]} is not offered by {family_label(family)}.")
        for field in task
        if field in unsupported and field in allowed
    ]
    _check_text(task, "user_prompt", MAX_PROMPT_CHARS, problems, required=True)
    _check_text(task, "model_name", 0, problems, required=True)
    _check_text(task, "system_message", MAX_SYSTEM_MESSAGE_CHARS, problems)
    _check_text(task, "tag", MAX_TAG_CHARS, problems)
    for url_field in ("postback_url", "pingback_url"):
        if url_field in allowed:
            _check_url(task, url_field, problems)
    _check_booleans(task, problems)
    limits = FAMILY_LIMITS[family]
    model = _check_model(task, problems, models, live)
    reasoning = reasoning_applies(task, family=family, model=model)
    _check_reasoning(task, problems, family, model)
    _check_tokens(task, problems, limits, reasoning)
    _check_range(task, "temperature", limits.temperature_max, problems)
    _check_range(task, "top_p", 1, problems)
    _check_sampling(task, problems, family, reasoning)
    _check_web_search(task, problems, model, reasoning)
    _check_location(task, problems, family)
    _check_chain(task, problems, family)
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


#: Request fields a family does not take (docs/engines.md section 2 gives each its source):
#: Perplexity always searches (no ``web_search``, no forced search, no city), has no
#: reasoning switch and no tasks (hence no webhooks); Gemini has no forced search and no
#: location; ChatGPT reasons by model, without a switch.
FAMILY_UNSUPPORTED_FIELDS: dict[str, frozenset[str]] = {
    "claude": frozenset(),
    "chat_gpt": frozenset({"use_reasoning"}),
    "gemini": frozenset({"force_web_search", "web_search_country_iso_code", "web_search_city"}),
    "perplexity": frozenset(
        {
            "web_search",
            "force_web_search",
            "web_search_city",
            "use_reasoning",
            "postback_url",
            "pingback_url",
        }
    ),
}


#: Families whose every answer may search the web, whatever the request says (Perplexity).
ALWAYS_SEARCHING_FAMILIES = frozenset({"perplexity"})
#: Families whose models reason without a switch in the request (a property of the model).
REASONING_BY_MODEL_FAMILIES = frozenset({"chat_gpt", "perplexity"})


def may_search(task: Mapping[str, Any], *, family: str) -> bool:
    """Whether an answer to this task may search the web (and bill for it)."""
    return task.get("web_search") is True or family in ALWAYS_SEARCHING_FAMILIES


def may_reason(task: Mapping[str, Any], *, family: str) -> bool:
    """Whether an answer to this task may bill reasoning tokens, judged from the request
    alone: its switch, a Gemini Pro model (forced), or a family whose models reason on
    their own (the request cannot tell, so it may)."""
    return family in REASONING_BY_MODEL_FAMILIES or reasoning_applies(
        task, family=family, model=None
    )


def settings_for_family(settings: Mapping[str, Any], *, family: str) -> dict[str, Any]:
    """Shared request settings without the fields ``family`` does not take.

    A monitor across engines keeps one set of settings; each engine is sent what it
    understands (web search on means "always" for Perplexity, which searches anyway).
    """
    dropped = FAMILY_UNSUPPORTED_FIELDS.get(family, frozenset())
    return {key: value for key, value in settings.items() if key not in dropped}
