"""Parsing and validation of prompts, their filters and bulk imports.

Every rule about the prompt's text, system message and chain comes from the contract.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.core import validators

from monitoring.aisa import contract
from monitoring.forms.brands import split_list
from monitoring.forms.spreadsheets import (
    DELIMITER_NAMES,
    Record,
    TableError,
    column_key,
    decode,
    read_records,
    sniff_delimiter,
    sniffer_says_header,
)
from monitoring.models import Prompt, Tag, Workspace

TAG_MAX = Tag._meta.get_field("name").max_length
#: Tags are for filtering: a prompt with more is a mistake (a pasted list in the wrong cell).
MAX_PROMPT_TAGS = 20
#: A bigger import is better split: the whole file is validated and saved in one transaction.
MAX_IMPORT_ROWS = 5000
#: The file's size, and the text a preview posts back (under Django's 2.5 MB request cap).
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_LISTED_ERRORS = 50

#: Contract field → form field, for placing the contract's messages beside the right input.
FIELD_FOR = {"user_prompt": "text", "system_message": "system_message", "message_chain": "chain"}
FIELD_LABELS = {name: contract.FIELD_LABELS[name] for name in FIELD_FOR}

_TURN = re.compile(rf"^\s*({'|'.join(contract.CHAIN_ROLES)})\s*:\s?(.*)$", re.IGNORECASE)


def prompt_text(value: str) -> str:
    """Browsers send textarea newlines as CRLF; count and store them as one character."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def control_character(value) -> str | None:
    """The first control character of a text (newlines and tabs are fine) as ``U+0007``."""
    if not isinstance(value, str):
        return None
    for char in value:
        if char not in "\n\t" and unicodedata.category(char) == "Cc":
            return f"U+{ord(char):04X}"
    return None


def control_character_message(label: str, code: str) -> str:
    what = "a NUL character" if code == "U+0000" else "an invisible control character"
    return f"{label} contains {what} ({code}); remove it."


def check_prompt(
    form: forms.BaseForm,
    *,
    workspace: Workspace | None,
    prompt: Prompt | None,
    text: str,
    system_message: str | None,
    chain: list | None,
    field_for: Mapping[str, str] = FIELD_FOR,
) -> None:
    """The rules of a prompt, for the prompts page and the admin alike.

    The contract judges the text, system message and chain (its messages are put beside
    ``field_for[contract field]``); a text the contract accepts must also be new to the
    workspace.
    """
    problems = contract.validate_prompt(text, system_message, chain)
    for problem in problems:
        form.add_error(field_for[problem.field], problem.message)
    turns = chain if isinstance(chain, list) else []  # the admin's JSON may be any value
    messages = [t.get("message") for t in turns if isinstance(t, Mapping)]
    for name, values in (
        ("user_prompt", [text]),
        ("system_message", [system_message]),
        ("message_chain", messages),
    ):
        code = next(filter(None, map(control_character, values)), None)
        if code:
            form.add_error(field_for[name], control_character_message(FIELD_LABELS[name], code))
    if text and not problems and workspace is not None:
        same = Prompt.objects.filter(workspace=workspace, text=text)
        if prompt is not None and prompt.pk:
            same = same.exclude(pk=prompt.pk)
        if same.exists():
            form.add_error(field_for["user_prompt"], "This prompt is already in the workspace.")


def parse_chain(text: str) -> list[dict[str, str]]:
    """``user: …`` / ``ai: …`` lines → turns; a line without a prefix continues the turn above."""
    turns: list[dict[str, str]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _TURN.match(line)
        if match:
            turns.append({"role": match[1].lower(), "message": match[2].strip()})
        elif not line.strip():
            continue
        elif turns:
            turns[-1]["message"] = f"{turns[-1]['message']}\n{line.strip()}".strip()
        else:
            roles = " or ".join(f"“{r}:”" for r in contract.CHAIN_ROLES)
            raise forms.ValidationError(f"Line {number}: start each turn with {roles}.")
    return turns


def format_chain(chain: list[dict[str, str]]) -> str:
    return "\n".join(f"{turn['role']}: {turn['message']}" for turn in chain or [])


def clean_tags(text: str) -> list[str]:
    tags = split_list(text)
    if len(tags) > MAX_PROMPT_TAGS:
        raise forms.ValidationError(
            f"A prompt can have at most {MAX_PROMPT_TAGS} tags; this is {len(tags)}."
        )
    too_long = [t for t in tags if len(t) > TAG_MAX]
    if too_long:
        raise forms.ValidationError(
            f"Tags can be at most {TAG_MAX} characters; “{too_long[0][:20]}…” is longer."
        )
    code = next(filter(None, map(control_character, tags)), None)
    if code:
        raise forms.ValidationError(control_character_message("A tag", code))
    return tags


def _name_nul_characters(form: forms.BaseForm) -> None:
    """Django's own NUL check, with a message that says which field (and row) has one."""
    for bound in form:
        field = bound.field
        field.validators = [
            validators.ProhibitNullCharactersValidator(
                message=control_character_message(str(bound.label), "U+0000")
            )
            if isinstance(v, validators.ProhibitNullCharactersValidator)
            else v
            for v in field.validators
        ]


class PromptForm(forms.Form):
    # No max_length here: the contract's own message says how much to shorten.
    text = forms.CharField(label="Prompt", required=False, strip=False, widget=forms.Textarea)
    tags = forms.CharField(required=False, help_text="Topics, separated by commas.")
    system_message = forms.CharField(required=False, strip=False, widget=forms.Textarea)
    chain = forms.CharField(label="Message chain", required=False, widget=forms.Textarea)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args, workspace: Workspace | None, prompt: Prompt | None = None, **kwargs):
        """``workspace=None`` checks a prompt without looking for it among the saved ones."""
        self.workspace, self.prompt = workspace, prompt
        if prompt is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "text": prompt.text,
                "tags": ", ".join(t.name for t in prompt.tags.all()),
                "system_message": prompt.system_message,
                "chain": format_chain(prompt.message_chain),
                "is_active": prompt.is_active,
            }
        super().__init__(*args, **kwargs)
        _name_nul_characters(self)

    def clean_text(self) -> str:
        return prompt_text(self.cleaned_data["text"])

    def clean_system_message(self) -> str:
        return prompt_text(self.cleaned_data["system_message"])

    def clean_tags(self) -> list[str]:
        return clean_tags(self.cleaned_data["tags"])

    def clean_chain(self) -> list[dict[str, str]]:
        return parse_chain(prompt_text(self.cleaned_data["chain"]))

    def clean(self):
        cleaned = super().clean()
        if any(name not in cleaned for name in ("text", "system_message", "chain")):
            return cleaned  # the field's own error says what is wrong
        check_prompt(
            self,
            workspace=self.workspace,
            prompt=self.prompt,
            text=cleaned.get("text", ""),
            system_message=cleaned.get("system_message"),
            chain=cleaned["chain"],
        )
        return cleaned


class PromptFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, strip=True)
    tag = forms.CharField(required=False, max_length=TAG_MAX, strip=True)

    def values(self) -> dict[str, str]:
        if not self.is_valid():
            return {"search": "", "tag": ""}
        return {"search": self.cleaned_data["q"], "tag": self.cleaned_data["tag"]}


# --- Import ---------------------------------------------------------------------------------
# A list pasted or a file from a spreadsheet becomes rows; each row is judged by PromptForm,
# the rules of a prompt added by hand; a preview shows what would be added and skipped; and
# only the confirmed preview is imported, all rows or none.

#: Header cells naming the prompt's column, the tags' column, or either (compared by
#: ``column_key``: no case, accents or punctuation; "Tag 2" is "tag"). en, de, fr, es, it,
#: pt, nl.
PROMPT_COLUMNS = frozenset(
    {
        *("prompt", "prompts", "prompt text", "user prompt", "question", "questions"),
        *("query", "queries", "search query", "search term", "search terms", "text"),
        *("frage", "fragen", "anfrage", "anfragen", "suchanfrage", "suchbegriff", "eingabe"),
        *("requete", "requetes", "texte", "invite", "demande"),
        *("pregunta", "preguntas", "consulta", "consultas", "texto", "busqueda"),
        *("domanda", "domande", "testo", "richiesta", "pergunta", "perguntas"),
        *("vraag", "vragen", "tekst", "zoekopdracht"),
    }
)
TAG_COLUMNS = frozenset(
    {
        *("tag", "tags", "category", "categories", "topic", "topics", "label", "labels"),
        *("group", "groups", "theme", "themes", "segment", "segments"),
        *("schlagwort", "schlagworter", "kategorie", "kategorien", "thema", "themen"),
        *("etikett", "etiketten", "gruppe", "gruppen"),
        *("etiquette", "etiquettes", "categorie", "categories", "sujet", "sujets", "groupe"),
        *("etiqueta", "etiquetas", "categoria", "categorias", "tema", "temas", "grupo"),
        *("etichetta", "etichette", "argomento", "trefwoord", "trefwoorden", "onderwerp"),
    }
)
#: A prompt's column when no column is named like one, else a tags column.
EITHER_COLUMNS = frozenset(
    {
        *("keyword", "keywords", "stichwort", "stichworter", "mot cle", "mots cles"),
        *("palabra clave", "palabras clave", "parola chiave", "palavra chave"),
    }
)
COLUMN_NAMES = PROMPT_COLUMNS | TAG_COLUMNS | EITHER_COLUMNS


#: The fields the preview's confirm form posts back (hidden: their errors are not the user's).
_CARRIED = ("csv_text", "csv_name", "csv_encoding", "csv_delimiter", "confirm", "header")
HEADER_CHOICES = [
    ("auto", "Detect it"),
    ("yes", "Column names: skip it"),
    ("no", "A prompt: import it"),
]
_TAG_CELL_SEPARATORS = re.compile(r"[;|]")


@dataclass
class ImportRow:
    line: int
    text: str
    tags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Columns:
    """Where a row's prompt and tags are; ``named`` when a header row said so."""

    prompt: int = 0
    tags: tuple[int, ...] = (1,)
    named: bool = False
    ignored: tuple[str, ...] = ()
    #: How many cells a row may have (a row with more has a cell split by the delimiter).
    width: int = 2


@dataclass
class ImportPlan:
    """What an import would do: the preview, and (when it has no errors) what is imported."""

    #: The text read, posted back by the confirm step; ``file_name`` is "" for a pasted list.
    text: str
    file_name: str = ""
    encoding: str = ""
    #: ``,``, ``;``, tab, or "" for one column; None until it is found.
    delimiter: str | None = None
    #: The header row skipped (its line and cells), and the columns read.
    header: Record | None = None
    columns: Columns = field(default_factory=Columns)
    #: Rows without errors, in order (repeats included: the import skips them again).
    rows: list[ImportRow] = field(default_factory=list)
    new: list[ImportRow] = field(default_factory=list)
    #: (row, why it is skipped): already in the workspace, or the same as an earlier line.
    skipped: list[tuple[ImportRow, str]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def delimiter_name(self) -> str:
        return DELIMITER_NAMES.get(self.delimiter or "", "")

    @property
    def header_choice(self) -> str:
        """What the confirm step posts, so it reads the rows exactly as the preview did."""
        return "yes" if self.header else "no"

    def error_messages(self) -> list[str]:
        messages = [f"Line {line}: {message}" for line, message in sorted(self.errors)]
        if len(messages) > MAX_LISTED_ERRORS:
            extra = len(messages) - MAX_LISTED_ERRORS
            messages = [*messages[:MAX_LISTED_ERRORS], f"…and {extra} more."]
        return messages


class PromptImportForm(forms.Form):
    lines = forms.CharField(
        label="Prompts, one per line", required=False, strip=False, widget=forms.Textarea
    )
    csv_file = forms.FileField(
        label="…or a CSV file",
        required=False,
        help_text="Columns: prompt, then tags (separated by commas, ; or |). Comma, "
        "semicolon or tab separated; UTF-8 or UTF-16, as Excel saves “CSV UTF-8” and "
        "“Unicode Text”. A header row is recognised and skipped.",
        error_messages={"empty": "The file is empty: choose a CSV file with a prompt per row."},
    )
    header = forms.ChoiceField(
        label="The first row", choices=HEADER_CHOICES, initial="auto", required=False
    )
    tags = forms.CharField(
        label="Tags for every imported prompt", required=False, help_text="Separated by commas."
    )
    # Posted back by the preview's "Import" button: the file's text, read once.
    csv_text = forms.CharField(required=False, strip=False, widget=forms.HiddenInput)
    csv_name = forms.CharField(required=False, max_length=255, widget=forms.HiddenInput)
    csv_encoding = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    csv_delimiter = forms.ChoiceField(
        required=False,
        choices=[("", "detect"), *[(name, name) for name in DELIMITER_NAMES.values()]],
        widget=forms.HiddenInput,
    )
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, workspace: Workspace | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.workspace = workspace
        #: The preview, once the input could be read (even when some rows have errors).
        self.plan: ImportPlan | None = None
        # NUL characters are a row's problem, reported with its line number.
        self.fields["lines"].validators = []
        self.fields["csv_text"].validators = []

    def clean_tags(self) -> list[str]:
        return clean_tags(self.cleaned_data["tags"])

    def clean_header(self) -> str:
        return self.cleaned_data["header"] or "auto"

    def clean(self):
        cleaned = super().clean()
        if self.has_error("csv_file") or self.has_error("tags"):
            return cleaned
        if any(self.has_error(name) for name in _CARRIED):
            raise forms.ValidationError("The preview came back changed; preview the file again.")
        pasted = cleaned.get("lines") or ""
        upload, carried = cleaned.get("csv_file"), cleaned.get("csv_text") or ""
        if pasted.strip() and (upload or carried):
            raise forms.ValidationError("Paste prompts or upload a CSV file, not both.")
        try:
            if upload:
                text, encoding = _read_upload(upload)
                name = (upload.name or "file")[:255]
                plan = ImportPlan(text, file_name=name, encoding=encoding)
            elif carried:
                _check_size(carried.encode("utf-8", "surrogatepass"), what="The file")
                name = cleaned.get("csv_name") or "file"
                plan = ImportPlan(carried, file_name=name, encoding=cleaned.get("csv_encoding"))
                by_name = {label: d for d, label in DELIMITER_NAMES.items()}
                plan.delimiter = by_name.get(cleaned.get("csv_delimiter") or "")
            elif pasted.strip():
                _check_size(pasted.encode("utf-8", "surrogatepass"), what="The pasted text")
                plan = ImportPlan(pasted)
            else:
                raise forms.ValidationError("Paste at least one prompt or choose a CSV file.")
            if plan.file_name:
                _check_posted_size(plan.text)
            self._read(plan, header=cleaned.get("header") or "auto")
        except TableError as exc:
            raise forms.ValidationError(str(exc)) from exc
        self._check_rows(plan, tags=cleaned.get("tags") or [])
        self.plan = plan
        if plan.errors:
            raise forms.ValidationError(plan.error_messages())
        if not plan.rows:
            but = " but the header row" if plan.header else ""
            raise forms.ValidationError(f"No prompts found: every line is blank{but}.")
        cleaned["rows"] = plan.rows
        return cleaned

    def _read(self, plan: ImportPlan, *, header: str) -> None:
        """The rows of the text (and the rows that cannot be read, as errors)."""
        if plan.file_name:
            if plan.delimiter is None:
                plan.delimiter = sniff_delimiter(plan.text, header_words=COLUMN_NAMES)
        elif "\t" in plan.text:  # cells copied from a spreadsheet
            plan.delimiter = "\t"
        plan.delimiter = plan.delimiter or ""
        records = (
            read_records(plan.text, plan.delimiter)
            if plan.file_name or plan.delimiter
            else _lines(plan.text)
        )
        first = next(records, None)
        if first is None:
            return
        columns = _header_columns(first.cells, header=header)
        if columns is None and header == "auto" and plan.file_name:
            columns = _sniffed_header(plan.text, first.cells)
        if columns is not None:
            plan.header, plan.columns = first, columns
        else:
            records = _chain(first, records)
        count = 0
        for record in records:
            count += 1
            if count > MAX_IMPORT_ROWS:
                continue  # only counted: the message says how many there are
            row = _row(record, plan.columns, plan.delimiter)
            if isinstance(row, str):
                plan.errors.append((record.line, row))
            elif row is not None:
                plan.rows.append(row)
        if count > MAX_IMPORT_ROWS:
            raise TableError(
                f"{'The file' if plan.file_name else 'The list'} has {count:,} prompts; at most "
                f"{MAX_IMPORT_ROWS:,} can be imported at a time: split it."
            )

    def _check_rows(self, plan: ImportPlan, *, tags: list[str]) -> None:
        """Each row by the rules of a prompt added by hand; then what is new and what is not."""
        valid = []
        for row in plan.rows:
            problems = prompt_problems(row.text, tags=[*tags, *row.tags])
            plan.errors += [(row.line, problem) for problem in problems]
            if not problems:
                valid.append(row)
        plan.rows = valid
        first_line: dict[str, int] = {}
        for row in valid:
            if row.text in first_line:
                plan.skipped.append((row, f"the same as line {first_line[row.text]}"))
            else:
                first_line[row.text] = row.line
        present = self._present(list(first_line))
        for row in valid:
            if first_line.get(row.text) != row.line:
                continue
            if row.text in present:
                plan.skipped.append((row, "already in the workspace"))
            else:
                plan.new.append(row)
        plan.skipped.sort(key=lambda skip: skip[0].line)

    def _present(self, texts: list[str]) -> set[str]:
        if self.workspace is None:
            return set()
        present: set[str] = set()
        for start in range(0, len(texts), 500):
            chunk = texts[start : start + 500]
            present.update(
                Prompt.objects.filter(workspace=self.workspace, text__in=chunk).values_list(
                    "text", flat=True
                )
            )
        return present


def prompt_problems(text: str, *, tags: list[str]) -> list[str]:
    """What the prompt form would say about this prompt and these tags (not its duplicates)."""
    form = PromptForm({"text": text, "tags": ", ".join(tags), "is_active": "on"}, workspace=None)
    if form.is_valid():
        return []
    return [message for errors in form.errors.values() for message in errors]


def _check_size(raw: bytes, *, what: str) -> None:
    if len(raw) > MAX_IMPORT_BYTES:
        raise TableError(
            f"{what} is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; "
            f"split it (at most {MAX_IMPORT_ROWS:,} prompts at a time)."
        )


def _check_posted_size(text: str) -> None:
    """The confirm step posts the text back: browsers send each newline as CRLF."""
    posted = len(text.encode("utf-8", "surrogatepass")) + text.count("\n") - text.count("\r\n")
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is not None and posted > limit - 64 * 1024:
        raise TableError(
            "The file has too many lines to preview (most of them blank?); "
            "remove the empty lines or split it."
        )


def _read_upload(upload) -> tuple[str, str]:
    if upload.size is not None and upload.size > MAX_IMPORT_BYTES:
        raise TableError(
            f"The file is {upload.size / (1024 * 1024):.1f} MB; at most "
            f"{MAX_IMPORT_BYTES // (1024 * 1024)} MB can be imported at a time: split it."
        )
    raw = upload.read(MAX_IMPORT_BYTES + 1)
    _check_size(raw, what="The file")
    text, encoding = decode(raw)
    _check_size(text.encode("utf-8", "surrogatepass"), what="The file's text")
    return text, encoding


def _lines(text: str) -> Iterator[Record]:
    """A pasted list: each non-blank line is one prompt (commas and quotes are its text)."""
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        if line.strip():
            yield Record(number, [line.strip()])


def _chain(first: Record, rest: Iterator[Record]) -> Iterator[Record]:
    yield first
    yield from rest


def _header_columns(cells: list[str], *, header: str) -> Columns | None:
    """The columns a header row names, or None when the row is not one (``header="no"``)."""
    if header == "no":
        return None
    keys = [column_key(cell) for cell in cells]
    prompt = next((i for i, key in enumerate(keys) if key in PROMPT_COLUMNS), None)
    if prompt is None:
        prompt = next((i for i, key in enumerate(keys) if key in EITHER_COLUMNS), None)
    if prompt is None:
        if header != "yes":
            return None
        return Columns(tags=(1,) if len(cells) > 1 else (), named=True, width=max(len(cells), 1))
    tags = tuple(
        i for i, key in enumerate(keys) if i != prompt and key in TAG_COLUMNS | EITHER_COLUMNS
    )
    ignored = tuple(c for i, c in enumerate(cells) if c and i != prompt and i not in tags)
    return Columns(prompt=prompt, tags=tags, named=True, ignored=ignored, width=len(cells))


def _sniffed_header(text: str, cells: list[str]) -> Columns | None:
    """Python's sniffer thinks so, and the row reads like labels rather than a question."""
    label_like = all(
        len(cell) <= 40 and len(cell.split()) <= 4 and not cell.endswith(("?", ".", "!"))
        for cell in cells
    )
    if label_like and len(cells) <= 2 and sniffer_says_header(text):
        return Columns(tags=(1,) if len(cells) > 1 else (), named=True, width=len(cells))
    return None


def _row(record: Record, columns: Columns, delimiter: str | None) -> ImportRow | str | None:
    """The record as a row, an error message, or None when its prompt and tags are blank."""
    cells = record.cells
    if len(cells) > columns.width:
        where = DELIMITER_NAMES.get(delimiter or "", "comma")
        expected = f"{columns.width} like the header row" if columns.named else "prompt and tags"
        return (
            f"found {len(cells)} columns, expected {expected}; "
            f"put a prompt that contains a {where} in double quotes."
        )
    text = cells[columns.prompt] if columns.prompt < len(cells) else ""
    tag_cells = [cells[i] for i in columns.tags if i < len(cells)]
    tags = split_list(",".join(_TAG_CELL_SEPARATORS.sub(",", cell) for cell in tag_cells))
    if not text and not tags:
        return None
    return ImportRow(record.line, text, tags)
