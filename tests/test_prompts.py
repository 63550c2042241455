"""The prompts page: search, tag filter and pages on one URL; edit, pause, delete, import."""

import pytest
from django.urls import reverse

from monitoring.aisa import contract
from monitoring.models import Prompt, Tag, Task
from monitoring.services.prompts import prompt_create

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _url(name, workspace, *args):
    return reverse(name, args=[workspace.pk, *args])


def _many(workspace, count, tags=("crm",)):
    tag_objs = [Tag.objects.get_or_create(workspace=workspace, name=n)[0] for n in tags]
    prompts = Prompt.objects.bulk_create(
        Prompt(workspace=workspace, text=f"Question {i:04d} about CRMs?") for i in range(count)
    )
    Prompt.tags.through.objects.bulk_create(
        Prompt.tags.through(prompt_id=p.pk, tag_id=t.pk) for p in prompts for t in tag_objs
    )
    return prompts


# --- Create and edit ---------------------------------------------------------------------


def test_it_creates_a_prompt_with_tags_created_on_the_fly(editor_client, workspace):
    Tag.objects.create(workspace=workspace, name="Pricing")
    response = editor_client.post(
        _url("prompt_create", workspace),
        {
            "text": "  What is the best CRM for a small agency?  ",
            "tags": "pricing, small business, Small Business",
            "system_message": "Answer briefly.",
            "chain": "user: Which CRMs exist?\r\nai: Many, for example\r\nHubSpot and Zoho.",
            "is_active": "on",
        },
        follow=True,
    )
    prompt = Prompt.objects.get(workspace=workspace)
    assert prompt.text == "What is the best CRM for a small agency?"
    assert sorted(t.name for t in prompt.tags.all()) == ["Pricing", "small business"]
    assert Tag.objects.filter(workspace=workspace).count() == 2
    assert prompt.message_chain == [
        {"role": "user", "message": "Which CRMs exist?"},
        {"role": "ai", "message": "Many, for example\nHubSpot and Zoho."},
    ]
    assert prompt.system_message == "Answer briefly."
    assert "Added “What is the best CRM for a small agency?”." in response.content.decode()


def test_it_shows_the_contracts_length_message_beside_the_prompt(editor_client, workspace):
    too_long = "x" * (contract.MAX_PROMPT_CHARS + 12)
    response = editor_client.post(_url("prompt_create", workspace), {"text": too_long})
    page = response.content.decode()
    expected = contract.validate_prompt(too_long)[0].message
    assert "Shorten it by 12." in expected
    assert f'<small id="text-error" class="field-error">{expected}</small>' in page
    assert f"{len(too_long)} / {contract.MAX_PROMPT_CHARS}" in page  # the counter's start
    assert not Prompt.objects.exists()


def test_it_counts_a_crlf_newline_as_one_character(editor_client, workspace):
    text = "a" * 249 + "\r\n" + "b" * 250  # 500 characters once the newline is one
    editor_client.post(_url("prompt_create", workspace), {"text": text})
    assert len(Prompt.objects.get().text) == contract.MAX_PROMPT_CHARS


def test_it_requires_a_prompt_with_the_contracts_message(editor_client, workspace):
    page = editor_client.post(_url("prompt_create", workspace), {"text": "  "}).content.decode()
    assert "Prompt is required; it cannot be blank." in page


def test_it_validates_the_system_message_and_chain_with_the_contract(editor_client, workspace):
    long_turn = "y" * (contract.MAX_CHAIN_MESSAGE_CHARS + 1)
    page = editor_client.post(
        _url("prompt_create", workspace),
        {
            "text": "Best CRM?",
            "system_message": "s" * (contract.MAX_SYSTEM_MESSAGE_CHARS + 1),
            "chain": f"user: hi\nai: {long_turn}",
        },
    ).content.decode()
    assert "System message is 501 characters" in page
    assert 'id="system-error"' in page
    assert f"Turn 2 is {len(long_turn)} characters" in page
    assert 'id="chain-error"' in page
    assert not Prompt.objects.exists()


def test_it_explains_a_chain_line_without_a_role(editor_client, workspace):
    page = editor_client.post(
        _url("prompt_create", workspace), {"text": "Best CRM?", "chain": "hello there"}
    ).content.decode()
    assert "Line 1: start each turn with “user:” or “ai:”." in page


def test_it_refuses_a_prompt_already_in_the_workspace(editor_client, workspace):
    prompt_create(workspace=workspace, text="Best CRM?")
    page = editor_client.post(
        _url("prompt_create", workspace), {"text": "Best CRM?"}
    ).content.decode()
    assert "This prompt is already in the workspace." in page
    assert Prompt.objects.count() == 1


def test_it_edits_a_prompt_and_shows_the_chain_one_turn_per_line(editor_client, workspace):
    prompt = prompt_create(
        workspace=workspace,
        text="Best CRM?",
        tags=["crm"],
        message_chain=[{"role": "user", "message": "Hi"}, {"role": "ai", "message": "Hello"}],
    )
    url = _url("prompt_edit", workspace, prompt.pk)
    page = editor_client.get(url).content.decode()
    assert "user: Hi\nai: Hello</textarea>" in page
    assert 'value="crm"' in page
    editor_client.post(url, {"text": "Best CRM in 2025?", "tags": "", "chain": ""})
    prompt.refresh_from_db()
    assert prompt.text == "Best CRM in 2025?"
    assert prompt.message_chain == []
    assert not prompt.tags.exists()
    assert prompt.is_active is False  # the unchecked switch pauses it


def test_it_loads_the_character_counter_script(editor_client, workspace):
    page = editor_client.get(_url("prompt_create", workspace)).content.decode()
    assert 'data-char-limit="500" data-counter="text-count"' in page
    assert "/static/js/char-counter.js" in page


# --- List, search, tags, pages -----------------------------------------------------------


def test_it_shows_an_empty_state(editor_client, workspace):
    page = editor_client.get(_url("prompt_list", workspace)).content.decode()
    assert "No prompts yet" in page
    assert _url("prompt_import", workspace) in page


def test_it_searches_and_filters_by_tag_on_one_url(editor_client, workspace):
    prompt_create(workspace=workspace, text="Best CRM for agencies?", tags=["crm"])
    prompt_create(workspace=workspace, text="Cheapest crm for startups?", tags=["pricing"])
    prompt_create(workspace=workspace, text="Best email tool?", tags=["email"])
    url = _url("prompt_list", workspace)

    page = editor_client.get(url, {"q": "CRM"}).content.decode()
    assert "Best CRM for agencies?" in page
    assert "Cheapest crm for startups?" in page
    assert "Best email tool?" not in page
    assert "Showing 1–2 of 2 prompts matching “CRM”" in page

    response = editor_client.get(url, {"q": "crm", "tag": "pricing"}, **HTMX)
    page = response.content.decode()
    assert page.startswith('<section id="prompt-results"')
    assert "Cheapest crm for startups?" in page
    assert "Best CRM for agencies?" not in page
    assert "HX-Request" in response["Vary"]


def test_it_says_when_nothing_matches(editor_client, workspace):
    prompt_create(workspace=workspace, text="Best CRM?")
    page = editor_client.get(_url("prompt_list", workspace), {"q": "zebra"}, **HTMX)
    assert "No prompt matches" in page.content.decode()


def test_it_paginates_fifty_prompts_a_page_keeping_the_filters(editor_client, workspace):
    _many(workspace, 120)
    url = _url("prompt_list", workspace)
    page = editor_client.get(url, {"q": "question", "page": 2}, **HTMX).content.decode()
    assert page.count('class="prompt-row') == 50
    assert "Showing 51–100 of 120 prompts" in page
    assert "Page 2 of 3" in page
    assert f'href="{url}?q=question&amp;page=3"' in page
    assert f'hx-get="{url}?q=question&amp;page=1"' in page
    last = editor_client.get(url, {"q": "question", "page": 3}).content.decode()
    assert last.count('class="prompt-row') == 20
    assert "<html" in last  # the same URL without htmx is the whole page


@pytest.mark.parametrize("count", [10, 1000])
def test_it_lists_prompts_in_constant_queries(
    editor_client, workspace, count, django_assert_max_num_queries
):
    prompts = _many(workspace, count, tags=("crm", "pricing"))
    Task.objects.create(workspace=workspace, prompt=prompts[0], tag="t-1", request_body={})
    url = _url("prompt_list", workspace)
    editor_client.get(url)  # the first visit stores the current workspace in the session
    # session, user, membership, switcher, count, tags of the filter, page, tags of the page
    with django_assert_max_num_queries(8):
        response = editor_client.get(url)
    assert response.content.decode().count('class="prompt-row') == min(count, 50)
    with django_assert_max_num_queries(7):  # the partial has no tag filter
        editor_client.get(url, {"q": "question", "tag": "crm", "page": 2}, **HTMX)


# --- Pause and delete --------------------------------------------------------------------


def test_it_pauses_and_resumes_a_prompt_in_place(editor_client, workspace):
    prompt = prompt_create(workspace=workspace, text="Best CRM?")
    url = _url("prompt_toggle", workspace, prompt.pk)
    row = editor_client.post(url, {"active": "0"}, **HTMX).content.decode()
    assert row.strip().startswith(f'<tr id="prompt-{prompt.pk}" class="prompt-row paused">')
    assert "Resume" in row
    prompt.refresh_from_db()
    assert prompt.is_active is False
    editor_client.post(url, {"active": "1"}, **HTMX)
    prompt.refresh_from_db()
    assert prompt.is_active is True


def test_it_deletes_a_prompt_without_tasks_after_confirmation(editor_client, workspace):
    prompt = prompt_create(workspace=workspace, text="Best CRM?")
    page = editor_client.get(_url("prompt_list", workspace)).content.decode()
    assert 'hx-confirm="Delete this prompt? “Best CRM?” has no tasks' in page
    url = _url("prompt_delete", workspace, prompt.pk)
    assert "no answers are lost" in editor_client.get(url).content.decode()
    response = editor_client.post(url, **HTMX)
    assert "Deleted “Best CRM?”." in response.content.decode()
    assert not Prompt.objects.exists()


def test_it_offers_pause_instead_of_deleting_a_prompt_with_tasks(editor_client, workspace):
    prompt = prompt_create(workspace=workspace, text="Best CRM?")
    Task.objects.create(workspace=workspace, prompt=prompt, tag="t-1", request_body={})
    url = _url("prompt_delete", workspace, prompt.pk)

    row = editor_client.post(url, **HTMX).content.decode()
    assert "This prompt has 1 task whose answers are kept, so it cannot be deleted." in row
    assert "Pause it instead" in row
    assert f'hx-post="{_url("prompt_toggle", workspace, prompt.pk)}"' in row

    page = editor_client.post(url, follow=True).content.decode()
    assert "It cannot be deleted:" in page
    assert "Pause it</button>" in page
    assert Prompt.objects.filter(pk=prompt.pk).exists()


def test_it_refuses_viewers_every_change(viewer_client, workspace):
    prompt = prompt_create(workspace=workspace, text="Best CRM?")
    page = viewer_client.get(_url("prompt_list", workspace)).content.decode()
    assert "Best CRM?" in page
    assert "New prompt" not in page
    assert _url("prompt_delete", workspace, prompt.pk) not in page
    assert viewer_client.post(_url("prompt_create", workspace), {"text": "x?"}).status_code == 403
    edit = _url("prompt_edit", workspace, prompt.pk)
    assert viewer_client.post(edit, {"text": "Hijacked"}).status_code == 403
    toggle = _url("prompt_toggle", workspace, prompt.pk)
    assert viewer_client.post(toggle, {"active": "0"}, **HTMX).status_code == 403
    assert viewer_client.post(_url("prompt_delete", workspace, prompt.pk)).status_code == 403
    assert (
        viewer_client.post(_url("prompt_import", workspace), {"lines": "New?"}).status_code == 403
    )
    prompt.refresh_from_db()
    assert (prompt.text, prompt.is_active, Prompt.objects.count()) == ("Best CRM?", True, 1)


# The import (preview, then confirm) is tested in tests/test_import.py.
