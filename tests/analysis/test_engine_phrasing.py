"""Refusals and "informative" answers, checked on each engine's own phrasing.

Each assistant says "I don't know that company" in its own words: Claude "I couldn't find
information about …", ChatGPT "I'm not aware of …", Gemini "I don't have enough information
about …", Perplexity "I could not find reliable sources about …" or "The search results do
not mention …". A brand named there is not a mention; a brand named after "but" still is.
The phrasings are those the engines are known to use (and the sandbox's, per family).
"""

import pytest

from monitoring.analysis import BrandTerms, candidate_names, find_mentions, is_informative
from sandbox.styles import STYLES

ACME = BrandTerms(1, "Acme CRM")
HUBSPOT = BrandTerms(2, "HubSpot")
BRANDS = [ACME, HUBSPOT]

REFUSALS = {
    "claude": [
        "I couldn't find information about Acme CRM.",
        "I don't have specific information about Acme CRM in my training data.",
        "I'm not familiar with Acme CRM. Could you tell me more about it?",
        "Acme CRM isn't a product I'm familiar with.",
    ],
    "chat_gpt": [
        "I'm not aware of Acme CRM. It may be new or niche.",
        "As of my knowledge cutoff, I don't have information on Acme CRM.",
        "I'm not sure what Acme CRM is. Could you share a link?",
        "I couldn't find any reliable information on Acme CRM.",
    ],
    "gemini": [
        "I don't have enough information about Acme CRM to answer that.",
        "I do not have enough information about Acme CRM to help with your request.",
        "I'm not able to find any information about Acme CRM.",
        "There is no information available about Acme CRM at the moment.",
    ],
    "perplexity": [
        "I could not find reliable sources about Acme CRM.",
        "The search results do not mention Acme CRM.",
        "The provided search results don't contain any information about Acme CRM.",
        "I couldn't find any specific information about Acme CRM in the search results.",
    ],
}

CASES = [(engine, text) for engine, texts in REFUSALS.items() for text in texts]


@pytest.mark.parametrize(("engine", "text"), CASES)
def test_a_brand_named_in_an_engines_refusal_is_not_a_mention(engine, text):
    assert find_mentions(text, BRANDS) == []


@pytest.mark.parametrize(("engine", "text"), CASES)
def test_a_brand_named_after_the_refusal_still_counts(engine, text):
    answer = f"{text.rstrip('.')}, but HubSpot is a popular alternative."

    assert [m.brand_id for m in find_mentions(answer, BRANDS)] == [HUBSPOT.brand_id]


@pytest.mark.parametrize(("engine", "text"), CASES)
def test_a_refusal_names_no_untracked_company(engine, text):
    # The refused name is not "a competitor we don't track", and the answer is not informative.
    untracked = candidate_names(text, ["HubSpot"])

    assert "Acme CRM" not in untracked
    assert not is_informative(text, find_mentions(text, BRANDS), untracked)


@pytest.mark.parametrize("engine", sorted(STYLES))
def test_the_sandboxs_refusal_of_each_engine_is_recognised(engine):
    text = STYLES[engine].refusal.format(subject="Acme CRM")

    assert find_mentions(text, BRANDS) == []
    assert "Acme CRM" not in candidate_names(text, [])


@pytest.mark.parametrize("engine", sorted(STYLES))
def test_each_engines_generic_advice_is_not_informative(engine):
    # Headings, bold steps and numbered lists are not company names.
    text = STYLES[engine].generic

    assert candidate_names(text, []) == []
    assert not is_informative(text, [], [])


@pytest.mark.parametrize(
    "text",
    [
        "HubSpot is the easiest start [1][2], while Pipedrive suits sales teams [3].",
        "## Top CRM tools\n\n1. **HubSpot** – free tier "
        "([hubspot.com](https://hubspot.com/?utm_source=openai))\n2. **Pipedrive**",
    ],
)
def test_citation_markers_and_links_are_not_names(text):
    # Perplexity's [n] markers and ChatGPT's utm-tagged links leave only the real names.
    names = candidate_names(text, ["HubSpot"])

    assert names == ["Pipedrive"]
    assert is_informative(text, find_mentions(text, BRANDS), names)
