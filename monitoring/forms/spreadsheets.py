"""Reading a table the way a spreadsheet wrote it: its encoding, its delimiter, its header.

Excel, LibreOffice, Numbers and Google Sheets write "CSV" in more ways than one: UTF-8 with
or without a byte-order mark, UTF-16 with one (Excel's "Unicode Text"), separated by commas,
by semicolons (Excel's default wherever the comma is the decimal separator, so much of
Europe) or by tabs (also what a copy from a spreadsheet pastes). This module reads each of
them into records of cells with the line each starts on; what the cells mean is the
caller's business (``forms/prompts.py`` for prompts). Nothing here raises anything but
``TableError``, whose message is meant for the user.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Collection, Iterator
from dataclasses import dataclass

#: The delimiters tried, in the order that wins a tie: prompts are sentences, so a comma is
#: far more likely to be part of the text than a semicolon or a tab.
DELIMITERS = ("\t", ";", ",")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "": "one column"}
#: Cells of a one-column table are never split (a delimiter no text can contain unseen:
#: a control character, which the prompt rules refuse anyway).
ONE_COLUMN = "\x1f"
#: How much of the text the delimiter is guessed from.
SNIFF_RECORDS = 50
SNIFF_CHARS = 64 * 1024

_SEP_LINE = re.compile(r"^sep=(.)\s*$", re.IGNORECASE)
_COLUMN_PUNCTUATION = re.compile(r"[\s_\-./:#*()\[\]'\"]+")


class TableError(ValueError):
    """The text or file cannot be read as a table; the message says why and what to do."""


@dataclass(frozen=True)
class Record:
    """One row of the table: its cells (trimmed) and the line of the file it starts on."""

    line: int
    cells: list[str]


# --- Bytes to text ------------------------------------------------------------------------

_SIGNATURES = {
    b"PK\x03\x04": "This is an Excel workbook (.xlsx) or another zip file, not a CSV file.",
    b"\xd0\xcf\x11\xe0": "This is an old Excel workbook (.xls), not a CSV file.",
    b"%PDF": "This is a PDF file, not a CSV file.",
}
SAVE_AS = "In Excel, choose File › Save As › “CSV UTF-8 (Comma delimited)” and upload that."


def decode(raw: bytes) -> tuple[str, str]:
    """The text of a file and the name of its encoding.

    UTF-8 (with or without a byte-order mark) and UTF-16 (with one, as Excel writes it; or
    without, recognised by its zero bytes) are read; anything else raises TableError.
    """
    for signature, what in _SIGNATURES.items():
        if raw.startswith(signature):
            raise TableError(f"{what} {SAVE_AS}")
    if raw.startswith(codecs.BOM_UTF8):
        codec, name = "utf-8-sig", "UTF-8"
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        codec, name = "utf-16", "UTF-16"
    else:
        codec = _bomless_utf16(raw) or "utf-8"
        name = "UTF-16" if codec != "utf-8" else "UTF-8"
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise TableError(
            f"The file is not UTF-8 text (nor UTF-16, as Excel's “Unicode Text” is). {SAVE_AS}"
        ) from exc
    if _looks_binary(text):
        raise TableError(f"The file does not look like text: is it a CSV file? {SAVE_AS}")
    return text, name


def _bomless_utf16(raw: bytes) -> str | None:
    """UTF-16 without a byte-order mark: mostly Latin text has every other byte zero."""
    sample = raw[:4096]
    half = len(sample) // 2
    if half < 2 or len(sample) % 2:
        return None
    even = sample[0::2].count(0) / half
    odd = sample[1::2].count(0) / half
    if odd > 0.9 and even < 0.1:
        return "utf-16-le"
    if even > 0.9 and odd < 0.1:
        return "utf-16-be"
    return None


def _looks_binary(text: str) -> bool:
    """Many control characters (a stray one is the row's problem, reported by its line)."""
    sample = text[:8192]
    controls = sum(1 for c in sample if c not in "\t\n\r" and unicodedata.category(c) == "Cc")
    return controls > max(8, len(sample) // 100)


# --- Text to records ----------------------------------------------------------------------


def sep_hint(text: str) -> str | None:
    """The delimiter of Excel's ``sep=;`` first line, if the text starts with one."""
    first = text.split("\n", 1)[0].strip("\r")
    match = _SEP_LINE.match(first)
    return match[1] if match and match[1] in DELIMITERS else None


def read_records(text: str, delimiter: str) -> Iterator[Record]:
    """The non-blank records of the text, cells trimmed; ``""`` reads one column.

    A ``sep=`` first line is skipped. Line numbers count the lines of the text, so they
    match what a text editor shows (a quoted cell may span lines: its record starts there).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or ONE_COLUMN)
    last_line = 0
    try:
        for cells in reader:
            line, last_line = last_line + 1, reader.line_num
            if line == 1 and sep_hint(text):
                continue
            cells = [cell.strip() for cell in cells]
            while cells and not cells[-1]:  # spreadsheets write the empty cells at the end
                cells.pop()
            if cells:
                yield Record(line, cells)
    except csv.Error as exc:
        message = f"Line {reader.line_num}: this line cannot be read as CSV ({exc})."
        raise TableError(message) from exc


def sniff_delimiter(text: str, *, header_words: Collection[str] = ()) -> str:
    """The delimiter the text is most likely written with, or ``""`` for one column.

    In order: Excel's ``sep=`` line; a first row whose cells are all ``header_words`` when
    split by a delimiter (a single such cell heads one column); else the delimiter that
    splits most of the first records into more than one cell (ties go to the fewer cells,
    then to the earlier of ``DELIMITERS``). A delimiter that splits fewer than half the
    records is taken for punctuation inside the text: one column.
    """
    hint = sep_hint(text)
    if hint:
        return hint
    sample = text[:SNIFF_CHARS]
    splits: dict[str, list[int]] = {}
    for delimiter in DELIMITERS:
        records = _first(read_records(sample, delimiter), SNIFF_RECORDS)
        if not records:
            return ""
        first = records[0].cells
        if all(column_key(c) in header_words for c in first if c):
            return delimiter if len(first) > 1 else ""  # "Prompt" alone heads one column
        splits[delimiter] = [len(r.cells) for r in records]
    # Most records split; then the fewest cells (a list of tags in one cell is not a table
    # of columns); then the order of DELIMITERS.
    ranked = sorted(
        (-sum(1 for n in counts if n > 1), max(counts), DELIMITERS.index(d), d)
        for d, counts in splits.items()
    )
    if not ranked:
        return ""
    minus_score, _, _, best = ranked[0]
    return best if -minus_score and -minus_score * 2 >= len(splits[best]) else ""


def _first(records: Iterator[Record], n: int) -> list[Record]:
    """Up to n records; the sample may end inside a quoted cell, so an error ends it too."""
    out: list[Record] = []
    try:
        for record in records:
            out.append(record)
            if len(out) >= n:
                break
    except TableError:
        pass
    return out


def column_key(cell: str) -> str:
    """A header cell as compared with known column names: ``"Catégorie 2:"`` → ``categorie``."""
    text = unicodedata.normalize("NFKD", cell)
    text = "".join(c for c in text if unicodedata.category(c) != "Mn").casefold()
    text = _COLUMN_PUNCTUATION.sub(" ", text).strip()
    return text.rstrip("0123456789").strip()


def sniffer_says_header(text: str) -> bool:
    """Python's ``csv.Sniffer`` guess (column types and lengths); False when it cannot tell."""
    try:
        return csv.Sniffer().has_header(text[:SNIFF_CHARS])
    except (csv.Error, ValueError, TypeError, IndexError):
        return False
