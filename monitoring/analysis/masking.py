"""Blank out the parts of an answer that are not prose, keeping every offset in place.

A brand named inside a URL, a markdown link target, an HTML tag or the title of a cited
page was not *said* by the model, so it must not count as a mention. Masking replaces those
spans with spaces of the same length instead of deleting them, so offsets found in the
masked text point at the same characters of the original answer (the dashboard highlights
the exact span the user sees).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# The target of a markdown link or image: "](...)", allowing one level of balanced
# parentheses inside because Wikipedia-style URLs contain them.
_LINK_TARGET = r"\]\((?:[^()\n]|\([^()\n]*\))*\)"
# Bare URLs run to the next whitespace: swallowing a trailing ")" or "," is harmless,
# cutting a URL short would leave a brand-looking fragment behind.
_BARE_URL = r"\b(?:https?|ftp)://[^\s<>\"'`]+"
_WWW_HOST = r"\bwww\.[^\s<>\"'`]+"
_HTML = r"<!--.*?-->|</?[A-Za-z][^<>\n]*>"

# The lookahead on the first characters lets the engine skip most positions quickly.
_MARKUP_RE = re.compile(
    r"(?=[\]hHfFwW<])(?:" + "|".join((_LINK_TARGET, _BARE_URL, _WWW_HOST, _HTML)) + ")",
    re.DOTALL,
)


def blank(span: str) -> str:
    """Spaces of the same length as ``span``; newlines survive so sentence ends do too."""
    if "\n" not in span:
        return " " * len(span)
    return "".join("\n" if char == "\n" else " " for char in span)


def mask_markup(text: str) -> str:
    """Blank URLs, ``www.`` hosts, markdown link targets and HTML tags.

    Link *text* is kept: ``[HubSpot](https://hubspot.com)`` still says "HubSpot".
    """
    return _MARKUP_RE.sub(lambda match: blank(match.group()), text)


def mask_phrases(text: str, phrases: Iterable[str]) -> str:
    """Blank every case-insensitive, whole-word occurrence of any of ``phrases``.

    Used for citation titles: a page title quoted in the answer is the source's words,
    not the model's recommendation.
    """
    cleaned = sorted({p.strip() for p in phrases if p and p.strip()}, key=len, reverse=True)
    if not cleaned:
        return text
    alternatives = "|".join(re.escape(phrase) for phrase in cleaned)
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    return pattern.sub(lambda match: blank(match.group()), text)
