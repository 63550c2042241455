"""Every family: its models, live and (for the task families) tasks, each in its own style."""

import gzip
import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from monitoring.aisa import contract
from sandbox.answers import MODELS, load_market
from sandbox.styles import CHAT_GPT_UTM, GEMINI_REDIRECT
from tests.sandbox.test_webhooks import receiver, wait_for  # noqa: F401, F811 (a fixture)

CRM = "Which CRM should a small business use?"
OFF_TOPIC = "Tell me about Zorbix Ltd"
#: A plain model of each family (no reasoning), and a reasoning one.
PLAIN = {"claude": "claude-sonnet-4-0", "chat_gpt": "gpt-4o", "gemini": "gemini-2.5-flash"}
PLAIN["perplexity"] = "sonar"
REASONING = {"chat_gpt": "o3-mini", "gemini": "gemini-2.5-pro", "perplexity": "sonar-reasoning"}


def task(family: str, **fields) -> dict:
    return {"user_prompt": CRM, "model_name": PLAIN[family], **fields}


def live(api, **fields) -> dict:
    """The live task entry of one task of the api's family."""
    response = api.post("live", [task(api.family, **fields)])
    assert response.status_code == 200
    return response.json()["tasks"][0]


def live_result(api, **fields) -> dict:
    entry = live(api, **fields)
    assert entry["status_code"] == contract.OK, entry["status_message"]
    return entry["result"][0]


def message_text(result: dict) -> str:
    return "".join(
        s["text"] for i in result["items"] if i["type"] == "message" for s in i["sections"]
    )


def citations(result: dict) -> list[dict]:
    return [
        c
        for i in result["items"]
        if i["type"] == "message"
        for s in i["sections"]
        for c in s["annotations"] or []
    ]


@pytest.mark.parametrize("family", contract.LLM_FAMILIES)
def test_every_family_serves_its_models(sandbox, make_api, family):
    entry = make_api(sandbox, family).get("models").json()["tasks"][0]
    names = [m["model_name"] for m in entry["result"]]
    assert names == list(MODELS[family])
    assert entry["path"][2] == family
    flags = {m["task_post_supported"] for m in entry["result"]}
    assert flags == {family in contract.TASK_FAMILIES}


def test_the_model_lists_mark_reasoning_and_web_search_models(sandbox, make_api):
    def listed(family):
        result = make_api(sandbox, family).get("models").json()["tasks"][0]["result"]
        return {m["model_name"]: m for m in result}

    assert listed("chat_gpt")["o3-mini"]["reasoning"] is True
    assert listed("chat_gpt")["gpt-4o"]["reasoning"] is False
    assert listed("gemini")["gemini-2.5-pro"]["reasoning"] is True
    assert listed("perplexity")["sonar-reasoning"]["reasoning"] is True
    assert listed("perplexity")["sonar"]["web_search_supported"] is True
    assert listed("chat_gpt")["gpt-3.5-turbo"]["web_search_supported"] is False


@pytest.mark.parametrize("family", contract.LLM_FAMILIES)
def test_every_family_answers_live_naming_brands(sandbox, make_api, family):
    api = make_api(sandbox, family)
    entry = live(api)
    assert entry["status_code"] == contract.OK
    assert entry["path"][2] == family
    assert entry["data"]["se"] == family
    result = entry["result"][0]
    assert result["model_name"].startswith(PLAIN[family].removesuffix("-0"))
    names = [b["name"] for c in load_market()["categories"] for b in c["brands"]]
    assert any(name in message_text(result) for name in names)


@pytest.mark.parametrize("family", contract.TASK_FAMILIES)
def test_every_task_family_posts_lists_and_returns_tasks(sandbox, make_api, family):
    api = make_api(sandbox, family)
    (task_id,) = api.task_ids(task(family, tag=f"{family}-1"))
    ready = api.get("tasks_ready").json()["tasks"][0]["result"]
    assert [(r["id"], r["se"], r["tag"]) for r in ready] == [(task_id, family, f"{family}-1")]
    result = api.result(task_id)
    assert message_text(result)
    assert api.get("tasks_ready").json()["tasks"][0]["result"] == []


@pytest.mark.parametrize("family", contract.LLM_FAMILIES)
def test_every_family_answers_the_same_for_the_same_seed(sandbox, make_api, family):
    api = make_api(sandbox, family)
    first = [message_text(live_result(api)) for _ in range(3)]
    sandbox.reset()
    assert [message_text(live_result(api)) for _ in range(3)] == first
    assert len(set(first)) > 1  # repeated samples still differ


def test_each_family_answers_in_its_own_style(sandbox, make_api):
    texts = {
        family: [message_text(live_result(make_api(sandbox, family))) for _ in range(4)]
        for family in contract.LLM_FAMILIES
    }
    assert all(re.search(r"^1\. \*\*", t, re.M) for t in texts["claude"])
    assert all(
        re.search(r"^## ", t, re.M) and re.search(r"^- ", t, re.M) for t in texts["chat_gpt"]
    )
    assert all(re.search(r"^\*\*[^*]+\*\*: [A-Z]", t, re.M) for t in texts["gemini"])
    assert all(re.search(r"\[1\]", t) for t in texts["perplexity"])
    # Claude's numbered bold list is its own; no other family writes headings.
    assert not any(re.search(r"^1\. \*\*", t, re.M) for t in texts["gemini"] + texts["perplexity"])
    assert not any("## " in t for f in ("claude", "gemini", "perplexity") for t in texts[f])


def test_each_family_refuses_in_its_own_words(sandbox, make_api):
    openings = {}
    for family in contract.LLM_FAMILIES:
        api = make_api(sandbox, family)
        texts = [message_text(live_result(api, user_prompt=OFF_TOPIC)) for _ in range(8)]
        refusals = {t for t in texts if "Zorbix" in t}
        assert refusals, family
        openings[family] = {t.split("Zorbix")[0] for t in refusals}
    assert len({frozenset(o) for o in openings.values()}) == len(contract.LLM_FAMILIES)


def test_chat_gpt_cites_pages_tagged_by_its_search(sandbox, make_api):
    cites = citations(live_result(make_api(sandbox, "chat_gpt"), web_search=True))
    assert cites
    assert all(c["url"].endswith(CHAT_GPT_UTM) for c in cites)
    assert all(c["title"] for c in cites)


def test_gemini_cites_through_a_redirect_with_the_source_in_direct_url(sandbox, make_api):
    cites = citations(live_result(make_api(sandbox, "gemini"), web_search=True))
    assert cites
    for cite in cites:
        assert cite["url"].startswith(GEMINI_REDIRECT)
        assert cite["direct_url"].startswith("https://")
        assert cite["title"] == cite["direct_url"].split("/")[2]


def test_perplexity_always_searches_and_numbers_its_sources(sandbox, make_api):
    result = live_result(make_api(sandbox, "perplexity"))
    assert result["web_search"] is True
    cites = citations(result)
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", message_text(result))]
    assert markers == list(range(1, len(cites) + 1))


def test_perplexity_fan_out_is_sometimes_absent(sandbox, make_api):
    api = make_api(sandbox, "perplexity")
    shapes = {type(live_result(api)["fan_out_queries"]).__name__ for _ in range(10)}
    assert shapes == {"NoneType", "list"}


@pytest.mark.parametrize("family", ["claude", "chat_gpt", "gemini"])
def test_the_searching_families_fan_out_with_web_search_only(sandbox, make_api, family):
    api = make_api(sandbox, family)
    searched = live_result(api, web_search=True)
    assert all(isinstance(q, str) for q in searched["fan_out_queries"])
    assert len(searched["fan_out_queries"]) >= 2
    assert not live_result(api)["fan_out_queries"]


@pytest.mark.parametrize(("family", "model"), REASONING.items())
def test_reasoning_models_reason_without_a_switch(sandbox, make_api, family, model):
    result = live_result(make_api(sandbox, family), model_name=model, max_output_tokens=2000)
    assert result["reasoning_tokens"] > 0
    kinds = [i["type"] for i in result["items"]]
    # The client types Perplexity's items as messages only: it reasons without an item.
    assert kinds == (["message"] if family == "perplexity" else ["reasoning", "message"])
    for item in result["items"][:-1]:
        assert all(set(s) == {"type", "text"} for s in item["sections"])


def test_plain_models_do_not_reason(sandbox, make_api):
    for family in ("chat_gpt", "gemini", "perplexity"):
        result = live_result(make_api(sandbox, family))
        assert result["reasoning_tokens"] == 0
        assert [i["type"] for i in result["items"]] == ["message"]


def test_perplexity_has_no_tasks_so_its_task_paths_are_not_found(sandbox, make_api):
    api = make_api(sandbox, "perplexity")
    base = api.sandbox.aisa_base_url + "/ai_optimization/perplexity/llm_responses"
    for method, path in [("POST", "/task_post"), ("GET", "/tasks_ready"), ("GET", "/task_get/x")]:
        response = api.session.request(method, base + path, json=[task("perplexity")], timeout=5)
        assert response.status_code == 404
        assert response.json()["status_code"] == contract.NOT_FOUND
        assert response.json()["tasks"] is None
    assert sandbox.accepted_tags() == {}


@pytest.mark.parametrize(
    ("family", "field", "value"),
    [
        ("perplexity", "web_search", True),
        ("perplexity", "use_reasoning", True),
        ("perplexity", "web_search_city", "Paris"),
        ("gemini", "force_web_search", True),
        ("gemini", "web_search_country_iso_code", "US"),
        ("chat_gpt", "use_reasoning", True),
    ],
)
def test_a_field_the_family_lacks_is_an_invalid_field(sandbox, make_api, family, field, value):
    entry = live(make_api(sandbox, family), **{field: value})
    assert entry["status_code"] == contract.INVALID_FIELD
    assert entry["status_message"] == f"Invalid Field: '{field}'."
    assert entry["result"] is None


@pytest.mark.parametrize("family", ["chat_gpt", "gemini"])
def test_a_task_post_with_a_field_the_family_lacks_is_refused(sandbox, make_api, family):
    field = {"chat_gpt": "use_reasoning", "gemini": "force_web_search"}[family]
    entry = make_api(sandbox, family).post_tasks(task(family, **{field: True}))["tasks"][0]
    assert entry["status_code"] == contract.INVALID_FIELD
    assert entry["status_message"] == f"Invalid Field: '{field}'."
    assert sandbox.tasks == {}


def test_reasoning_on_a_model_that_does_not_reason_is_refused(sandbox, make_api):
    api = make_api(sandbox, "gemini")
    entry = live(api, model_name="gemini-2.5-flash", use_reasoning=True, max_output_tokens=2000)
    assert entry["status_message"] == "Invalid Field: 'use_reasoning'."


@pytest.mark.parametrize("family", contract.TASK_FAMILIES)
def test_every_task_family_queues_tasks_until_they_are_done(sandbox, make_api, family):
    api = make_api(sandbox, family)
    sandbox.task_delay = 60
    (task_id,) = api.task_ids(task(family))
    assert api.get("task_get", task_id).json()["tasks"][0]["status_code"] == contract.TASK_IN_QUEUE
    assert api.get("tasks_ready").json()["tasks"][0]["result"] == []
    sandbox.complete_all()
    assert api.result(task_id)["datetime"]


@pytest.mark.parametrize("family", contract.TASK_FAMILIES)
def test_every_task_family_lists_its_tasks_by_id_list(sandbox, make_api, family):
    api = make_api(sandbox, family)
    (task_id,) = api.task_ids(task(family, tag="listed"))
    now = datetime.now(UTC)
    query = {
        "datetime_from": contract.dt_string(now - timedelta(minutes=1)),
        "datetime_to": contract.dt_string(now + timedelta(minutes=1)),
        "include_metadata": True,
    }
    url = sandbox.aisa_base_url + contract.endpoint_path("id_list")
    (item,) = api.session.post(url, json=[query], timeout=5).json()["tasks"][0]["result"]
    assert item["id"] == task_id
    assert item["url"].endswith(f"{family}/llm_responses/task_post")
    assert item["metadata"]["se"] == family


@pytest.mark.parametrize("family", contract.TASK_FAMILIES)
def test_every_task_family_takes_faults(sandbox, make_api, family):
    api = make_api(sandbox, family)
    sandbox.add_fault("task_rate_limit", every=2)
    codes = [t["status_code"] for t in api.post_tasks(task(family), task(family))["tasks"]]
    assert codes == [contract.TASK_CREATED, contract.RATE_LIMIT]
    sandbox.add_fault("rate_limit", endpoint="live")
    assert api.post("live", [task(family)]).json()["status_code"] == contract.RATE_LIMIT
    sandbox.add_fault("poison", poison="surrogate", match="bad")
    (task_id,) = api.task_ids(task(family, tag="bad"))
    assert "\\ud800" in api.get("task_get", task_id).text


@pytest.mark.parametrize("family", contract.TASK_FAMILIES)
def test_every_task_family_sends_its_postback(sandbox, make_api, receiver, family):  # noqa: F811
    api = make_api(sandbox, family)
    url = f"http://127.0.0.1:{receiver.server_port}/hook?id=$id"
    (task_id,) = api.task_ids(task(family, postback_url=url))
    wait_for(lambda: receiver.received)
    method, path, _, body = receiver.received[0]
    assert (method, path) == ("POST", f"/hook?id={task_id}")
    posted = json.loads(gzip.decompress(body))["tasks"][0]
    assert posted["path"][2] == family
    assert posted["result"][0]["items"]
