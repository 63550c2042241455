"""The request builder: contract rules surface in the form, the preview is what is posted."""

import json
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.aisa import contract
from monitoring.forms.builder import send_token_new
from monitoring.models import LlmModel, Monitor, Prompt, Tag, Task, TaskEvent
from tests.factories import make_prompt

pytestmark = pytest.mark.django_db

MODELS = {
    "claude-sonnet-4-20250514": True,
    "claude-opus-4-20250514": True,
    "claude-3-5-haiku-20241022": False,
}


@pytest.fixture
def catalog(db):
    now = timezone.now()
    for name, web in MODELS.items():
        LlmModel.objects.create(model_name=name, web_search_supported=web, refreshed_at=now)


@pytest.fixture
def prompts(workspace):
    """Two prompts, the first tagged "crm" (instead of the dashboard's ``prompts``)."""
    return [
        make_prompt(workspace=workspace, text="Best CRM for startups?", tags=["crm"]),
        make_prompt(workspace=workspace, text="Best CRM for banks?"),
    ]


def _data(prompts, **overrides):
    data = {
        "scope": "selected",
        "prompts": [p.pk for p in prompts],
        "samples": "1",
        "model_name": "claude-sonnet-4-20250514",
        "max_output_tokens": "2048",
        "send_token": send_token_new(),  # each call is a new rendering of the page
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _preview(client, workspace, data):
    return client.post(
        reverse("builder_preview", args=[workspace.pk]), data, HTTP_HX_REQUEST="true"
    )


def _error(response, field):
    """The text of the out-of-band error slot of a field in a preview response."""
    html = response.content.decode()
    marker = f'id="error-{field}"'
    start = html.index(marker)
    start = html.index(">", start) + 1
    return unescape(html[start : html.index("</small>", start)].strip())


# Each contract rule as the user would break it in the form, and the words they should see.
RULES = [
    ({"max_output_tokens": "5000"}, "max_output_tokens", "at most 4096"),
    ({"max_output_tokens": "0"}, "max_output_tokens", "at least 1"),
    (
        {"use_reasoning": "on", "max_output_tokens": "1000"},
        "max_output_tokens",
        "at least 1025 when reasoning",
    ),
    ({"temperature": "1.5"}, "temperature", "between 0 and 1"),
    ({"top_p": "-0.1"}, "top_p", "between 0 and 1"),
    ({"temperature": "0.5", "top_p": "0.5"}, "top_p", "not both"),
    ({"use_reasoning": "on", "temperature": "0.3"}, "temperature", "cannot be set when reasoning"),
    ({"use_reasoning": "on", "top_p": "0.3"}, "top_p", "cannot be set when reasoning"),
    ({"force_web_search": "on"}, "force_web_search", "needs web search"),
    (
        {"use_reasoning": "on", "web_search": "on", "force_web_search": "on"},
        "force_web_search",
        "must be off when reasoning",
    ),
    ({"web_search_city": "Berlin"}, "web_search_city", "needs a country"),
    ({"web_search_country_iso_code": "XX"}, "web_search_country_iso_code", "supported country"),
    ({"system_message": "x" * 501}, "system_message", "at most 500"),
    (
        {"model_name": "claude-3-5-haiku-20241022", "web_search": "on"},
        "web_search",
        "does not support web search",
    ),
    ({"model_name": "claude-unknown-9"}, "model_name", "valid choice"),
]


@pytest.mark.parametrize(("overrides", "field", "words"), RULES)
def test_it_shows_each_contract_rule_beside_its_field(
    editor_client, workspace, catalog, prompts, overrides, field, words
):
    response = _preview(editor_client, workspace, _data(prompts, **overrides))
    assert response.status_code == 200
    assert words in _error(response, field)
    assert 'data-testid="builder-errors"' in response.content.decode()


def test_it_reports_chain_rules(editor_client, workspace, catalog, prompts):
    turns = {f"chain-{i}-role": "user" for i in range(11)}
    turns.update({f"chain-{i}-message": "hi" for i in range(11)})
    response = _preview(editor_client, workspace, _data(prompts, **turns))
    assert "at most 10" in _error(response, "message_chain")
    response = _preview(
        editor_client, workspace, _data(prompts, **{"chain-0-role": "bot", "chain-0-message": "hi"})
    )
    assert "'user' or 'ai'" in _error(response, "message_chain")
    long = {"chain-0-role": "user", "chain-0-message": "y" * 501}
    assert "at most 500" in _error(
        _preview(editor_client, workspace, _data(prompts, **long)), "message_chain"
    )


def test_it_names_the_prompt_whose_own_chain_breaks_a_rule(editor_client, workspace, catalog):
    # A prompt's own chain is stored as JSON; one saved before a rule change is caught here.
    prompt = Prompt.objects.create(
        workspace=workspace,
        text="Best CRM?",
        message_chain=[{"role": "user", "message": "z" * 501}],
    )
    html = unescape(_preview(editor_client, workspace, _data([prompt])).content.decode())
    assert "Prompt “Best CRM?”: Turn 1 is 501 characters" in html


def test_it_clears_the_error_once_fixed(editor_client, workspace, catalog, prompts):
    assert _error(
        _preview(editor_client, workspace, _data(prompts, max_output_tokens="5000")),
        "max_output_tokens",
    )
    fixed = _preview(editor_client, workspace, _data(prompts, max_output_tokens="4000"))
    assert _error(fixed, "max_output_tokens") == ""
    assert 'data-testid="builder-ok"' in fixed.content.decode()


def test_it_previews_exactly_the_body_it_posts(editor_client, workspace, catalog, prompts):
    data = _data(prompts[:1], temperature="0.2", web_search="on", web_search_country_iso_code="DE")
    html = _preview(editor_client, workspace, data).content.decode()
    start = html.index('data-testid="json-preview">') + len('data-testid="json-preview">')
    previewed = json.loads(unescape(html[start : html.index("</pre>", start)]))
    editor_client.post(reverse("builder", args=[workspace.pk]), {**data, "action": "send"})
    task = Task.objects.get()
    assert previewed[0] == {**task.request_body, "tag": previewed[0]["tag"]}
    assert task.request_body == {
        "user_prompt": "Best CRM for startups?",
        "model_name": "claude-sonnet-4-20250514",
        "max_output_tokens": 2048,
        "temperature": 0.2,
        "web_search": True,
        "web_search_country_iso_code": "DE",
        "tag": task.tag,
    }
    assert contract.validate_task(task.request_body) == []


def test_it_queues_one_task_per_prompt_and_sample_with_history(
    editor_client, workspace, catalog, prompts
):
    response = editor_client.post(
        reverse("builder", args=[workspace.pk]), {**_data(prompts, samples="3"), "action": "send"}
    )
    assert response.status_code == 302
    assert response.url == reverse("task_list", args=[workspace.pk])
    tasks = Task.objects.filter(workspace=workspace)
    assert tasks.count() == 6
    assert {t.status for t in tasks} == {"queued"}
    assert len({t.tag for t in tasks}) == 6
    assert sorted(tasks.filter(prompt=prompts[0]).values_list("sample", flat=True)) == [1, 2, 3]
    assert TaskEvent.objects.filter(task__workspace=workspace, status_to="queued").count() == 6


def test_it_sends_all_prompts_of_a_tag(editor_client, workspace, catalog, prompts):
    tag = Tag.objects.get(name="crm")
    editor_client.post(
        reverse("builder", args=[workspace.pk]),
        {**_data([], scope="tag", tag=str(tag.pk)), "action": "send"},
    )
    assert list(Task.objects.values_list("prompt_id", flat=True)) == [prompts[0].pk]


def test_it_queues_nothing_when_the_request_is_invalid(editor_client, workspace, catalog, prompts):
    response = editor_client.post(
        reverse("builder", args=[workspace.pk]), {**_data(prompts, top_p="3"), "action": "send"}
    )
    assert response.status_code == 200
    assert Task.objects.count() == 0
    assert "between 0 and 1" in response.content.decode()


def test_it_asks_for_prompts(editor_client, workspace, catalog):
    response = _preview(editor_client, workspace, _data([]))
    assert "Choose at least one active prompt" in _error(response, "prompts")


def test_it_estimates_the_prepayment(editor_client, workspace, catalog, prompts):
    html = _preview(editor_client, workspace, _data(prompts, samples="5")).content.decode()
    assert 'data-testid="estimate-tasks">10<' in html
    assert 'data-testid="estimate-prepaid">$0.10<' in html


def test_it_estimates_from_the_workspace_history(editor_client, workspace, catalog, prompts):
    sonnet = {"model_name": "claude-sonnet-4-20250514"}
    for tag, body, cost in [
        ("t-old", sonnet, "0.004"),
        ("t-old-2", sonnet, "0.006"),
        ("t-other", {**sonnet, "web_search": True}, "0.05"),  # another kind: not averaged
    ]:
        Task.objects.create(
            workspace=workspace,
            prompt=prompts[0],
            tag=tag,
            request_body=body,
            status="collected",
            cost_real=Decimal(cost),
        )
    html = _preview(editor_client, workspace, _data(prompts, samples="2")).content.decode()
    assert 'data-testid="estimate-expected">$0.0200' in html  # 4 tasks × $0.005
    assert "average over 2 answers of the same model" in html
    # Sonnet, 2,048 output tokens at $15 per million, plus input and the base price.
    assert 'data-testid="estimate-worst">$0.1' in html


def test_it_says_when_a_send_would_pass_the_budget(editor_client, workspace, catalog, prompts):
    workspace.monthly_budget_usd = Decimal("0.05")
    workspace.save()
    html = _preview(editor_client, workspace, _data(prompts, samples="3")).content.decode()
    assert 'data-testid="estimate-over-budget"' in html
    assert "nothing is spent beyond it" in html
    assert 'data-testid="estimate-budget-left">$0.0500' in html


def test_it_projects_a_monitors_monthly_cost(editor_client, workspace, catalog, prompts):
    data = _data(prompts, schedule="daily")
    html = _preview(editor_client, workspace, data).content.decode()
    assert "As a monitor: 30 runs in the next 30 days" in html


def test_it_saves_a_monitor(editor_client, workspace, catalog, prompts):
    data = {**_data(prompts, samples="2", web_search="on"), "action": "monitor"}
    data.update(monitor_name="Weekly CRM", schedule="cron", cron="0 9 * * 1")
    response = editor_client.post(reverse("builder", args=[workspace.pk]), data)
    assert response.status_code == 302
    monitor = Monitor.objects.get()
    assert monitor.samples_per_run == 2
    assert monitor.request_settings["web_search"] is True
    assert set(monitor.prompts.all()) == set(prompts)
    assert Task.objects.count() == 0
    page = editor_client.get(response.url).content.decode()
    assert "runs in the next 30 days, about $" in page  # 4 or 5 Mondays: its projected cost


def test_it_refuses_a_bad_cron_expression(editor_client, workspace, catalog, prompts):
    data = {
        **_data(prompts),
        "action": "monitor",
        "monitor_name": "M",
        "schedule": "cron",
        "cron": "every day",
    }
    response = editor_client.post(reverse("builder", args=[workspace.pk]), data)
    assert response.status_code == 200
    assert "valid cron expression" in response.content.decode()
    assert Monitor.objects.count() == 0


@pytest.mark.parametrize(
    ("fields", "slot", "words"),
    [
        ({"monitor_name": "", "schedule": "daily"}, "monitor_name", "Name the monitor to save it."),
        (
            {"monitor_name": "Weekly", "schedule": "cron", "cron": "every tuesday"},
            "cron",
            "Enter a valid cron expression",
        ),
    ],
)
def test_a_failed_monitor_save_keeps_its_errors_through_the_live_preview(
    editor_client, workspace, catalog, prompts, fields, slot, words
):
    data = {**_data(prompts), **fields}
    page = editor_client.post(
        reverse("builder", args=[workspace.pk]), {**data, "action": "monitor"}
    )
    html = unescape(page.content.decode())
    assert Monitor.objects.count() == 0
    assert 'data-testid="monitor-save" open' in html
    assert 'name="intent" id="builder-intent" value="monitor"' in html
    # The page's live preview posts the form as it is: no button, the intent carried.
    preview = _preview(editor_client, workspace, {**data, "intent": "monitor"})
    assert words in _error(preview, slot)
    html = unescape(preview.content.decode())
    assert "to fix before saving the monitor." in html
    assert 'data-testid="builder-ok"' not in html


def test_the_preview_judges_a_monitor_only_when_one_is_being_saved(
    editor_client, workspace, catalog, prompts
):
    data = _data(prompts, schedule="cron", cron="every tuesday")
    preview = _preview(editor_client, workspace, data)
    assert _error(preview, "cron") == ""
    assert _error(preview, "monitor_name") == ""
    assert 'data-testid="builder-ok">The API will accept this request.<' in unescape(
        preview.content.decode()
    )
    fixed = {**data, "intent": "monitor", "monitor_name": "Weekly", "cron": "0 9 * * 2"}
    html = unescape(_preview(editor_client, workspace, fixed).content.decode())
    assert "The API will accept this request. The monitor can be saved." in html


def test_sending_is_not_held_up_by_an_unfinished_monitor(
    editor_client, workspace, catalog, prompts
):
    data = {**_data(prompts), "intent": "monitor", "monitor_name": "", "action": "send"}
    response = editor_client.post(reverse("builder", args=[workspace.pk]), data)
    assert response.status_code == 302
    assert Task.objects.count() == 2
    assert Monitor.objects.count() == 0


def test_it_adds_a_chain_turn_in_place(editor_client, workspace, catalog, prompts):
    response = _preview(editor_client, workspace, {**_data(prompts), "chain_action": "add"})
    html = response.content.decode()
    assert 'id="chain-editor" hx-swap-oob="true"' in html
    assert html.count('data-testid="chain-turn"') == 1


def test_it_lets_a_viewer_preview_but_not_send(viewer_client, workspace, catalog, prompts):
    assert _preview(viewer_client, workspace, _data(prompts)).status_code == 200
    response = viewer_client.post(
        reverse("builder", args=[workspace.pk]), {**_data(prompts), "action": "send"}
    )
    assert response.status_code == 403
    assert Task.objects.count() == 0


def test_it_only_offers_prompts_of_the_workspace(
    editor_client, workspace, other_workspace, catalog
):
    foreign = Prompt.objects.create(workspace=other_workspace, text="Not yours")
    response = _preview(editor_client, workspace, _data([foreign]))
    assert "valid choice" in _error(response, "prompts")


def test_it_says_when_the_model_list_was_never_loaded(editor_client, workspace):
    html = editor_client.get(reverse("builder", args=[workspace.pk])).content.decode()
    assert "has not been loaded" in html


def test_it_previews_the_webhook_urls_when_webhooks_are_on(
    editor_client, workspace, catalog, prompts, settings
):
    settings.AISA_COLLECT_MODES = ["poll", "postback"]
    settings.AISA_WEBHOOK_BASE_URL = "https://visibility.example.com"
    html = unescape(_preview(editor_client, workspace, _data(prompts[:1])).content.decode())
    assert (
        '"postback_url": "https://visibility.example.com/hooks/postback/(per-task secret)/' in html
    )
    editor_client.post(
        reverse("builder", args=[workspace.pk]), {**_data(prompts[:1]), "action": "send"}
    )
    task = Task.objects.get()
    assert task.request_body["postback_url"].startswith(
        "https://visibility.example.com/hooks/postback/"
    )
    assert "?id=$id&tag=$tag" in task.request_body["postback_url"]
