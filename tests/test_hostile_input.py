"""Hostile input found by hand: far dates and ids beyond the database are refused, not a 500.

Each of these was a 500 that any member could type into the address bar. The walk over
every URL (``test_hostile_urls.py``) guards the rest; these keep the findings readable.
"""

from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone

from monitoring.forms.builder import send_token_new
from monitoring.forms.fields import DATE_RANGE_MESSAGE, IdField, id_max
from monitoring.forms.filters import DashboardFilterForm
from monitoring.forms.tasks import TaskFilterForm
from monitoring.models import LlmModel, Prompt
from monitoring.selectors.filters import default_range
from tests.factories import make_prompt

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # 20 digits: beyond 64 bits
FAR_DATES = [
    "end=9999-12-31",
    "start=0001-01-01&end=0001-01-02",
    "start=9999-12-30&end=9999-12-31",
]
DATE_PAGES = ["workspace_home", "answer_list"]


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.parametrize("query", FAR_DATES)
@pytest.mark.parametrize("url_name", DATE_PAGES)
def test_it_refuses_far_dates_on_the_dashboard_and_answers(
    viewer_client, workspace, data, url_name, query
):
    response = viewer_client.get(reverse(url_name, args=[workspace.pk]) + "?" + query)
    assert response.status_code == 200
    assert DATE_RANGE_MESSAGE in response.content.decode()


@pytest.mark.parametrize("query", FAR_DATES)
def test_it_exports_the_default_period_for_far_dates(viewer_client, workspace, data, query):
    response = viewer_client.get(
        reverse("export_csv", args=[workspace.pk, "answers"]) + "?" + query
    )
    assert response.status_code == 200
    start, end = default_range()
    assert f"answers-{start:%Y%m%d}-{end:%Y%m%d}.csv" in response["Content-Disposition"]
    assert len(_body(response).splitlines()) == 1 + len(data["answers"])


def test_it_falls_back_to_the_default_period_for_a_far_end_date(workspace):
    form = DashboardFilterForm({"start": "2024-01-01", "end": "9999-12-31"}, workspace=workspace)
    filters = form.filters()
    assert filters.end == timezone.now().date()
    assert form.errors["end"] == [DATE_RANGE_MESSAGE]


@pytest.mark.parametrize("field", ["brand", "version"])
def test_it_ignores_an_answer_filter_id_beyond_the_database(viewer_client, workspace, data, field):
    response = viewer_client.get(reverse("answer_list", args=[workspace.pk]), {field: HUGE})
    assert response.status_code == 200
    assert "No item has so large a number." in response.content.decode()
    export = viewer_client.get(reverse("export_csv", args=[workspace.pk, "answers"]), {field: HUGE})
    assert len(_body(export).splitlines()) == 1 + len(data["answers"])


@pytest.mark.parametrize(
    "query",
    [f"prompt={HUGE}", f"monitor={HUGE}", "created_to=9999-12-31", "created_from=0001-01-01"],
)
def test_it_ignores_hostile_task_filters_and_says_so(viewer_client, workspace, data, query):
    response = viewer_client.get(reverse("task_list", args=[workspace.pk]) + "?" + query)
    assert response.status_code == 200
    assert 'data-testid="filter-errors"' in response.content.decode()
    # The two tasks of the data set that have no answer, plus one per answer.
    assert response.context["listing"].total == len(data["answers"]) + 2


def test_it_keeps_the_task_dates_that_are_in_range(workspace):
    today = date.today()
    filters = TaskFilterForm(
        {"created_from": today.isoformat(), "created_to": "9999-12-31"}
    ).filters()
    assert (filters.created_from, filters.created_to) == (today, None)


def test_it_bounds_ids_by_their_column():
    field = IdField()
    assert field.clean(str(id_max())) == 2**63 - 1
    for value in (str(2**63), HUGE, "0", "-1"):
        with pytest.raises(forms.ValidationError):
            field.clean(value)


@pytest.mark.parametrize("workspace_id", [HUGE, str(2**63), str(2**63 - 1)])
def test_it_answers_404_for_a_workspace_id_beyond_the_database(
    viewer_client, workspace, workspace_id
):
    for path in (
        f"/w/{workspace_id}/",
        f"/w/{workspace_id}/answers/1/",
        f"/w/{workspace_id}/tasks/",
    ):
        assert viewer_client.get(path).status_code == 404


@pytest.fixture
def catalog(db):
    LlmModel.objects.create(
        model_name="claude-sonnet-4-20250514",
        web_search_supported=True,
        refreshed_at=timezone.now(),
    )


@pytest.mark.parametrize("field", ["prompts", "tag"])
def test_it_refuses_a_builder_id_beyond_the_database(editor_client, workspace, catalog, field):
    body = {
        "scope": "tag" if field == "tag" else "selected",
        field: [HUGE, "1"] if field == "prompts" else HUGE,
        "samples": "1",
        "model_name": "claude-sonnet-4-20250514",
        "send_token": send_token_new(),
    }
    for url in ("builder", "builder_preview"):
        response = editor_client.post(reverse(url, args=[workspace.pk]), body)
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize("index", ["²", "9" * 5000])
def test_it_ignores_a_chain_turn_whose_number_is_not_one(editor_client, workspace, catalog, index):
    body = urlencode({f"chain-{index}-role": "user", f"chain-{index}-message": "Hi"})
    response = editor_client.post(
        reverse("builder_preview", args=[workspace.pk]),
        body,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response.context["form"].message_chain == []


ADMIN_QUERIES = [
    f"workspace={HUGE}",
    "created_at__year=99999",
    "created_at__year=9999&created_at__month=12&created_at__day=31",
]


@pytest.mark.parametrize("query", ADMIN_QUERIES)
@pytest.mark.parametrize("model", ["task", "prompt", "brand"])
def test_it_shows_an_admin_list_or_says_its_lookups_are_invalid(admin_client, model, query):
    url = reverse(f"admin:monitoring_{model}_changelist")
    response = admin_client.get(f"{url}?{query}")
    if response.status_code != 200:  # the admin's answer to lookups it cannot run
        assert (response.status_code, response["Location"]) == (302, f"{url}?e=1")


def test_it_accepts_the_edges_of_the_date_window(workspace):
    form = DashboardFilterForm({"start": "2000-01-01", "end": "2100-12-31"}, workspace=workspace)
    filters = form.filters()
    assert filters.end == date(2100, 12, 31)
    assert filters.previous().end == filters.start - timedelta(days=1)


def _admin_prompt_saved(admin_client, workspace, chain):
    prompt = make_prompt(workspace=workspace, text="Best CRM?")
    body = {"workspace": workspace.pk, "text": "Best CRM?", "message_chain": chain}
    return admin_client.post(reverse("admin:monitoring_prompt_change", args=[prompt.pk]), body)


@pytest.mark.parametrize("chain", ["9" * 5000, "[" * 100_000])
def test_it_calls_json_that_python_cannot_read_invalid_in_the_admin(admin_client, workspace, chain):
    response = _admin_prompt_saved(admin_client, workspace, chain)
    assert response.status_code == 200
    assert "Enter a valid JSON." in response.content.decode()


@pytest.mark.parametrize("chain", ["1", "true", '"user: hi"', '{"role": "user"}'])
def test_it_refuses_an_admin_chain_that_is_not_a_list(admin_client, workspace, chain):
    response = _admin_prompt_saved(admin_client, workspace, chain)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["message_chain"]


def test_it_refuses_admin_form_ids_beyond_the_database(admin_client, workspace):
    prompt = make_prompt(workspace=workspace, text="Best CRM?", tags=["crm"])
    url = reverse("admin:monitoring_prompt_change", args=[prompt.pk])
    for field, value in (("workspace", HUGE), ("tags", [HUGE])):
        body = {"workspace": workspace.pk, "text": "Best CRM?", "message_chain": "[]"}
        response = admin_client.post(url, {**body, field: value})
        assert response.status_code == 200
        assert response.context["adminform"].form.errors[field]
    assert list(prompt.tags.values_list("name", flat=True)) == ["crm"]


@pytest.mark.parametrize("value", [HUGE, "x", "%00"])
def test_it_shows_an_admin_add_form_whose_initial_ids_are_not_ids(admin_client, value):
    url = reverse("admin:monitoring_membership_add")
    assert admin_client.get(f"{url}?workspace={value}&user={value}").status_code == 200


@pytest.mark.parametrize("selected", [HUGE, "x"])
def test_it_does_nothing_for_an_admin_action_on_what_are_not_ids(admin_client, workspace, selected):
    prompt = make_prompt(workspace=workspace, text="Best CRM?")
    body = {"action": "delete_selected", "_selected_action": [selected, prompt.pk], "post": "yes"}
    response = admin_client.post(reverse("admin:monitoring_prompt_changelist"), body)
    assert response.status_code == 302
    assert Prompt.objects.filter(pk=prompt.pk).exists()
