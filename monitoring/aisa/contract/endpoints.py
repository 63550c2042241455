"""Families, base URLs and endpoint paths of the LLM Responses API."""

from __future__ import annotations

import enum

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
    path = f"/ai_optimization/{family}/llm_responses/{endpoint.value}"
    if endpoint is Endpoint.TASK_GET:
        if not task_id:
            raise ValueError("task_get needs a task id.")
        path = f"{path}/{task_id}"
    return path


def path_api_segments(path: str) -> list[str]:
    """The ``tasks[].path`` array the API echoes: ``["v3", "ai_optimization", ...]``."""
    return ["v3", *[p for p in path.split("/") if p]]
