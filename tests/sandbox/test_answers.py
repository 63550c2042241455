"""Answers: deterministic per seed, varied per sample, brands from the market."""

import json
import re

import pytest

from sandbox.answers import find_category, load_market
from sandbox.server import SandboxServer
from tests.factories import sandbox_task

CRM_PROMPT = "Which CRM should a small business use?"


def samples(api, n: int, **fields) -> list[dict]:
    ids = api.task_ids(*[sandbox_task(**fields) for _ in range(n)])
    return [api.result(task_id) for task_id in ids]


def test_it_gives_the_same_answers_for_the_same_seed(api, sandbox, answer_text):
    first = [answer_text(r) for r in samples(api, 3, user_prompt=CRM_PROMPT)]
    sandbox.reset()
    again = [answer_text(r) for r in samples(api, 3, user_prompt=CRM_PROMPT)]
    assert first == again


def test_it_gives_other_answers_for_another_seed(api, sandbox, answer_text):
    first = [answer_text(r) for r in samples(api, 3, user_prompt=CRM_PROMPT)]
    sandbox.reset()
    sandbox.seed = 7
    other = [answer_text(r) for r in samples(api, 3, user_prompt=CRM_PROMPT)]
    assert first != other


def test_it_varies_repeated_samples_of_a_prompt(api, answer_text):
    texts = {answer_text(r) for r in samples(api, 6, user_prompt=CRM_PROMPT)}
    assert len(texts) >= 3


def test_it_names_brands_of_the_category_and_sometimes_omits_one(api, answer_text):
    texts = [answer_text(r) for r in samples(api, 20, user_prompt=CRM_PROMPT)]
    assert all("**" in t for t in texts)
    with_pipedrive = sum("Pipedrive" in t for t in texts)
    assert 0 < with_pipedrive < len(texts)
    firsts = {re.search(r"1\. \*\*\[?([^*\]]+)", t).group(1) for t in texts}
    assert len(firsts) >= 2


def test_it_sometimes_links_a_brand_site(api, answer_text):
    texts = [answer_text(r) for r in samples(api, 10, user_prompt=CRM_PROMPT)]
    assert any("](https://" in t for t in texts)


def test_it_cites_sources_and_fans_out_with_web_search(api):
    result = api.answer(user_prompt=CRM_PROMPT, web_search=True)
    assert result["web_search"] is True
    cites = [c for s in result["items"][0]["sections"] for c in s["annotations"] or []]
    assert cites
    assert 2 <= len(result["fan_out_queries"]) <= 4
    assert result["input_tokens"] > 1000


def test_it_neither_cites_nor_fans_out_without_web_search(api):
    for result in samples(api, 4, user_prompt=CRM_PROMPT):
        assert all(s["annotations"] is None for i in result["items"] for s in i["sections"])
        assert not result["fan_out_queries"]


def test_it_adds_a_reasoning_item_when_asked(api):
    result = api.answer(user_prompt=CRM_PROMPT, use_reasoning=True, max_output_tokens=1500)
    assert [i["type"] for i in result["items"]] == ["reasoning", "message"]
    assert result["reasoning_tokens"] > 0


def test_it_counts_plausible_tokens_and_money(api, answer_text):
    result = api.answer(user_prompt=CRM_PROMPT)
    words = len(answer_text(result).split())
    assert result["output_tokens"] == pytest.approx(words * 1.3, abs=2)
    assert 0 < result["money_spent"] < 0.05


def test_it_cuts_an_answer_at_max_output_tokens(api, answer_text):
    result = api.answer(user_prompt=CRM_PROMPT, max_output_tokens=5)
    assert len(answer_text(result).split()) <= 4


def test_it_names_nobody_for_a_prompt_outside_the_market(api, answer_text):
    market = load_market()
    names = [b["name"] for c in market["categories"] for b in c["brands"]]
    for result in samples(api, 6, user_prompt="Who makes the best artisanal sourdough in Lyon?"):
        text = answer_text(result)
        assert not any(name in text for name in names)
    texts = [answer_text(r) for r in samples(api, 10, user_prompt="Tell me about Zorbix Ltd")]
    assert any(
        t.startswith("I couldn't find information about Tell me about Zorbix") for t in texts
    )


@pytest.mark.parametrize(
    ("prompt", "key"),
    [
        ("Best newsletter tool for creators?", "email_marketing"),
        ("Is monday better than Asana?", "project_management"),
        ("Notion AI or Obsidian for a second brain?", "note_taking"),
        ("cheap VPS in Europe", "cloud_hosting"),
        ("How do I bake bread?", None),
    ],
)
def test_it_finds_the_category_a_prompt_is_about(prompt, key):
    category = find_category(load_market(), prompt)
    assert (category["key"] if category else None) == key


def test_it_reads_another_market_file(tmp_path, make_api, answer_text):
    brand = {"aliases": [], "domain": "acme.test", "weight": 1, "blurb": "fine"}
    category = {
        "key": "widgets",
        "label": "widget",
        "keywords": ["widget"],
        "brands": [{**brand, "name": "Acme"}, {**brand, "name": "Widgetron"}],
    }
    market = tmp_path / "market.json"
    market.write_text(json.dumps({"review_sites": [], "categories": [category]}))
    with SandboxServer(market_path=market) as server:
        text = answer_text(make_api(server).answer(user_prompt="Which widget should I buy?"))
    assert "Acme" in text
    assert "Widgetron" in text
