"""Deterministic, varied answers built from an editable market (``market.json``).

A prompt that mentions a category (or one of its brands) gets a markdown answer naming
several brands of that category, in varying order, sometimes leaving one out; anything else
gets a generic answer naming nobody or a refusal. Each family words and lays out its answers
in its own style (``styles``). The random generator is seeded by the
server seed, the prompt and how many times that prompt was posted, so a run is reproducible
while repeated samples differ like real ones.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from monitoring.aisa.contract import (
    DEFAULT_FAMILY,
    DEFAULT_OUTPUT_TOKENS,
    ModelInfo,
    reasoning_applies,
)

from .styles import SEARCHES, Style, style_for

DEFAULT_MARKET = Path(__file__).with_name("market.json")


def _models(*rows: tuple[str, bool, bool], tasks: bool = True) -> dict[str, ModelInfo]:
    return {name: ModelInfo(name, web, tasks, reasoning) for name, web, reasoning in rows}


#: What each family's ``models`` endpoint lists: (name, web_search_supported, reasoning).
#: Perplexity is live only, so none of its models takes the Standard method.
MODELS: dict[str, dict[str, ModelInfo]] = {
    "claude": _models(
        ("claude-opus-4-1-20250805", True, True),
        ("claude-opus-4-20250514", True, True),
        ("claude-sonnet-4-5-20250929", True, True),
        ("claude-sonnet-4-20250514", True, True),
        ("claude-haiku-4-5-20251001", True, True),
        ("claude-3-7-sonnet-20250219", True, True),
        ("claude-3-5-haiku-20241022", False, False),
    ),
    "chat_gpt": _models(
        ("gpt-5", True, True),
        ("gpt-4.1", True, False),
        ("gpt-4.1-mini", True, False),
        ("gpt-4o", True, False),
        ("gpt-4o-mini", True, False),
        ("gpt-3.5-turbo", False, False),
        ("o3-mini", True, True),
        ("o4-mini", True, True),
    ),
    "gemini": _models(
        ("gemini-2.5-pro", True, True),
        ("gemini-2.5-flash", True, False),
        ("gemini-2.5-flash-lite", True, False),
        ("gemini-2.0-flash-lite", False, False),
    ),
    "perplexity": _models(
        ("sonar", True, False),
        ("sonar-pro", True, False),
        ("sonar-reasoning", True, True),
        ("sonar-reasoning-pro", True, True),
        tasks=False,
    ),
}

#: USD per million tokens (input, output); reasoning tokens bill as output.
PRICES: dict[str, tuple[Decimal, Decimal]] = {
    "claude-opus": (Decimal(15), Decimal(75)),
    "claude-sonnet": (Decimal(3), Decimal(15)),
    "claude-3-7-sonnet": (Decimal(3), Decimal(15)),
    "claude-haiku-4-5": (Decimal(1), Decimal(5)),
    "claude-3-5-haiku": (Decimal("0.8"), Decimal(4)),
    "gpt-4o-mini": (Decimal("0.15"), Decimal("0.6")),
    "gpt-4.1-mini": (Decimal("0.4"), Decimal("1.6")),
    "gpt-4o": (Decimal("2.5"), Decimal(10)),
    "gpt-4.1": (Decimal(2), Decimal(8)),
    "gpt-3.5": (Decimal("0.5"), Decimal("1.5")),
    "o3-mini": (Decimal("1.1"), Decimal("4.4")),
    "o4-mini": (Decimal("1.1"), Decimal("4.4")),
    "gemini-2.5-pro": (Decimal("1.25"), Decimal(10)),
    "gemini-2.5-flash-lite": (Decimal("0.1"), Decimal("0.4")),
    "gemini-2.5-flash": (Decimal("0.3"), Decimal("2.5")),
    "gemini-2.0-flash-lite": (Decimal("0.075"), Decimal("0.3")),
    "sonar-reasoning-pro": (Decimal(2), Decimal(8)),
    "sonar-reasoning": (Decimal(1), Decimal(5)),
    "sonar-pro": (Decimal(3), Decimal(15)),
    "sonar": (Decimal(1), Decimal(1)),
}
DEFAULT_PRICE = (Decimal("1.25"), Decimal(10))
WEB_SEARCH_PRICE_USD = Decimal("0.01")  # per search the model ran


def load_market(path: str | Path | None = None) -> dict[str, Any]:
    market = json.loads(Path(path or DEFAULT_MARKET).read_text(encoding="utf-8"))
    _matchers(market)  # compile its term patterns once, now
    return market


#: A category and its lowercased terms (keywords, brand names, aliases) with their patterns.
Matcher = tuple[dict[str, Any], list[tuple[str, re.Pattern[str]]]]
#: id(market) -> (market, its matchers); the market is kept so its id is not reused.
_MATCHERS: dict[int, tuple[dict[str, Any], list[Matcher]]] = {}
_MATCHERS_KEPT = 8


def _matchers(market: dict[str, Any]) -> list[Matcher]:
    """The compiled term patterns of a market, built on first use and cached."""
    cached = _MATCHERS.get(id(market))
    if cached is not None and cached[0] is market:
        return cached[1]
    matchers = []
    for category in market["categories"]:
        terms = [*category["keywords"]]
        for brand in category["brands"]:
            terms += [brand["name"], *brand["aliases"]]
        lowered = [t.lower() for t in terms]
        matchers.append(
            (category, [(t, re.compile(rf"(?<!\w){re.escape(t)}(?!\w)")) for t in lowered])
        )
    while len(_MATCHERS) >= _MATCHERS_KEPT:
        del _MATCHERS[next(iter(_MATCHERS))]
    _MATCHERS[id(market)] = (market, matchers)
    return matchers


def rng_for(*parts: Any) -> random.Random:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def tokens(text: str) -> int:
    """Roughly what a tokenizer counts: 1.3 tokens a word."""
    return round(len(text.split()) * 1.3)


def find_category(market: dict[str, Any], prompt: str) -> dict[str, Any] | None:
    """The category whose keywords and brand names the prompt mentions most."""
    text = prompt.lower()
    best, best_hits = None, 0
    for category, terms in _matchers(market):
        # The substring test is a cheap filter; the pattern checks word boundaries.
        hits = sum(1 for term, pattern in terms if term in text and pattern.search(text))
        if hits > best_hits:
            best, best_hits = category, hits
    return best


def _pick_brands(rng: random.Random, category: dict[str, Any]) -> list[dict[str, Any]]:
    """Weighted sampling without replacement: popular brands come first more often."""
    brands = category["brands"]
    ranked = sorted(brands, key=lambda b: rng.random() ** (1 / b["weight"]), reverse=True)
    return ranked[: rng.randint(min(3, len(brands)), min(6, len(brands)))]


def _section(text: str, annotations: list[dict[str, str]] | None) -> dict[str, Any]:
    return {"type": "text", "text": text, "annotations": annotations}


def _sources(rng, market, category, brand) -> list[dict[str, str]]:
    """The pages an answer cites for a brand: its site, and sometimes a review site."""
    cites = [{"title": f"{brand['name']} – official site", "url": f"https://{brand['domain']}/"}]
    if rng.random() < 0.5:
        site = rng.choice(market["review_sites"])
        cites.append(
            {
                "title": f"{brand['name']} reviews {category['label']} | {site['title']}",
                "url": f"https://{site['domain']}/products/{_slug(brand['name'])}/reviews",
            }
        )
    return cites


def _brand_answer(rng, market, category, web: bool, style: Style) -> tuple[list[dict], list]:
    """The message sections of an answer about a category, and the brands it names."""
    label = category["label"]
    picked = _pick_brands(rng, category)
    intro = rng.choice(style.intros).format(label=label, Label=label.capitalize())
    sections = [_section(intro + style.intro_end, None)]
    numbered = 0  # Perplexity numbers its sources through the whole answer
    for i, brand in enumerate(picked, start=1):
        linked = rng.random() < 0.25
        cites = [style.cite(c) for c in _sources(rng, market, category, brand)] if web else None
        markers = ""
        if cites and style.markers:
            markers = "".join(f"[{numbered + n}]" for n in range(1, len(cites) + 1))
            numbered += len(cites)
        sections.append(_section(style.line(i, brand, linked, markers), cites))
    first, second = picked[0], picked[-1] if len(picked) < 2 else picked[1]
    a = rng.choice([first["name"], *first["aliases"]])
    closing = rng.choice(style.closings).format(a=a, b=second["name"])
    sections.append(_section(style.closing_start + closing, None))
    return sections, picked


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def _truncate(text: str, max_tokens: int) -> str:
    words = text.split(" ")
    limit = max(1, int(max_tokens / 1.3))
    return text if len(words) <= limit else " ".join(words[:limit])


def money_spent(model_name: str, input_tokens: int, output_tokens: int, searches: int) -> Decimal:
    price_in, price_out = next(
        (p for prefix, p in PRICES.items() if model_name.startswith(prefix)), DEFAULT_PRICE
    )
    usd = (input_tokens * price_in + output_tokens * price_out) / Decimal(1_000_000)
    # To the micro-dollar, as the API reports money (and the ledger stores it).
    return (usd + searches * WEB_SEARCH_PRICE_USD).quantize(Decimal("0.000001"))


def generate(
    market: dict[str, Any],
    model: ModelInfo,
    params: dict[str, Any],
    *,
    seed: Any,
    family: str = DEFAULT_FAMILY,
) -> dict[str, Any]:
    """One result item (``datetime`` is set on completion) for a validated task.

    ``seed`` should combine the server seed and the prompt's post counter; ``family`` picks
    the answer style (``styles``) and whether reasoning applies (``contract``).
    """
    style = style_for(family)
    prompt = params["user_prompt"]
    rng = rng_for(seed, prompt)
    web = style.always_searches or params.get("web_search") is True
    reasoning = model.reasoning and (
        # Perplexity's reasoning models reason without a switch (its items are messages only).
        style.always_searches or reasoning_applies(params, family=family, model=model)
    )
    category = find_category(market, prompt)
    fan_out = None
    if category:
        sections, picked = _brand_answer(rng, market, category, web, style)
        if web:
            names = {"label": category["label"], "a": picked[0]["name"], "b": picked[-1]["name"]}
            queries = rng.sample(SEARCHES, rng.randint(2, 4))
            fan_out = style.fan_out(rng, [q.format(year=2025, **names) for q in queries])
    else:
        subject = prompt.strip().rstrip("?.!")[:80]
        text = style.refusal.format(subject=subject) if rng.random() < 0.5 else style.generic
        sections = [_section(text, [] if style.markers else None)]
        if web:
            fan_out = style.fan_out(rng, [subject.lower(), f"{subject.lower()} reviews"])
    if not web:
        # Without search the model answers in one uncited block, cut at max_output_tokens.
        fan_out = rng.choice([None, []])
        text = "".join(s["text"] for s in sections)
        if not reasoning:
            text = _truncate(text, params.get("max_output_tokens", DEFAULT_OUTPUT_TOKENS))
        sections = [_section(text, None)]
    items = [{"type": "message", "sections": sections}]
    reasoning_tokens = 0
    if reasoning:
        thought = style.thought.format(topic=category["label"] if category else "this question")
        if not style.always_searches:
            items.insert(0, style.reasoning_item(thought))
        reasoning_tokens = tokens(thought) + rng.randint(40, 400)
    context = " ".join(
        [prompt, params.get("system_message", "")]
        + [t["message"] for t in params.get("message_chain", [])]
    )
    input_tokens = tokens(context) + 8 + (rng.randint(1800, 5200) if web else 0)
    output_tokens = max(1, tokens("".join(s["text"] for s in sections)))
    spent = money_spent(
        model.model_name, input_tokens, output_tokens + reasoning_tokens, len(fan_out or [])
    )
    return {
        "model_name": model.model_name,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        "reasoning_tokens": reasoning_tokens,
        "web_search": web,
        "money_spent": spent,  # Decimal; the server writes it as a JSON number
        "datetime": None,
        "items": items,
        "fan_out_queries": fan_out,
    }
