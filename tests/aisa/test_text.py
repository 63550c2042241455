"""Making the API's text storable: lone surrogates, NUL and control characters."""

import json
from decimal import Decimal

import pytest

from monitoring.aisa.text import REPLACEMENT, clean_json, clean_text, excerpt, is_clean


def _storable(text: str) -> bool:
    """What SQLite and PostgreSQL need: UTF-8 encodable, and no NUL (PostgreSQL)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("plain text", "plain text"),
        ("a\ud800b", f"a{REPLACEMENT}b"),  # a lone high surrogate
        ("low \udfff", f"low {REPLACEMENT}"),  # a lone low surrogate
        ("\ud800\ud800", REPLACEMENT * 2),
        ("end\ud83d", f"end{REPLACEMENT}"),  # half of an emoji, cut off
        ("\ud83d\ude00", "\U0001f600"),  # a correctly paired one is joined, not lost
        ("a\x00b", "ab"),
        ("bell\x07 esc\x1b us\x1f vt\x0b ff\x0c", "bell esc us vt ff"),
        ("tab\tnewline\ncr\r", "tab\tnewline\ncr\r"),  # the layout is kept
        (
            "del\x7f and \u0085 and é, 東京, \U0001f600",
            "del\x7f and \u0085 and é, 東京, \U0001f600",
        ),
        ("", ""),
    ],
)
def test_it_cleans_text(raw, clean):
    assert clean_text(raw) == clean
    assert _storable(clean_text(raw))
    assert is_clean(raw) == (raw == clean)


def test_it_is_idempotent():
    text = "HubSpot and Salesforce.\n" * 1000
    assert clean_text(text) == text
    dirty = "x\ud800\x00y\x07"
    assert clean_text(clean_text(dirty)) == clean_text(dirty)


def test_it_cleans_a_decoded_json_string_with_escapes():
    decoded = json.loads('"a\\ud800b\\u0000c"')  # valid JSON; Python keeps the surrogate
    assert not _storable(decoded)
    assert clean_text(decoded) == f"a{REPLACEMENT}bc"


def test_it_makes_json_storable_and_keeps_the_rest_as_sent():
    raw = {
        "text\x00": "a\ud800b\x00c",
        "nested": [{"title": "x\x07y", "n": 3}, None, Decimal("0.000123"), True],
        "ok": "fine",
    }
    cleaned = clean_json(raw)
    assert cleaned == {
        f"text{REPLACEMENT}": f"a{REPLACEMENT}b{REPLACEMENT}c",
        "nested": [{"title": "x\x07y", "n": 3}, None, Decimal("0.000123"), True],
        "ok": "fine",
    }
    # Only what a database cannot hold changed: a control character other than NUL stays.
    assert json.dumps(cleaned, default=str).encode("utf-8")
    assert raw["text\x00"] == "a\ud800b\x00c"  # the input is not changed in place


def test_it_returns_clean_json_unchanged():
    raw = {"items": [{"sections": [{"text": "hello"}]}], "money": Decimal(1)}
    assert clean_json(raw) is raw


def test_it_quotes_a_short_single_line_excerpt():
    assert excerpt("a\nb\t c\x00") == "a b c"
    long = excerpt("word " * 10_000, limit=50)
    assert len(long) == 50
    assert long.endswith("\u2026")
    assert excerpt(ValueError("bad\ud800")) == f"bad{REPLACEMENT}"
