"""Families, base URLs and endpoint paths of the LLM Responses API."""

from __future__ import annotations

import enum

# --- Families and endpoints -------------------------------------------------------------

#: LLM families ("engines") sharing the same endpoint shapes (docs/engines.md).
LLM_FAMILIES = ("claude", "chat_gpt", "gemini", "perplexity")
DEFAULT_FAMILY = "claude"
#: How each engine is named on pages.
FAMILY_LABELS = {
    "claude": "Claude",
    "chat_gpt": "ChatGPT",
    "gemini": "Gemini",
    "perplexity": "Perplexity",
}

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

#: Families with only ``live`` and ``models`` (no Standard tasks: their prompts are asked live).
LIVE_ONLY_FAMILIES = frozenset({"perplexity"})
#: Families with Standard tasks (task_post, tasks_ready, task_get) as well as live.
TASK_FAMILIES = tuple(f for f in LLM_FAMILIES if f not in LIVE_ONLY_FAMILIES)
#: The endpoints a live-only family offers.
LIVE_ONLY_ENDPOINTS = frozenset({Endpoint.LIVE, Endpoint.MODELS})
#: Live calls one account may have running at once, per family, and how long one may take.
MAX_CONCURRENT_LIVE_CALLS = 30
LIVE_CALL_MAX_SECONDS = 120


def family_label(family: str) -> str:
    return FAMILY_LABELS.get(family, family)


def family_offers(family: str, endpoint: Endpoint | str) -> bool:
    """Whether the API has this endpoint for the family (Perplexity: live and models only)."""
    endpoint = Endpoint(endpoint)
    if endpoint is Endpoint.ID_LIST:
        return True  # one account-wide endpoint
    return family not in LIVE_ONLY_FAMILIES or endpoint in LIVE_ONLY_ENDPOINTS


#: Calls per minute the API allows on single endpoints, on top of the account's overall
#: per-minute limit (DataForSEO's docs: ``tasks_ready`` 20, ``id_list`` 10).
ENDPOINT_CALLS_PER_MINUTE = {Endpoint.TASKS_READY: 20, Endpoint.ID_LIST: 10}


def endpoint_path(
    endpoint: Endpoint | str, *, family: str = DEFAULT_FAMILY, task_id: str = ""
) -> str:
    """The path of an endpoint under either base URL (it starts with ``/``)."""
    endpoint = Endpoint(endpoint)
    if family not in LLM_FAMILIES:
        raise ValueError(f"Unknown LLM family {family!r}; expected one of {LLM_FAMILIES}.")
    if endpoint is Endpoint.ID_LIST:
        return "/ai_optimization/id_list"
    if not family_offers(family, endpoint):
        raise ValueError(f"The {family} family has no {endpoint.value} endpoint (live only).")
    path = f"/ai_optimization/{family}/llm_responses/{endpoint.value}"
    if endpoint is Endpoint.TASK_GET:
        if not task_id:
            raise ValueError("task_get needs a task id.")
        path = f"{path}/{task_id}"
    return path


def path_api_segments(path: str) -> list[str]:
    """The ``tasks[].path`` array the API echoes: ``["v3", "ai_optimization", ...]``."""
    return ["v3", *[p for p in path.split("/") if p]]
