"""Property: the sandbox accepts a task exactly when ``contract.validate_task`` finds nothing."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring.aisa import contract

UNREACHABLE = "http://127.0.0.1:9/hook?id=$id&tag=$tag"  # refused at once: webhooks stay fast


GOOD_TURN = st.fixed_dictionaries(
    {
        "role": st.sampled_from(["user", "ai"]),
        "message": st.text(min_size=1, max_size=20).filter(str.strip),
    }
)

#: Plausible tasks: each field valid on its own, but their combinations may break the rules
#: (temperature with top_p, reasoning with few tokens, force_web_search without web_search...).
PLAUSIBLE = st.fixed_dictionaries(
    {
        "user_prompt": st.one_of(
            st.text(min_size=1, max_size=40).filter(str.strip),
            st.sampled_from(["What is the best CRM?", "p" * 500]),
        ),
        "model_name": st.sampled_from(
            [
                "claude-sonnet-4-0",
                "claude-opus-4-1-20250805",
                "claude-3-5-haiku-20241022",
                "claude-haiku-4-5",
                "claude-3-7-sonnet-latest",
            ]
        ),  # fmt: skip
    },
    optional={
        "max_output_tokens": st.integers(1, 4096),
        "temperature": st.floats(0, 1),
        "web_search": st.booleans(),
        "force_web_search": st.booleans(),
        "use_reasoning": st.booleans(),
        "web_search_country_iso_code": st.sampled_from(contract.COUNTRY_CODES),
        "system_message": st.text(max_size=40),
        "message_chain": st.lists(GOOD_TURN, max_size=10),
        "tag": st.text(max_size=20),
        "postback_url": st.just(UNREACHABLE),
        "pingback_url": st.just(UNREACHABLE),
    },
)

#: Single-field corruptions: nulls (tolerated), wrong types and values just past a limit.
BAD_TURNS = [
    {"role": "ai", "message": "x" * 501},
    {"role": "bot", "message": "hi"},
    {"role": "user", "message": "  "},
    {"role": "user"},
    {"role": "user", "message": "hi", "extra": 1},
    "just text",
]
CORRUPTIONS = st.sampled_from(
    [(field, None) for field in contract.TASK_FIELDS]
    + [
        ("user_prompt", ""), ("user_prompt", " "), ("user_prompt", "p" * 501), ("user_prompt", 5),
        ("model_name", "gpt-4o"), ("model_name", ""), ("model_name", 5),
        ("model_name", "claude-sonnet"),
        ("max_output_tokens", 0), ("max_output_tokens", 4097), ("max_output_tokens", 1024),
        ("max_output_tokens", 1025), ("max_output_tokens", 2048.0), ("max_output_tokens", "9"),
        ("max_output_tokens", True),
        ("temperature", -0.01), ("temperature", 1.01), ("temperature", "0.5"), ("temperature", 0),
        ("top_p", 1), ("top_p", 2), ("top_p", False),
        ("web_search", "true"), ("web_search", 1), ("force_web_search", 0),
        ("use_reasoning", "yes"), ("use_reasoning", True),
        ("web_search_country_iso_code", "us"), ("web_search_country_iso_code", "XX"),
        ("web_search_country_iso_code", 1), ("web_search_city", ""), ("web_search_city", 3),
        ("system_message", "s" * 500), ("system_message", "s" * 501), ("system_message", 1),
        ("message_chain", "not a list"), ("message_chain", {}), ("tag", "t" * 255),
        ("tag", "t" * 256), ("tag", 42), ("postback_url", "ftp://x"), ("postback_url", ""),
        ("pingback_url", 7), ("surprise", "unknown field"),
    ]
)  # fmt: skip


@st.composite
def tasks(draw):
    task = draw(PLAUSIBLE)
    if draw(st.integers(0, 3)) == 0:  # sometimes top_p instead of, or beside, temperature
        if draw(st.booleans()):
            task.pop("temperature", None)
        task["top_p"] = draw(st.floats(0, 1))
    if draw(st.integers(0, 3)) == 0:  # a city, mostly with its country
        task["web_search_city"] = draw(st.sampled_from(["London", "São Paulo"]))
        if draw(st.integers(0, 3)):
            task["web_search_country_iso_code"] = "GB"
    for field, value in draw(st.lists(CORRUPTIONS, max_size=2)):
        task[field] = value
    if draw(st.booleans()) and isinstance(task.get("message_chain"), list):
        task["message_chain"] = task["message_chain"] + draw(
            st.lists(st.sampled_from(BAD_TURNS), max_size=2)
        )
    if draw(st.integers(0, 9)) == 0:
        task["message_chain"] = draw(st.lists(GOOD_TURN, min_size=11, max_size=12))
    return task


TASKS = tasks()


def models_of(api) -> dict[str, contract.ModelInfo]:
    rows = api.get("models").json()["tasks"][0]["result"]
    return {row["model_name"]: contract.ModelInfo(**row) for row in rows}


def check(task_sent: dict, answered: dict, models, *, live: bool, ok_code: int) -> None:
    problems = contract.validate_task(task_sent, models=models, live=live)
    if not problems:
        assert answered["status_code"] == ok_code, answered["status_message"]
        assert answered["data"] == {**answered["data"], **contract.normalize_task(task_sent)}
    else:
        field = contract.first_invalid_field(problems)
        assert answered["status_code"] == contract.INVALID_FIELD
        assert answered["status_message"] == contract.status_message(contract.INVALID_FIELD, field)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(batch=st.lists(TASKS, min_size=1, max_size=3))
def test_it_accepts_exactly_the_tasks_the_contract_accepts(api, batch):
    batch = json.loads(json.dumps(batch))  # what the server sees after the wire
    envelope = api.post_tasks(*batch)
    assert len(envelope["tasks"]) == len(batch)
    models = models_of(api)
    for sent, answered in zip(batch, envelope["tasks"], strict=True):
        check(sent, answered, models, live=False, ok_code=contract.TASK_CREATED)
    assert envelope["tasks_error"] == sum(
        t["status_code"] != contract.TASK_CREATED for t in envelope["tasks"]
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(task=TASKS)
def test_it_applies_the_live_rules_exactly_like_the_contract(api, task):
    task = json.loads(json.dumps(task))
    answered = api.post("live", [task]).json()["tasks"][0]
    check(task, answered, models_of(api), live=True, ok_code=contract.OK)
