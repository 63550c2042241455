import base64
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import requests

from monitoring.aisa import contract
from tests.factories import BASIC_PAIR, SANDBOX_KEY, sandbox_task

CLAUDE = "/ai_optimization/claude/llm_responses"


def basic(pair: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}


def test_it_serves_models_under_the_aisa_base_with_a_bearer_key(api):
    response = api.get("models")
    assert response.status_code == 200
    names = [m["model_name"] for m in response.json()["tasks"][0]["result"]]
    assert "claude-sonnet-4-20250514" in names


def test_it_answers_a_missing_aisa_key_with_the_gateway_401(sandbox):
    response = requests.get(sandbox.aisa_base_url + CLAUDE + "/models", timeout=5)
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["type"] == "authentication_error"
    assert error["code"] == "missing_api_key"
    assert error["request_id"].startswith("req_")


def test_it_answers_a_wrong_aisa_key_with_invalid_api_key(sandbox):
    headers = {"Authorization": "Bearer sk-aisa-wrong"}
    response = requests.get(sandbox.aisa_base_url + CLAUDE + "/models", headers=headers, timeout=5)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_it_accepts_basic_auth_on_the_dataforseo_base(sandbox):
    sandbox.api_keys.add(BASIC_PAIR)
    url = sandbox.dataforseo_base_url + CLAUDE + "/models"
    response = requests.get(url, headers=basic(BASIC_PAIR), timeout=5)
    assert response.status_code == 200
    assert response.json()["status_code"] == contract.OK


@pytest.mark.parametrize(
    "headers", [{}, basic("login:wrong"), {"Authorization": f"Bearer {SANDBOX_KEY}"}]
)
def test_it_answers_bad_dataforseo_credentials_with_an_envelope_40100(sandbox, headers):
    sandbox.api_keys.add(BASIC_PAIR)
    url = sandbox.dataforseo_base_url + CLAUDE + "/models"
    response = requests.get(url, headers=headers, timeout=5)
    assert response.status_code == 401
    body = response.json()
    assert body["status_code"] == contract.UNAUTHORIZED
    assert body["tasks"] is None


def test_it_restores_the_accepted_keys_on_reset(sandbox):
    sandbox.api_keys.add("extra")
    sandbox.reset()
    assert "extra" not in sandbox.api_keys


@pytest.mark.parametrize("family", contract.TASK_FAMILIES)
def test_it_serves_every_family(sandbox, family, make_api):
    api = make_api(sandbox, family)
    model = api.get("models").json()["tasks"][0]["result"][0]["model_name"]
    envelope = api.post_tasks(sandbox_task(model_name=model))
    task = envelope["tasks"][0]
    assert task["status_code"] == contract.TASK_CREATED
    assert task["path"][2] == family
    assert task["data"]["se"] == family
    assert api.result(task["id"])["model_name"] == model


@pytest.mark.parametrize(
    "path",
    ["/ai_optimization/claude/llm_responses/nope", "/ai_optimization/bard/llm_responses/models"],
)
def test_it_answers_an_unknown_path_with_40400(api, path):
    response = api.session.get(api.sandbox.aisa_base_url + path, timeout=5)
    assert response.status_code == 404
    assert response.json()["status_code"] == contract.NOT_FOUND
    assert response.json()["tasks"] is None


def test_it_answers_a_wrong_method_with_40400(api):
    response = api.session.get(api.url("task_post"), timeout=5)
    assert response.json()["status_code"] == contract.NOT_FOUND


def test_it_creates_tasks_with_uuid_like_ids_and_the_prepayment(api):
    envelope = api.post_tasks(sandbox_task(tag="a"), sandbox_task(tag="b"))
    assert envelope["status_code"] == contract.OK
    assert envelope["tasks_count"] == 2
    assert envelope["tasks_error"] == 0
    assert envelope["cost"] == pytest.approx(0.02)
    for task in envelope["tasks"]:
        assert task["status_message"] == "Task Created."
        assert [len(p) for p in task["id"].split("-")] == [8, 4, 4, 4, 12]
        assert task["cost"] == pytest.approx(0.01)
        assert task["result"] is None
        assert task["path"] == ["v3", "ai_optimization", "claude", "llm_responses", "task_post"]
    assert envelope["tasks"][0]["data"]["tag"] == "a"
    assert envelope["tasks"][0]["data"]["api"] == "ai_optimization"


def test_it_accepts_a_single_object_and_tolerates_nulls(api):
    response = api.post("task_post", sandbox_task(temperature=None, top_p=None, tag=None))
    task = response.json()["tasks"][0]
    assert task["status_code"] == contract.TASK_CREATED
    assert "top_p" not in task["data"]


def test_it_refuses_more_than_100_tasks_with_40006(api, sandbox):
    envelope = api.post("task_post", [sandbox_task()] * 101).json()
    assert envelope["status_code"] == contract.TOO_MANY_TASKS
    assert envelope["tasks"] is None
    assert sandbox.tasks == {}


@pytest.mark.parametrize("body", [b"{not json", b"42", b"[]", b'"text"'])
def test_it_refuses_bad_post_data_with_40503(api, body):
    response = api.session.post(api.url("task_post"), data=body, timeout=5)
    assert response.json()["status_code"] == contract.POST_DATA_INVALID
    assert response.json()["tasks"] is None


def test_it_names_the_invalid_field_in_a_mixed_batch(api, sandbox):
    envelope = api.post_tasks(
        sandbox_task(), sandbox_task(temperature=2), sandbox_task(user_prompt="x" * 501)
    )
    codes = [t["status_code"] for t in envelope["tasks"]]
    assert codes == [contract.TASK_CREATED, contract.INVALID_FIELD, contract.INVALID_FIELD]
    assert envelope["tasks"][1]["status_message"] == "Invalid Field: 'temperature'."
    assert envelope["tasks"][2]["status_message"] == "Invalid Field: 'user_prompt'."
    assert envelope["tasks_error"] == 2
    assert envelope["cost"] == pytest.approx(0.01)
    assert len(sandbox.tasks) == 1


def test_it_refuses_web_search_on_a_model_without_it(api):
    envelope = api.post_tasks(sandbox_task(model_name="claude-3-5-haiku-20241022", web_search=True))
    assert envelope["tasks"][0]["status_message"] == "Invalid Field: 'web_search'."


def test_it_resolves_a_base_model_name_to_its_latest_version(api):
    assert api.answer(model_name="claude-opus-4-0")["model_name"] == "claude-opus-4-20250514"
    assert api.answer(model_name="claude-sonnet-4-5")["model_name"] == "claude-sonnet-4-5-20250929"


def test_it_keeps_a_task_in_queue_until_it_is_done(api, sandbox):
    sandbox.task_delay = 60
    (task_id,) = api.task_ids(sandbox_task())
    task = api.get("task_get", task_id).json()["tasks"][0]
    assert task["status_code"] == contract.TASK_IN_QUEUE
    assert task["status_message"] == "Task In Queue."
    assert task["result"] is None
    assert api.get("tasks_ready").json()["tasks"][0]["result"] == []
    sandbox.complete_all()
    task = api.get("task_get", task_id).json()["tasks"][0]
    assert task["status_code"] == contract.OK
    assert task["cost"] == 0
    assert task["result_count"] == 1
    assert task["path"][-2:] == ["task_get", task_id]


def test_it_completes_a_task_after_the_delay(api, sandbox):
    sandbox.task_delay = 0.3
    (task_id,) = api.task_ids(sandbox_task())
    assert api.get("task_get", task_id).json()["tasks"][0]["status_code"] == contract.TASK_IN_QUEUE
    deadline = datetime.now(UTC) + timedelta(seconds=3)
    while api.get("task_get", task_id).json()["tasks"][0]["status_code"] != contract.OK:
        assert datetime.now(UTC) < deadline


def test_it_answers_an_unknown_task_id_with_40401(api):
    envelope = api.get("task_get", "00000000-0000-0000-0000-000000000000").json()
    assert envelope["tasks"][0]["status_code"] == contract.TASK_NOT_FOUND
    assert envelope["tasks"][0]["result"] is None
    assert envelope["tasks_error"] == 1


def test_it_lists_ready_tasks_until_they_are_collected(api):
    (task_id,) = api.task_ids(sandbox_task(tag="seen here"))
    ready = api.get("tasks_ready").json()["tasks"][0]["result"]
    assert [r["id"] for r in ready] == [task_id]
    assert ready[0]["tag"] == "seen here"
    assert ready[0]["se"] == "claude"
    assert ready[0]["endpoint"].endswith(contract.endpoint_path("task_get", task_id=task_id))
    contract.parse_dt_string(ready[0]["date_posted"])
    api.result(task_id)
    assert api.get("tasks_ready").json()["tasks"][0]["result"] == []


def test_it_lists_posted_tasks_by_id_list_with_their_metadata(api, sandbox):
    sandbox.task_delay = 60
    first, second = api.task_ids(sandbox_task(tag="lost-answer"), sandbox_task())
    now = datetime.now(UTC)
    query = {
        "datetime_from": contract.dt_string(now - timedelta(minutes=1)),
        "datetime_to": contract.dt_string(now + timedelta(minutes=1)),
        "include_metadata": True,
        "sort": "desc",
    }
    url = sandbox.aisa_base_url + contract.endpoint_path("id_list")
    envelope = api.session.post(url, json=[query], timeout=5).json()
    items = envelope["tasks"][0]["result"]
    assert [i["id"] for i in items] == [second, first]
    assert items[1]["metadata"]["tag"] == "lost-answer"
    assert items[1]["datetime_done"] is None
    assert items[1]["cost"] == pytest.approx(0.01)
    assert items[1]["url"].endswith("claude/llm_responses/task_post")
    assert envelope["cost"] == 0
    without = api.session.post(url, json=[{**query, "include_metadata": False}], timeout=5).json()
    assert without["tasks"][0]["result"][0]["metadata"] is None


def test_it_names_a_bad_id_list_parameter(api, sandbox):
    url = sandbox.aisa_base_url + contract.endpoint_path("id_list")
    body = [{"datetime_from": "yesterday", "datetime_to": "2025-01-01 00:00:00 +00:00"}]
    task = api.session.post(url, json=body, timeout=5).json()["tasks"][0]
    assert task["status_message"] == "Invalid Field: 'datetime_from'."


def test_it_answers_live_synchronously_with_base_price_plus_money_spent(api, sandbox):
    task = api.post("live", [sandbox_task(tag="live one")]).json()["tasks"][0]
    assert task["status_code"] == contract.OK
    result = task["result"][0]
    assert task["cost"] == pytest.approx(0.0006 + result["money_spent"])
    assert sandbox.accepted_tags()["live one"] == 1
    assert sandbox.tasks == {}


def test_it_applies_the_live_rules_to_live(api):
    task = api.post("live", [sandbox_task(postback_url="http://127.0.0.1:9/x")]).json()["tasks"][0]
    assert task["status_message"] == "Invalid Field: 'postback_url'."
    envelope = api.post("live", [sandbox_task(), sandbox_task()]).json()
    assert envelope["status_code"] == 40000
    assert envelope["tasks"] is None


def test_it_reports_models_with_capability_flags(api):
    models = {m["model_name"]: m for m in api.get("models").json()["tasks"][0]["result"]}
    assert models["claude-3-5-haiku-20241022"]["web_search_supported"] is False
    assert models["claude-opus-4-1-20250805"]["reasoning"] is True
    assert all(m["task_post_supported"] is True for m in models.values())


def test_reset_forgets_an_added_login_password_key(sandbox):
    sandbox.api_keys.add(BASIC_PAIR)
    url = sandbox.dataforseo_base_url + CLAUDE + "/models"
    assert requests.get(url, headers=basic(BASIC_PAIR), timeout=5).status_code == 200
    sandbox.reset()
    assert BASIC_PAIR not in sandbox.api_keys
    assert sandbox.api_keys == {"sk-aisa-sandbox", "sk-aisa-test-key"}
    assert requests.get(url, headers=basic(BASIC_PAIR), timeout=5).status_code == 401
    requests.post(sandbox.url + "/_sandbox/reset", timeout=5)
    assert BASIC_PAIR not in sandbox.api_keys


def test_it_sends_the_price_of_a_task_post_under_the_aisa_base(api):
    response = api.post(
        "task_post", [sandbox_task(), sandbox_task(top_p=3), sandbox_task(), sandbox_task()]
    )
    assert response.headers["X-AISA-Price-USD"] == "0.030000"
    assert response.json()["cost"] == 0.03
    rejected = api.post("task_post", [sandbox_task(top_p=3)])
    assert rejected.headers["X-AISA-Price-USD"] == "0.000000"


def test_it_sends_the_price_of_a_live_call_under_the_aisa_base(api):
    response = api.post("live", [sandbox_task(web_search=True)])
    cost = response.json(parse_float=Decimal)["tasks"][0]["cost"]
    assert cost > contract.LIVE_BASE_PRICE_USD
    assert response.headers["X-AISA-Price-USD"] == f"{cost:.6f}"
    assert len(response.headers["X-AISA-Price-USD"].split(".")[1]) == 6


def test_it_sends_no_price_for_free_or_failed_calls_or_under_v3(api, sandbox):
    (task_id,) = api.task_ids(sandbox_task())
    assert "X-AISA-Price-USD" not in api.get("task_get", task_id).headers
    assert "X-AISA-Price-USD" not in api.get("models").headers
    too_many = api.post("task_post", [sandbox_task()] * (contract.MAX_TASKS_PER_POST + 1))
    assert too_many.json()["status_code"] == contract.TOO_MANY_TASKS
    assert "X-AISA-Price-USD" not in too_many.headers
    sandbox.api_keys.add(BASIC_PAIR)
    url = sandbox.dataforseo_base_url + CLAUDE + "/task_post"
    response = requests.post(url, json=[sandbox_task()], headers=basic(BASIC_PAIR), timeout=5)
    assert response.json()["tasks"][0]["status_code"] == contract.TASK_CREATED
    assert "X-AISA-Price-USD" not in response.headers
    live = requests.post(
        sandbox.dataforseo_base_url + CLAUDE + "/live",
        json=[sandbox_task()],
        headers=basic(BASIC_PAIR),
        timeout=5,
    )
    assert "X-AISA-Price-USD" not in live.headers
