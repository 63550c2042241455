"""An answer's prose: its markup blanked and its refusal clauses found, once per answer.

Mentions (``matching``) and untracked names (``untracked``) both start from the same
blanked text and the same refusal clauses; computed once and handed to both, they cost
half as much (together about a third of an answer's analysis).
"""

from __future__ import annotations

from dataclasses import dataclass

from monitoring.analysis.masking import mask_markup
from monitoring.analysis.refusals import refusal_spans


@dataclass(frozen=True, slots=True)
class Prose:
    """``text``: the answer with URLs, link targets and HTML blanked (offsets unchanged);
    ``refused``: the sorted, disjoint ``(start, end)`` of its refusal clauses."""

    text: str
    refused: list[tuple[int, int]]


def prose_of(text: str) -> Prose:
    masked = mask_markup(text)
    return Prose(masked, refusal_spans(masked))
