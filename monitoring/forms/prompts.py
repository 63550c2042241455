"""Parsing and validation of prompts, their filters and bulk imports.

Every rule about the prompt's text, system message and chain comes from the contract.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django import forms

from monitoring.aisa import contract
from monitoring.forms.brands import split_list
from monitoring.models import Prompt, Tag, Workspace

TAG_MAX = Tag._meta.get_field("name").max_length
#: A bigger import is better split: the whole file is validated and saved in one transaction.
MAX_IMPORT_ROWS = 5000
MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_LISTED_ERRORS = 50

#: Contract field → form field, for placing the contract's messages beside the right input.
FIELD_FOR = {"user_prompt": "text", "system_message": "system_message", "message_chain": "chain"}

_TURN = re.compile(rf"^\s*({'|'.join(contract.CHAIN_ROLES)})\s*:\s?(.*)$", re.IGNORECASE)
_TAG_CELL_SEPARATORS = re.compile(r"[;|]")


def prompt_text(value: str) -> str:
    """Browsers send textarea newlines as CRLF; count and store them as one character."""
    return (value or "").replace("\r\n", "\n").strip()


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
    too_long = [t for t in tags if len(t) > TAG_MAX]
    if too_long:
        raise forms.ValidationError(
            f"Tags can be at most {TAG_MAX} characters; “{too_long[0][:20]}…” is longer."
        )
    return tags


class PromptForm(forms.Form):
    # No max_length here: the contract's own message says how much to shorten.
    text = forms.CharField(label="Prompt", required=False, strip=False, widget=forms.Textarea)
    tags = forms.CharField(required=False, help_text="Topics, separated by commas.")
    system_message = forms.CharField(required=False, strip=False, widget=forms.Textarea)
    chain = forms.CharField(label="Message chain", required=False, widget=forms.Textarea)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args, workspace: Workspace, prompt: Prompt | None = None, **kwargs):
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
        if "chain" not in cleaned:
            return cleaned
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


@dataclass
class ImportRow:
    line: int
    text: str
    tags: list[str] = field(default_factory=list)


class PromptImportForm(forms.Form):
    lines = forms.CharField(
        label="Prompts, one per line", required=False, strip=False, widget=forms.Textarea
    )
    csv_file = forms.FileField(
        label="…or a CSV file",
        required=False,
        help_text="Columns: prompt, tags (tags separated by ; or |). A header row is optional.",
    )
    tags = forms.CharField(
        label="Tags for every imported prompt", required=False, help_text="Separated by commas."
    )

    def clean_tags(self) -> list[str]:
        return clean_tags(self.cleaned_data["tags"])

    def clean(self):
        cleaned = super().clean()
        pasted, upload = prompt_text(cleaned.get("lines", "")), cleaned.get("csv_file")
        if pasted and upload:
            raise forms.ValidationError("Paste prompts or upload a CSV file, not both.")
        if not pasted and not upload:
            raise forms.ValidationError("Paste at least one prompt or choose a CSV file.")
        rows, errors = _csv_rows(upload) if upload else _pasted_rows(cleaned["lines"])
        errors += _row_errors(rows)
        if errors:
            errors.sort(key=lambda e: e[0])
            messages = [f"Line {line}: {message}" for line, message in errors]
            if len(messages) > MAX_LISTED_ERRORS:
                extra = len(messages) - MAX_LISTED_ERRORS
                messages = [*messages[:MAX_LISTED_ERRORS], f"…and {extra} more."]
            raise forms.ValidationError(messages)
        if not rows:
            raise forms.ValidationError("No prompts found: every line is blank.")
        if len(rows) > MAX_IMPORT_ROWS:
            raise forms.ValidationError(
                f"{len(rows)} prompts is more than {MAX_IMPORT_ROWS} at a time; split the list."
            )
        cleaned["rows"] = rows
        return cleaned


def _pasted_rows(text: str) -> tuple[list[ImportRow], list[tuple[int, str]]]:
    lines = text.replace("\r\n", "\n").split("\n")
    return [ImportRow(n, line.strip()) for n, line in enumerate(lines, 1) if line.strip()], []


def _csv_rows(upload) -> tuple[list[ImportRow], list[tuple[int, str]]]:
    if upload.size > MAX_IMPORT_BYTES:
        raise forms.ValidationError(
            f"The file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB; split it."
        )
    try:
        content = upload.read().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise forms.ValidationError("The file is not UTF-8 text; save it as CSV (UTF-8).") from exc
    rows, errors = [], []
    reader = csv.reader(io.StringIO(content))
    try:
        for cells in reader:
            line = reader.line_num
            cells = [c.strip() for c in cells]
            if not any(cells) or (not rows and not errors and _is_header(cells)):
                continue
            if len(cells) > 2:
                errors.append(
                    (
                        line,
                        f"found {len(cells)} columns, expected prompt and tags; "
                        "put a prompt that contains commas in double quotes.",
                    )
                )
                continue
            tags = (
                split_list(",".join(_TAG_CELL_SEPARATORS.split(cells[1]))) if len(cells) > 1 else []
            )
            rows.append(ImportRow(line, cells[0], tags))
    except csv.Error as exc:
        raise forms.ValidationError(f"Line {reader.line_num}: not valid CSV ({exc}).") from exc
    return rows, errors


def _is_header(cells: list[str]) -> bool:
    return [c.lower() for c in cells] in (["prompt"], ["prompt", "tags"])


def _row_errors(rows: list[ImportRow]) -> list[tuple[int, str]]:
    errors = []
    for row in rows:
        errors += [(row.line, p.message) for p in contract.validate_prompt(row.text)]
        errors += [
            (row.line, f"the tag “{t[:20]}…” is longer than {TAG_MAX} characters.")
            for t in row.tags
            if len(t) > TAG_MAX
        ]
    return errors
