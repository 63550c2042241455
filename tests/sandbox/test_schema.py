"""Every documented field of the envelope, task and result, with its documented type."""

from monitoring.aisa import contract
from tests.factories import sandbox_task

ENVELOPE = {
    "version": str,
    "status_code": int,
    "status_message": str,
    "time": str,
    "cost": (int, float),
    "tasks_count": int,
    "tasks_error": int,
    "tasks": (list, type(None)),
}
TASK = {
    "id": str,
    "status_code": int,
    "status_message": str,
    "time": str,
    "cost": (int, float),
    "result_count": int,
    "path": list,
    "data": dict,
    "result": (list, type(None)),
}
RESULT = {
    "model_name": str,
    "input_tokens": int,
    "output_tokens": int,
    "reasoning_tokens": int,
    "web_search": bool,
    "money_spent": (int, float),
    "datetime": str,
    "items": list,
    "fan_out_queries": (list, type(None)),
}
READY_ITEM = {"id": str, "se": str, "se_type": str, "date_posted": str, "tag": str, "endpoint": str}
MODEL_ITEM = {
    "model_name": str,
    "web_search_supported": bool,
    "task_post_supported": bool,
    "reasoning": bool,
}


def assert_shape(obj: dict, shape: dict) -> None:
    assert set(shape) <= set(obj), f"missing {set(shape) - set(obj)}"
    for name, kind in shape.items():
        assert isinstance(obj[name], kind), f"{name}={obj[name]!r} is not {kind}"
        if kind is int or name in ("status_code", "tasks_count", "tasks_error", "result_count"):
            assert not isinstance(obj[name], bool | float), f"{name} must be an int"


def assert_envelope(envelope: dict) -> list[dict]:
    assert_shape(envelope, ENVELOPE)
    assert envelope["time"].endswith(" sec.")
    for task in envelope["tasks"] or []:
        assert_shape(task, TASK)
        assert all(isinstance(p, str) for p in task["path"])
        assert task["result_count"] == len(task["result"] or [])
    return envelope["tasks"] or []


def assert_result(result: dict) -> None:
    assert_shape(result, RESULT)
    contract.parse_dt_string(result["datetime"])
    assert all(isinstance(q, str) for q in result["fan_out_queries"] or [])
    for item in result["items"]:
        assert item["type"] in ("message", "reasoning")
        for section in item["sections"]:
            assert section["type"] == "text"
            assert isinstance(section["text"], str)
            for cite in section["annotations"] or []:
                assert isinstance(cite["title"], str)
                assert cite["url"].startswith("https://")


def test_it_answers_every_endpoint_with_the_documented_types(api, sandbox):
    posted = assert_envelope(
        api.post_tasks(
            sandbox_task(web_search=True, tag="t"),
            sandbox_task(use_reasoning=True, max_output_tokens=2000),
            sandbox_task(temperature=5),
        )
    )
    for task in posted[:2]:
        result_task = assert_envelope(api.get("task_get", task["id"]).json())[0]
        assert_result(result_task["result"][0])
    live = assert_envelope(api.post("live", [sandbox_task(web_search=True)]).json())[0]
    assert_result(live["result"][0])
    api.task_ids(sandbox_task(tag="ready"))
    for item in assert_envelope(api.get("tasks_ready").json())[0]["result"]:
        assert_shape(item, READY_ITEM)
    for item in assert_envelope(api.get("models").json())[0]["result"]:
        assert_shape(item, MODEL_ITEM)


def test_it_writes_ints_as_ints_even_when_money_is_whole(api):
    envelope = api.get("task_get", "unknown").json()
    assert_envelope(envelope)
    assert envelope["tasks"][0]["status_code"] == contract.TASK_NOT_FOUND


def test_it_answers_envelope_failures_with_the_documented_types(api):
    envelope = api.post("task_post", [sandbox_task()] * 101).json()
    assert_envelope(envelope)
    assert envelope["tasks"] is None
    assert envelope["tasks_count"] == 0
