import os

# Playwright's sync API runs an event loop in the test thread; Django's async-safety
# check would otherwise refuse ORM calls made by live_server fixtures.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = ["sandbox.pytest_plugin"]

import pytest  # noqa: E402


@pytest.fixture
def make_member(django_user_model):
    """Create a user with a role in a workspace; returns the user."""
    from monitoring.models import Membership

    counter = {"n": 0}

    def make(workspace, role="editor", username=None):
        counter["n"] += 1
        user = django_user_model.objects.create_user(
            username=username or f"{role}{counter['n']}", password="pw-for-tests"
        )
        Membership.objects.create(workspace=workspace, user=user, role=role)
        return user

    return make


@pytest.fixture
def workspace(db):
    from monitoring.models import Workspace

    return Workspace.objects.create(name="Acme")


@pytest.fixture
def other_workspace(db):
    from monitoring.models import Workspace

    return Workspace.objects.create(name="Other Corp")
