"""The API client against the sandbox (and a scripted server) over real HTTP on loopback."""

from __future__ import annotations

import json
import pickle
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from monitoring.aisa.client import AisaClient
from monitoring.aisa.contract import ModelInfo, Outcome
from monitoring.aisa.errors import AisaError
from monitoring.pipeline.client import api_client
from tests.factories import TEST_KEY, api_envelope, client_task

# --- Happy paths of every endpoint -----------------------------------------------------


def test_it_posts_a_batch_and_returns_outcomes_in_request_order(client, sandbox):
    tasks = [client_task(f"t{i}") for i in range(5)]
    batch = client.task_post(tasks)
    assert [t.tag for t in batch.tasks] == ["t0", "t1", "t2", "t3", "t4"]
    assert all(t.outcome is Outcome.SUCCESS and t.status_code == 20100 for t in batch.tasks)
    assert len({t.id for t in batch.tasks}) == 5
    assert all(t.cost == Decimal("0.01") and isinstance(t.cost, Decimal) for t in batch.tasks)
    assert batch.cost == Decimal("0.05")
    assert batch.call.http_status == 200
    assert batch.created == list(batch.tasks)
    assert sandbox.accepted_tags() == {f"t{i}": 1 for i in range(5)}


def test_it_sends_a_json_array_with_bearer_auth(scripted):
    scripted.add(200, api_envelope(20000, "Ok.", []))
    with AisaClient(scripted.url + "/apis/v1/dataforseo", TEST_KEY) as client:
        client.task_post([client_task("a")])
    request = scripted.requests[0]
    assert request["path"] == "/apis/v1/dataforseo/ai_optimization/claude/llm_responses/task_post"
    assert request["headers"]["Authorization"] == f"Bearer {TEST_KEY}"
    assert json.loads(request["body"]) == [client_task("a")]


def test_it_reports_each_task_of_a_mixed_batch(client, sandbox):
    sandbox.add_fault("task_rate_limit", every=3)
    tasks = [
        client_task("ok-1"),
        client_task("too-long", user_prompt="x" * 501),
        client_task("throttled"),
        client_task("ok-2"),
    ]
    batch = client.task_post(tasks)
    outcomes = [(t.tag, t.outcome, t.status_code) for t in batch.tasks]
    assert outcomes == [
        ("ok-1", Outcome.SUCCESS, 20100),
        ("too-long", Outcome.PERMANENT, 40501),
        ("throttled", Outcome.RATE_LIMITED, 40202),
        ("ok-2", Outcome.SUCCESS, 20100),
    ]
    assert batch.tasks[1].invalid_field == "user_prompt"
    assert [t.tag for t in batch.failed] == ["too-long", "throttled"]
    assert sandbox.accepted_tags() == {"ok-1": 1, "ok-2": 1}


def test_it_marks_tasks_the_answer_does_not_mention_as_unknown(scripted):
    created = {
        "id": "id-b",
        "status_code": 20100,
        "status_message": "Task Created.",
        "cost": 0.01,
        "data": {"tag": "b"},
    }
    scripted.add(200, api_envelope(20000, "Ok.", [created], cost=0.01))
    with AisaClient(scripted.url, TEST_KEY) as client:
        batch = client.task_post([client_task("a"), client_task("b")])
    assert [(t.tag, t.outcome) for t in batch.tasks] == [
        ("a", Outcome.UNKNOWN),
        ("b", Outcome.SUCCESS),
    ]
    assert batch.tasks[1].id == "id-b"


def test_it_fetches_a_finished_answer(client, sandbox):
    task = client_task("answer", web_search=True, force_web_search=True)
    task_id = client.task_post([task]).tasks[0].id
    sandbox.complete_all()
    result = client.task_get(task_id)
    assert result.ready
    assert (result.id, result.tag, result.status_code) == (task_id, "answer", 20000)
    answer = result.answer
    assert answer.model_name.startswith("claude-sonnet-4-")
    assert answer.model_name[-8:].isdigit()
    assert answer.input_tokens > 0
    assert answer.output_tokens > 0
    assert isinstance(answer.money_spent, Decimal)
    assert answer.datetime.utcoffset() == timedelta(0)
    assert answer.text
    assert answer.text == "".join(
        s.text for i in answer.items if i.type == "message" for s in i.sections if s.type == "text"
    )
    assert isinstance(answer.fan_out_queries, list)
    assert answer.raw["model_name"] == answer.model_name
    if answer.web_search:
        assert all(c.url.startswith("http") for c in answer.citations)


def test_it_reports_a_task_not_ready_as_an_outcome(client, sandbox):
    sandbox.task_delay = 60
    task_id = client.task_post([client_task("slow")]).tasks[0].id
    result = client.task_get(task_id)
    assert result.outcome is Outcome.NOT_READY
    assert result.status_code in (40601, 40602)
    assert result.answer is None
    assert not result.ready


def test_it_reports_an_unknown_task_id_as_an_outcome(client):
    result = client.task_get("00000000-0000-0000-0000-000000000000")
    assert result.outcome is Outcome.NOT_FOUND
    assert result.status_code == 40401


def test_it_lists_ready_tasks(client, sandbox):
    posted = client.task_post([client_task("r1"), client_task("r2")])
    sandbox.complete_all()
    ready = client.tasks_ready()
    assert {(r.id, r.tag) for r in ready} == {(t.id, t.tag) for t in posted.tasks}
    assert all(r.se == "claude" and r.date_posted.utcoffset() == timedelta(0) for r in ready)
    assert all(r.id in r.endpoint for r in ready)


def test_it_finds_posted_tasks_by_tag_in_the_id_list(client):
    posted = client.task_post([client_task("lost-1"), client_task("lost-2")])
    now = datetime.now(UTC)
    items = client.id_list(
        datetime_from=now - timedelta(minutes=5), datetime_to=now + timedelta(minutes=1)
    )
    assert {(i.id, i.tag) for i in items} == {(t.id, t.tag) for t in posted.tasks}
    item = items[0]
    assert isinstance(item.cost, Decimal)
    assert item.datetime_posted.utcoffset() == timedelta(0)
    assert item.metadata["user_prompt"] == client_task("x")["user_prompt"]


def test_it_refuses_naive_datetimes_for_the_id_list(client, sandbox):
    with pytest.raises(ValueError, match="aware"):
        client.id_list(datetime_from=datetime(2025, 1, 1), datetime_to=datetime.now(UTC))
    assert sandbox.calls == []


def test_it_lists_models_of_the_configured_family(client, sandbox):
    models = client.models()
    assert all(isinstance(m, ModelInfo) for m in models)
    assert any(m.model_name.startswith("claude-") and m.web_search_supported for m in models)
    with AisaClient(sandbox.aisa_base_url, TEST_KEY, family="chat_gpt") as chat_gpt:
        assert all(m.model_name.startswith(("gpt", "o3", "o4")) for m in chat_gpt.models())


def test_it_answers_live(client, sandbox):
    result = client.live(client_task("live"))
    assert result.ready
    assert result.cost == Decimal("0.0006") + result.answer.money_spent
    assert result.tag == "live"
    assert sandbox.accepted_tags() == {"live": 1}


@pytest.mark.parametrize("family", ["claude", "chat_gpt", "gemini", "perplexity"])
def test_each_familys_citations_are_the_sources_themselves(sandbox, family):
    # Gemini links each source through a Vertex AI redirect and names it in direct_url: a
    # citation counts the source (its domain the site's), the redirect is kept beside it.
    model = "gemini-2.5-flash" if family == "gemini" else None
    with AisaClient(sandbox.aisa_base_url, TEST_KEY, family=family) as engine:
        name = model or next(m.model_name for m in engine.models() if m.web_search_supported)
        body = {"user_prompt": "Which CRM is best for a small team?", "model_name": name}
        if family != "perplexity":
            body["web_search"] = True
        answer = engine.live(body).answer
    assert answer.citations
    for citation in answer.citations:
        assert "vertexaisearch" not in citation.url
        assert citation.url.startswith("https://")
        assert ("grounding-api-redirect" in citation.redirect_url) is (family == "gemini")


def test_it_works_with_basic_auth_against_dataforseo(basic_client, sandbox):
    batch = basic_client.task_post([client_task("basic")])
    assert batch.tasks[0].created
    assert basic_client.models()


def test_it_reads_the_settings(settings, sandbox, db):  # db: its rate limit is in the database
    settings.AISA_BASE_URL = sandbox.aisa_base_url
    settings.AISA_API_KEY = TEST_KEY
    settings.AISA_AUTH_SCHEME = "bearer"
    settings.AISA_READ_TIMEOUT = 7
    with api_client() as client:
        assert client.timeout == (settings.AISA_CONNECT_TIMEOUT, 7)
        assert client.models()


def test_it_records_cost_headers(scripted):
    headers = {"X-AISA-Price-USD": "0.0123", "X-RateLimit-Remaining": "59", "Server": "x"}
    scripted.add(200, api_envelope(20000, "Ok.", []), **headers)
    with AisaClient(scripted.url, TEST_KEY) as client:
        call = client.task_post([client_task("a")]).call
    assert call.price_usd == Decimal("0.0123")
    assert call.headers == {"X-AISA-Price-USD": "0.0123", "X-RateLimit-Remaining": "59"}
    assert call.elapsed, "the call was timed"


# --- Refusals before any call ----------------------------------------------------------


def test_it_refuses_101_tasks_without_calling(client, sandbox):
    with pytest.raises(ValueError, match="100"):
        client.task_post([client_task(str(i)) for i in range(101)])
    assert sandbox.calls == []


def test_it_refuses_an_empty_batch_without_calling(client, sandbox):
    with pytest.raises(ValueError, match="non-empty"):
        client.task_post([])
    assert sandbox.calls == []


def test_a_perplexity_client_asks_live_and_refuses_task_post(sandbox):
    # Perplexity has models and live only: its client exists, task_post is not on its path.
    client = AisaClient(sandbox.aisa_base_url, TEST_KEY, family="perplexity")
    with pytest.raises(ValueError, match="perplexity"):
        client.task_post([{"user_prompt": "x", "model_name": "sonar"}])
    assert sandbox.calls == []


def test_it_refuses_bad_configuration():
    with pytest.raises(ValueError, match="login:password"):
        AisaClient("http://x", "no-colon", auth_scheme="basic")
    with pytest.raises(ValueError, match="family"):
        AisaClient("http://x", TEST_KEY, family="bing")
    with pytest.raises(ValueError, match="API key"):
        AisaClient("http://x", "")


# --- Envelope-level failures -----------------------------------------------------------


def wait_for_tag(sandbox, tag: str, timeout: float = 3.0) -> int:
    """Wait until a late task (behind a latency fault) is created; keeps later tests clean."""
    deadline = time.monotonic() + timeout
    while sandbox.accepted_tags()[tag] == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    return sandbox.accepted_tags()[tag]


def fail(call) -> AisaError:
    with pytest.raises(AisaError) as info:
        call()
    return info.value


def test_it_raises_rate_limited_on_an_envelope_40202(client, sandbox):
    sandbox.add_fault("rate_limit")
    err = fail(lambda: client.task_post([client_task("a")]))
    assert (err.outcome, err.status_code, err.http_status) == (Outcome.RATE_LIMITED, 40202, 200)
    assert err.retryable
    assert not err.request_may_have_been_processed
    assert "wait" in err.message
    assert sandbox.accepted_tags() == {}


def test_it_raises_payment_on_a_402(client, sandbox):
    sandbox.add_fault("payment")
    err = fail(lambda: client.task_post([client_task("a")]))
    assert (err.outcome, err.status_code, err.http_status) == (Outcome.PAYMENT, 40200, 402)
    assert not err.retryable
    assert "top it up" in err.message


def test_it_raises_auth_for_a_refused_key(sandbox):
    with AisaClient(sandbox.aisa_base_url, "sk-aisa-wrong") as client:
        err = fail(client.tasks_ready)
    assert err.outcome is Outcome.AUTH
    assert err.http_status == 401
    assert "AISA_API_KEY" in err.message


def test_it_raises_auth_on_the_unauthorized_fault(client, sandbox):
    sandbox.add_fault("unauthorized")
    err = fail(lambda: client.task_post([client_task("a")]))
    assert err.outcome is Outcome.AUTH
    assert "invalid_api_key" in err.message
    assert not err.retryable


@pytest.mark.parametrize(
    ("code", "http", "outcome"),
    [
        (40100, 401, Outcome.AUTH),
        (40200, 402, Outcome.PAYMENT),
        (40202, 200, Outcome.RATE_LIMITED),
        (40203, 200, Outcome.PAYMENT),
        (40006, 200, Outcome.PERMANENT),
        (40400, 404, Outcome.NOT_FOUND),
        (40503, 200, Outcome.PERMANENT),
        (50000, 500, Outcome.RETRYABLE),
        (50301, 200, Outcome.RETRYABLE),
        (50303, 200, Outcome.RETRYABLE),
        (50401, 200, Outcome.RETRYABLE),
    ],
)
def test_it_classifies_each_envelope_code(scripted, code, http, outcome):
    scripted.add(http, api_envelope(code, f"message of {code}"))
    with AisaClient(scripted.url, TEST_KEY) as client:
        err = fail(lambda: client.task_post([client_task("a")]))
    assert (err.outcome, err.status_code, err.http_status) == (outcome, code, http)
    assert f"message of {code}" in err.message


def test_it_raises_on_a_success_envelope_without_tasks(scripted):
    scripted.add(200, api_envelope(20000, "Ok.", None))
    scripted.add(200, api_envelope(20000, "Ok.", None))
    with AisaClient(scripted.url, TEST_KEY) as client:
        assert fail(lambda: client.task_post([client_task("a")])).outcome is Outcome.UNKNOWN
        assert fail(client.models).outcome is Outcome.RETRYABLE


def test_it_trusts_the_http_status_over_a_success_code_on_an_error(scripted):
    scripted.add(500, api_envelope(20000, "Ok.", []))
    with AisaClient(scripted.url, TEST_KEY) as client:
        err = fail(client.models)
    assert (err.outcome, err.http_status) == (Outcome.RETRYABLE, 500)


def test_it_raises_on_a_task_without_a_status_code(scripted):
    scripted.add(200, api_envelope(20000, "Ok.", [{"id": "x", "result": None}]))
    with AisaClient(scripted.url, TEST_KEY) as client:
        err = fail(lambda: client.task_get("x"))
    assert err.outcome is Outcome.RETRYABLE
    assert "status code" in err.message


def test_it_keeps_a_task_id_in_one_path_segment(scripted):
    scripted.add(200, api_envelope(20000, "Ok.", [{"id": "a/b?c", "status_code": 40401}]))
    with AisaClient(scripted.url, TEST_KEY) as client:
        assert client.task_get("a/b?c").outcome is Outcome.NOT_FOUND
    assert scripted.requests[0]["path"].endswith("/task_get/a%2Fb%3Fc")


def test_it_raises_when_a_list_endpoint_task_failed(scripted):
    failed = {"id": "x", "status_code": 40501, "status_message": "Invalid Field: 'limit'."}
    scripted.add(200, api_envelope(20000, "Ok.", [failed]))
    now = datetime.now(UTC)
    with AisaClient(scripted.url, TEST_KEY) as client:
        err = fail(lambda: client.id_list(datetime_from=now, datetime_to=now))
    assert err.outcome is Outcome.PERMANENT
    assert err.status_code == 40501
    assert "limit" in err.message


@pytest.mark.parametrize(
    "body",
    [b"[1, 2, 3]", b'"just a string"', b"", b'{"version": "x"}', b'{"status_code": "20000"}'],
)
def test_it_raises_on_json_that_is_not_an_envelope(scripted, body):
    scripted.add(200, body)
    with AisaClient(scripted.url, TEST_KEY) as client:
        assert fail(client.tasks_ready).outcome is Outcome.RETRYABLE


def test_it_raises_on_an_envelope_of_the_wrong_shape(scripted):
    scripted.add(200, api_envelope(20000, "Ok.", [{"status_code": 20100, "cost": "lots", "id": 7}]))
    with AisaClient(scripted.url, TEST_KEY) as client:
        err = fail(lambda: client.task_post([client_task("a")]))
    assert err.outcome is Outcome.UNKNOWN
    assert "unexpected answer" in err.message


# --- Gateway failures ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "http", "outcome", "words"),
    [
        ("http_500", 500, Outcome.RETRYABLE, "api_error/internal_error"),
        ("http_503", 503, Outcome.RETRYABLE, "upstream_unavailable"),
        ("error_string", 500, Outcome.RETRYABLE, "Something went wrong"),
        ("error_message", 503, Outcome.RETRYABLE, "Service unavailable"),
        ("html_error", 502, Outcome.RETRYABLE, "502 Bad Gateway"),
        ("text_error", 500, Outcome.RETRYABLE, "Internal Server Error"),
    ],
)
def test_it_explains_each_gateway_error_shape(client, sandbox, kind, http, outcome, words):
    sandbox.add_fault(kind)
    err = fail(lambda: client.task_post([client_task("a")]))
    assert (err.outcome, err.http_status, err.status_code) == (outcome, http, None)
    assert words in err.message
    assert "<html>" not in err.message
    assert len(sandbox.calls) == 1  # no automatic retry


def test_it_keeps_the_gateway_request_id(client, sandbox):
    sandbox.add_fault("http_500")
    assert "request id req_" in fail(client.models).message


def test_it_reads_retry_after_on_a_gateway_429(client, sandbox):
    sandbox.add_fault("gateway_429", retry_after=7)
    err = fail(lambda: client.task_post([client_task("a")]))
    assert (err.outcome, err.http_status, err.retry_after) == (Outcome.RATE_LIMITED, 429, 7.0)
    assert err.retryable
    assert "Retry after 7 s" in err.message


def test_it_reads_retry_after_as_an_http_date(scripted):
    when = datetime.now(UTC) + timedelta(seconds=120)
    scripted.add(
        429, {"error": "slow down"}, Retry_After=when.strftime("%a, %d %b %Y %H:%M:%S GMT")
    )
    with AisaClient(scripted.url, TEST_KEY) as client:
        err = fail(client.models)
    assert 100 < err.retry_after <= 120


def test_it_treats_malformed_json_after_a_post_as_unknown(client, sandbox):
    sandbox.add_fault("malformed_json")
    err = fail(lambda: client.task_post([client_task("a")]))
    assert err.outcome is Outcome.UNKNOWN
    assert err.request_may_have_been_processed
    assert "malformed JSON" in err.message
    assert not err.retryable


def test_it_retries_malformed_json_of_a_read(client, sandbox):
    sandbox.add_fault("malformed_json")
    err = fail(client.tasks_ready)
    assert err.outcome is Outcome.RETRYABLE


def test_it_treats_a_gateway_timeout_after_a_post_as_unknown(scripted):
    body = {"error": {"type": "upstream_error", "code": "upstream_timeout", "message": "slow"}}
    scripted.add(504, body)
    scripted.add(504, body)
    with AisaClient(scripted.url, TEST_KEY) as client:
        assert fail(lambda: client.task_post([client_task("a")])).outcome is Outcome.UNKNOWN
        assert fail(client.models).outcome is Outcome.RETRYABLE


def test_it_does_not_follow_redirects(scripted):
    scripted.add(302, b"", Location="/elsewhere")
    with AisaClient(scripted.url, TEST_KEY) as client:
        err = fail(lambda: client.task_post([client_task("a")]))
    assert err.http_status == 302
    assert err.outcome is Outcome.PERMANENT
    assert len(scripted.requests) == 1


# --- Transport failures ----------------------------------------------------------------


def test_it_retries_a_refused_connection_even_for_posts(closed_port):
    with AisaClient(f"http://127.0.0.1:{closed_port}", TEST_KEY) as client:
        err = fail(lambda: client.task_post([client_task("a")]))
    assert err.outcome is Outcome.RETRYABLE
    assert err.retryable
    assert not err.request_may_have_been_processed
    assert "not sent" in err.message
    assert err.http_status is None
    assert err.status_code is None


def test_it_retries_a_connect_timeout_even_for_posts(unanswered_port):
    with AisaClient(f"http://127.0.0.1:{unanswered_port}", TEST_KEY, connect_timeout=0.2) as client:
        err = fail(lambda: client.task_post([client_task("a")]))
    assert err.outcome is Outcome.RETRYABLE
    assert "connect timeout" in err.message


def test_it_treats_a_read_timeout_of_a_post_as_unknown(sandbox):
    sandbox.add_fault("latency", seconds=0.5)
    with AisaClient(sandbox.aisa_base_url, TEST_KEY, read_timeout=0.2) as client:
        err = fail(lambda: client.task_post([client_task("a")]))
    assert err.outcome is Outcome.UNKNOWN
    assert err.request_may_have_been_processed
    assert not err.retryable
    assert "read timeout" in err.message
    assert "id_list" in err.message
    assert wait_for_tag(sandbox, "a") == 1  # the post the client gave up on did create its task


def test_it_treats_a_read_timeout_of_live_as_unknown(sandbox):
    sandbox.add_fault("latency", seconds=0.5)
    with AisaClient(sandbox.aisa_base_url, TEST_KEY, read_timeout=0.2) as client:
        assert fail(lambda: client.live(client_task("a"))).outcome is Outcome.UNKNOWN
    assert wait_for_tag(sandbox, "a") == 1


def test_it_retries_a_read_timeout_of_a_get(sandbox):
    sandbox.add_fault("latency", seconds=0.5)
    with AisaClient(sandbox.aisa_base_url, TEST_KEY, read_timeout=0.2) as client:
        err = fail(client.tasks_ready)
    assert err.outcome is Outcome.RETRYABLE


def test_it_never_retries_a_post_whose_connection_dropped(client, sandbox):
    sandbox.add_fault("drop_after_accept")
    err = fail(lambda: client.task_post([client_task("once")]))
    assert err.outcome is Outcome.UNKNOWN
    assert err.request_may_have_been_processed
    assert "connection lost" in err.message
    assert sandbox.accepted_tags()["once"] == 1
    assert len(sandbox.calls) == 1


def test_it_cannot_tell_a_drop_before_accept_from_one_after(client, sandbox):
    sandbox.add_fault("drop_before_accept")
    err = fail(lambda: client.task_post([client_task("never")]))
    assert err.outcome is Outcome.UNKNOWN
    assert sandbox.accepted_tags()["never"] == 0


def test_it_retries_a_get_whose_connection_dropped(client, sandbox):
    sandbox.add_fault("drop_before_accept")
    assert fail(client.models).outcome is Outcome.RETRYABLE


def test_it_treats_a_body_cut_off_after_a_post_as_unknown(scripted):
    scripted.add(200, b'{"status_code": 20000, "tasks": [', Content_Length="500")
    with AisaClient(scripted.url, TEST_KEY) as client:
        err = fail(lambda: client.task_post([client_task("a")]))
    assert err.outcome is Outcome.UNKNOWN


# --- The error type --------------------------------------------------------------------


def test_it_pickles_errors_with_their_details(client, sandbox):
    sandbox.add_fault("gateway_429", retry_after=3)
    err = fail(client.models)
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.outcome, copy.retry_after, copy.message) == (err.outcome, 3.0, err.message)


# --- Secrets ---------------------------------------------------------------------------

SECRET = "sk-aisa-secret-0123456789"
BASIC_SECRET = "secret-login:secret-password-0123456789"


def secret_forms(key):
    import base64

    return [key, base64.b64encode(key.encode()).decode(), *key.split(":")]


FAILURES = [
    "unauthorized",
    "payment",
    "rate_limit",
    "gateway_429",
    "http_500",
    "http_503",
    "html_error",
    "text_error",
    "error_string",
    "error_message",
    "malformed_json",
    "drop_after_accept",
    "drop_before_accept",
    "latency",
]


@pytest.mark.parametrize("scheme", ["bearer", "basic"])
@pytest.mark.parametrize("kind", FAILURES)
def test_it_never_reveals_the_key(sandbox, caplog, scheme, kind):
    caplog.set_level("DEBUG")
    key = SECRET if scheme == "bearer" else BASIC_SECRET
    sandbox.api_keys.add(key)
    base = sandbox.aisa_base_url if scheme == "bearer" else sandbox.dataforseo_base_url
    sandbox.add_fault(kind, seconds=0.5) if kind == "latency" else sandbox.add_fault(kind)
    client = AisaClient(base, key, auth_scheme=scheme, read_timeout=0.3)
    err = fail(lambda: client.task_post([client_task("a")]))
    client.close()
    if kind == "latency":
        wait_for_tag(sandbox, "a")
    assert caplog.text  # the failure was logged
    for form in secret_forms(key):
        for text in (str(err), repr(err), err.message, repr(client), caplog.text):
            assert form not in text


@pytest.mark.parametrize("scheme", ["bearer", "basic"])
def test_it_never_reveals_the_key_on_refused_connections(closed_port, caplog, scheme):
    caplog.set_level("DEBUG")
    key = SECRET if scheme == "bearer" else BASIC_SECRET
    client = AisaClient(f"http://127.0.0.1:{closed_port}", key, auth_scheme=scheme)
    err = fail(client.models)
    for form in secret_forms(key):
        for text in (str(err), repr(err), repr(client), caplog.text):
            assert form not in text


@pytest.mark.parametrize("scheme", ["bearer", "basic"])
def test_it_redacts_a_key_the_server_echoes(scripted, caplog, scheme):
    key = SECRET if scheme == "bearer" else BASIC_SECRET
    scripted.add(401, {"error": {"type": "authentication_error", "message": f"bad key {key}"}})
    scripted.add(500, f"<html><title>oops {key}</title></html>".encode())
    client = AisaClient(scripted.url, key, auth_scheme=scheme)
    errors = [fail(client.models), fail(client.models)]
    assert [e.outcome for e in errors] == [Outcome.AUTH, Outcome.RETRYABLE]
    for err in errors:
        assert "[redacted]" in err.message
        for form in secret_forms(key):
            assert form not in str(err)
            assert form not in repr(err)
            assert form not in caplog.text


def test_it_reports_a_bad_base_url_as_permanent():
    with AisaClient("api.aisa.one/apis/v1/dataforseo", TEST_KEY) as client:
        err = fail(client.models)
    assert err.outcome is Outcome.PERMANENT
    assert "AISA_BASE_URL" in err.message
