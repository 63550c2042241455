"""Login throttling (django-axes): wrong passwords lock a username and an address for a
while, with a clear page; the right password then waits too; an admin can unlock."""

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command
from django.urls import reverse

from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "right-horse-battery-staple"


@pytest.fixture
def alice():
    return make_user(username="alice", password=PASSWORD)


def _login(client, username, password, ip="203.0.113.7", url="login"):
    return client.post(reverse(url), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_the_right_password_works_before_the_limit(client, settings, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _login(client, "alice", "wrong").status_code == 200
    response = _login(client, "alice", PASSWORD)
    assert response.status_code == 302
    # A success clears the count: the next mistakes start from zero.
    assert not AccessAttempt.objects.filter(username="alice").exists()


def test_a_username_is_locked_after_the_limit_even_with_the_right_password(client, settings, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "alice", "wrong")
    response = _login(client, "alice", PASSWORD)
    assert response.status_code == 429
    text = response.content.decode()
    assert "Too many login attempts" in text
    assert f"After {settings.AXES_FAILURE_LIMIT} wrong passwords" in text
    assert "15 minutes" in text
    assert "_auth_user_id" not in client.session


def test_the_lock_follows_the_username_to_another_address(client, settings, alice):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "alice", "wrong", ip=f"198.51.100.{i}")
    assert _login(client, "alice", PASSWORD, ip="192.0.2.99").status_code == 429


def test_an_address_guessing_many_usernames_is_locked(client, settings, alice):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login(client, f"guess{i}", "wrong", ip="198.51.100.50")
    assert _login(client, "alice", PASSWORD, ip="198.51.100.50").status_code == 429
    # Alice herself, from her own address, is not locked out by someone else's guessing.
    assert _login(client, "alice", PASSWORD, ip="192.0.2.1").status_code == 302


def test_a_forwarded_for_header_is_not_trusted_by_default(client, settings, alice):
    """Without a proxy, the header is the guesser's to set: it must not reset the count."""
    for i in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"username": f"guess{i}", "password": "wrong"},
            REMOTE_ADDR="198.51.100.60",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
        )
    assert _login(client, "alice", PASSWORD, ip="198.51.100.60").status_code == 429


def test_the_admin_login_is_throttled_too(client, settings, alice):
    alice.is_staff = True
    alice.save()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "alice", "wrong", url="admin:login")
    assert _login(client, "alice", PASSWORD, url="admin:login").status_code == 429


def test_an_admin_unlocks_by_deleting_the_attempts(client, admin_client, settings, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "alice", "wrong")
    attempts = admin_client.get(reverse("admin:axes_accessattempt_changelist"))
    assert attempts.status_code == 200
    assert "alice" in attempts.content.decode()
    AccessAttempt.objects.filter(username="alice").delete()
    assert _login(client, "alice", PASSWORD).status_code == 302


def test_the_reset_command_unlocks_a_username(client, settings, alice):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "alice", "wrong")
    call_command("axes_reset_username", "alice")
    assert _login(client, "alice", PASSWORD).status_code == 302
