"""Access control: login everywhere, 404 for outsiders, 403 for viewers' writes.

The matrix below must name every URL pattern that takes an object id; a new pattern without
an entry fails ``test_it_has_a_matrix_entry_for_every_url_with_an_id``.
"""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# url name -> (kind of object its id names, methods that read, methods that write, POST data)
MATRIX = {
    "workspace_home": ("workspace", ["get"], [], None),
    "workspace_members": ("workspace", ["get"], [], None),
    "workspace_settings": ("workspace", ["get"], ["post"], {"name": "Renamed"}),
}

# Pages that need no login.
PUBLIC = {"login", "healthz"}


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
    return {p.name for p, route in _patterns() if "<int:" in route or "<uuid:" in route}


def _url(name, workspace):
    return reverse(name, kwargs={"workspace_id": workspace.pk})


def test_it_has_a_matrix_entry_for_every_url_with_an_id():
    missing = _id_patterns() - set(MATRIX)
    assert not missing, f"Add these URL names to the access MATRIX: {sorted(missing)}"


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(p.name for p, _ in _patterns() if p.name))
def test_it_sends_anonymous_users_to_login(client, name, workspace):
    if name in PUBLIC:
        return
    pattern = next(p for p, _ in _patterns() if p.name == name)
    kwargs = dict.fromkeys(pattern.pattern.converters, workspace.pk)
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_it_hides_other_workspaces_from_outsiders(
    client, make_member, name, workspace, other_workspace
):
    client.force_login(make_member(other_workspace, "owner"))
    _, reads, writes, data = MATRIX[name]
    for method in reads + writes:
        response = getattr(client, method)(_url(name, workspace), data or {})
        assert response.status_code == 404, (name, method)


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_it_lets_viewers_read_but_not_write(client, make_member, name, workspace):
    client.force_login(make_member(workspace, "viewer"))
    _, reads, writes, data = MATRIX[name]
    for method in reads:
        assert getattr(client, method)(_url(name, workspace)).status_code == 200, (name, method)
    for method in writes:
        assert getattr(client, method)(_url(name, workspace), data).status_code == 403, name


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
@pytest.mark.parametrize("role", ["editor", "owner"])
def test_it_lets_editors_and_owners_write(client, make_member, name, role, workspace):
    client.force_login(make_member(workspace, role))
    _, reads, writes, data = MATRIX[name]
    for method in reads:
        assert getattr(client, method)(_url(name, workspace)).status_code == 200
    for method in writes:
        response = getattr(client, method)(_url(name, workspace), data)
        assert response.status_code in (200, 302), (name, method, response.status_code)


@pytest.mark.django_db
def test_it_does_not_change_anything_when_a_viewer_posts(client, make_member, workspace):
    client.force_login(make_member(workspace, "viewer"))
    client.post(_url("workspace_settings", workspace), {"name": "Hijacked"})
    workspace.refresh_from_db()
    assert workspace.name == "Acme"


@pytest.mark.django_db
def test_it_renames_the_workspace_for_an_editor(client, make_member, workspace):
    client.force_login(make_member(workspace, "editor"))
    response = client.post(
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
    client, make_member, workspace, other_workspace
):
    client.force_login(make_member(workspace, "viewer"))
    page = client.get(_url("workspace_home", workspace)).content.decode()
    assert "Acme" in page
    assert "Other Corp" not in page
