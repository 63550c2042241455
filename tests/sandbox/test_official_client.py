"""The official DataForSEO Python client parses every family's answers from the sandbox.

The client's generated ``*ResponseInfo`` models are strict (pydantic ``Strict*`` types) and
silently drop an item whose ``type`` they do not know, so a sandbox answer shaped unlike the
real API fails here. The package has its own test-only lock
(requirements/official-client.txt, installed by ./test.sh with --no-deps: its metadata pins
an old urllib3), so a missing install fails here rather than skipping.
"""

import importlib
import re

import dataforseo_client  # noqa: F401 (installed by ./test.sh; its absence must fail)
import pytest

from monitoring.aisa import contract

CRM = "Which CRM should a small business use?"
MODEL = {
    "claude": "claude-sonnet-4-0",
    "chat_gpt": "o3-mini",  # a reasoning model: its answers carry a reasoning item
    "gemini": "gemini-2.5-pro",
    "perplexity": "sonar-reasoning",
}
#: Fields each family's web-searching task sets (Perplexity always searches).
SEARCH = {"claude": {"web_search": True, "use_reasoning": True, "max_output_tokens": 2000}}
SEARCH |= {"chat_gpt": {"web_search": True}, "gemini": {"web_search": True}, "perplexity": {}}


def response_class(family: str, endpoint: str):
    """The client's response model, e.g. ``AiOptimizationChatGptLlmResponsesLiveResponseInfo``."""
    camel = "".join(part.capitalize() for part in family.split("_"))
    name = "".join(part.capitalize() for part in endpoint.split("_"))
    cls = f"AiOptimization{camel}LlmResponses{name}ResponseInfo"
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", cls).lower()
    return getattr(importlib.import_module(f"dataforseo_client.models.{snake}"), cls)


def parse(family: str, endpoint: str, response) -> object:
    assert response.status_code == 200
    parsed = response_class(family, endpoint).from_json(response.text)
    assert parsed.status_code == contract.OK
    assert parsed.additional_properties == {}
    return parsed


def task(family: str) -> dict:
    return {"user_prompt": CRM, "model_name": MODEL[family], **SEARCH[family]}


def assert_result(family: str, result, raw: dict) -> None:
    """The typed result holds every item and citation of the raw one, nothing left over."""
    assert result.additional_properties == {}
    assert result.model_name == raw["model_name"]
    assert result.money_spent == raw["money_spent"]
    assert result.web_search is True
    assert None not in result.items  # an item of a type the client does not know is dropped
    assert [type(i).__name__ for i in result.items] == [
        ("Reasoning" if i["type"] == "reasoning" and family != "perplexity" else "Message")
        + "AiOptimizationLlmResponseElementItem"
        for i in raw["items"]
    ]
    message = result.items[-1]
    cites = [c for s in message.sections for c in s.annotations or []]
    assert cites
    assert all(c.additional_properties == {} and c.url.startswith("https://") for c in cites)
    if family == "gemini":
        assert all(c.direct_url and c.direct_url != c.url for c in cites)
    else:
        assert all(c.direct_url is None for c in cites)
    assert "".join(s.text for s in message.sections) == "".join(
        s["text"] for s in raw["items"][-1]["sections"]
    )


@pytest.mark.parametrize("family", contract.LLM_FAMILIES)
def test_it_parses_the_models_of_every_family(sandbox, make_api, family):
    parsed = parse(family, "models", make_api(sandbox, family).get("models"))
    models = parsed.tasks[0].result
    assert models
    assert all(m.model_name and m.web_search_supported is not None for m in models)
    assert {m.task_post_supported for m in models} == {family in contract.TASK_FAMILIES}
    # The client does not type the reasoning flag: it keeps it aside.
    assert all(isinstance(m.additional_properties["reasoning"], bool) for m in models)


@pytest.mark.parametrize("family", contract.LLM_FAMILIES)
def test_it_parses_a_live_answer_of_every_family(sandbox, make_api, family):
    response = make_api(sandbox, family).post("live", [task(family)])
    parsed = parse(family, "live", response)
    entry = parsed.tasks[0]
    assert entry.status_code == contract.OK
    assert entry.data["se"] == family
    assert entry.additional_properties == {}
    assert_result(family, entry.result[0], response.json()["tasks"][0]["result"][0])
    assert entry.cost == pytest.approx(0.0006 + entry.result[0].money_spent)


@pytest.mark.parametrize("family", contract.TASK_FAMILIES)
def test_it_parses_the_task_answers_of_every_task_family(sandbox, make_api, family):
    api = make_api(sandbox, family)
    posted = parse(family, "task_post", api.post("task_post", [task(family) | {"tag": "t"}]))
    task_id = posted.tasks[0].id
    assert posted.tasks[0].status_code == contract.TASK_CREATED
    ready = parse(family, "tasks_ready", api.get("tasks_ready")).tasks[0].result
    assert [(r.id, r.se, r.tag) for r in ready] == [(task_id, family, "t")]
    response = api.get("task_get", task_id)
    got = parse(family, "task_get", response).tasks[0]
    assert got.id == task_id
    assert got.data["tag"] == "t"
    assert got.additional_properties == {}
    assert_result(family, got.result[0], response.json()["tasks"][0]["result"][0])
