"""A search box's words: each must appear; a quoted phrase counts as one."""

import pytest

from monitoring.analysis.search import search_terms


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        ("", []),
        ("   ", []),
        ("zoho crm", ["zoho", "crm"]),
        ('"zoho  crm" pricing', ["zoho crm", "pricing"]),
        ("Zoho zoho ZOHO", ["Zoho"]),
        ('"acme', ["acme"]),  # a quote left open
        ('"" x', ["x"]),
        ("50% off_", ["50%", "off_"]),  # searched for as typed, not as wildcards
    ],
)
def test_it_splits_a_search_into_terms(query, terms):
    assert search_terms(query) == terms
