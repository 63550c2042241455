"""Two requests at the same moment, on PostgreSQL (row locks; SQLite serialises whole
transactions instead): one invitation lets one person join, and two owners stepping down
together leave one owner.

The first request's transaction is held open, in a thread, right after its write; the test
waits until the database reports the second one waiting for that lock (so the two really
overlap), then lets the first commit and sees what the second made of it.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from monitoring.models import Invitation, Membership
from monitoring.services.invitations import (
    InvitationUnusable,
    invitation_accept,
    invitation_create,
)
from monitoring.services.workspaces import LastOwnerError, membership_role_set
from tests.factories import make_user

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks: run on PostgreSQL (DATABASE_URL)"
    ),
]


def _in_thread(work, *, hold: threading.Event | None = None):
    """Run ``work`` in a thread with its own connection; with ``hold``, keep its transaction
    open after ``work`` until ``hold`` is set. Returns the thread and what it got."""
    outcome: dict = {}
    done = threading.Event()

    def run():
        try:
            with transaction.atomic():
                outcome["result"] = work()
                if hold is not None:
                    outcome["holding"] = True
                    hold.wait(timeout=60)
        except Exception as error:  # the outcome under test, looked at by the test
            outcome["error"] = error
        finally:
            connections.close_all()
            done.set()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome, done


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + 30  # a safety net against a hang, never an assertion
    while not condition():
        assert time.monotonic() < deadline, f"never happened: {what}"
        time.sleep(0.02)


def _someone_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def _overlap(first, second):
    """Run ``first`` and hold its transaction; run ``second`` once the first has written;
    wait until the second waits for the first's lock; let the first commit."""
    release = threading.Event()
    thread_a, a, _ = _in_thread(first, hold=release)
    _wait_for(lambda: a.get("holding") or "error" in a, "the first request wrote")
    thread_b, b, b_done = _in_thread(second)
    _wait_for(lambda: _someone_waits_for_a_lock() or b_done.is_set(), "the second one waited")
    waited = not b_done.is_set()
    release.set()
    thread_a.join(60)
    thread_b.join(60)
    return a, b, waited


def test_two_people_opening_one_link_at_once_let_one_join(workspace, owner):
    invitation = invitation_create(workspace=workspace, created_by=owner, role="viewer").invitation
    alice, bob = make_user(username="alice"), make_user(username="bob")
    copy_a, copy_b = (Invitation.objects.get(pk=invitation.pk) for _ in range(2))

    a, b, waited = _overlap(
        lambda: invitation_accept(invitation=copy_a, user=alice),
        lambda: invitation_accept(invitation=copy_b, user=bob),
    )

    assert waited, "the second accept should have waited for the first one's row lock"
    assert a["result"].user == alice
    assert isinstance(b.get("error"), InvitationUnusable)
    assert list(Membership.objects.filter(workspace=workspace, role="viewer")) == [a["result"]]


def test_two_owners_stepping_down_at_once_leave_one_owner(workspace, owner, make_member):
    second = make_member(workspace, "owner")
    mine = Membership.objects.get(user=owner, workspace=workspace)
    theirs = Membership.objects.get(user=second, workspace=workspace)

    a, b, waited = _overlap(
        lambda: membership_role_set(membership=mine, role="editor"),
        lambda: membership_role_set(membership=theirs, role="editor"),
    )

    assert waited, "the second change should have waited for the workspace's lock"
    assert "error" not in a
    assert isinstance(b.get("error"), LastOwnerError)
    owners = Membership.objects.filter(workspace=workspace, role="owner")
    assert [m.user for m in owners] == [second]
