import os
from decimal import Decimal

# Playwright's sync API runs an event loop in the test thread; Django's async-safety
# check would otherwise refuse ORM calls made by live_server fixtures.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytest_plugins = ["sandbox.pytest_plugin"]

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _cache_cleared():
    """Every test starts with an empty cache (the dashboard's bodies are cached; on SQLite
    a later test can reuse an earlier one's ids)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def make_member(db):
    """Create a user with a role in a workspace; returns the user (named ``<role><n>``)."""
    from tests.factories import make_user

    counter = {"n": 0}

    def make(workspace, role="editor", username=None):
        counter["n"] += 1
        return make_user(
            workspace=workspace, role=role, username=username or f"{role}{counter['n']}"
        )

    return make


@pytest.fixture
def workspace(db):
    from tests.factories import make_workspace

    return make_workspace(name="Acme")


@pytest.fixture
def other_workspace(db):
    from tests.factories import make_workspace

    return make_workspace(name="Other Corp")


# --- Members of ``workspace`` in each role, and the test client logged in as them ---------
# The *_client fixtures log in the one ``client`` fixture: use one of them per test.


@pytest.fixture
def owner(make_member, workspace):
    return make_member(workspace, "owner")


@pytest.fixture
def editor(make_member, workspace):
    return make_member(workspace, "editor")


@pytest.fixture
def viewer(make_member, workspace):
    return make_member(workspace, "viewer")


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


# --- The dashboard's data set --------------------------------------------------------------
# Ten answers in the current period, in ``workspace``: Acme is the own brand, Beta and Gamma
# compete. The table of who is named and cited where is in tests/test_dashboard.py.

# (prompt, model, text, cited URLs)
DASHBOARD_ANSWERS = [
    (
        "P1",
        "m",
        "Acme is great. Beta too.",
        ["https://acme.com/a", "https://beta.com/b", "https://g2.com/c"],
    ),
    ("P1", "m", "Acme and Gamma.", ["https://www.acme.com/pricing"]),
    ("P1", "m", "Beta then Acme.", ["https://g2.com/d"]),
    ("P1", "m", "Acme alone.", []),
    ("P1", "m", "Gamma, Beta, Acme.", []),
    ("P2", "m", "Acme.", []),
    ("P2", "m", "Acme, Beta.", []),
    ("P2", "m2", "Beta only.", []),
    ("P2", "m2", "Gamma and Beta.", []),
    ("P2", "m2", "Nothing useful here, sorry.", []),
]


@pytest.fixture
def brands(workspace):
    """Acme (own, acme.com), Beta (beta.com) and Gamma."""
    from tests.factories import make_brand

    return {
        "acme": make_brand(workspace=workspace, name="Acme", kind="own", domains=["acme.com"]),
        "beta": make_brand(workspace=workspace, name="Beta", domains=["beta.com"]),
        "gamma": make_brand(workspace=workspace, name="Gamma"),
    }


@pytest.fixture
def prompts(workspace):
    """P1 (tagged "pricing") and P2."""
    from tests.factories import make_prompt

    p1 = make_prompt(workspace=workspace, text="Best analytics tool?", tags=["pricing"])
    p2 = make_prompt(workspace=workspace, text="Cheapest analytics tool?")
    return {"P1": p1, "P2": p2, "tag": p1.tags.get()}


@pytest.fixture
def make_dashboard_answers(workspace, prompts):
    """Make the data set's 10 answers (a day old, each task costing 0.01) for the brands
    made so far; keyword arguments go to every ``make_answer``."""
    from tests.factories import make_answer

    def make(**fields):
        return [
            make_answer(
                workspace=workspace,
                prompt=prompts[p],
                text=text,
                model_name=model,
                citations=urls,
                task_money_spent=Decimal("0.010000"),
                **fields,
            )
            for p, model, text, urls in DASHBOARD_ANSWERS
        ]

    return make


@pytest.fixture
def data(workspace, brands, prompts, make_dashboard_answers):
    """The data set: its answers in order, plus the failed and expired tasks."""
    from monitoring.models import TaskStatus
    from tests.factories import make_task

    answers = make_dashboard_answers()
    for status in (TaskStatus.FAILED, TaskStatus.EXPIRED):
        make_task(
            workspace=workspace,
            prompt=prompts["P1"],
            tag=f"t-{status}",
            request_body={},
            status=status,
        )
    return {"answers": answers, **brands, **prompts}


@pytest.fixture
def empty_job_queue():
    """The job queue (database or Redis, whichever is configured) starts and ends empty."""
    from django_q.brokers import get_broker

    broker = get_broker()
    broker.purge_queue()
    yield
    broker.purge_queue()
