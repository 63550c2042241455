"""The worst case of a task depends on its engine, and a monitor's cost counts every engine.

A Perplexity answer always searches (its request has no ``web_search``), and ChatGPT and
Perplexity models may reason without a switch: the worst case reserved before a call must
include both, or a cap could be passed by real spend. A monitor asking four engines runs
four tasks per prompt and sample, and its projection says so.
"""

from decimal import Decimal

import pytest
from django.utils import timezone

from monitoring.aisa import contract
from monitoring.models import ModelPrice
from monitoring.models.prices import (
    REASONING_OUTPUT_FACTOR,
    WORST_SEARCHES,
    rates_for,
    worst_case_cost,
)
from monitoring.selectors.monitors import monitor_rows_get
from tests.factories import make_monitor, make_prompt

BODY = {"user_prompt": "Which CRM is best?", "model_name": "m-1", "max_output_tokens": 1000}
RATES = rates_for("m-1", [])


def test_a_perplexity_task_is_reserved_as_searching_and_reasoning():
    claude = worst_case_cost(BODY, RATES, engine="claude")
    perplexity = worst_case_cost(BODY, RATES, engine="perplexity")
    searching = worst_case_cost({**BODY, "web_search": True}, RATES, engine="claude")
    extra_output = (REASONING_OUTPUT_FACTOR - 1) * 1000 * RATES.output_per_million / 1_000_000

    assert perplexity - searching == pytest.approx(extra_output, abs=Decimal("0.000001"))
    assert searching - claude >= WORST_SEARCHES * RATES.web_search_fee


@pytest.mark.parametrize(
    ("engine", "body", "reasons"),
    [
        ("claude", BODY, False),
        ("claude", {**BODY, "use_reasoning": True}, True),
        ("gemini", {**BODY, "model_name": "gemini-2.5-flash"}, False),
        ("gemini", {**BODY, "model_name": "gemini-2.5-pro"}, True),  # forced on for Pro
        ("chat_gpt", {**BODY, "model_name": "gpt-4.1"}, True),  # by model: it may
        ("perplexity", {**BODY, "model_name": "sonar"}, True),
    ],
)
def test_reasoning_is_reserved_where_the_request_cannot_rule_it_out(engine, body, reasons):
    assert contract.may_reason(body, family=engine) is reasons


def test_only_perplexity_searches_without_being_asked():
    assert [f for f in contract.LLM_FAMILIES if contract.may_search(BODY, family=f)] == [
        "perplexity"
    ]


@pytest.mark.django_db
def test_a_monitors_projection_counts_every_engine_it_asks(workspace):
    now = timezone.now()
    ModelPrice.objects.create(
        family="chat_gpt", model_prefix="gpt-4.1", input_per_million=2, output_per_million=8
    )
    prompts = [make_prompt(workspace=workspace, text=f"Best CRM #{i}?") for i in range(2)]
    settings = {"model_name": "claude-sonnet-4-20250514", "max_output_tokens": 500}
    make_monitor(workspace=workspace, name="One", prompts=prompts, request_settings=settings)
    four = make_monitor(
        workspace=workspace,
        name="Four",
        prompts=prompts,
        request_settings=settings,
        samples_per_run=2,
        engines=[
            {"engine": "claude", "model_name": "claude-sonnet-4-20250514"},
            {"engine": "chat_gpt", "model_name": "gpt-4.1"},
            {"engine": "gemini", "model_name": "gemini-2.5-flash"},
            {"engine": "perplexity", "model_name": "sonar"},
        ],
    )

    rows = {r.monitor.name: r for r in monitor_rows_get(workspace=workspace, now=now)}

    prices = list(ModelPrice.objects.all())
    expected_worst = (
        sum(
            worst_case_cost(
                p.task_body(request_settings=s), rates_for(s["model_name"], prices), engine=e
            )
            for e, s in four.engine_requests()
            for p in prompts
        )
        * 2
    )
    assert rows["Four"].per_run.tasks == 2 * 2 * 4
    # Perplexity's live calls are paid as answered: no prepayment for them.
    assert rows["Four"].per_run.prepaid == contract.TASK_PREPAYMENT_USD * 2 * 2 * 3
    assert rows["Four"].per_run.worst == expected_worst
    assert rows["Four"].per_run.worst > 4 * rows["One"].per_run.worst  # Perplexity searches
    assert rows["One"].per_run.tasks == 2
