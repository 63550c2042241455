"""Importing prompts the way a spreadsheet user expects: read, previewed, then confirmed.

Each file below is one a spreadsheet really writes (Excel's "CSV UTF-8", its semicolon CSV
where the comma is the decimal separator, its UTF-16 "Unicode Text", a copy of cells) or
one a user really uploads by mistake; every row is judged by the single-prompt form's rules.
"""

import codecs
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from monitoring.aisa import contract
from monitoring.forms.prompts import MAX_IMPORT_ROWS, MAX_PROMPT_TAGS, TAG_MAX
from monitoring.models import Prompt, Tag
from monitoring.services.prompts import prompt_create

pytestmark = pytest.mark.django_db


def _url(workspace):
    return reverse("prompt_import", args=[workspace.pk])


def _preview(client, workspace, content=None, *, name="prompts.csv", **data):
    """Post the import form: pasted ``lines=`` or a file's bytes (the preview step)."""
    if content is not None:
        data["csv_file"] = SimpleUploadedFile(name, content, content_type="text/csv")
    return client.post(_url(workspace), data)


def _confirm_data(response) -> dict | None:
    """The hidden fields of the preview's "Import N prompts" form, or None if it has none."""
    html = response.content.decode()
    form = re.search(r'<form[^>]*data-testid="import-confirm".*?</form>', html, re.S)
    if form is None:
        return None
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form[0])
    return {unescape(name): unescape(value) for name, value in fields}


def _import(client, workspace, content=None, **kwargs):
    """Preview and press Import: (the preview, the page shown after the import)."""
    preview = _preview(client, workspace, content, **kwargs)
    if preview.status_code == 302:  # imported at once, without a preview
        return preview, client.get(preview.url)
    data = _confirm_data(preview)
    if data is None:
        return preview, preview
    return preview, client.post(_url(workspace), data, follow=True)


def _prompts(workspace) -> dict[str, list[str]]:
    return {
        p.text: sorted(t.name for t in p.tags.all())
        for p in Prompt.objects.filter(workspace=workspace)
    }


def _page(response) -> str:
    return unescape(response.content.decode())


def _words(response) -> str:
    """The page's text as read: tags dropped, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", "", _page(response)).split())


# --- Header rows, delimiters, encodings ---------------------------------------------------


def test_it_skips_an_english_header_row_and_reads_its_columns(editor_client, workspace):
    _, done = _import(editor_client, workspace, b"question,category\nBest CRM?,crm\n")
    assert _prompts(workspace) == {"Best CRM?": ["crm"]}
    assert "Imported 1 prompt." in _page(done)


def test_it_skips_a_german_header_with_semicolons_and_keeps_commas_in_the_text(
    editor_client, workspace
):
    content = "Frage;Schlagwörter\nWelches CRM ist, ehrlich gesagt, das beste?;crm, preise\n"
    preview, _ = _import(editor_client, workspace, content.encode())
    assert "semicolon-separated" in _page(preview)
    assert "Line 1 was read as column names (“Frage”, “Schlagwörter”) and skipped." in _page(
        preview
    )
    assert _prompts(workspace) == {"Welches CRM ist, ehrlich gesagt, das beste?": ["crm", "preise"]}


def test_it_reads_excels_semicolon_csv_without_keeping_the_tag_in_the_text(
    editor_client, workspace
):
    content = b"Prompt;Tags\r\nCan I sue a CRM vendor, and how?;legal\r\nCheapest CRM?;\r\n"
    _import(editor_client, workspace, content)
    assert _prompts(workspace) == {
        "Can I sue a CRM vendor, and how?": ["legal"],
        "Cheapest CRM?": [],
    }


def test_it_reads_a_tab_separated_file_without_a_header(editor_client, workspace):
    content = b"Best CRM, honestly?\tcrm|pricing\nCheapest CRM?\t\n"
    _import(editor_client, workspace, content, name="prompts.tsv")
    assert _prompts(workspace) == {"Best CRM, honestly?": ["crm", "pricing"], "Cheapest CRM?": []}


def test_it_reads_excels_csv_utf8_with_its_byte_order_mark(editor_client, workspace):
    content = "\ufeffPrompt;Tags\r\nWelches CRM für Cafés?;crm\r\n".encode()
    preview, _ = _import(editor_client, workspace, content)
    assert "as UTF-8, semicolon-separated" in _page(preview)
    assert _prompts(workspace) == {"Welches CRM für Cafés?": ["crm"]}


@pytest.mark.parametrize(
    ("bom", "codec"), [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
)
def test_it_reads_excels_unicode_text_in_utf16(editor_client, workspace, bom, codec):
    text = "Prompt\tTags\r\nQuel CRM, franchement ?\tcrm; prix\r\nWhich CRM is best?\t\r\n"
    preview, _ = _import(editor_client, workspace, bom + text.encode(codec), name="p.txt")
    assert "as UTF-16, tab-separated" in _page(preview)
    assert _prompts(workspace) == {
        "Quel CRM, franchement ?": ["crm", "prix"],
        "Which CRM is best?": [],
    }


def test_it_maps_named_columns_in_any_order_and_ignores_the_others(editor_client, workspace):
    content = b"Notes,Tags,Prompt\nfrom the workshop,crm,Best CRM?\n"
    preview, _ = _import(editor_client, workspace, content)
    assert "Ignored columns: Notes." in _page(preview)
    assert _prompts(workspace) == {"Best CRM?": ["crm"]}


def test_it_imports_the_first_row_when_told_it_is_a_prompt(editor_client, workspace):
    _import(editor_client, workspace, b"Question\nBest CRM?\n", header="no")
    assert set(_prompts(workspace)) == {"Question", "Best CRM?"}


def test_it_reads_a_single_column_with_a_header_and_commas_in_the_text(editor_client, workspace):
    _import(editor_client, workspace, b"Prompt\nBest CRM, honestly?\nCheapest, really?\n")
    assert set(_prompts(workspace)) == {"Best CRM, honestly?", "Cheapest, really?"}


# --- Every row by the single prompt's rules ---------------------------------------------


def test_it_refuses_a_nul_byte_by_its_line(editor_client, workspace):
    preview, _ = _import(editor_client, workspace, b"Best CRM?,crm\nBest\x00 CRM?,crm\n")
    page = _page(preview)
    assert "Nothing was imported." in page
    assert "Line 2: Prompt contains a NUL character (U+0000); remove it." in page
    assert _confirm_data(preview) is None
    assert not Prompt.objects.exists()


def test_it_refuses_a_line_with_twenty_thousand_tags(editor_client, workspace):
    tags = ";".join(f"t{i}" for i in range(20_000))
    preview, _ = _import(editor_client, workspace, f"Best CRM?,{tags}\n".encode())
    assert f"Line 1: A prompt can have at most {MAX_PROMPT_TAGS} tags; this is 20000." in _page(
        preview
    )
    assert not Prompt.objects.exists()
    assert not Tag.objects.exists()


def test_it_measures_an_over_long_prompt_by_its_own_cell(editor_client, workspace):
    too_long = "z" * (contract.MAX_PROMPT_CHARS + 3)
    preview, _ = _import(editor_client, workspace, f"Fine?\tok\n{too_long}\tcrm\n".encode())
    message = contract.validate_prompt(too_long)[0].message
    assert f"Line 2: {message}" in _page(preview)
    assert "Shorten it by 3." in message
    assert not Prompt.objects.exists()


def test_it_previews_duplicates_as_skipped_and_imports_only_the_new(editor_client, workspace):
    prompt_create(workspace=workspace, text="Best CRM?")
    content = b"prompt,tags\nBest CRM?,crm\nCheapest CRM?,crm\nCheapest CRM?,other\nNew one?\n"
    preview, done = _import(editor_client, workspace, content)
    page = _page(preview)
    assert "2 prompts to add, 2 skipped." in _words(preview)
    assert "Line 2: “Best CRM?” is already in the workspace." in page
    assert "Line 4: “Cheapest CRM?” is the same as line 3." in page
    assert "Imported 2 prompts; skipped 2 already in the workspace." in _page(done)
    assert _prompts(workspace) == {"Best CRM?": [], "Cheapest CRM?": ["crm"], "New one?": []}


def test_it_lists_every_problem_by_the_line_its_row_starts_on(editor_client, workspace):
    too_long = "z" * (contract.MAX_PROMPT_CHARS + 1)
    many = ";".join(f"t{i}" for i in range(MAX_PROMPT_TAGS + 1))
    content = (
        "Prompt,Tags\n"  # 1
        '"A prompt that\nspans two lines?",crm\n'  # 2-3
        "Fine?,ok\n"  # 4
        "Bad\x00one?,x\n"  # 5
        f"{too_long},x\n"  # 6
        f"Many tags?,{many}\n"  # 7
        ",orphan-tag\n"  # 8
        "Bell\x07?,x\n"  # 9
        f"Long tag?,{'t' * (TAG_MAX + 1)}\n"  # 10
        "Too,many,cells\n"  # 11
    )
    preview, _ = _import(editor_client, workspace, content.encode())
    page = _page(preview)
    errors = re.findall(r"<li>(Line \d+: [^<]*)</li>", page)
    assert [e.split(":")[0] for e in errors] == [f"Line {n}" for n in (5, 6, 7, 8, 9, 10, 11)]
    assert errors[0] == "Line 5: Prompt contains a NUL character (U+0000); remove it."
    assert errors[1] == f"Line 6: {contract.validate_prompt(too_long)[0].message}"
    assert errors[2] == f"Line 7: A prompt can have at most {MAX_PROMPT_TAGS} tags; this is 21."
    assert errors[3] == "Line 8: Prompt is required; it cannot be blank."
    assert (
        errors[4] == "Line 9: Prompt contains an invisible control character (U+0007); remove it."
    )
    assert errors[5].startswith(f"Line 10: Tags can be at most {TAG_MAX} characters")
    assert errors[6].startswith("Line 11: found 3 columns, expected 2 like the header row")
    assert "2 prompts to add, 0 skipped, 7 lines with a problem." in _words(preview)
    assert _confirm_data(preview) is None
    assert not Prompt.objects.exists()


def test_it_says_how_to_quote_a_prompt_split_into_too_many_cells(editor_client, workspace):
    page = _page(_preview(editor_client, workspace, b"Fine?,a\nToo,many,columns\n"))
    assert (
        "Line 2: found 3 columns, expected prompt and tags; "
        "put a prompt that contains a comma in double quotes." in page
    )
    assert not Prompt.objects.exists()


def test_it_says_an_empty_file_is_empty(editor_client, workspace):
    page = _page(_preview(editor_client, workspace, b""))
    assert "The file is empty" in page
    assert "Paste at least one prompt" not in page


def test_it_says_a_file_with_only_its_header_has_no_prompts(editor_client, workspace):
    page = _page(_preview(editor_client, workspace, b"prompt,tags\r\n\r\n,\r\n"))
    assert "No prompts found: every line is blank but the header row." in page


# --- Hostile files: a clear message, never a 500 ----------------------------------------


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "not UTF-8 text"),
        (b"PK\x03\x04" + bytes(200), "Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0" + bytes(200), "old Excel workbook (.xls)"),
        (b"a,b\n" + b"\x01\x02\x03\x04" * 100, "does not look like text"),
        ("Café?\n".encode("latin-1"), "not UTF-8"),
    ],
)
def test_it_explains_a_file_that_is_not_csv_text(editor_client, workspace, content, words):
    response = _preview(editor_client, workspace, content)
    assert response.status_code == 200
    assert words in _page(response)
    assert "CSV UTF-8" in _page(response)
    assert not Prompt.objects.exists()


def test_it_refuses_a_file_over_the_size_cap(editor_client, workspace):
    response = _preview(editor_client, workspace, b"Best CRM?\n" * 220_000)
    assert response.status_code == 200
    assert "MB; at most 2 MB can be imported at a time: split it." in _page(response)


def test_it_refuses_a_hundred_thousand_rows_without_judging_them(editor_client, workspace):
    content = "".join(f"Q{i}?\n" for i in range(100_000)).encode()
    response = _preview(editor_client, workspace, content)
    assert response.status_code == 200
    assert f"The file has 100,000 prompts; at most {MAX_IMPORT_ROWS:,} can be imported" in _page(
        response
    )


def test_it_reports_an_unreadable_csv_line_instead_of_failing(editor_client, workspace):
    content = b"prompt\n" + b'"' + b"x" * 200_000 + b'"\n'
    response = _preview(editor_client, workspace, content)
    assert response.status_code == 200
    assert "cannot be read as CSV" in _page(response)


# --- The two steps ------------------------------------------------------------------------


def test_it_imports_nothing_until_the_preview_is_confirmed(editor_client, workspace):
    preview = _preview(editor_client, workspace, b"Best CRM?\nCheapest CRM?\n", tags="q3")
    assert preview.status_code == 200
    assert not Prompt.objects.exists()
    page = _page(preview)
    assert "Import 2 prompts" in page
    assert "<td>Best CRM?</td><td>q3</td>" in page
    done = editor_client.post(_url(workspace), _confirm_data(preview), follow=True)
    assert "Imported 2 prompts." in _page(done)
    assert _prompts(workspace) == {"Best CRM?": ["q3"], "Cheapest CRM?": ["q3"]}


def test_the_confirm_step_judges_the_posted_text_again(editor_client, workspace):
    preview = _preview(editor_client, workspace, b"prompt\nBest CRM?\n")
    data = _confirm_data(preview)
    data["csv_text"] += "Bad\x07one?\n"
    page = _page(editor_client.post(_url(workspace), data))
    assert "Line 3: Prompt contains an invisible control character (U+0007)" in page
    assert not Prompt.objects.exists()


def test_it_says_when_every_prompt_is_already_there(editor_client, workspace):
    prompt_create(workspace=workspace, text="Best CRM?")
    preview = _preview(editor_client, workspace, lines="Best CRM?\n")
    assert "Nothing new to import" in _page(preview)
    assert _confirm_data(preview) is None


def test_it_imports_pasted_lines_skipping_blanks_and_duplicates(editor_client, workspace):
    prompt_create(workspace=workspace, text="Best CRM?")
    lines = "Best CRM?\n\nCheapest CRM?\r\n  Which CRM has an API?  \nCheapest CRM?\n"
    _, done = _import(editor_client, workspace, lines=lines, tags="import, q3")
    assert "Imported 2 prompts; skipped 2 already in the workspace." in _page(done)
    new = Prompt.objects.exclude(text="Best CRM?")
    assert sorted(new.values_list("text", flat=True)) == ["Cheapest CRM?", "Which CRM has an API?"]
    assert all(sorted(t.name for t in p.tags.all()) == ["import", "q3"] for p in new)


def test_it_reads_cells_pasted_from_a_spreadsheet(editor_client, workspace):
    lines = "Prompt\tTags\nBest CRM, honestly?\tcrm\nCheapest CRM?\t\n"
    _import(editor_client, workspace, lines=lines)
    assert _prompts(workspace) == {"Best CRM, honestly?": ["crm"], "Cheapest CRM?": []}


def test_a_pasted_line_keeps_its_commas_and_quotes(editor_client, workspace):
    _import(editor_client, workspace, lines='Is "Acme", or Beta, the best CRM?\n')
    assert set(_prompts(workspace)) == {'Is "Acme", or Beta, the best CRM?'}


def test_it_imports_nothing_when_any_pasted_line_is_invalid(editor_client, workspace):
    too_long = "z" * (contract.MAX_PROMPT_CHARS + 3)
    lines = f"Good one?\n\n{too_long}\nAnother good one?\n{too_long}"
    response = _preview(editor_client, workspace, lines=lines)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was imported." in page
    message = contract.validate_prompt(too_long)[0].message
    assert f"<li>Line 3: {message}</li>" in page
    assert f"<li>Line 5: {message}</li>" in page
    assert "<li>Line 1:" not in page
    assert not Prompt.objects.exists()
    assert not Tag.objects.exists()


def test_it_imports_a_csv_with_a_header_and_tags_per_row(editor_client, workspace):
    content = (
        b"prompt,tags\n"
        b'"Best CRM, honestly?",crm;pricing\n'
        b"\n"
        b"Which CRM for agencies?,crm|agency\n"
        b"Best email tool?\n"
    )
    _, done = _import(editor_client, workspace, content, tags="csv")
    assert "Imported 3 prompts." in _page(done)
    assert _prompts(workspace) == {
        "Best CRM, honestly?": ["crm", "csv", "pricing"],
        "Which CRM for agencies?": ["agency", "crm", "csv"],
        "Best email tool?": ["csv"],
    }


def test_the_tags_for_every_prompt_count_towards_each_prompts_limit(editor_client, workspace):
    common = ", ".join(f"c{i}" for i in range(MAX_PROMPT_TAGS))
    page = _page(_preview(editor_client, workspace, b"Best CRM?,extra\n", tags=common))
    assert f"Line 1: A prompt can have at most {MAX_PROMPT_TAGS} tags; this is 21." in page


def test_it_asks_for_prompts_or_a_file_but_not_both(editor_client, workspace):
    assert "Paste at least one prompt" in _page(editor_client.post(_url(workspace), {}))
    page = _page(_preview(editor_client, workspace, b"A?\n", lines="B?"))
    assert "not both" in page


def test_the_single_prompt_form_applies_the_same_rules(editor_client, workspace):
    url = reverse("prompt_create", args=[workspace.pk])
    tags = ", ".join(f"t{i}" for i in range(MAX_PROMPT_TAGS + 1))
    page = _page(editor_client.post(url, {"text": "Bell\x07?", "tags": tags}))
    assert "Prompt contains an invisible control character (U+0007); remove it." in page
    assert f"A prompt can have at most {MAX_PROMPT_TAGS} tags; this is 21." in page
    page = _page(editor_client.post(url, {"text": "Best\x00 CRM?"}))
    assert "Prompt contains a NUL character (U+0000); remove it." in page
    assert "Prompt is required" not in page
    assert not Prompt.objects.exists()
