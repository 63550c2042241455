"""Webhook secrets are never shown, to any role: the task page, the admin, the builder."""

from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring.forms.builder import send_token_new
from monitoring.models import LlmModel
from monitoring.pipeline.webhooks import webhook_task
from monitoring.services.tasks import tag_generate
from monitoring.services.webhooks import webhook_fields, webhook_token
from tests.factories import make_prompt, make_task

pytestmark = pytest.mark.django_db


@pytest.fixture
def hooked(settings, workspace):
    """A task whose body carries both webhook URLs, and its secret."""
    settings.AISA_COLLECT_MODES = ["poll", "pingback", "postback"]
    settings.AISA_WEBHOOK_BASE_URL = "https://visibility.example.com"
    task = make_task(workspace=workspace, tag="t-hooked")
    task.request_body = {**task.request_body, **webhook_fields(tag=task.tag)}
    task.save(update_fields=["request_body"])
    return task, webhook_token(tag=task.tag)


@pytest.mark.parametrize("role", ["owner", "editor", "viewer"])
def test_the_task_page_hides_the_webhook_secret_from_every_role(
    client, make_member, workspace, hooked, role
):
    task, token = hooked
    client.force_login(make_member(workspace, role))
    page = unescape(
        client.get(reverse("task_detail", args=[workspace.pk, task.pk])).content.decode()
    )
    assert token not in page
    assert '"postback_url": "https://visibility.example.com/hooks/postback/[redacted]/' in page
    assert '"pingback_url": "https://visibility.example.com/hooks/pingback/[redacted]/' in page
    assert '"user_prompt": ' in page  # the rest of the body is shown as posted


def test_the_admin_hides_the_webhook_secret(admin_client, hooked):
    task, token = hooked
    page = unescape(
        admin_client.get(reverse("admin:monitoring_task_change", args=[task.pk])).content.decode()
    )
    assert token not in page
    assert "/hooks/postback/[redacted]/" in page
    assert '"model_name": ' in page


def test_the_api_key_is_in_no_shown_body(client, make_member, workspace, hooked, settings):
    task, _ = hooked
    client.force_login(make_member(workspace, "owner"))
    page = client.get(reverse("task_detail", args=[workspace.pk, task.pk])).content.decode()
    assert settings.AISA_API_KEY not in page


def test_the_builder_preview_shows_no_real_secret(editor_client, workspace, settings):
    """The preview's URLs are built for the tag "preview", whose token is a real HMAC."""
    settings.AISA_COLLECT_MODES = ["poll", "pingback", "postback"]
    settings.AISA_WEBHOOK_BASE_URL = "https://visibility.example.com"
    LlmModel.objects.create(model_name="claude-sonnet-4-20250514", refreshed_at=timezone.now())
    prompt = make_prompt(workspace=workspace, text="Best CRM for startups?")
    data = {
        "scope": "selected",
        "prompts": [prompt.pk],
        "samples": "1",
        "model_name": "claude-sonnet-4-20250514",
        "max_output_tokens": "2048",
        "send_token": send_token_new(),
    }
    preview = editor_client.post(reverse("builder_preview", args=[workspace.pk]), data)
    page = unescape(preview.content.decode())
    assert '"postback_url": "https://visibility.example.com/hooks/postback/' in page
    assert webhook_token(tag="preview") not in page


def test_the_preview_token_opens_no_task(workspace):
    """No task can carry the tag "preview" (the product's tags start "t-"), and the preview's
    token is no other task's."""
    task = make_task(workspace=workspace, status="posted", provider_task_id="p-1")
    token = webhook_token(tag="preview")
    assert tag_generate().startswith("t-")
    assert webhook_task(token=token, provider_id="p-1", tag=task.tag) is None
    assert webhook_task(token=token, provider_id="p-1", tag="preview") is None
