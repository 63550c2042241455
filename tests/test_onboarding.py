"""The set-up walk of a new workspace: each step saves what its page would, or is skipped."""

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.models import Brand, BrandKind, LlmModel, Monitor, Prompt, Schedule, Workspace
from monitoring.selectors.onboarding import STEP_KEYS, onboarding_get
from tests.factories import MODEL, make_answer, make_brand, make_monitor, make_prompt

pytestmark = pytest.mark.django_db


def _step(workspace, key: str) -> str:
    return reverse("onboarding_step", args=[workspace.pk, key])


def _skip(workspace, key: str) -> str:
    return reverse("onboarding_skip", args=[workspace.pk, key])


@pytest.fixture
def catalog(db):
    return LlmModel.objects.create(
        model_name=MODEL, web_search_supported=True, refreshed_at=timezone.now()
    )


def test_a_new_workspace_starts_the_walk(client, django_user_model):
    user = django_user_model.objects.create_user("newbie", password="pw")
    client.force_login(user)
    response = client.post(reverse("workspace_create"), {"name": "Fresh"})
    workspace = Workspace.objects.get(name="Fresh")
    assert response.url == reverse("onboarding_start", args=[workspace.pk])
    assert client.get(response.url).url == _step(workspace, "brand")


def test_the_empty_dashboard_points_to_the_next_step(owner_client, workspace):
    page = owner_client.get(reverse("workspace_home", args=[workspace.pk])).content.decode()
    assert "Set up this workspace" in page
    assert _step(workspace, "brand") in page
    make_brand(workspace=workspace, name="Acme", kind=BrandKind.OWN)
    page = owner_client.get(reverse("workspace_home", args=[workspace.pk])).content.decode()
    assert "Continue the set-up" in page
    assert _step(workspace, "competitors") in page
    assert "1 of 5 done" in page


def test_viewers_see_the_pointer_without_a_link_and_cannot_walk(viewer_client, workspace):
    page = viewer_client.get(reverse("workspace_home", args=[workspace.pk])).content.decode()
    assert "An editor or owner of this workspace sets it up" in page
    assert _step(workspace, "brand") not in page
    assert viewer_client.get(_step(workspace, "brand")).status_code == 403
    assert viewer_client.post(_skip(workspace, "brand")).status_code == 403
    assert Workspace.objects.get(pk=workspace.pk).onboarding_skipped == []


def test_a_dashboard_with_answers_elsewhere_does_not_point_to_set_up(owner_client, workspace):
    make_brand(workspace=workspace, name="Acme", kind=BrandKind.OWN)
    make_answer(workspace=workspace, answered_at=timezone.now() - timezone.timedelta(days=200))
    page = owner_client.get(reverse("workspace_home", args=[workspace.pk])).content.decode()
    assert 'data-testid="next-step"' not in page
    assert "No answers in this period" in page


def test_the_brand_step_adds_the_own_brand_and_goes_on(editor_client, workspace):
    response = editor_client.post(
        _step(workspace, "brand"),
        {"name": "  Acme   CRM ", "aliases": "Acme", "domains": "https://www.acme.com/x"},
    )
    assert response.url == _step(workspace, "competitors")
    brand = Brand.objects.get(workspace=workspace)
    assert (brand.name, brand.kind) == ("Acme CRM", BrandKind.OWN)
    assert [d.domain for d in brand.domains.all()] == ["acme.com"]
    page = editor_client.get(_step(workspace, "brand")).content.decode()
    assert 'data-testid="own-brand"' in page  # done: shown, not asked again


def test_the_brand_step_says_what_is_wrong(editor_client, workspace):
    make_brand(workspace=workspace, name="HubSpot")
    response = editor_client.post(_step(workspace, "brand"), {"name": "hubspot", "domains": "x"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is already a brand called “hubspot” here." in page
    assert "Not a web domain: “x”." in page
    assert 'aria-invalid="true"' in page
    assert not Brand.objects.filter(kind=BrandKind.OWN).exists()


def test_the_competitors_step_suggests_untracked_names_from_answers(editor_client, workspace):
    for _ in range(2):
        make_answer(workspace=workspace, text="Try Pipedrive or Zoho CRM, or maybe HubSpot.")
    make_brand(workspace=workspace, name="HubSpot")
    page = editor_client.get(_step(workspace, "competitors")).content.decode()
    assert "Pipedrive (in 2 answers)" in page
    assert "HubSpot (in" not in page  # tracked already
    response = editor_client.post(
        _step(workspace, "competitors"), {"suggested": ["Pipedrive"], "names": "Close\nclose\n"}
    )
    assert response.status_code == 302
    names = set(Brand.objects.filter(kind=BrandKind.COMPETITOR).values_list("name", flat=True))
    assert names == {"HubSpot", "Pipedrive", "Close"}


def test_the_competitors_step_refuses_taken_and_made_up_names(editor_client, workspace):
    make_brand(workspace=workspace, name="HubSpot")
    response = editor_client.post(
        _step(workspace, "competitors"), {"suggested": ["Nope"], "names": "HubSpot\nZoho"}
    )
    page = response.content.decode()
    assert "Select a valid choice. Nope is not one of the available choices." in page
    response = editor_client.post(_step(workspace, "competitors"), {"names": "HubSpot\nZoho"})
    assert "There is already a brand called “HubSpot” here." in response.content.decode()
    assert not Brand.objects.filter(name="Zoho").exists()  # all or none
    response = editor_client.post(_step(workspace, "competitors"), {"names": " \n"})
    assert "Tick or type at least one competitor" in response.content.decode()
    many = "\n".join(f"Brand {i}" for i in range(21))
    response = editor_client.post(_step(workspace, "competitors"), {"names": many})
    assert "add at most 20 at a time" in response.content.decode()


def test_the_prompts_step_adds_pasted_and_suggested_prompts(editor_client, workspace):
    make_answer(workspace=workspace, fan_out_queries=["best crm for agencies 2026"])
    make_prompt(workspace=workspace, text="Already here?")
    page = editor_client.get(_step(workspace, "prompts")).content.decode()
    assert "best crm for agencies 2026 (in 1 answer)" in page
    response = editor_client.post(
        _step(workspace, "prompts"),
        {
            "suggested": ["best crm for agencies 2026"],
            "lines": "Which CRM for a small agency?\r\nAlready here?\r\n",
        },
    )
    assert response.status_code == 302
    texts = set(Prompt.objects.filter(workspace=workspace).values_list("text", flat=True))
    assert texts >= {"best crm for agencies 2026", "Which CRM for a small agency?"}
    assert Prompt.objects.filter(text="Already here?").count() == 1


def test_the_prompts_step_judges_each_line_by_the_contract(editor_client, workspace):
    response = editor_client.post(
        _step(workspace, "prompts"), {"lines": "Fine question?\n" + "x" * 600}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Line 2" in page
    assert not Prompt.objects.exists()  # all or none


def test_the_monitor_step_projects_the_cost_and_saves_a_daily_monitor(
    editor_client, workspace, catalog
):
    for text in ("Best CRM?", "Cheapest CRM?"):
        make_prompt(workspace=workspace, text=text)
    page = editor_client.get(_step(workspace, "monitor")).content.decode()
    assert "2 tasks a run (2 prompts × 1 sample), 30 runs in the next 30 days." in page
    assert 'data-testid="projected-cost"' in page
    # Each change asks for the projection again (htmx): weekly, three samples.
    partial = editor_client.get(
        _step(workspace, "monitor"),
        {"monitor_name": "Weekly", "schedule": "weekly", "model_name": MODEL, "samples": "3"},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "6 tasks a run (2 prompts × 3 samples)" in partial
    assert "<html" not in partial
    assert not Monitor.objects.exists()
    response = editor_client.post(
        _step(workspace, "monitor"),
        {
            "monitor_name": "Daily check",
            "schedule": "daily",
            "model_name": MODEL,
            "samples": "1",
            "web_search": "on",
        },
    )
    assert response.url == _step(workspace, "results")
    monitor = Monitor.objects.get()
    assert monitor.schedule == Schedule.DAILY
    assert monitor.prompts.count() == 2
    assert monitor.request_settings["web_search"] is True
    assert monitor.request_settings["model_name"] == MODEL


def test_the_monitor_step_refuses_what_the_monitors_page_refuses(editor_client, workspace, catalog):
    make_prompt(workspace=workspace)
    response = editor_client.post(
        _step(workspace, "monitor"),
        {"monitor_name": "", "schedule": "hourly", "model_name": "gpt-nope", "samples": "99"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice" in page
    assert "Choose between 1 and" in page
    assert not Monitor.objects.exists()


def test_the_monitor_step_says_what_it_needs_first(editor_client, workspace):
    page = editor_client.get(_step(workspace, "monitor")).content.decode()
    assert 'data-testid="monitor-needs-prompts"' in page
    make_prompt(workspace=workspace)
    page = editor_client.get(_step(workspace, "monitor")).content.decode()
    assert 'data-testid="monitor-needs-models"' in page


def test_the_results_step_waits_then_shows_the_first_answers(editor_client, workspace):
    page = editor_client.get(_step(workspace, "results")).content.decode()
    assert 'data-testid="results-no-monitor"' in page
    monitor = make_monitor(workspace=workspace, name="Daily check")
    page = editor_client.get(_step(workspace, "results")).content.decode()
    assert 'data-testid="results-waiting"' in page
    assert 'hx-trigger="every 5s"' in page
    make_brand(workspace=workspace, name="HubSpot")
    make_answer(workspace=workspace, monitor=monitor, text="HubSpot is a fine pick.")
    partial = editor_client.get(
        _step(workspace, "results"), headers={"HX-Request": "true"}
    ).content.decode()
    assert 'data-testid="first-answer"' in partial
    assert "HubSpot" in partial
    assert "hx-trigger" not in partial  # it stops asking once answers are in


def test_skipping_remembers_the_step_and_goes_to_the_next_open_one(owner_client, workspace):
    response = owner_client.post(_skip(workspace, "brand"))
    assert response.url == _step(workspace, "competitors")
    make_brand(workspace=workspace, name="HubSpot")  # competitors done by the brands page
    response = owner_client.post(_skip(workspace, "prompts"))
    assert response.url == _step(workspace, "monitor")
    onboarding = onboarding_get(workspace=workspace)
    assert [s.state for s in onboarding.steps] == ["skipped", "done", "skipped", "todo", "todo"]
    owner_client.post(_skip(workspace, "prompts"))  # twice is once
    assert Workspace.objects.get(pk=workspace.pk).onboarding_skipped == ["brand", "prompts"]
    for key in ("monitor", "results"):
        response = owner_client.post(_skip(workspace, key))
    assert response.url == reverse("workspace_home", args=[workspace.pk])
    assert owner_client.get(reverse("onboarding_start", args=[workspace.pk])).url == response.url
    # a skipped step stays open to come back to
    assert owner_client.get(_step(workspace, "brand")).status_code == 200


def test_an_unknown_step_is_a_404(owner_client, workspace):
    assert owner_client.get(_step(workspace, "nope")).status_code == 404
    assert owner_client.post(_skip(workspace, "nope")).status_code == 404


def test_the_steps_state_is_read_in_one_query(workspace, django_assert_num_queries):
    make_brand(workspace=workspace, name="Acme", kind=BrandKind.OWN)
    with django_assert_num_queries(1):
        onboarding = onboarding_get(workspace=workspace)
    assert onboarding.next.key == "competitors"
    assert [s.key for s in onboarding.steps] == list(STEP_KEYS)


def test_a_corrupt_skipped_list_reads_as_none_skipped(workspace):
    Workspace.objects.filter(pk=workspace.pk).update(onboarding_skipped={"brand": 1})
    assert onboarding_get(workspace=workspace).next.key == "brand"
