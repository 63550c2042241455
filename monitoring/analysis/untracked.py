"""Company and product names in an answer that nobody tracks yet.

The dashboard aggregates these over many answers and suggests the names that recur, so
**precision beats recall**: a name missed in one answer is found in the next, a junk
suggestion ("Key Features") costs the marketer's trust. The rules:

- Candidates are runs of capitalised tokens ("Zendesk Sell", "Microsoft Dynamics 365",
  "ActiveCampaign", "Monday.com") in the prose left after URLs, link targets and HTML
  are blanked. Runs longer than four tokens are title-cased prose, not names.
- Lead-in words are stripped from the front ("Consider Freshsales" -> "Freshsales"); a run
  that starts with a label word (headings, plan names, months, countries, acronyms such as
  CRM: see ``wordlists.py``) is dropped; label words at the end are cut ("Freshsales
  Pricing" -> "Freshsales").
- A run containing a tracked term is dropped whole ("HubSpot Sales Hub" is HubSpot's).
- Strong positions, where answers put names, are a list item's or heading's first words
  and the start of a bold span, followed by a separator (":", "—", "(", ",", the end of the
  bold or of the line). There a single word or an acronym ("**SAP**") is accepted.
- Elsewhere a single word is accepted only mid-sentence (English capitalises it there for
  a reason) or when CamelCase; a lone capitalised word at the start of a sentence is as
  likely "Overall" as a brand, so it is skipped.
- In headings only the first run counts, and only when nothing was stripped from it: the
  rest of a heading is title case.
- Names inside a refusal clause ("I couldn't find information about Acme CRM") are not
  names the model gave; they are skipped like in ``matching.py``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from monitoring.analysis.masking import blank
from monitoring.analysis.prose import Prose, prose_of
from monitoring.analysis.wordlists import LABELS, LEAD_INS, NOT_NAMES, TRAILING_LABELS

MAX_NAME_TOKENS = 4

_TOKEN = r"[A-Z][^\W_]*(?:(?:\.[a-z]{2,3}|[&-][A-Z0-9][^\W_]*)(?![^\W_]))*"
_RUN_RE = re.compile(rf"(?=[A-Z])(?<![\w.&-]){_TOKEN}(?: (?:{_TOKEN}|\d+(?![\w])))*")
_LIST_LEAD_RE = re.compile(r"^\s*(?:[-*+\u2022]|\d+[.)])\s+(?:\*\*|__)?(?:\d+[.)]\s+)?")
_HEADING_LEAD_RE = re.compile(r"^\s*#{1,6}\s+(?:\d+[.)]\s*)?(?:\*\*|__)?")
_BOLD_START_RE = re.compile(r"(?:\*\*|__)(?:\d+[.)]\s+)?(?=\S)")
_SEPARATOR_RE = re.compile(r"\s*(?:[:\u2014\u2013(,]|-(?=\s)|$)")
_SENTENCE_ENDS = frozenset(".!?:")  # what may end the sentence before a run
_NOUN_SUFFIX_RE = re.compile(r"(?:tion|sion|ity|ment|ness|ance|ence|ship|ing)$")
_CAMEL_RE = re.compile(r"[a-z][A-Z]")
_SKIPPED_BEFORE = frozenset(" \t*_\"'([\u201c")


@dataclass(frozen=True, slots=True)
class _Run:
    text: str  # the run's tokens, one space apart
    tokens: tuple[str, ...]
    strong: bool  # at a list/heading lead or a bold start, followed by a separator
    initial: bool  # first words of a sentence
    heading: bool


def candidate_names(
    text: str, known_terms: Iterable[str], *, prose: Prose | None = None
) -> list[str]:
    """Untracked names in ``text``, in order of first appearance, without duplicates.

    ``prose`` is ``prose_of(text)`` when the caller already has it (``find_mentions``
    needs it too)."""
    known = _known_pattern(tuple(sorted({t.strip().lower() for t in known_terms if t.strip()})))
    names: dict[str, str] = {}
    for line in _unrefused(prose or prose_of(text)).splitlines():
        for run in _runs(line):
            if known is not None and known.search(run.text):
                continue
            name = _name_from(run)
            if name and name.lower() not in names:
                names[name.lower()] = name
    return list(names.values())


def _unrefused(prose: Prose) -> str:
    """The answer with markup and refusal clauses blanked: a name the model says it does
    not know ("I couldn't find information about Acme CRM") is not a company it named."""
    pieces: list[str] = []  # joined once: re-slicing the whole text per clause is quadratic
    done = 0
    for start, end in prose.refused:  # sorted and disjoint
        pieces += [prose.text[done:start], blank(prose.text[start:end])]
        done = end
    return "".join([*pieces, prose.text[done:]]) if pieces else prose.text


def _runs(line: str) -> Iterable[_Run]:
    """Capitalised runs of one line with their position flags."""
    heading = _HEADING_LEAD_RE.match(line)
    lead = heading or _LIST_LEAD_RE.match(line)
    lead_at = lead.end() if lead else _first_non_space(line)
    bold_starts = {m.end() for m in _BOLD_START_RE.finditer(line)}
    for found in _RUN_RE.finditer(line):
        at_lead = found.start() == lead_at
        if heading and not at_lead:
            return  # the rest of a heading is title case, not names
        strong = (at_lead or found.start() in bold_starts) and _separated(line, found.end())
        before = _before(line, found.start())
        initial = at_lead or not before or before in _SENTENCE_ENDS
        text = found.group()
        yield _Run(text, tuple(text.split(" ")), strong, initial, heading is not None)


def _name_from(run: _Run) -> str:
    """The name a run stands for after the rules of the module docstring, or ""."""
    tokens = list(run.tokens)
    stripped = 0
    while tokens and tokens[0].lower() in LEAD_INS:
        tokens.pop(0)
        stripped += 1
    if not tokens or tokens[0].lower() in LABELS or tokens[0].isdigit():
        return ""
    if run.heading and stripped:
        return ""  # "Why Pipedrive Stands Out" is a title, not a name
    while len(tokens) > 1 and tokens[-1].lower() in TRAILING_LABELS:
        tokens.pop()
    if len(tokens) > MAX_NAME_TOKENS:
        return ""
    strong = run.strong and not stripped
    initial = run.initial and not stripped
    if len(tokens) == 1 and not _acceptable_single(tokens[0], strong=strong, initial=initial):
        return ""
    return " ".join(tokens)


def _acceptable_single(token: str, *, strong: bool, initial: bool) -> bool:
    if len(token) < 2 or token.lower() in NOT_NAMES:
        return False
    if token.isupper():
        return strong  # "**SAP**" yes, a stray "FAQ" or "ROI" no
    camel = _CAMEL_RE.search(token) is not None
    if not camel and len(token) >= 6 and _NOUN_SUFFIX_RE.search(token):
        return False  # "Customization:", "Forecasting" — labels, not brands
    return strong or camel or not initial


def _separated(line: str, end: int) -> bool:
    """Whether a run ends a bold span or is followed by a separator, like a name label."""
    if line.startswith(("**", "__"), end):  # no slicing: a copy per run is quadratic
        return True
    return _SEPARATOR_RE.match(line, end) is not None


def _before(line: str, start: int) -> str:
    """The last character before ``start`` not counting markdown emphasis, quotes and
    brackets, or "" at the start of the line (scanned back: no copy of the line per run)."""
    while start and line[start - 1] in _SKIPPED_BEFORE:
        start -= 1
    return line[start - 1] if start else ""


def _first_non_space(line: str) -> int:
    return len(line) - len(line.lstrip())


@functools.lru_cache(maxsize=256)
def _known_pattern(terms: tuple[str, ...]) -> re.Pattern[str] | None:
    if not terms:
        return None
    alternatives = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
