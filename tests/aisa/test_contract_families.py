"""Per-engine request rules (docs/engines.md): each family judged by its own limits."""

import pytest

from monitoring.aisa import contract
from monitoring.aisa.contract import ModelInfo, validate_task

#: One models list per family: a reasoning model and a non-reasoning one.
MODELS = {
    "claude": {
        "claude-sonnet-4-20250514": ModelInfo("claude-sonnet-4-20250514", True, True, True),
        "claude-3-5-haiku-20241022": ModelInfo("claude-3-5-haiku-20241022", False, True, False),
    },
    "chat_gpt": {
        "o4-mini-2025-04-16": ModelInfo("o4-mini-2025-04-16", True, True, True),
        "gpt-4.1-2025-04-14": ModelInfo("gpt-4.1-2025-04-14", True, True, False),
        "o1-2024-12-17": ModelInfo("o1-2024-12-17", True, True, True),
    },
    "gemini": {
        "gemini-2.5-pro": ModelInfo("gemini-2.5-pro", True, True, True),
        "gemini-2.5-flash": ModelInfo("gemini-2.5-flash", True, True, True),
        "gemini-2.0-flash": ModelInfo("gemini-2.0-flash", False, True, False),
    },
    "perplexity": {
        "sonar": ModelInfo("sonar", True, False, False),
        "sonar-reasoning": ModelInfo("sonar-reasoning", True, False, True),
        "r1-1776": ModelInfo("r1-1776", False, False, False),
    },
}
#: The plain (non-reasoning) model of each family.
PLAIN = {
    "claude": "claude-3-5-haiku-20241022",
    "chat_gpt": "gpt-4.1-2025-04-14",
    "gemini": "gemini-2.0-flash",
    "perplexity": "sonar",
}
REASONING = {"claude": "claude-sonnet-4-20250514", "gemini": "gemini-2.5-flash"}


def check(family, *, model=None, **fields):
    task = {"user_prompt": "Best CRM?", "model_name": model or PLAIN[family], **fields}
    live = family in contract.LIVE_ONLY_FAMILIES
    return validate_task(task, models=MODELS[family], live=live, family=family)


def fields_of(problems):
    return [p.field for p in problems]


@pytest.mark.parametrize("family", contract.LLM_FAMILIES)
def test_a_minimal_task_passes_for_every_family(family):
    assert check(family) == []


@pytest.mark.parametrize(
    ("family", "highest", "too_high"),
    [("claude", 1, 1.1), ("chat_gpt", 2, 2.1), ("gemini", 2, 2.01), ("perplexity", 1.9, 2)],
)
def test_temperature_range_is_the_familys(family, highest, too_high):
    assert check(family, temperature=highest) == []
    assert check(family, temperature=0) == []
    problems = check(family, temperature=too_high)
    assert fields_of(problems) == ["temperature"]
    assert f"between 0 and {highest}" in problems[0].message


@pytest.mark.parametrize("family", contract.LLM_FAMILIES)
def test_top_p_is_zero_to_one_and_not_with_temperature(family):
    assert check(family, top_p=1) == []
    assert fields_of(check(family, top_p=1.01)) == ["top_p"]
    assert fields_of(check(family, top_p=0.5, temperature=0.5)) == ["top_p"]


@pytest.mark.parametrize(
    ("family", "lowest", "highest"),
    [("claude", 1, 4096), ("chat_gpt", 16, 2048), ("gemini", 1, 4096), ("perplexity", 1, 4096)],
)
def test_output_token_limits_without_reasoning(family, lowest, highest):
    assert check(family, max_output_tokens=lowest) == []
    assert check(family, max_output_tokens=highest) == []
    assert fields_of(check(family, max_output_tokens=lowest - 1)) == ["max_output_tokens"]
    assert fields_of(check(family, max_output_tokens=highest + 1)) == ["max_output_tokens"]


@pytest.mark.parametrize(("family", "lowest"), [("claude", 1025), ("gemini", 1025)])
def test_reasoning_switch_needs_the_familys_token_minimum(family, lowest):
    model = REASONING[family]
    assert check(family, model=model, use_reasoning=True, max_output_tokens=lowest) == []
    problems = check(family, model=model, use_reasoning=True, max_output_tokens=lowest - 1)
    assert fields_of(problems) == ["max_output_tokens"]
    assert "when reasoning is on" in problems[0].message


def test_a_chat_gpt_reasoning_model_needs_1024_tokens_and_no_temperature():
    model = "o4-mini-2025-04-16"
    assert check("chat_gpt", model=model, max_output_tokens=1024) == []
    assert check("chat_gpt", model=model, max_output_tokens=4096) == []
    assert fields_of(check("chat_gpt", model=model, max_output_tokens=1023)) == [
        "max_output_tokens"
    ]
    assert fields_of(check("chat_gpt", model=model, temperature=0.5)) == ["temperature"]
    assert check("chat_gpt", model=model, top_p=0.5) == []
    forced = check("chat_gpt", model=model, web_search=True, force_web_search=True)
    assert fields_of(forced) == ["force_web_search"]


def test_without_a_models_list_a_chat_gpt_model_named_o_reasons():
    task = {"user_prompt": "Hi", "model_name": "o3-2025-04-16", "max_output_tokens": 100}
    assert fields_of(validate_task(task, family="chat_gpt")) == ["max_output_tokens"]
    task["model_name"] = "gpt-4o"
    assert validate_task(task, family="chat_gpt") == []


def test_gemini_pro_models_reason_even_with_the_switch_off():
    problems = check("gemini", model="gemini-2.5-pro", max_output_tokens=500)
    assert fields_of(problems) == ["max_output_tokens"]
    assert fields_of(check("gemini", model="gemini-2.5-pro", top_p=0.3)) == ["top_p"]
    assert check("gemini", model="gemini-2.5-flash", max_output_tokens=500) == []


@pytest.mark.parametrize("family", ["claude", "gemini"])
def test_reasoning_is_refused_on_a_model_that_does_not_reason(family):
    problems = check(family, use_reasoning=True, max_output_tokens=2048)
    assert fields_of(problems) == ["use_reasoning"]
    assert PLAIN[family] in problems[0].message
    assert "does not support reasoning" in problems[0].message


def test_reasoning_is_not_judged_without_a_models_list():
    task = {"user_prompt": "Hi", "model_name": "claude-3-5-haiku-20241022", "use_reasoning": True}
    assert validate_task(task) == []


@pytest.mark.parametrize(
    ("family", "missing"),
    [
        ("claude", set()),
        ("chat_gpt", {"use_reasoning"}),
        ("gemini", {"force_web_search", "web_search_country_iso_code", "web_search_city"}),
        ("perplexity", {"web_search", "force_web_search", "web_search_city", "use_reasoning"}),
    ],
)
def test_fields_a_family_lacks_are_refused_and_dropped(family, missing):
    assert missing <= contract.FAMILY_UNSUPPORTED_FIELDS[family]
    values = {
        "web_search": True,
        "force_web_search": True,
        "web_search_country_iso_code": "US",
        "web_search_city": "Boston",
        "use_reasoning": True,
    }
    for field in missing:
        problems = check(family, **{field: values[field]})
        assert field in fields_of(problems)
        offered = [p for p in problems if p.field == field]
        assert contract.family_label(family) in offered[0].message
    settings = contract.settings_for_family({"model_name": "m", **values}, family=family)
    assert not missing & set(settings)


def test_perplexity_has_no_tasks_only_live():
    task = {"user_prompt": "Hi", "model_name": "sonar"}
    assert validate_task(task, family="perplexity", live=False) != []
    assert validate_task(task, family="perplexity", live=True, models=MODELS["perplexity"]) == []


def test_an_unknown_family_is_refused():
    assert validate_task({"user_prompt": "Hi", "model_name": "x"}, family="grok") != []


def chain(*roles):
    return [{"role": r, "message": f"turn {i}"} for i, r in enumerate(roles)]


@pytest.mark.parametrize("family", contract.LLM_FAMILIES)
def test_chain_turns_alternate_from_the_user(family):
    assert check(family, message_chain=chain("user", "ai")) == []
    assert fields_of(check(family, message_chain=chain("user", "user"))) == ["message_chain"]
    assert fields_of(check(family, message_chain=chain("ai", "user"))) == ["message_chain"]


def test_perplexity_chain_ends_with_the_ai():
    assert check("perplexity", message_chain=chain("user", "ai", "user", "ai")) == []
    problems = check("perplexity", message_chain=chain("user", "ai", "user"))
    assert fields_of(problems) == ["message_chain"]
    assert check("claude", message_chain=chain("user", "ai", "user")) == []


@pytest.mark.parametrize("family", ["claude", "chat_gpt", "perplexity"])
def test_country_codes_are_the_published_list(family):
    web = {} if family == "perplexity" else {"web_search": True}
    model = REASONING.get(family) if family == "claude" else None
    assert check(family, model=model, web_search_country_iso_code="DE", **web) == []
    problems = check(family, model=model, web_search_country_iso_code="XX", **web)
    assert fields_of(problems) == ["web_search_country_iso_code"]


def test_a_chat_gpt_country_needs_web_search():
    problems = check("chat_gpt", web_search_country_iso_code="US")
    assert fields_of(problems) == ["web_search_country_iso_code"]
    assert check("claude", web_search_country_iso_code="US") == []


def test_chat_gpt_o1_takes_no_location():
    problems = check(
        "chat_gpt",
        model="o1-2024-12-17",
        web_search=True,
        web_search_country_iso_code="US",
        max_output_tokens=2048,
    )
    assert fields_of(problems) == ["web_search_country_iso_code"]


def test_only_perplexity_sonar_models_take_a_country():
    problems = check("perplexity", model="r1-1776", web_search_country_iso_code="US")
    assert fields_of(problems) == ["web_search_country_iso_code"]
    assert "Sonar" in problems[0].message


def test_a_model_only_live_is_accepted_live():
    task = {"user_prompt": "Hi", "model_name": "sonar"}
    assert validate_task(task, models=MODELS["perplexity"], live=True, family="perplexity") == []
