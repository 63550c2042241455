from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring import jobs, services
from monitoring.models import Heartbeat


@pytest.mark.django_db
def test_anyone_gets_the_status_only(client):
    """An uptime checker needs the status; the parts (a halt quotes the API's message) are
    for staff."""
    from monitoring.models import PipelineHalt

    PipelineHalt.objects.create(reason="Payment required: secret detail", error_code=40200)
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "degraded"}
    assert b"secret detail" not in response.content


@pytest.mark.django_db
def test_members_who_are_not_staff_get_the_status_only(viewer_client):
    assert viewer_client.get(reverse("healthz")).json() == {"status": "degraded"}


@pytest.mark.django_db
def test_it_reports_no_worker_yet_to_staff(admin_client):
    response = admin_client.get(reverse("healthz"))
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == {"ok": True}
    assert body["cluster"]["seen"] is False
    assert body["status"] == "degraded"


@pytest.mark.django_db
def test_it_reports_a_worker_seen_by_the_heartbeat_job(admin_client):
    jobs.heartbeat()
    body = admin_client.get(reverse("healthz")).json()
    assert body["cluster"]["seen"] is True
    assert body["status"] == "ok"


@pytest.mark.django_db
def test_it_reports_a_stale_heartbeat_as_not_seen(admin_client):
    services.heartbeat_touch()
    Heartbeat.objects.update(seen_at=timezone.now() - timedelta(minutes=10))
    body = admin_client.get(reverse("healthz")).json()
    assert body["cluster"]["seen"] is False
    assert body["cluster"]["age_seconds"] >= 600


@pytest.mark.django_db
def test_it_installs_the_heartbeat_schedule_on_migrate():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name="heartbeat")
    assert schedule.func == "monitoring.jobs.heartbeat"
    assert schedule.minutes == 1


@pytest.mark.django_db
def test_it_reports_a_missing_api_key_and_a_halted_pipeline(admin_client, settings):
    from monitoring.models import PipelineHalt

    jobs.heartbeat()
    settings.AISA_API_KEY = ""
    body = admin_client.get(reverse("healthz")).json()
    assert body["api"]["configured"] is False
    assert body["status"] == "degraded"
    settings.AISA_API_KEY = "sk-aisa-test-key"
    PipelineHalt.objects.create(reason="Payment required: top up the account", error_code=40200)
    body = admin_client.get(reverse("healthz")).json()
    assert body["api"] == {
        "configured": True,
        "posting_halted": True,
        "halt_reason": "Payment required: top up the account",
        "collection": "ok",
    }
    assert body["status"] == "degraded"


@pytest.mark.django_db
def test_it_skips_the_pipeline_tick_without_an_api_key(settings):
    settings.AISA_API_KEY = ""
    assert jobs.pipeline_tick()["skipped"] == "no API key configured"
