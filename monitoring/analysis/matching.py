"""Which tracked brands an answer mentions, where, and in which order.

Rules (each one pinned by ``tests/analysis/test_matching.py``):

- A brand's terms are its name and aliases. They match case-insensitively on word
  boundaries: the characters around a match must not be letters, digits or ``_``, so
  "HubSpot's", "(Salesforce)", "Pipedrive," and "**Zoho**" match while "Zohobooks" does not.
  Terms are regex-escaped, so "Monday.com" and "C++ Builder" match literally.
- **Common-word rule.** A single-word term written in Title case ("Notion", "Apple",
  "Monday", "Close") only matches when its first letter is a capital in the answer too, so
  "the notion of", "close the deal" and "every monday" are not mentions. The rule is about
  the term's shape, not a dictionary: it also applies to "Salesforce" or "Pipedrive", which
  costs nothing in practice (answers capitalise brand names) and needs no word list that
  would always miss a word. Every other term (CamelCase "HubSpot", acronyms "SAP",
  several words "Zendesk Sell", punctuated "Monday.com", terms typed in lower case) is fully
  case-insensitive. A capitalised common word at the start of a sentence ("Close the deal
  …") still matches: there is no telling it from the brand without understanding the text.
- **Longest term first, no overlaps.** At any position the longest term wins, so with the
  brands "Notion" and "Notion AI", "Notion AI" is one mention of the second brand.
  A term claimed by two brands goes to the brand listed first.
- URLs, ``www.`` hosts, markdown link targets, HTML tags and the titles of cited pages are
  blanked before matching (same length, so offsets stay valid); link *text* still counts.
  A citation title that is exactly a tracked term is not blanked: doing so would erase the
  brand's genuine mentions.
- A match inside a refusal clause ("I couldn't find information about Acme CRM") is not a
  mention; see ``refusals.py``. The brand still counts through its other matches.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from monitoring.analysis.masking import mask_phrases
from monitoring.analysis.prose import Prose, prose_of
from monitoring.analysis.refusals import inside_any, refusal_spans


@dataclass(frozen=True, slots=True)
class BrandTerms:
    """The terms of one tracked brand: its name and its aliases."""

    brand_id: int
    name: str
    aliases: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A list of aliases would make the brand unhashable and defeat the matcher cache.
        object.__setattr__(self, "aliases", tuple(self.aliases))

    def terms(self) -> list[str]:
        """Name and aliases, whitespace-normalised, without blanks or duplicates."""
        seen: dict[str, str] = {}
        for raw in (self.name, *self.aliases):
            term = " ".join(raw.split())
            if term and term.lower() not in seen:
                seen[term.lower()] = term
        return list(seen.values())


@dataclass(frozen=True, slots=True)
class Match:
    """One mention: ``text[start:end]`` is the matched span of the *original* answer."""

    brand_id: int
    term: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Matcher:
    #: The rules as one regex: one capturing group per term, longest first.
    exact: re.Pattern[str] | None
    # Group number (one capturing group per term) -> (brand_id, term).
    groups: tuple[tuple[int, str], ...]
    #: A faster scan finding the same spans, ignoring the common-word rule (see ``_scan``);
    #: None when a term is not ASCII (its lower case may not be what the regex folds to).
    trie: re.Pattern[str] | None = None
    #: The lower-cased term -> (brand_id, term) for spans the trie finds.
    owners: dict[str, tuple[int, str]] = field(default_factory=dict)


def find_mentions(
    text: str,
    brands: Sequence[BrandTerms],
    *,
    citation_titles: Sequence[str] = (),
    prose: Prose | None = None,
) -> list[Match]:
    """Mentions of ``brands`` in ``text``, in order of appearance (see the module rules).

    ``prose`` is ``prose_of(text)`` when the caller already has it (``candidate_names``
    needs it too)."""
    matcher = _matcher(tuple(brands))
    if matcher.exact is None or not text:
        return []
    prose = prose or prose_of(text)
    masked = mask_phrases(prose.text, _maskable_titles(citation_titles, matcher))
    refused = prose.refused if masked is prose.text else refusal_spans(masked)
    found = _scan(masked, matcher.exact, matcher)
    return [m for m in found if not (refused and inside_any(m.start, refused))]


def _scan(prose: str, exact: re.Pattern[str], matcher: _Matcher) -> list[Match]:
    """The matches of ``matcher.exact``, found with the trie where it has one.

    The trie regex (terms merged by common prefixes, as Python's regex engine tries an
    alternation's branches one by one) takes half the time. It finds, at each position,
    the longest term case-insensitively; only when that span breaks the common-word rule
    (or lower-cases to no term) is the exact regex asked at that position, so the result
    is the exact regex's, match for match.
    """
    if matcher.trie is None:
        return [_match(found, matcher) for found in exact.finditer(prose)]
    mentions = []
    found = matcher.trie.search(prose)
    while found is not None:
        start, end = found.span()
        owner = matcher.owners.get(found.group().lower())
        if owner is not None and _case_fits(found.group(), owner[1]):
            mentions.append(Match(owner[0], owner[1], start, end))
        elif (checked := exact.match(prose, start)) is not None:
            mentions.append(_match(checked, matcher))
            end = checked.end()
        else:
            end = start + 1
        found = matcher.trie.search(prose, end)
    return mentions


def _match(found: re.Match[str], matcher: _Matcher) -> Match:
    brand_id, term = matcher.groups[found.lastindex - 1]  # type: ignore[operator]
    return Match(brand_id, term, found.start(), found.end())


def _case_fits(span: str, term: str) -> bool:
    """The common-word rule: a Title-case single word needs its capital in the answer."""
    return not _is_title_case_word(term) or span[0] == term[0]


def _maskable_titles(titles: Sequence[str], matcher: _Matcher) -> list[str]:
    """Citation titles minus those that *are* a tracked term (see the module rules)."""
    terms = {term.lower() for _, term in matcher.groups}
    return [title for title in titles if title.strip().lower() not in terms]


@functools.lru_cache(maxsize=256)
def _matcher(brands: tuple[BrandTerms, ...]) -> _Matcher:
    """One compiled alternation per brand set; cached because a workspace's brands are
    matched against thousands of answers."""
    owner: dict[str, tuple[int, str]] = {}
    for brand in brands:
        for term in brand.terms():
            owner.setdefault(term.lower(), (brand.brand_id, term))  # first brand wins
    ordered = sorted(owner.values(), key=lambda item: (-len(item[1]), item[1].lower()))
    if not ordered:
        return _Matcher(None, ())
    alternatives = "|".join(f"({_term_regex(term)})" for _, term in ordered)
    exact = _bounded(alternatives, ordered)
    if not all(term.isascii() for term in owner):
        return _Matcher(exact, tuple(ordered))
    return _Matcher(exact, tuple(ordered), _bounded(_trie_regex(list(owner)), ordered), owner)


def _bounded(alternatives: str, terms: list[tuple[int, str]]) -> re.Pattern[str]:
    """The terms' regex on word boundaries. The leading lookahead on the possible first
    characters lets the regex engine skip most positions without trying every alternative
    (about 3x faster on answers)."""
    first_chars = re.escape("".join(sorted({term[0] for _, term in terms})))
    return re.compile(rf"(?=[{first_chars}])(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _trie_regex(terms: list[str]) -> str:
    """An alternation of lower-case ``terms`` merged by their common prefixes: at each
    position the longest term that ends on a word boundary matches (optional tails are
    greedy, and siblings start with different characters)."""
    root: dict[str, dict] = {}
    for term in terms:
        node = root
        for char in term:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_node(root)


def _trie_node(node: dict[str, dict]) -> str:
    branches = [re.escape(char) + _trie_node(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"
    return f"(?:{body})?" if "" in node else body


def _term_regex(term: str) -> str:
    """The escaped term; a Title-case single word pins the case of its first letter."""
    if _is_title_case_word(term):
        return f"(?-i:{re.escape(term[0])}){re.escape(term[1:])}"
    return re.escape(term)


def _is_title_case_word(term: str) -> bool:
    return term.isalpha() and term[0].isupper() and (len(term) == 1 or term[1:].islower())


def first_positions(matches: Sequence[Match]) -> dict[int, int]:
    """Offset of each brand's first mention."""
    first: dict[int, int] = {}
    for match in matches:
        if match.brand_id not in first or match.start < first[match.brand_id]:
            first[match.brand_id] = match.start
    return first


def rank_brands(matches: Sequence[Match]) -> dict[int, int]:
    """Rank of each mentioned brand by first appearance: 1 = named first."""
    ordered = sorted(first_positions(matches).items(), key=lambda item: item[1])
    return {brand_id: rank for rank, (brand_id, _) in enumerate(ordered, start=1)}


def mention_counts(matches: Sequence[Match]) -> dict[int, int]:
    """How many times each brand is mentioned (visibility counts answers, not this)."""
    counts: dict[int, int] = {}
    for match in matches:
        counts[match.brand_id] = counts.get(match.brand_id, 0) + 1
    return counts


def is_informative(text: str, matches: Sequence[Match], untracked: Sequence[str]) -> bool:
    """Whether the answer names any company at all, tracked or not.

    An answer that names nobody (a refusal, generic advice) is a different finding from an
    answer that recommends competitors: the dashboard shows such answers apart.
    """
    if not text.strip():
        return False
    return bool(matches) or bool(untracked)
