"""The model catalogue refreshes from the sandbox's models endpoint over real HTTP."""

import pytest

from monitoring.aisa.client import AisaClient
from monitoring.models import LlmModel, ModelRefresh
from monitoring.pipeline.catalog import model_catalog_refresh
from monitoring.selectors.catalog import model_catalog, model_refresh_status

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(sandbox):
    with AisaClient(sandbox.aisa_base_url, "sk-aisa-test-key", read_timeout=5) as c:
        yield c


def test_it_stores_the_models_with_their_capabilities(client):
    refresh = model_catalog_refresh(client=client)
    assert refresh.ok
    catalog = model_catalog()
    assert refresh.model_count == len(catalog) >= 3
    assert any(m.web_search_supported for m in catalog.values())
    assert any(not m.web_search_supported for m in catalog.values())


def test_it_keeps_the_last_good_list_when_a_refresh_fails(client, sandbox):
    model_catalog_refresh(client=client)
    before = set(model_catalog())
    sandbox.add_fault("http_503", count=1, endpoint="models")
    failed = model_catalog_refresh(client=client)
    assert not failed.ok
    assert failed.error
    assert set(model_catalog()) == before
    status = model_refresh_status()
    assert status["last"] == failed
    assert status["last_ok"].ok


def test_it_marks_models_no_longer_listed_as_unavailable(client):
    from django.utils import timezone

    LlmModel.objects.create(model_name="claude-2-retired", refreshed_at=timezone.now())
    model_catalog_refresh(client=client)
    assert not LlmModel.objects.get(model_name="claude-2-retired").is_available
    assert "claude-2-retired" not in model_catalog()


def test_it_never_writes_the_key_into_the_refresh_log(sandbox):
    with AisaClient(sandbox.aisa_base_url, "sk-aisa-wrong-secret") as wrong:
        refresh = model_catalog_refresh(client=wrong)
    assert not refresh.ok
    assert "sk-aisa-wrong-secret" not in refresh.error
    assert ModelRefresh.objects.count() == 1
