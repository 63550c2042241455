"""Making the API's text storable: the characters no database column (or jsonb) can hold.

An answer is the model's text relayed by the API, and nothing stops it from holding a lone
UTF-16 surrogate (``"\\ud800"`` is valid JSON; Python keeps it, UTF-8 cannot encode it, so
SQLite and PostgreSQL both refuse it) or a NUL (PostgreSQL refuses it in ``text`` and in
``jsonb``). One such character made the whole collection fail, so text is cleaned before it
is stored:

- ``clean_text``, for the text we show and analyse (answer, titles, URLs, queries, names):
  lone surrogates become U+FFFD (a correctly paired one is joined into its character);
  NUL and the other C0 control characters are removed, except tab, newline and CR.
- ``clean_json``, for the raw copy of a result: only what cannot be stored is replaced
  (lone surrogates and NUL become U+FFFD, in keys and values, at any depth); every other
  character, control characters included, is kept as the API sent it.

Pure Python, no Django.
"""

from __future__ import annotations

import re
from typing import Any

REPLACEMENT = "\ufffd"

_SURROGATE = re.compile("[\ud800-\udfff]")
#: C0 controls except tab (09), newline (0A) and carriage return (0D).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: What a JSON column cannot hold: NUL (PostgreSQL's jsonb) and surrogates (UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _surrogates_fixed(value: str) -> str:
    """Surrogate pairs joined into their character; lone surrogates replaced by U+FFFD."""
    if not _SURROGATE.search(value):
        return value
    return value.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def clean_text(value: str) -> str:
    """``value`` safe to store and show: no lone surrogate, no control character but
    tab, newline and CR."""
    return _CONTROL.sub("", _surrogates_fixed(value))


def is_clean(value: str) -> bool:
    """Whether ``clean_text`` would leave ``value`` as it is."""
    return not _SURROGATE.search(value) and not _CONTROL.search(value)


def clean_json(value: Any) -> Any:
    """A JSON value whose strings (keys too) hold nothing a database cannot store.

    Only lone surrogates and NUL are replaced (by U+FFFD): the raw copy stays what the API
    sent wherever the database can store it. Other values (numbers, Decimal, None) are
    returned as they are; containers are copied only where something changed.
    """
    if isinstance(value, str):
        if not _UNSTORABLE.search(value):
            return value
        return _surrogates_fixed(value).replace("\x00", REPLACEMENT)
    if isinstance(value, dict):
        pairs = [(clean_json(k), clean_json(v)) for k, v in value.items()]
        if all(k is k0 and v is v0 for (k, v), (k0, v0) in zip(pairs, value.items(), strict=True)):
            return value
        return dict(pairs)
    if isinstance(value, list):
        items = [clean_json(v) for v in value]
        return value if all(a is b for a, b in zip(value, items, strict=True)) else items
    return value


def excerpt(value: Any, limit: int = 300) -> str:
    """A short, single-line, storable quote of ``value`` for a message (errors, history):
    never a whole payload."""
    text = " ".join(clean_text(str(value)[: limit * 4]).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"
