"""Find the stretches of an answer in which the model says it does not know something.

"I couldn't find information about Acme CRM" names Acme CRM but is the opposite of a
recommendation, so a brand named there must not count as a mention. The unit is the
*clause* that holds the refusal phrase: the sentence, cut at contrast words, because an
assistant typically goes on in the same sentence with "…, but HubSpot and Pipedrive are
popular alternatives", and those brands are real mentions.

Each engine words it its own way (Claude "I couldn't find information about X", ChatGPT
"I'm not aware of X", Gemini "I don't have enough information about X", Perplexity "The
search results do not mention X"); the phrases below cover all four, tested per engine.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

_APOS = "['\u2019]"
_FILLER = r"(?:[\w-]+\s+){0,3}?"  # "any", "specific", "up-to-date reliable", ...
_KNOWLEDGE = (
    r"(?:information|info|details|data|knowledge|record|records|evidence|mention"
    r"|sources|results|references|coverage)"  # Perplexity's "reliable sources about X"
)
_CANNOT = (
    rf"(?:could\s*n{_APOS}?t|could\s+not|can{_APOS}?t|cannot|can\s+not|was\s*n{_APOS}?t\s+able\s+to"
    rf"|was\s+not\s+able\s+to|was\s+unable\s+to|am\s+unable\s+to|{_APOS}m\s+unable\s+to"
    rf"|am\s+not\s+able\s+to|{_APOS}m\s+not\s+able\s+to|did\s*n{_APOS}?t|did\s+not)"
)
_DO_NOT = rf"(?:do\s*n{_APOS}?t|do\s+not|did\s*n{_APOS}?t|did\s+not)"
_I_AM = rf"(?:I{_APOS}m|I\s+am)"
_THEY_DO_NOT = rf"(?:do|does|did)(?:\s*n{_APOS}?t|\s+not)"

_REFUSAL_RE = re.compile(
    "|".join(
        (
            # I couldn't find (any specific) information / anything about X
            rf"\b(?:I|we)\s*{_CANNOT}\s+find\s+(?:{_FILLER}{_KNOWLEDGE}|anything)\b",
            # I don't have (any reliable) information on X
            rf"\bI\s+{_DO_NOT}\s+have\s+{_FILLER}{_KNOWLEDGE}\b",
            # I have no (specific) information about X
            rf"\bI\s+have\s+no\s+{_FILLER}{_KNOWLEDGE}\b",
            # I'm not familiar with X / I'm not aware of X / I'm not sure what X is (ChatGPT)
            rf"\b{_I_AM}\s+not\s+(?:familiar\s+with|aware\s+of|sure\s+what)\b",
            # X isn't a company I'm familiar with
            rf"\b(?:is\s*n{_APOS}t|is\s+not)\s+{_FILLER}{_I_AM}\s+familiar\s+with\b",
            # I don't recognize / know of X
            rf"\bI\s+{_DO_NOT}\s+(?:recogni[sz]e|know\s+of)\b",
            # (there is) no (public) information (available) about X
            rf"\bno\s+{_FILLER}information\s+(?:(?:publicly\s+)?available\s+)?"
            r"(?:about|on|regarding|for)\b",
            # The (provided) search results / sources do not mention X (Perplexity)
            rf"\b(?:search\s+results|sources)\s+{_THEY_DO_NOT}\s+"
            r"(?:mention|contain|include|cover|provide|discuss)\b",
        )
    ),
    re.IGNORECASE,
)

#: Every refusal phrase contains one of these (lower case).
_TRIGGERS = (
    "find",
    "have",
    "familiar",
    "aware",
    "not sure",
    "recogni",
    "know of",
    "information",
    "results",
    "sources",
)

# Where a clause ends: a sentence end, a line break, a semicolon, a spaced dash, or a
# contrast word that starts a new thought ("…, but HubSpot is …").
_CLAUSE_BREAK_RE = re.compile(
    r"[.!?](?=\s|$)|\n|;|\s[\u2014\u2013-]\s|\u2014"
    r"|\b(?:but|however|whereas|unlike|instead|although|though)\b"
    r"|,\s*(?:so|while|yet)\b",
    re.IGNORECASE,
)


def refusal_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every clause of ``text`` that contains a refusal phrase."""
    lowered = text.lower()
    if not any(trigger in lowered for trigger in _TRIGGERS):
        return []  # substring checks are far cheaper than running the refusal regex
    spans: list[tuple[int, int]] = []
    line: _Line | None = None
    for match in _REFUSAL_RE.finditer(text):
        start, end = match.span()
        if line is None or not line.holds(start, end):
            line = _Line.around(text, start, end)
        spans.append(line.clause(start, end))
    return _merge(spans)


@dataclass(frozen=True, slots=True)
class _Line:
    """The lines around a refusal phrase and their clause breaks, scanned once.

    The phrases of one line share it, and the breaks around each are found by bisection:
    a long line full of refusals stays linear (scanning the line again per phrase made a
    5 MB one-line answer take hours).
    """

    start: int
    end: int
    first_newline: int  # the first line break at or after ``start`` (``end`` unless the
    # phrase it was made for spans a line break)
    break_starts: list[int]  # the clause breaks of [start, end): they do not overlap, so
    break_ends: list[int]  # both lists ascend

    @classmethod
    def around(cls, text: str, start: int, end: int) -> _Line:
        """From the line break before ``start`` to the one after ``end``."""
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end == -1 else line_end
        first = text.find("\n", line_start, line_end)
        breaks = list(_CLAUSE_BREAK_RE.finditer(text, line_start, line_end))
        return cls(
            line_start,
            line_end,
            line_end if first == -1 else first,
            [b.start() for b in breaks],
            [b.end() for b in breaks],
        )

    def holds(self, start: int, end: int) -> bool:
        """Whether ``around`` would make this line for a phrase at [start, end)."""
        return self.start <= start <= self.first_newline and end <= self.end

    def clause(self, start: int, end: int) -> tuple[int, int]:
        """The clause holding [start, end): from the last break that ends before the phrase
        to the first that starts after it (a break overlapping the phrase is no boundary)."""
        before = bisect.bisect_right(self.break_ends, start)
        after = bisect.bisect_left(self.break_starts, end)
        clause_start = self.break_ends[before - 1] if before else self.start
        clause_end = self.break_starts[after] if after < len(self.break_starts) else self.end
        return clause_start, clause_end


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, non-overlapping spans (two refusals in one clause give one span)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def inside_any(position: int, spans: list[tuple[int, int]]) -> bool:
    """Whether ``position`` falls inside one of the sorted, disjoint ``spans``."""
    index = bisect.bisect_right(spans, position, key=lambda span: span[0]) - 1
    return index >= 0 and spans[index][0] <= position < spans[index][1]
