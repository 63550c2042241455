"""What a search box's words mean: every word must appear, a "quoted phrase" as a whole."""

from __future__ import annotations

import re

_TERM = re.compile(r'"([^"]*)"|(\S+)')


def search_terms(query: str) -> list[str]:
    """The terms of ``query``, each once (case-insensitively), in the order typed.

    A quote left open is dropped rather than searched for: "acme is searched as acme.
    """
    terms: dict[str, str] = {}
    for phrase, word in _TERM.findall(query):
        term = " ".join(phrase.split()) if phrase else word.strip('"')
        if term:
            terms.setdefault(term.casefold(), term)
    return list(terms.values())
