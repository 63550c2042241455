import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_it_logs_in_and_lands_on_the_workspace(client, make_member, workspace):
    make_member(workspace, "owner", username="ana")
    response = client.post(
        reverse("login"), {"username": "ana", "password": "pw-for-tests"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("workspace_home", args=[workspace.pk])
    assert "Acme" in response.content.decode()


@pytest.mark.django_db
def test_it_rejects_a_wrong_password_with_a_message(client, make_member, workspace):
    make_member(workspace, "owner", username="ana")
    response = client.post(reverse("login"), {"username": "ana", "password": "nope"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


@pytest.mark.django_db
def test_it_logs_out_with_a_post(owner_client, workspace):
    assert owner_client.post(reverse("logout")).status_code == 302
    assert owner_client.get(reverse("home")).status_code == 302  # back to login


@pytest.mark.django_db
def test_it_serves_the_admin_for_workspaces_to_staff(admin_client, make_member, workspace):
    make_member(workspace, "viewer", username="vera")
    page = admin_client.get(reverse("admin:monitoring_workspace_changelist") + "?q=vera")
    assert page.status_code == 200
    assert "Acme" in page.content.decode()
    change = admin_client.get(reverse("admin:monitoring_workspace_change", args=[workspace.pk]))
    assert "vera" in change.content.decode()  # memberships inline
