"""What a model costs, per million tokens and per web search: the worst case a task reserves.

The budgets reserve a task's worst-case cost when it is claimed, so real spend can never
pass a cap whatever the answer costs; the real cost replaces the reservation once known.
Rows are editable in the admin (prices change); each names its source.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

from django.db import models

from monitoring.aisa import contract
from monitoring.models.money import MICRO, money_field

MILLION = Decimal(1_000_000)
#: What the API bills per task on top of the model's ``money_spent`` (see the contract).
TASK_BASE_PRICE_USD = contract.TASK_BASE_PRICE_USD
#: Worst case of a web-search answer: the searches the model may run and the search results
#: it reads as input (the largest seen are about 5,200 tokens for four searches).
WORST_SEARCHES = 5
WORST_SEARCH_INPUT_TOKENS = 8000
#: Reasoning tokens bill as output; the worst case doubles the output budget.
REASONING_OUTPUT_FACTOR = 2
#: A model without a price row is assumed to cost this (the dearest Claude model's prices).
UNKNOWN_PRICE = ("15", "75", "0.01")


class ModelPrice(models.Model):
    """The price of the models whose name starts with ``model_prefix`` (longest prefix wins)."""

    family = models.CharField(max_length=20, default="claude")
    model_prefix = models.CharField(max_length=100)
    input_per_million = money_field(help_text="USD per million input tokens.")
    output_per_million = money_field(
        help_text="USD per million output tokens (reasoning tokens bill as output)."
    )
    web_search_fee = money_field(default=Decimal("0.01"), help_text="USD per web search.")
    source = models.CharField(max_length=300, blank=True, help_text="Where these prices come from.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family", "model_prefix"]
        constraints = [
            models.UniqueConstraint(fields=["family", "model_prefix"], name="unique_model_price"),
        ]

    def __str__(self) -> str:
        return f"{self.family}/{self.model_prefix}*"

    def rates(self) -> Rates:
        return Rates(self.input_per_million, self.output_per_million, self.web_search_fee)


@dataclass(frozen=True)
class Rates:
    input_per_million: Decimal
    output_per_million: Decimal
    web_search_fee: Decimal


def rates_for(model_name: str, prices: list[ModelPrice]) -> Rates:
    """The rates of the longest matching prefix, or the conservative default."""
    matching = [p for p in prices if model_name.startswith(p.model_prefix)]
    if not matching:
        return Rates(*(Decimal(v) for v in UNKNOWN_PRICE))
    return max(matching, key=lambda p: len(p.model_prefix)).rates()


def _tokens(text: str) -> int:
    """A generous token count of a text (about four characters a token; never fewer)."""
    return len(text) // 3 + 1


def worst_case_cost(body: dict, rates: Rates, *, engine: str = contract.DEFAULT_FAMILY) -> Decimal:
    """The most one task with this request body can cost: every token budget used up.

    ``engine`` matters: a Perplexity answer always searches, and a ChatGPT or Perplexity
    model may reason without any switch in the body (``contract.may_search/may_reason``).
    """
    context = [body.get("user_prompt") or "", body.get("system_message") or ""]
    context += [str(turn.get("message", "")) for turn in body.get("message_chain") or []]
    input_tokens = sum(_tokens(t) for t in context) + 16
    output_tokens = int(body.get("max_output_tokens") or contract.DEFAULT_OUTPUT_TOKENS)
    if contract.may_reason(body, family=engine):
        output_tokens *= REASONING_OUTPUT_FACTOR
    searches = 0
    if contract.may_search(body, family=engine):
        searches = WORST_SEARCHES
        input_tokens += WORST_SEARCH_INPUT_TOKENS
    cost = (
        TASK_BASE_PRICE_USD
        + input_tokens * rates.input_per_million / MILLION
        + output_tokens * rates.output_per_million / MILLION
        + searches * rates.web_search_fee
    )
    # Never below the prepayment: that much leaves the account when the task is created.
    return max(cost, contract.TASK_PREPAYMENT_USD).quantize(MICRO, rounding=ROUND_CEILING)
