"""Property: the builder form accepts a request exactly when the contract module does."""

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitoring.aisa import contract
from monitoring.forms.builder import RequestBuilderForm
from monitoring.models import LlmModel, Prompt, Workspace
from monitoring.selectors.catalog import model_catalog

MODEL_NAMES = ["claude-sonnet-4-20250514", "claude-3-5-haiku-20241022", "claude-nope-1"]
LETTERS = st.text(alphabet="abcxyz", min_size=1, max_size=8)


def _sized(low, high):
    return st.integers(low, high).map(lambda n: "m" * n)


def _number():
    return st.floats(-0.3, 1.3, allow_nan=False).map(lambda x: round(x, 3))


settings_strategy = st.fixed_dictionaries(
    {
        "model_name": st.sampled_from(MODEL_NAMES),
        "max_output_tokens": st.none()
        | st.integers(-5, 5000)
        | st.sampled_from([1024, 1025, 4096, 4097]),
        "temperature": st.none() | _number(),
        "top_p": st.none() | _number(),
        "web_search": st.booleans(),
        "force_web_search": st.booleans(),
        "use_reasoning": st.booleans(),
        "web_search_country_iso_code": st.none() | st.sampled_from(["US", "DE", "XX", "us"]),
        "web_search_city": st.none() | LETTERS,
        "system_message": st.none() | _sized(499, 502),
        "message_chain": st.none()
        | st.lists(
            st.fixed_dictionaries(
                {
                    "role": st.sampled_from(["user", "ai", "bot"]),
                    "message": st.none() | _sized(0, 3) | _sized(499, 501),
                }
            ).map(
                lambda t: {**t, "message": t["message"] if t["message"] is not None else "hello"}
            ),
            max_size=12,
        ),
    }
)


def _form_data(prompt, values):
    data = {"scope": "selected", "prompts": [prompt.pk], "samples": "1"}
    for field, value in values.items():
        if value is None or value is False:
            continue
        if field == "message_chain":
            for i, turn in enumerate(value):
                data[f"chain-{i}-role"] = turn["role"]
                data[f"chain-{i}-message"] = turn["message"]
        elif value is True:
            data[field] = "on"
        else:
            data[field] = str(value)
    return data


@pytest.fixture
def setup(db):
    workspace = Workspace.objects.create(name="Prop")
    prompt = Prompt.objects.create(workspace=workspace, text="Which CRM should a startup use?")
    now = timezone.now()
    LlmModel.objects.create(model_name=MODEL_NAMES[0], web_search_supported=True, refreshed_at=now)
    LlmModel.objects.create(model_name=MODEL_NAMES[1], web_search_supported=False, refreshed_at=now)
    return workspace, prompt


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=settings_strategy)
def test_it_agrees_with_the_contract_on_random_requests(setup, values):
    workspace, prompt = setup
    models = model_catalog()
    form = RequestBuilderForm(_form_data(prompt, values), workspace=workspace, models=models)
    task = {"user_prompt": prompt.text, **values}
    problems = contract.validate_task(task, models=models)
    assert form.is_valid() == (not problems), (form.errors, problems)
    if form.is_valid():
        assert contract.validate_task(form.tasks[0], models=models) == []
