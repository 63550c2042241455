"""Access control: login everywhere, 404 for outsiders, 403 for viewers' writes.

The matrix below must name every URL pattern that takes an object id; a new pattern without
an entry fails ``test_it_has_a_matrix_entry_for_every_url_with_an_id``.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from monitoring.models import Brand
from monitoring.services.invitations import invitation_create
from tests.factories import (
    make_answer,
    make_brand,
    make_monitor,
    make_prompt,
    make_task,
    make_user,
)

# url name -> (kind of object its ids name, methods that read, methods that write, POST data)
MATRIX = {
    "workspace_home": ("workspace", ["get"], [], None),
    "workspace_members": ("workspace", ["get"], [], None),
    # Teams: owners change roles, remove members and invite; anyone may leave (tested apart)
    "member_role": ("membership", [], ["post"], {"role": "editor"}),
    "member_remove": ("membership", [], ["get", "post"], {}),
    "workspace_leave": ("workspace", ["get"], [], None),
    "invitation_create": (
        "workspace",
        [],
        ["get", "post"],
        {"role": "viewer", "valid_for_days": "7"},
    ),
    "invitation_revoke": ("invitation", [], ["post"], {}),
    "workspace_settings": ("workspace", ["get"], ["post"], {"name": "Renamed"}),
    # The set-up walk: editors and owners only (viewers see the dashboard's pointer)
    "onboarding_start": ("workspace", [], ["get"], None),
    "onboarding_step": ("step", [], ["get", "post"], {"name": "Acme"}),
    "onboarding_skip": ("step", [], ["post"], {}),
    "workspace_budget": ("workspace", [], ["post"], {"monthly_budget_usd": "50"}),
    # Failed background jobs: a page (listed as a write: only owners see it) and its retry
    "failed_jobs": ("workspace", [], ["get"], None),
    "failed_job_retry": ("failed_job", [], ["post"], {}),
    "builder": ("workspace", ["get"], ["post"], {"action": "send"}),
    "builder_preview": ("workspace", ["post"], [], None),
    "models_refresh": ("workspace", [], ["post"], {}),
    "task_list": ("workspace", ["get"], [], None),
    # Monitors (run now, pause and delete are writes: viewers only see)
    "monitor_list": ("workspace", ["get"], [], None),
    "monitor_create": ("workspace", [], ["get", "post"], {"monitor_name": "Weekly"}),
    "monitor_detail": ("monitor", ["get"], [], None),
    "monitor_edit": ("monitor", [], ["get", "post"], {"monitor_name": "Renamed"}),
    "monitor_toggle": ("monitor", [], ["post"], {"active": "0"}),
    "monitor_run_now": ("monitor", [], ["post"], {}),
    "monitor_delete": ("monitor", [], ["get", "post"], {}),
    # Tasks and costs
    "task_detail": ("task", ["get"], [], None),
    "task_status": ("task", ["get"], [], None),
    "cost_report": ("workspace", ["get"], [], None),
    # Brands and prompts (a GET listed as a write opens a form only editors may use)
    "brand_list": ("workspace", ["get"], [], None),
    "brand_create": ("workspace", [], ["post"], {"name": "Beta", "kind": "competitor"}),
    "brand_row": ("brand", ["get"], [], None),
    "brand_edit": ("brand", [], ["get", "post"], {"name": "Zeta Two", "kind": "competitor"}),
    "brand_delete": ("brand", [], ["get", "post"], {}),
    "prompt_list": ("workspace", ["get"], [], None),
    "prompt_create": ("workspace", [], ["get", "post"], {"text": "Which CRM for agencies?"}),
    "prompt_import": ("workspace", [], ["get", "post"], {"lines": "Best CRM?\nCheapest CRM?"}),
    "prompt_edit": ("prompt", [], ["get", "post"], {"text": "Best CRM in 2025?"}),
    "prompt_toggle": ("prompt", [], ["post"], {"active": "0"}),
    "prompt_delete": ("prompt", [], ["get", "post"], {}),
    # Dashboard and answers
    "answer_list": ("workspace", ["get"], [], None),
    "answer_detail": ("answer", ["get"], [], None),
    "export_csv": ("export", ["get"], [], None),
}


def _brand(workspace):
    # The same brand every time: a row's read and write methods each build the URL (names are
    # unique).
    brand = Brand.objects.filter(workspace=workspace, name="Zeta").first()
    return {"brand_id": (brand or make_brand(workspace=workspace, name="Zeta")).pk}


# kind -> function(workspace) returning the URL kwargs beyond workspace_id
OBJECT_KWARGS = {
    "workspace": lambda workspace: {},
    "brand": _brand,
    "prompt": lambda workspace: {"prompt_id": make_prompt(workspace=workspace).pk},
    "task": lambda workspace: {"task_id": make_task(workspace=workspace, request_body={}).pk},
    "monitor": lambda workspace: {"monitor_id": make_monitor(workspace=workspace).pk},
    "answer": lambda workspace: {
        "answer_id": make_answer(
            task=make_task(workspace=workspace, request_body={}), analyze=False
        ).pk
    },
    "export": lambda workspace: {"kind": "answers"},
    "step": lambda workspace: {"step": "brand"},
    "membership": lambda workspace: {
        "membership_id": make_user(workspace=workspace, role="viewer").memberships.get().pk
    },
    "invitation": lambda workspace: {"invitation_id": _invitation(workspace)},
    "failed_job": lambda workspace: {"job_id": _failed_job(workspace)},
}


def _invitation(workspace) -> int:
    return invitation_create(workspace=workspace, created_by=None, role="viewer").invitation.pk


def _failed_job(workspace) -> str:
    """A re-analysis of the workspace that failed, as django-q2 stores it; returns its id."""
    from django.utils import timezone
    from django_q.humanhash import uuid
    from django_q.models import Failure

    name, job_id = uuid()
    now = timezone.now()
    Failure.objects.create(
        id=job_id,
        name=name,
        func="monitoring.jobs.workspace_reanalyze",
        args=(workspace.pk,),
        started=now,
        stopped=now,
        success=False,
        result="database is locked",
    )
    return job_id


# Writes only owners may make: editors get 403 like viewers.
OWNER_ONLY = {"workspace_budget", "failed_jobs", "failed_job_retry"}
OWNER_ONLY |= {"member_role", "member_remove", "invitation_create", "invitation_revoke"}

# Pages that need no login.
PUBLIC = {"login", "healthz", "webhook_pingback", "webhook_postback"}
PUBLIC |= {"invitation_accept"}  # shows only the workspace's name (tests/test_invitations.py)


def _patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if getattr(p, "app_name", None) == "admin":
                continue
            yield from _patterns(p, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield p, prefix + str(p.pattern)


def _id_patterns():
    return {
        p.name
        for p, route in _patterns()
        if "<id:" in route or "<int:" in route or "<uuid:" in route
    }


def _url(name, workspace):
    kwargs = OBJECT_KWARGS[MATRIX[name][0]](workspace) if name in MATRIX else {}
    return reverse(name, kwargs={"workspace_id": workspace.pk, **kwargs})


def test_it_has_a_matrix_entry_for_every_url_with_an_id():
    missing = _id_patterns() - set(MATRIX)
    assert not missing, f"Add these URL names to the access MATRIX: {sorted(missing)}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(p.name for p, _ in _patterns() if p.name))
def test_it_sends_anonymous_users_to_login(client, name, workspace):
    if name in PUBLIC:
        return
    if name in MATRIX:
        url = _url(name, workspace)
    else:
        pattern = next(p for p, _ in _patterns() if p.name == name)
        url = reverse(name, kwargs=dict.fromkeys(pattern.pattern.converters, workspace.pk))
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_it_hides_other_workspaces_from_outsiders(
    client, make_member, name, workspace, other_workspace
):
    client.force_login(make_member(other_workspace, "owner"))
    _, reads, writes, data = MATRIX[name]
    url = _url(name, workspace)
    for method in reads + writes:
        response = getattr(client, method)(url, data or {})
        assert response.status_code == 404, (name, method)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_it_lets_viewers_read_but_not_write(viewer_client, name, workspace):
    _, reads, writes, data = MATRIX[name]
    url = _url(name, workspace)
    for method in reads:
        assert getattr(viewer_client, method)(url).status_code == 200, (name, method)
    for method in writes:
        assert getattr(viewer_client, method)(url, data).status_code == 403, (name, method)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("role", ["editor", "owner"])
def test_it_lets_editors_and_owners_write(client, make_member, name, role, workspace):
    client.force_login(make_member(workspace, role))
    _, reads, writes, data = MATRIX[name]
    for method in reads:
        assert getattr(client, method)(_url(name, workspace)).status_code == 200, (name, method)
    for method in writes:
        response = getattr(client, method)(_url(name, workspace), data)
        if role == "editor" and name in OWNER_ONLY:
            assert response.status_code == 403, (name, method)
            continue
        assert response.status_code in (200, 204, 302), (name, method, response.status_code)


@pytest.mark.django_db
def test_it_does_not_change_anything_when_a_viewer_posts(viewer_client, workspace):
    viewer_client.post(_url("workspace_settings", workspace), {"name": "Hijacked"})
    workspace.refresh_from_db()
    assert workspace.name == "Acme"


@pytest.mark.django_db
def test_it_renames_the_workspace_for_an_editor(editor_client, workspace):
    response = editor_client.post(
        _url("workspace_settings", workspace), {"name": "Acme Europe"}, follow=True
    )
    workspace.refresh_from_db()
    assert workspace.name == "Acme Europe"
    assert "Workspace renamed." in response.content.decode()


@pytest.mark.django_db
def test_it_redirects_home_to_the_last_workspace_used(
    client, make_member, workspace, other_workspace
):
    user = make_member(workspace, "viewer")
    from monitoring.models import Membership

    Membership.objects.create(workspace=other_workspace, user=user, role="editor")
    client.force_login(user)
    assert client.get(reverse("home")).url == _url("workspace_home", workspace)  # "Acme" first
    client.get(_url("workspace_home", other_workspace))
    assert client.get(reverse("home")).url == _url("workspace_home", other_workspace)


@pytest.mark.django_db
def test_it_explains_when_the_user_has_no_workspace(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("lonely", password="x"))
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "not in any workspace" in response.content.decode()


@pytest.mark.django_db
def test_it_lists_only_the_users_own_workspaces_in_the_switcher(
    viewer_client, workspace, other_workspace
):
    page = viewer_client.get(_url("workspace_home", workspace)).content.decode()
    assert "Acme" in page
    assert "Other Corp" not in page


@pytest.mark.django_db
def test_it_explains_a_refused_write_and_a_missing_page(viewer_client, workspace, other_workspace):
    refused = viewer_client.post(reverse("workspace_settings", args=[workspace.pk]), {"name": "X"})
    assert refused.status_code == 403
    assert "Viewers can look but not change anything" in refused.content.decode()
    missing = viewer_client.get(reverse("workspace_home", args=[other_workspace.pk]))
    assert missing.status_code == 404
    assert "belongs to a workspace you are not a member of" in missing.content.decode()
