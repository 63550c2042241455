"""The trie scan of ``matching`` finds exactly what the rules' exact regex finds."""

from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring.analysis import BrandTerms, find_mentions, prose_of
from monitoring.analysis.matching import _matcher

BRANDS = (
    BrandTerms(1, "Close", ("Close CRM", "Close.com")),
    BrandTerms(2, "Notion", ("Notion AI",)),
    BrandTerms(3, "HubSpot", ("HubSpot CRM", "hubspot sales hub")),
    BrandTerms(4, "Clo"),
    BrandTerms(5, "SAP"),
)
WORDS = ["Close", "close", "CLOSE", "Close.com", "Close.community", "CRM", "crm", "Notion",
         "notion", "AI", "Ai", "HubSpot", "hubspot", "Sales", "Hub", "Clo", "clo", "SAP",
         "sap", "ſap", "Kelvin", "\u212a", "x", "-", ".", ",", "_"]  # fmt: skip


def _exact(text: str) -> list[tuple[int, str, int, int]]:
    matcher = _matcher(BRANDS)
    found = matcher.exact.finditer(prose_of(text).text)
    return [(*matcher.groups[m.lastindex - 1], m.start(), m.end()) for m in found]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=12), st.sampled_from([" ", "", "  ", "\n"]))
def test_the_trie_scan_finds_what_the_exact_regex_finds(words, joiner):
    text = joiner.join(words)
    found = [(m.brand_id, m.term, m.start, m.end) for m in find_mentions(text, BRANDS)]
    assert found == _exact(text)


def test_a_common_word_at_the_longest_match_falls_back_to_a_shorter_term():
    # "close" may not be Close (common-word rule), but "Clo" is not a common word... and
    # "clo" is not followed by a word boundary here, so nothing matches at all.
    assert find_mentions("we close deals", BRANDS) == []
    assert [m.term for m in find_mentions("Close CRM and close crm", BRANDS)] == [
        "Close CRM",
        "Close CRM",
    ]


def test_non_ascii_terms_use_the_exact_regex():
    brands = (BrandTerms(1, "İstanbul Tours"),)
    assert _matcher(brands).trie is None
    assert [m.term for m in find_mentions("Try İstanbul tours.", brands)] == ["İstanbul Tours"]
