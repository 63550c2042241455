from hypothesis import given, settings
from hypothesis import strategies as st

from monitoring.analysis import BrandTerms, find_mentions

TERMS = ["Notion", "Notion AI", "HubSpot", "HubSpot CRM", "Monday.com", "C++ Builder", "Zoho"]
FRAGMENTS = [
    *TERMS,
    *(term.lower() for term in TERMS),
    " ",
    "\n",
    ". ",
    ", ",
    "'s",
    "**",
    "(",
    ")",
    "[",
    "](",
    "https://",
    "www.",
    ".com/",
    "<a href=",
    ">",
    "I couldn't find information about ",
    "I'm not familiar with ",
    " but ",
    "é",
    "İ",
    "x",
]

brand_sets = st.lists(st.sampled_from(TERMS), min_size=1, max_size=len(TERMS), unique=True).map(
    lambda names: [BrandTerms(i, name) for i, name in enumerate(names)]
)
texts = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join) | st.text(max_size=80)


@settings(max_examples=300, deadline=None)
@given(text=texts, brands=brand_sets)
def test_it_returns_in_bounds_sorted_non_overlapping_spans_of_the_term(text, brands):
    matches = find_mentions(text, brands)
    for match in matches:
        assert 0 <= match.start < match.end <= len(text)
        assert text[match.start : match.end].lower() == match.term.lower()
    for before, after in zip(matches, matches[1:], strict=False):
        assert before.end <= after.start
