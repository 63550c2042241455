"""Unit tests of the contract: every request rule, every status code, every path."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from monitoring.aisa import contract
from monitoring.aisa.contract import Endpoint, ModelInfo, Outcome, validate_task

MODELS = {
    m.model_name: m
    for m in (
        ModelInfo("claude-opus-4-20250514", web_search_supported=True, reasoning=True),
        ModelInfo("claude-opus-4-1-20250805", web_search_supported=True, reasoning=True),
        ModelInfo("claude-sonnet-4-20250514", web_search_supported=True, reasoning=True),
        ModelInfo("claude-3-5-haiku-20241022", web_search_supported=False),
        ModelInfo("claude-embed-20250101", task_post_supported=False),
    )
}


def task(**fields):
    return {
        "user_prompt": "Best CRM for a small agency?",
        "model_name": "claude-opus-4-0",
        **fields,
    }


def problems_of(**fields):
    return validate_task(task(**fields), models=MODELS)


def only(problems):
    assert len(problems) == 1, problems
    return problems[0]


def test_it_accepts_a_minimal_and_a_full_task():
    assert problems_of() == []
    full = task(
        max_output_tokens=4096,
        temperature=0.2,
        web_search=True,
        force_web_search=True,
        web_search_country_iso_code="DE",
        web_search_city="Berlin",
        system_message="Answer briefly.",
        message_chain=[{"role": "user", "message": "Hi"}, {"role": "ai", "message": "Hello"}],
        tag="t" * 255,
        postback_url="https://example.com/postback?id=$id",
        pingback_url="https://example.com/ping?id=$id",
    )
    assert validate_task(full, models=MODELS) == []


@pytest.mark.parametrize("missing", ["user_prompt", "model_name"])
def test_it_requires_prompt_and_model(missing):
    body = task()
    del body[missing]
    problem = only(validate_task(body))
    assert problem.field == missing
    assert "required" in problem.message
    assert problem.code == contract.INVALID_FIELD


def test_it_rejects_a_blank_prompt():
    problem = only(problems_of(user_prompt="   "))
    assert problem.field == "user_prompt"
    assert "blank" in problem.message


def test_it_limits_the_prompt_to_500_characters_and_says_by_how_much():
    assert problems_of(user_prompt="x" * 500) == []
    problem = only(problems_of(user_prompt="x" * 503))
    assert problem.field == "user_prompt"
    assert "503" in problem.message
    assert "500" in problem.message
    assert "by 3" in problem.message


def test_it_limits_the_system_message_to_500_characters():
    assert problems_of(system_message="s" * 500) == []
    assert only(problems_of(system_message="s" * 501)).field == "system_message"


@pytest.mark.parametrize("tokens", [1, 2048, 4096])
def test_it_accepts_tokens_between_1_and_4096(tokens):
    assert problems_of(max_output_tokens=tokens) == []


@pytest.mark.parametrize(("tokens", "words"), [(0, "at least 1"), (4097, "at most 4096")])
def test_it_rejects_tokens_outside_1_to_4096(tokens, words):
    problem = only(problems_of(max_output_tokens=tokens))
    assert problem.field == "max_output_tokens"
    assert words in problem.message


def test_it_rejects_fractional_tokens():
    problem = only(problems_of(max_output_tokens=100.5))
    assert problem.field == "max_output_tokens"
    assert "whole number" in problem.message


def test_it_requires_1025_tokens_with_reasoning():
    assert problems_of(use_reasoning=True, max_output_tokens=1025) == []
    problem = only(problems_of(use_reasoning=True, max_output_tokens=1024))
    assert problem.field == "max_output_tokens"
    assert "1025" in problem.message
    assert "reasoning" in problem.message


@pytest.mark.parametrize("field", ["temperature", "top_p"])
def test_it_limits_sampling_values_to_the_unit_interval(field):
    assert problems_of(**{field: 0}) == []
    assert problems_of(**{field: 1}) == []
    problem = only(problems_of(**{field: 1.5}))
    assert problem.field == field
    assert "between 0 and 1" in problem.message


def test_it_refuses_temperature_together_with_top_p():
    problem = only(problems_of(temperature=0.5, top_p=0.5))
    assert problem.field == "top_p"
    assert "not both" in problem.message


@pytest.mark.parametrize("field", ["temperature", "top_p"])
def test_it_forbids_sampling_values_with_reasoning(field):
    problem = only(problems_of(use_reasoning=True, max_output_tokens=2048, **{field: 0.5}))
    assert problem.field == field
    assert "reasoning" in problem.message


def test_it_forbids_force_web_search_with_reasoning():
    problem = only(problems_of(use_reasoning=True, web_search=True, force_web_search=True))
    assert problem.field == "force_web_search"
    assert "reasoning" in problem.message


def test_it_requires_web_search_for_force_web_search():
    problem = only(problems_of(force_web_search=True))
    assert problem.field == "force_web_search"
    assert "needs web search" in problem.message


def test_it_refuses_web_search_on_a_model_without_it():
    problem = only(problems_of(model_name="claude-3-5-haiku-20241022", web_search=True))
    assert problem.field == "web_search"
    assert "claude-3-5-haiku-20241022" in problem.message


def test_it_checks_web_search_support_only_when_models_are_known():
    assert validate_task(task(model_name="claude-3-5-haiku-20241022", web_search=True)) == []


def test_it_requires_a_country_for_a_city():
    problem = only(problems_of(web_search_city="Berlin"))
    assert problem.field == "web_search_city"
    assert "country" in problem.message


@pytest.mark.parametrize("code", contract.COUNTRY_CODES)
def test_it_accepts_every_listed_country(code):
    assert problems_of(web_search_country_iso_code=code) == []


@pytest.mark.parametrize("code", ["XX", "us", "USA", 49])
def test_it_rejects_unlisted_countries(code):
    problem = only(problems_of(web_search_country_iso_code=code))
    assert problem.field == "web_search_country_iso_code"
    assert "country" in problem.message


def turns(n, message="hi"):
    return [{"role": "user" if i % 2 == 0 else "ai", "message": message} for i in range(n)]


def test_it_allows_ten_chain_turns_and_refuses_eleven():
    assert problems_of(message_chain=turns(10)) == []
    problem = only(problems_of(message_chain=turns(11)))
    assert problem.field == "message_chain"
    assert "11 turns" in problem.message
    assert "Remove 1" in problem.message


def test_it_accepts_only_user_and_ai_roles():
    problem = only(problems_of(message_chain=[{"role": "system", "message": "hi"}]))
    assert problem.field == "message_chain"
    assert "'user' or 'ai'" in problem.message


def test_it_limits_chain_messages_to_500_characters():
    assert problems_of(message_chain=turns(1, "m" * 500)) == []
    problem = only(problems_of(message_chain=turns(2, "m" * 501))[:1])
    assert problem.field == "message_chain"
    assert "Turn 1" in problem.message


@pytest.mark.parametrize(
    "chain",
    [
        "not a list",
        [{"role": "user"}],
        [{"role": "user", "message": "hi", "extra": 1}],
        [{"role": "user", "message": ""}],
    ],
)
def test_it_rejects_malformed_chains(chain):
    problem = only(problems_of(message_chain=chain))
    assert problem.field == "message_chain"


def test_it_limits_the_tag_to_255_characters():
    problem = only(problems_of(tag="t" * 256))
    assert problem.field == "tag"
    assert "255" in problem.message


def test_it_names_unknown_fields():
    problem = only(problems_of(colour="blue"))
    assert problem.field == "colour"
    assert "not a field" in problem.message


def test_it_treats_nulls_as_absent():
    nulls = {field: None for field in contract.TASK_FIELDS if field not in task()}
    assert problems_of(**nulls) == []


def test_it_refuses_webhooks_on_live():
    body = task(postback_url="https://example.com/p")
    assert validate_task(body) == []
    assert only(validate_task(body, live=True)).field == "postback_url"


def test_it_requires_http_urls_for_webhooks():
    assert only(problems_of(pingback_url="ftp://example.com")).field == "pingback_url"


@pytest.mark.parametrize("field", contract.BOOLEAN_FIELDS)
def test_it_requires_booleans_to_be_booleans(field):
    problem = only(validate_task(task(**{field: "yes"})))
    assert problem.field == field
    assert "true or false" in problem.message


def test_it_rejects_a_task_that_is_not_an_object():
    problem = only(validate_task(["not", "a", "task"]))
    assert problem.code == contract.POST_DATA_INVALID


@pytest.mark.parametrize(
    ("name", "resolved"),
    [
        ("claude-opus-4-0", "claude-opus-4-20250514"),
        ("claude-opus-4-latest", "claude-opus-4-20250514"),
        ("claude-opus-4-1", "claude-opus-4-1-20250805"),
        ("claude-sonnet-4-0", "claude-sonnet-4-20250514"),
        ("claude-opus-4-20250514", "claude-opus-4-20250514"),
    ],
)
def test_it_resolves_base_model_names_to_their_latest_version(name, resolved):
    assert contract.resolve_model(name, MODELS).model_name == resolved


def test_it_resolves_to_the_newest_of_several_versions():
    models = {**MODELS, "claude-opus-4-20250901": ModelInfo("claude-opus-4-20250901")}
    assert contract.resolve_model("claude-opus-4-0", models).model_name == "claude-opus-4-20250901"


def test_it_names_unknown_models_and_models_not_for_tasks():
    problem = only(problems_of(model_name="claude-9"))
    assert problem.field == "model_name"
    assert "claude-9" in problem.message
    problem = only(problems_of(model_name="claude-embed-20250101"))
    assert problem.field == "model_name"
    assert "cannot be used" in problem.message


def test_it_picks_the_first_invalid_field_like_the_api():
    problems = problems_of(user_prompt="x" * 501, tag="t" * 256)
    assert contract.first_invalid_field(problems) == "user_prompt"
    assert contract.status_message(contract.INVALID_FIELD, "user_prompt") == (
        "Invalid Field: 'user_prompt'."
    )


def test_it_checks_the_batch_size():
    assert contract.validate_batch([task()] * 100) is None
    assert contract.validate_batch([task()] * 101).code == contract.TOO_MANY_TASKS
    assert contract.validate_batch([]).code == contract.POST_DATA_INVALID
    assert contract.validate_batch({"user_prompt": "x"}).code == contract.POST_DATA_INVALID


def test_it_builds_tasks_in_documented_order_without_nones():
    built = contract.build_task(tag="a", user_prompt="p", model_name="m", top_p=None)
    assert list(built) == ["user_prompt", "model_name", "tag"]
    with pytest.raises(ValueError, match="colour"):
        contract.build_task(colour="blue")


# --- Status codes ----------------------------------------------------------------------

DOCUMENTED = {
    20000: Outcome.SUCCESS,
    20100: Outcome.SUCCESS,
    40006: Outcome.PERMANENT,
    40100: Outcome.AUTH,
    40200: Outcome.PAYMENT,
    40202: Outcome.RATE_LIMITED,
    40203: Outcome.PAYMENT,
    40205: Outcome.PERMANENT,
    40206: Outcome.PERMANENT,
    40400: Outcome.NOT_FOUND,
    40401: Outcome.NOT_FOUND,
    40403: Outcome.PERMANENT,
    40501: Outcome.PERMANENT,
    40503: Outcome.PERMANENT,
    40601: Outcome.NOT_READY,
    40602: Outcome.NOT_READY,
    50000: Outcome.RETRYABLE,
    50301: Outcome.RETRYABLE,
    50303: Outcome.RETRYABLE,
    50401: Outcome.RETRYABLE,
}


@pytest.mark.parametrize(("code", "outcome"), DOCUMENTED.items())
def test_it_classifies_every_documented_code(code, outcome):
    assert contract.outcome_for_code(code) is outcome
    assert code in contract.STATUS_CODES


def test_it_documents_no_code_it_does_not_test():
    assert set(contract.STATUS_CODES) == set(DOCUMENTED)


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (None, Outcome.UNKNOWN),
        (20001, Outcome.SUCCESS),
        (50999, Outcome.RETRYABLE),
        (40999, Outcome.PERMANENT),
    ],
)
def test_it_classifies_undocumented_codes_by_range(code, outcome):
    assert contract.outcome_for_code(code) is outcome


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (401, Outcome.AUTH),
        (403, Outcome.AUTH),
        (402, Outcome.PAYMENT),
        (429, Outcome.RATE_LIMITED),
        (404, Outcome.NOT_FOUND),
        (400, Outcome.PERMANENT),
        (422, Outcome.PERMANENT),
        (408, Outcome.RETRYABLE),
        (500, Outcome.RETRYABLE),
        (502, Outcome.RETRYABLE),
        (503, Outcome.RETRYABLE),
        (504, Outcome.RETRYABLE),
    ],
)
def test_it_classifies_gateway_http_statuses(status, outcome):
    assert contract.gateway_outcome(status) is outcome


# --- Paths -----------------------------------------------------------------------------

SHAPED = [e for e in Endpoint if e not in (Endpoint.ID_LIST, Endpoint.TASK_GET)]


@pytest.mark.parametrize("family", contract.LLM_FAMILIES)
@pytest.mark.parametrize("endpoint", SHAPED)
def test_it_builds_the_path_of_every_endpoint_and_family(endpoint, family):
    if not contract.family_offers(family, endpoint):
        with pytest.raises(ValueError, match="live only"):
            contract.endpoint_path(endpoint, family=family)
        return
    path = contract.endpoint_path(endpoint, family=family)
    assert path == f"/ai_optimization/{family}/llm_responses/{endpoint.value}"


def test_perplexity_offers_live_and_models_only():
    offered = {e for e in Endpoint if contract.family_offers("perplexity", e)}
    assert offered == {Endpoint.LIVE, Endpoint.MODELS, Endpoint.ID_LIST}
    assert contract.TASK_FAMILIES == ("claude", "chat_gpt", "gemini")


@pytest.mark.parametrize("family", contract.TASK_FAMILIES)
def test_it_puts_the_task_id_in_the_task_get_path(family):
    path = contract.endpoint_path(Endpoint.TASK_GET, family=family, task_id="abc-1")
    assert path == f"/ai_optimization/{family}/llm_responses/task_get/abc-1"
    with pytest.raises(ValueError, match="task id"):
        contract.endpoint_path(Endpoint.TASK_GET, family=family)


@pytest.mark.parametrize("family", contract.LLM_FAMILIES)
def test_it_shares_the_id_list_path_across_families(family):
    assert contract.endpoint_path("id_list", family=family) == "/ai_optimization/id_list"


def test_it_refuses_unknown_families_and_endpoints():
    with pytest.raises(ValueError, match="perplexity"):
        contract.endpoint_path(Endpoint.TASK_POST, family="perplexity")
    with pytest.raises(ValueError):
        contract.endpoint_path("task_delete")


def test_it_knows_the_method_of_every_endpoint():
    assert set(contract.ENDPOINT_METHODS) == set(Endpoint)
    assert contract.ENDPOINT_METHODS[Endpoint.TASK_POST] == "POST"
    assert contract.ENDPOINT_METHODS[Endpoint.TASK_GET] == "GET"


def test_it_echoes_path_segments_like_the_api():
    path = contract.endpoint_path(Endpoint.TASK_POST)
    assert contract.path_api_segments(path) == [
        "v3",
        "ai_optimization",
        "claude",
        "llm_responses",
        "task_post",
    ]


# --- Datetimes -------------------------------------------------------------------------


def test_it_writes_and_reads_api_datetimes_in_utc():
    berlin = timezone(timedelta(hours=2))
    value = datetime(2025, 7, 24, 19, 35, 51, tzinfo=berlin)
    assert contract.dt_string(value) == "2025-07-24 17:35:51 +00:00"
    parsed = contract.parse_dt_string("2025-07-24 17:35:51 +00:00")
    assert parsed == datetime(2025, 7, 24, 17, 35, 51, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)
    assert contract.parse_dt_string(None) is None
