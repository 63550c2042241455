"""Misbehaviour on demand, switched from Python and over HTTP, and the record of requests."""

import json
import socket
import struct
import time
from urllib.parse import urlsplit

import pytest
import requests

from monitoring.aisa import contract
from sandbox.faults import FAULT_KINDS, parse_cli
from tests.factories import SANDBOX_KEY, sandbox_task


def test_it_sleeps_for_latency_then_answers_normally(api, sandbox):
    sandbox.add_fault("latency", seconds=0.3)
    started = time.monotonic()
    envelope = api.post_tasks(sandbox_task())
    assert time.monotonic() - started >= 0.3
    assert envelope["tasks"][0]["status_code"] == contract.TASK_CREATED


@pytest.mark.parametrize(
    ("kind", "status", "error_type", "code"),
    [
        ("http_500", 500, "api_error", None),
        ("http_503", 503, "upstream_error", "upstream_unavailable"),
        ("gateway_429", 429, "rate_limit_error", "rate_limit_exceeded"),
        ("unauthorized", 401, "authentication_error", "invalid_api_key"),
    ],
)
def test_it_answers_gateway_faults_with_the_gateway_body(
    api, sandbox, kind, status, error_type, code
):
    sandbox.add_fault(kind)
    response = api.post("task_post", [sandbox_task()])
    assert response.status_code == status
    error = response.json()["error"]
    assert error["type"] == error_type
    assert error["request_id"].startswith("req_")
    if code:
        assert error["code"] == code
    assert sandbox.tasks == {}
    assert api.post("task_post", [sandbox_task()]).status_code == 200


def test_it_sends_retry_after_with_a_gateway_429(api, sandbox):
    sandbox.add_fault("gateway_429", retry_after=7)
    assert api.get("models").headers["Retry-After"] == "7"


@pytest.mark.parametrize(
    ("kind", "code", "http"), [("rate_limit", 40202, 200), ("payment", 40200, 402)]
)
def test_it_answers_envelope_faults_accepting_nothing(api, sandbox, kind, code, http):
    sandbox.add_fault(kind)
    response = api.post("task_post", [sandbox_task()])
    assert response.status_code == http
    assert response.json()["status_code"] == code
    assert response.json()["tasks"] is None
    assert sandbox.accepted_tags() == {}


def test_it_rate_limits_every_nth_task_of_a_batch(api, sandbox):
    sandbox.add_fault("task_rate_limit", every=2)
    envelope = api.post_tasks(*[sandbox_task(tag=str(i)) for i in range(1, 6)])
    codes = [t["status_code"] for t in envelope["tasks"]]
    assert codes == [20100, 40202, 20100, 40202, 20100]
    assert envelope["tasks_error"] == 2
    assert sandbox.accepted_tags() == {"1": 1, "3": 1, "5": 1}


@pytest.mark.parametrize(
    ("kind", "status", "content_type", "starts"),
    [
        ("malformed_json", 200, "application/json", b'{"version"'),
        ("html_error", 502, "text/html", b"<html>"),
        ("text_error", 500, "text/plain", b"Internal Server Error"),
        ("error_string", 500, "application/json", b'{"error": "Something went wrong"}'),
        ("error_message", 503, "application/json", b'{"message": "Service unavailable"}'),
    ],
)
def test_it_answers_odd_bodies_on_demand(api, sandbox, kind, status, content_type, starts):
    sandbox.add_fault(kind)
    response = api.get("models")
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith(content_type)
    assert response.content.startswith(starts)
    if kind == "malformed_json":
        with pytest.raises(ValueError):
            response.json()


def test_it_records_a_task_accepted_before_the_connection_dropped(api, sandbox):
    sandbox.add_fault("drop_after_accept", endpoint="task_post")
    with pytest.raises(requests.ConnectionError):
        api.post("task_post", [sandbox_task(tag="once")])
    assert sandbox.accepted_tags() == {"once": 1}
    (task,) = sandbox.tasks.values()
    assert api.result(task.id)["model_name"] == "claude-sonnet-4-20250514"
    assert sandbox.calls[0] == ("task_post", 1)


def test_it_drops_other_endpoints_after_processing(api, sandbox):
    (task_id,) = api.task_ids(sandbox_task())
    sandbox.add_fault("drop_after_accept", endpoint="task_get")
    with pytest.raises(requests.ConnectionError):
        api.get("task_get", task_id)
    assert api.get("tasks_ready").json()["tasks"][0]["result"] == []


def test_it_drops_before_accepting_without_creating_anything(api, sandbox):
    sandbox.add_fault("drop_before_accept")
    with pytest.raises(requests.ConnectionError):
        api.post("task_post", [sandbox_task(tag="never")])
    assert sandbox.accepted_tags() == {}
    assert sandbox.tasks == {}
    assert sandbox.calls == [("task_post", 1)]


def test_it_limits_a_fault_to_its_count_and_endpoint(api, sandbox):
    sandbox.add_fault("http_500", count=2, endpoint="task_post")
    assert api.get("models").status_code == 200
    statuses = [api.post("task_post", [sandbox_task()]).status_code for _ in range(3)]
    assert statuses == [500, 500, 200]


def test_it_keeps_a_forever_fault_until_cleared(api, sandbox):
    sandbox.add_fault("http_503", count=0)
    assert [api.get("models").status_code for _ in range(3)] == [503, 503, 503]
    sandbox.clear_faults()
    assert api.get("models").status_code == 200


def test_it_refuses_an_unknown_fault_kind(sandbox):
    with pytest.raises(ValueError, match="Unknown fault kind"):
        sandbox.add_fault("http_418")
    with pytest.raises(ValueError):
        sandbox.add_fault("http_500", endpoint="task_pots")


def test_it_parses_faults_from_the_command_line():
    assert parse_cli("http_500").as_dict() == {"kind": "http_500", "count": 1, "endpoint": None}
    rule = parse_cli("rate_limit:0:task_post").as_dict()
    assert rule == {"kind": "rate_limit", "count": 0, "endpoint": "task_post"}


def test_it_is_controlled_over_http(api, sandbox):
    control = sandbox.url + "/_sandbox"
    sandbox.task_delay = 60
    assert requests.post(control + "/faults", json={"kind": "http_500"}, timeout=5).ok
    assert api.get("models").status_code == 500
    requests.post(control + "/faults", json={"kind": "rate_limit", "count": -1}, timeout=5)
    assert requests.get(control + "/faults", timeout=5).json()["faults"][0]["count"] == -1
    assert requests.delete(control + "/faults", timeout=5).ok
    (task_id,) = api.task_ids(sandbox_task(tag="x"))
    requests.post(control + "/complete", timeout=5)
    assert api.get("task_get", task_id).json()["tasks"][0]["status_code"] == contract.OK
    received = requests.get(control + "/received", timeout=5).json()
    assert received["accepted_tags"] == {"x": 1}
    assert ["task_post", 1] in received["calls"]
    assert requests.post(control + "/faults", json={"kind": "nope"}, timeout=5).status_code == 400
    assert requests.post(control + "/reset", timeout=5).ok
    assert sandbox.tasks == {}
    assert sandbox.task_delay == 0


def test_it_knows_every_fault_kind_the_client_relies_on():
    assert set(FAULT_KINDS) == {
        "latency", "http_500", "http_503", "rate_limit", "task_rate_limit", "gateway_429",
        "unauthorized", "payment", "malformed_json", "html_error", "text_error",
        "error_string", "error_message", "drop_after_accept", "drop_before_accept",
        "envelope_code", "poison",
    }  # fmt: skip


def test_it_poisons_the_results_of_matching_tasks_only(api, sandbox):
    sandbox.add_fault("poison", poison="surrogate", match="bad")
    sandbox.add_fault("poison", count=2, poison="nul", match="nul")
    good, bad, nul, nul_2, nul_3 = api.task_ids(
        *(sandbox_task(tag=tag) for tag in ("good", "bad", "nul", "nul-2", "nul-3"))
    )
    assert sandbox.faults.rules() == []  # each rule poisoned its count of tasks
    response = api.get("task_get", bad)
    assert "\\ud800" in response.text  # JSON's escape of the lone surrogate
    poisoned = api.result(bad)
    for text in (
        "".join(s["text"] for s in poisoned["items"][0]["sections"]),
        poisoned["items"][0]["sections"][0]["annotations"][-1]["title"],
        poisoned["items"][0]["sections"][0]["annotations"][-1]["url"],
        poisoned["fan_out_queries"][-1],
        poisoned["model_name"],
        poisoned["extra\ud800"],
    ):
        assert "\ud800" in text
    assert "\x00" in api.result(nul)["items"][0]["sections"][0]["text"]
    assert "\x00" in api.result(nul_2)["model_name"]
    for task_id in (good, nul_3):
        dumped = json.dumps(api.result(task_id))
        assert "\\u0000" not in dumped
        assert "\\ud800" not in dumped


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"shape": "items"}, lambda r: r["items"] == "not a list"),
        ({"shape": "money"}, lambda r: r["money_spent"] == "abc"),
        ({"shape": "missing"}, lambda r: "items" not in r and "model_name" not in r),
    ],
)
def test_it_poisons_a_result_with_the_wrong_shape(api, sandbox, params, check):
    sandbox.add_fault("poison", poison="shape", **params)
    (task_id,) = api.task_ids(sandbox_task())
    assert check(api.result(task_id))
    assert sandbox.billed_total() > 0  # a spoilt charge does not break the bill


def test_it_poisons_a_result_with_a_huge_answer(api, sandbox):
    sandbox.add_fault("poison", poison="huge", size=300_000, match="huge")
    (task_id,) = api.task_ids(sandbox_task(tag="huge", web_search=True))
    sections = api.result(task_id)["items"][0]["sections"]
    assert sum(len(s["text"]) for s in sections) == 300_000


def test_it_refuses_a_poison_it_does_not_know(sandbox):
    for params in ({"poison": "arsenic"}, {"poison": "shape", "shape": "round"}, {"size": 0}):
        with pytest.raises(ValueError, match="poison"):
            sandbox.add_fault("poison", **{"poison": "huge", **params})
    with pytest.raises(ValueError, match="task_post"):
        sandbox.add_fault("poison", endpoint="task_get")
    rule = parse_cli("poison:3::poison=nul,match=team 3").as_dict()
    assert rule == {
        "kind": "poison",
        "count": 3,
        "endpoint": "task_post",
        "poison": "nul",
        "match": "team 3",
    }


def test_it_records_tags_and_calls(api, sandbox):
    api.post_tasks(
        sandbox_task(tag="a"), sandbox_task(tag="a"), sandbox_task(), sandbox_task(top_p=3)
    )
    api.get("tasks_ready")
    assert sandbox.accepted_tags() == {"a": 2, "": 1}
    assert sandbox.calls == [("task_post", 4), ("tasks_ready", 0)]
    sandbox.reset()
    assert sandbox.accepted_tags() == {}
    assert sandbox.calls == []


@pytest.mark.parametrize("code", [40203, 50301, 40100, 40006])
def test_it_answers_an_envelope_code_fault_with_http_200_accepting_nothing(api, sandbox, code):
    sandbox.add_fault("envelope_code", code=code, endpoint="task_post")
    response = api.post("task_post", [sandbox_task(tag="never")])
    assert response.status_code == 200
    body = response.json()
    assert body["status_code"] == code
    assert body["status_message"] == contract.status_message(code)
    assert body["tasks"] is None
    assert body["tasks_count"] == 0
    assert "X-AISA-Price-USD" not in response.headers
    assert sandbox.accepted_tags() == {}
    assert sandbox.tasks == {}
    assert api.post_tasks(sandbox_task())["tasks"][0]["status_code"] == contract.TASK_CREATED


def test_it_takes_an_envelope_code_fault_over_http_and_from_the_command_line(api, sandbox):
    rule = {"kind": "envelope_code", "code": 50301, "endpoint": "models"}
    assert requests.post(sandbox.url + "/_sandbox/faults", json=rule, timeout=5).ok
    assert api.get("models").json()["status_code"] == 50301
    parsed = parse_cli("envelope_code:2:task_post:code=40203").as_dict()
    assert parsed == {"kind": "envelope_code", "count": 2, "endpoint": "task_post", "code": 40203}
    assert parse_cli("latency:0::seconds=2.5").as_dict()["seconds"] == 2.5


@pytest.mark.parametrize("code", [None, "abc", 1.5, True])
def test_it_refuses_an_envelope_code_fault_without_an_integer_code(sandbox, code):
    params = {} if code is None else {"code": code}
    with pytest.raises(ValueError, match="integer code"):
        sandbox.add_fault("envelope_code", **params)


def hang_up(sandbox, path: str) -> None:
    """Send a request and reset the connection without reading the answer."""
    address = urlsplit(sandbox.url)
    with socket.create_connection((address.hostname, address.port)) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {SANDBOX_KEY}\r\n"
            "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n[]".encode()
        )
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def test_a_client_that_gives_up_leaves_no_traceback(api, sandbox, capfd):
    sandbox.add_fault("latency", seconds=0.2, count=4)
    for _ in range(3):
        hang_up(sandbox, api.url("task_post").removeprefix(sandbox.url))
    with pytest.raises(requests.ReadTimeout):
        api.session.get(api.url("models"), timeout=0.05)
    time.sleep(0.6)  # the server wakes up and writes to the closed connections
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert "Exception occurred" not in err
    assert api.get("models").status_code == 200


@pytest.mark.parametrize("error", [BrokenPipeError(), ConnectionResetError()])
def test_the_server_swallows_a_client_hanging_up_but_reports_other_errors(sandbox, capfd, error):
    httpd = sandbox._httpd
    try:
        raise error
    except OSError:
        httpd.handle_error(None, ("127.0.0.1", 1))
    assert capfd.readouterr().err == ""
    try:
        raise ValueError("a real bug")
    except ValueError:
        httpd.handle_error(None, ("127.0.0.1", 1))
    assert "a real bug" in capfd.readouterr().err
