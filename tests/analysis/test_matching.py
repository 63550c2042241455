import pytest

from monitoring.analysis import (
    BrandTerms,
    find_mentions,
    first_positions,
    is_informative,
    mention_counts,
    rank_brands,
)

HUBSPOT = BrandTerms(1, "HubSpot", ("HubSpot CRM", "Hubspot Sales Hub"))
SALESFORCE = BrandTerms(2, "Salesforce", ("SFDC", "Sales Cloud"))
PIPEDRIVE = BrandTerms(3, "Pipedrive")
ZOHO = BrandTerms(4, "Zoho", ("Zoho CRM",))
NOTION = BrandTerms(5, "Notion")
NOTION_AI = BrandTerms(6, "Notion AI")
MONDAY = BrandTerms(7, "Monday.com", ("Monday",))
CLOSE = BrandTerms(8, "Close")
APPLE = BrandTerms(9, "Apple")
ACME = BrandTerms(10, "Acme CRM")
CPP = BrandTerms(11, "C++ Builder")

CRM_BRANDS = [HUBSPOT, SALESFORCE, PIPEDRIVE, ZOHO, ACME]


def spans(text, brands, **kwargs):
    return [(m.brand_id, text[m.start : m.end]) for m in find_mentions(text, brands, **kwargs)]


def test_it_matches_name_and_aliases_case_insensitively():
    text = "Try hubspot, HUBSPOT CRM or SFDC; Sales Cloud is Salesforce's."
    assert spans(text, CRM_BRANDS) == [
        (1, "hubspot"),
        (1, "HUBSPOT CRM"),
        (2, "SFDC"),
        (2, "Sales Cloud"),
        (2, "Salesforce"),
    ]


def test_it_reports_the_configured_term_and_exact_original_offsets():
    text = "## Options\n\n1. **hubspot crm** – free.\n2. (SALESFORCE) is pricier."
    matches = find_mentions(text, CRM_BRANDS)
    assert [m.term for m in matches] == ["HubSpot CRM", "Salesforce"]
    for match in matches:
        assert text[match.start : match.end].lower() == match.term.lower()


def test_it_matches_through_possessives_and_punctuation():
    text = 'HubSpot\'s tier, (Salesforce) and Pipedrive, plus **Zoho**: "Zoho"! Zoho.'
    assert [b for b, _ in spans(text, CRM_BRANDS)] == [1, 2, 3, 4, 4, 4]


def test_it_requires_word_boundaries():
    text = "Zohobooks, SuperPipedrive and HubSpotter are not brands; Pipedrive_api neither."
    assert spans(text, CRM_BRANDS) == []


def test_it_counts_repeated_mentions():
    text = "Pipedrive is simple. Pipedrive is cheap. Teams love Pipedrive."
    matches = find_mentions(text, CRM_BRANDS)
    assert mention_counts(matches) == {3: 3}


def test_it_prefers_the_longest_term_of_one_brand():
    text = "HubSpot CRM is free."
    assert spans(text, [HUBSPOT]) == [(1, "HubSpot CRM")]


def test_it_gives_an_overlapping_longer_name_to_its_own_brand():
    text = "Notion AI writes drafts, while Notion stores the docs."
    assert spans(text, [NOTION, NOTION_AI]) == [(6, "Notion AI"), (5, "Notion")]
    assert spans(text, [NOTION_AI, NOTION]) == [(6, "Notion AI"), (5, "Notion")]


def test_it_matches_common_word_brands_only_when_capitalised():
    text = "The notion of an apple a day; close the deal on monday. Apple, Notion and Close."
    assert spans(text, [NOTION, APPLE, CLOSE, MONDAY]) == [
        (9, "Apple"),
        (5, "Notion"),
        (8, "Close"),
    ]


def test_it_keeps_other_terms_fully_case_insensitive():
    # CamelCase, acronyms, several words and punctuated terms are not common words.
    text = "hubspot, sfdc, zoho crm and monday.com"
    assert [b for b, _ in spans(text, [HUBSPOT, SALESFORCE, ZOHO, MONDAY])] == [1, 2, 4, 7]


def test_it_escapes_regex_special_characters_in_terms():
    text = "C++ Builder and Monday.com; not CxxBuilder, C++Builder or Mondayxcom."
    assert spans(text, [CPP, MONDAY]) == [(11, "C++ Builder"), (7, "Monday.com")]


def test_it_does_not_count_names_inside_urls():
    text = (
        "See https://www.hubspot.com/pricing and http://salesforce.com/crm?ref=zoho, "
        "www.pipedrive.com/en or <https://zoho.com>."
    )
    assert spans(text, CRM_BRANDS) == []


def test_it_counts_link_text_but_not_link_targets():
    text = "Compare [HubSpot](https://www.hubspot.com/pricing) with [this](https://zoho.com/crm)."
    assert spans(text, CRM_BRANDS) == [(1, "HubSpot")]


def test_it_ignores_link_targets_with_parentheses():
    text = "[wiki](https://en.wikipedia.org/wiki/Salesforce_(company)) and Pipedrive"
    assert spans(text, CRM_BRANDS) == [(3, "Pipedrive")]


def test_it_ignores_html_tags():
    text = '<a href="https://pipedrive.com" title="Pipedrive">a tool</a> and Zoho<br/>'
    assert spans(text, CRM_BRANDS) == [(4, "Zoho")]


def test_it_excludes_citation_titles():
    title = "Salesforce vs HubSpot: 2025 Comparison"
    text = f"According to {title}, Pipedrive is simpler. Salesforce scales."
    result = spans(text, CRM_BRANDS, citation_titles=[title])
    assert result == [(3, "Pipedrive"), (2, "Salesforce")]
    assert find_mentions(text, CRM_BRANDS, citation_titles=[title])[1].start == text.rindex(
        "Salesforce"
    )


def test_it_keeps_mentions_when_a_citation_title_is_just_the_brand_name():
    text = "HubSpot is a good start."
    assert spans(text, CRM_BRANDS, citation_titles=["HubSpot", ""]) == [(1, "HubSpot")]


@pytest.mark.parametrize(
    "refusal",
    [
        "I couldn't find information about Acme CRM.",
        "I could not find any specific information on Acme CRM.",
        "I don't have information on Acme CRM.",
        "I don’t have any reliable information about Acme CRM.",
        "I'm not familiar with Acme CRM.",
        "I am not aware of Acme CRM as a product.",
        "There is no public information about Acme CRM.",
        "Acme CRM isn't a company I'm familiar with.",
    ],
)
def test_it_does_not_count_a_brand_named_in_a_refusal(refusal):
    assert find_mentions(refusal, CRM_BRANDS) == []


def test_it_counts_a_refused_brand_that_is_also_named_elsewhere():
    text = "I'm not familiar with Acme CRM. Compared with HubSpot, Acme CRM is cheaper."
    assert spans(text, CRM_BRANDS) == [(1, "HubSpot"), (10, "Acme CRM")]


def test_it_keeps_mentions_after_a_contrast_in_the_refusal_sentence():
    text = "I couldn't find information about Acme CRM, but HubSpot and Zoho are popular."
    assert spans(text, CRM_BRANDS) == [(1, "HubSpot"), (4, "Zoho")]


def test_it_keeps_mentions_in_the_sentences_around_a_refusal():
    text = (
        "Pipedrive is a solid choice.\n"
        "- I don't have information on Acme CRM or its pricing.\n"
        "Salesforce suits enterprises."
    )
    assert spans(text, CRM_BRANDS) == [(3, "Pipedrive"), (2, "Salesforce")]


def test_it_does_not_treat_a_lack_of_a_better_tool_as_a_refusal():
    text = "I couldn't find a better fit than Pipedrive."
    assert spans(text, CRM_BRANDS) == [(3, "Pipedrive")]


def test_it_gives_a_term_shared_by_two_brands_to_the_first():
    first, second = BrandTerms(1, "Acme", ("Shared",)), BrandTerms(2, "Other", ("shared",))
    assert spans("Shared tools", [first, second]) == [(1, "Shared")]


def test_it_returns_nothing_without_brands_or_text():
    assert find_mentions("HubSpot", []) == []
    assert find_mentions("", CRM_BRANDS) == []
    assert find_mentions("HubSpot", [BrandTerms(1, "  ", ("",))]) == []


def test_it_accepts_aliases_given_as_a_list():
    brand = BrandTerms(1, "HubSpot", ["HS CRM"])  # type: ignore[arg-type]
    assert spans("HS CRM", [brand]) == [(1, "HS CRM")]


def test_it_ranks_brands_by_first_appearance():
    text = "Zoho and Pipedrive are cheap; Zoho again, then HubSpot. Salesforce last."
    matches = find_mentions(text, CRM_BRANDS)
    assert rank_brands(matches) == {4: 1, 3: 2, 1: 3, 2: 4}
    assert first_positions(matches) == {
        4: 0,
        3: text.index("Pipedrive"),
        1: text.index("HubSpot"),
        2: text.index("Salesforce"),
    }
    assert mention_counts(matches) == {4: 2, 3: 1, 1: 1, 2: 1}


def test_it_ranks_nothing_when_nothing_is_mentioned():
    assert rank_brands([]) == {}


def test_it_calls_an_answer_informative_when_it_names_any_company():
    text = "Pipedrive is good."
    matches = find_mentions(text, CRM_BRANDS)
    assert is_informative(text, matches, [])
    assert is_informative("Try Freshsales.", [], ["Freshsales"])
    assert not is_informative("I couldn't find information about Acme CRM.", [], [])
    assert not is_informative("   ", [], [])
