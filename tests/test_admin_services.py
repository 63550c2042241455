"""The admin saves through the pages' rules and services.

Brands edited or deleted there re-analyse their workspace's answers; prompts and monitors
are judged by the contract (and a monitor's cron by the builder's rule) before they are stored.
"""

import json
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring import jobs
from monitoring.aisa import contract
from monitoring.models import (
    Answer,
    Brand,
    BrandAlias,
    BrandDomain,
    LlmModel,
    Mention,
    Monitor,
    Prompt,
    Task,
)
from monitoring.services.analysis import answer_analyze
from tests.factories import queued_jobs

pytestmark = pytest.mark.django_db

REANALYZE = "monitoring.jobs.workspace_reanalyze"
MODEL = "claude-sonnet-4-20250514"


@pytest.fixture
def superuser_client(client, django_user_model):
    user = django_user_model.objects.create_superuser(
        username="root", email="root@example.com", password="pw-for-tests"
    )
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def _empty_queue(empty_job_queue):
    return


def _answer(workspace, text: str) -> Answer:
    prompt = Prompt.objects.create(workspace=workspace, text=f"Best CRM? #{Prompt.objects.count()}")
    task = Task.objects.create(
        workspace=workspace, prompt=prompt, tag=f"t-admin-{prompt.pk}", request_body={}
    )
    answer = Answer.objects.create(
        task=task,
        workspace=workspace,
        prompt=prompt,
        text=text,
        model_name=MODEL,
        answered_at=timezone.now(),
        raw={},
    )
    answer_analyze(answer=answer)
    return answer


def _ranks(answer) -> dict[str, int]:
    return dict(Mention.objects.filter(answer=answer).values_list("brand__name", "rank"))


# --- Brands: the change form with its alias and domain inlines ----------------------------


def _rows(prefix: str, rows: list[dict], *, initial: int) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": len(rows),
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        data |= {f"{prefix}-{i}-{field}": value for field, value in row.items()}
    return data


def _brand_form(
    brand=None, *, workspace=None, name=None, kind="competitor", aliases=(), domains=()
):
    """The admin's form of ``brand`` (or the add form): its rows as they are, then new ones."""
    data = {"name": name or brand.name, "kind": kind}
    if brand is None:
        data["workspace"] = workspace.pk
    old_aliases, old_domains = [], []
    if brand is not None:
        old_aliases = [{"id": a.pk, "brand": brand.pk, "name": a.name} for a in brand.aliases.all()]
        old_domains = [
            {"id": d.pk, "brand": brand.pk, "domain": d.domain} for d in brand.domains.all()
        ]
    data |= _rows(
        "aliases", [*old_aliases, *({"name": a} for a in aliases)], initial=len(old_aliases)
    )
    data |= _rows(
        "domains", [*old_domains, *({"domain": d} for d in domains)], initial=len(old_domains)
    )
    return data


def _change(brand) -> str:
    return reverse("admin:monitoring_brand_change", args=[brand.pk])


def _add() -> str:
    return reverse("admin:monitoring_brand_add")


def test_it_reanalyses_the_answers_when_an_alias_is_added_in_the_admin(
    superuser_client, workspace, other_workspace, django_capture_on_commit_callbacks
):
    Brand.objects.create(workspace=workspace, name="HubSpot", kind="own")
    salesforce = Brand.objects.create(workspace=workspace, name="Salesforce")
    answer = _answer(workspace, "HubSpot is the usual pick; SF suits enterprises.")
    assert _ranks(answer) == {"HubSpot": 1}  # "SF" is no alias yet

    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(
            _change(salesforce), _brand_form(salesforce, aliases=["SF"])
        )
    assert response.status_code == 302
    assert list(salesforce.aliases.values_list("name", flat=True)) == ["SF"]
    assert _ranks(answer) == {"HubSpot": 1}  # not yet: a worker re-analyses after the commit
    assert queued_jobs() == [(REANALYZE, (workspace.pk,))]

    jobs.workspace_reanalyze(workspace.pk)  # what the worker runs
    assert _ranks(answer) == {"HubSpot": 1, "Salesforce": 2}


def test_it_reanalyses_when_an_alias_row_is_deleted_in_the_admin(
    superuser_client, workspace, django_capture_on_commit_callbacks
):
    salesforce = Brand.objects.create(workspace=workspace, name="Salesforce")
    BrandAlias.objects.create(brand=salesforce, name="SF")
    answer = _answer(workspace, "SF suits enterprises.")
    assert _ranks(answer) == {"Salesforce": 1}
    data = _brand_form(salesforce) | {"aliases-0-DELETE": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        assert superuser_client.post(_change(salesforce), data).status_code == 302
    assert not salesforce.aliases.exists()
    assert queued_jobs() == [(REANALYZE, (workspace.pk,))]
    jobs.workspace_reanalyze(workspace.pk)
    assert _ranks(answer) == {}


def test_it_reanalyses_when_a_brand_is_deleted_in_the_admin(
    superuser_client, workspace, django_capture_on_commit_callbacks
):
    hubspot = Brand.objects.create(workspace=workspace, name="HubSpot")
    Brand.objects.create(workspace=workspace, name="Pipedrive")
    answer = _answer(workspace, "HubSpot first, then Pipedrive.")
    assert _ranks(answer) == {"HubSpot": 1, "Pipedrive": 2}

    url = reverse("admin:monitoring_brand_delete", args=[hubspot.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert superuser_client.post(url, {"post": "yes"}).status_code == 302
    assert not Brand.objects.filter(name="HubSpot").exists()
    assert _ranks(answer) == {"Pipedrive": 2}  # stale until the job runs
    assert queued_jobs() == [(REANALYZE, (workspace.pk,))]

    jobs.workspace_reanalyze(workspace.pk)
    assert _ranks(answer) == {"Pipedrive": 1}


def test_it_reanalyses_each_workspace_once_after_a_bulk_delete(
    superuser_client, workspace, other_workspace, django_capture_on_commit_callbacks
):
    doomed = [
        Brand.objects.create(workspace=workspace, name="HubSpot"),
        Brand.objects.create(workspace=workspace, name="Zoho"),
        Brand.objects.create(workspace=other_workspace, name="Zoho"),
    ]
    kept = Brand.objects.create(workspace=workspace, name="Pipedrive")
    answer = _answer(workspace, "HubSpot, Zoho, then Pipedrive.")
    assert _ranks(answer)["Pipedrive"] == 3
    data = {"action": "delete_selected", "_selected_action": [b.pk for b in doomed], "post": "yes"}
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(reverse("admin:monitoring_brand_changelist"), data)
    assert response.status_code == 302
    assert list(Brand.objects.all()) == [kept]
    assert sorted(queued_jobs()) == sorted(
        [(REANALYZE, (workspace.pk,)), (REANALYZE, (other_workspace.pk,))]
    )
    jobs.workspace_reanalyze(workspace.pk)
    assert _ranks(answer) == {"Pipedrive": 1}


def test_it_stores_a_domain_row_as_the_analysis_spells_it(
    superuser_client, workspace, django_capture_on_commit_callbacks
):
    data = _brand_form(
        workspace=workspace, name="Example", domains=["https://m.Example.com/x"], aliases=["Ex"]
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = superuser_client.post(_add(), data)
    assert response.status_code == 302
    brand = Brand.objects.get(workspace=workspace)
    assert list(brand.domains.values_list("domain", flat=True)) == ["example.com"]
    assert list(brand.aliases.values_list("name", flat=True)) == ["Ex"]
    assert queued_jobs() == [(REANALYZE, (workspace.pk,))]  # a new brand re-analyses too


@pytest.mark.parametrize(
    ("domains", "error"),
    [
        (["localhost"], "Not a web domain: “localhost”."),
        (["10.0.0.1"], "Not a web domain: “10.0.0.1”."),
        (["example.com", "https://www.example.com/pricing"], "“example.com” is listed twice."),
    ],
)
def test_it_refuses_a_domain_row_the_brands_page_refuses(
    superuser_client, workspace, domains, error
):
    data = _brand_form(workspace=workspace, name="Example", domains=domains)
    response = superuser_client.post(_add(), data)
    assert response.status_code == 200
    assert error in unescape(response.content.decode())
    assert not Brand.objects.exists()
    assert queued_jobs() == []


def test_it_refuses_to_blank_a_stored_domain(superuser_client, workspace):
    brand = Brand.objects.create(workspace=workspace, name="Example")
    BrandDomain.objects.create(brand=brand, domain="example.com")
    data = _brand_form(brand) | {"domains-0-domain": "  "}
    response = superuser_client.post(_change(brand), data)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert list(brand.domains.values_list("domain", flat=True)) == ["example.com"]


@pytest.mark.parametrize(
    ("name", "aliases", "error"),
    [
        (
            "HubSpot",
            ["HS", "zoho"],
            "“Zoho” is the name of another brand, so it cannot be an alias here.",
        ),
        ("HubSpot", ["zoho crm"], "“Zoho CRM” is already an alias of Zoho."),
        ("Zoho CRM", [], "“Zoho CRM” is already an alias of Zoho; remove it there first."),
        ("zoho", [], "There is already a brand called “zoho” here."),
        ("HubSpot", ["HS", "hs"], "“hs” is listed twice."),
        ("HubSpot", ["hubspot"], "This is the brand's own name; it needs no alias."),
    ],
)
def test_it_refuses_names_and_aliases_the_brands_page_refuses(
    superuser_client, workspace, name, aliases, error
):
    zoho = Brand.objects.create(workspace=workspace, name="Zoho")
    BrandAlias.objects.create(brand=zoho, name="Zoho CRM")
    response = superuser_client.post(
        _add(), _brand_form(workspace=workspace, name=name, aliases=aliases)
    )
    assert response.status_code == 200
    assert error in unescape(response.content.decode())
    assert list(Brand.objects.all()) == [zoho]


def test_it_lets_another_workspace_use_the_same_alias(superuser_client, workspace, other_workspace):
    BrandAlias.objects.create(
        brand=Brand.objects.create(workspace=other_workspace, name="Zoho"), name="Zoho CRM"
    )
    data = _brand_form(workspace=workspace, name="Zoho", aliases=["Zoho CRM"])
    assert superuser_client.post(_add(), data).status_code == 302


def test_it_keeps_a_brand_in_its_workspace(superuser_client, workspace, other_workspace):
    brand = Brand.objects.create(workspace=workspace, name="Zoho")
    data = _brand_form(brand) | {"workspace": other_workspace.pk}
    assert superuser_client.post(_change(brand), data).status_code == 302
    brand.refresh_from_db()
    assert brand.workspace == workspace  # read-only once made: its mentions are this one's


# --- Prompts ------------------------------------------------------------------------------


def _prompt_form(workspace, **fields) -> dict:
    return {
        "workspace": workspace.pk,
        "text": "Best CRM for a startup?",
        "system_message": "",
        "message_chain": "[]",
        "is_active": "on",
        **fields,
    }


PROMPT_ADD = "admin:monitoring_prompt_add"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        (
            {"text": "x" * (contract.MAX_PROMPT_CHARS + 1)},
            f"the API accepts at most {contract.MAX_PROMPT_CHARS}. Shorten it by 1.",
        ),
        ({"text": "   "}, "cannot be blank"),
        (
            {"system_message": "s" * (contract.MAX_SYSTEM_MESSAGE_CHARS + 1)},
            f"the API accepts at most {contract.MAX_SYSTEM_MESSAGE_CHARS}.",
        ),
        (
            {"message_chain": json.dumps([{"role": "bot", "message": "Hi"}])},
            "Turn 1: the role must be 'user' or 'ai'.",
        ),
        (
            {"message_chain": json.dumps([{"role": "user", "message": " "}])},
            "Turn 1: the message cannot be empty.",
        ),
        ({"message_chain": json.dumps({"role": "user"})}, "must be a list of turns"),
    ],
)
def test_it_refuses_a_prompt_the_contract_refuses(superuser_client, workspace, fields, error):
    response = superuser_client.post(reverse(PROMPT_ADD), _prompt_form(workspace, **fields))
    assert response.status_code == 200
    assert error in unescape(response.content.decode())
    assert not Prompt.objects.exists()


def test_it_refuses_a_prompt_already_in_the_workspace(superuser_client, workspace):
    Prompt.objects.create(workspace=workspace, text="Best CRM for a startup?")
    response = superuser_client.post(reverse(PROMPT_ADD), _prompt_form(workspace))
    assert "This prompt is already in the workspace." in response.content.decode()
    assert Prompt.objects.count() == 1


def test_it_saves_a_prompt_the_contract_accepts(superuser_client, workspace):
    chain = [{"role": "user", "message": "We sell B2B."}, {"role": "ai", "message": "Noted."}]
    data = _prompt_form(
        workspace, text="  Best CRM\r\nfor a startup?  ", message_chain=json.dumps(chain)
    )
    assert superuser_client.post(reverse(PROMPT_ADD), data).status_code == 302
    prompt = Prompt.objects.get()
    assert prompt.text == "Best CRM\nfor a startup?"  # counted and stored as the page does
    assert prompt.message_chain == chain


# --- Monitors -----------------------------------------------------------------------------


@pytest.fixture
def catalog(db):
    now = timezone.now()
    LlmModel.objects.create(model_name=MODEL, web_search_supported=True, refreshed_at=now)
    LlmModel.objects.create(model_name="claude-3-5-haiku-20241022", refreshed_at=now)


def _monitor_form(prompts, workspace, **fields) -> dict:
    return {
        "workspace": workspace.pk,
        "name": "Weekly CRM",
        "prompts": [p.pk for p in prompts],
        "request_settings": json.dumps({"model_name": MODEL, "web_search": True}),
        "samples_per_run": "2",
        "schedule": "cron",
        "cron": "0 9 * * 1",
        "is_active": "on",
        "created_by": "",
        # The monitor's runs inline: shown read-only, posted empty.
        "runs-TOTAL_FORMS": "0",
        "runs-INITIAL_FORMS": "0",
        "runs-MIN_NUM_FORMS": "0",
        "runs-MAX_NUM_FORMS": "0",
        **fields,
    }


MONITOR_ADD = "admin:monitoring_monitor_add"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"cron": "every day"}, "Enter a valid cron expression"),
        ({"cron": ""}, "Enter a valid cron expression"),
        ({"request_settings": json.dumps({"model_name": "gpt-4o"})}, "Unknown model 'gpt-4o'"),
        (
            {"request_settings": json.dumps({"model_name": MODEL, "temperature": 1.5})},
            "Temperature must be between 0 and 1 (you gave 1.5).",
        ),
        (
            {
                "request_settings": json.dumps(
                    {"model_name": "claude-3-5-haiku-20241022", "web_search": True}
                )
            },
            "does not support web search",
        ),
        ({"request_settings": json.dumps({"web_search": True})}, "is required"),
        (
            {"request_settings": json.dumps({"model_name": MODEL, "tag": "mine"})},
            "Not a request setting: tag.",
        ),
        ({"request_settings": json.dumps([MODEL])}, "as a JSON object"),
        ({"samples_per_run": "11"}, "Choose between 1 and 10 samples per prompt."),
    ],
)
def test_it_refuses_a_monitor_whose_runs_would_fail(
    superuser_client, workspace, catalog, fields, error
):
    prompt = Prompt.objects.create(workspace=workspace, text="Best CRM?")
    response = superuser_client.post(
        reverse(MONITOR_ADD), _monitor_form([prompt], workspace, **fields)
    )
    assert response.status_code == 200
    assert error in unescape(response.content.decode())
    assert not Monitor.objects.exists()


def test_it_refuses_a_monitor_whose_prompt_the_contract_refuses(
    superuser_client, workspace, catalog
):
    # Stored before the admin checked chains: its tasks would all be refused.
    prompt = Prompt.objects.create(
        workspace=workspace, text="Best CRM?", message_chain=[{"role": "bot", "message": "x"}]
    )
    response = superuser_client.post(reverse(MONITOR_ADD), _monitor_form([prompt], workspace))
    assert "Prompt “Best CRM?”: Turn 1: the role must be 'user' or 'ai'." in unescape(
        response.content.decode()
    )
    assert not Monitor.objects.exists()


def test_it_refuses_prompts_of_another_workspace(
    superuser_client, workspace, other_workspace, catalog
):
    theirs = Prompt.objects.create(workspace=other_workspace, text="Secret prompt")
    response = superuser_client.post(reverse(MONITOR_ADD), _monitor_form([theirs], workspace))
    assert "Prompts of another workspace: “Secret prompt”." in unescape(response.content.decode())
    assert not Monitor.objects.exists()


def test_it_saves_a_monitor_the_contract_accepts(superuser_client, workspace, catalog):
    prompt = Prompt.objects.create(workspace=workspace, text="Best CRM?")
    settings = {"web_search": True, "temperature": 0.2, "model_name": MODEL, "top_p": None}
    data = _monitor_form([prompt], workspace, request_settings=json.dumps(settings))
    response = superuser_client.post(reverse(MONITOR_ADD), data)
    assert response.status_code == 302
    monitor = Monitor.objects.get()
    assert (monitor.schedule, monitor.cron, monitor.samples_per_run) == ("cron", "0 9 * * 1", 2)
    assert list(monitor.prompts.all()) == [prompt]
    # Stored as the builder stores settings: unset fields left out. (Key order is not
    # compared: PostgreSQL's jsonb does not keep it.)
    assert monitor.request_settings == contract.build_task(
        model_name=MODEL, temperature=0.2, web_search=True
    )


def test_it_edits_a_manual_monitor_without_a_cron(superuser_client, workspace, catalog):
    monitor = Monitor.objects.create(
        workspace=workspace, name="Ad hoc", request_settings={"model_name": MODEL}
    )
    url = reverse("admin:monitoring_monitor_change", args=[monitor.pk])
    data = _monitor_form([], workspace, schedule="manual", cron="", name="Ad hoc, renamed")
    assert superuser_client.post(url, data).status_code == 302
    monitor.refresh_from_db()
    assert monitor.name == "Ad hoc, renamed"
