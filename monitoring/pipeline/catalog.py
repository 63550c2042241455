"""Refreshing the model catalogue from the API's ``models`` endpoint (a job calls this).

Each engine has its own list (``LlmModel.family``): the default engine's and those of the
engines active monitors ask are refreshed, each with a client of that engine.
"""

from __future__ import annotations

from django.conf import settings

from monitoring.aisa.client import AisaClient
from monitoring.aisa.errors import AisaError
from monitoring.pipeline.client import api_client
from monitoring.selectors.catalog import families_in_use
from monitoring.services import catalog as catalog_services


def model_catalog_refresh(*, client: AisaClient | None = None, family: str | None = None):
    """Fetch the model list and store it; on failure keep the last good list and say why."""
    family = family or settings.AISA_LLM_FAMILY
    refresh = catalog_services.model_refresh_start(family=family)
    own_client = client is None
    client = client or api_client(family=family)
    try:
        models = client.models()
    except AisaError as exc:
        return catalog_services.model_refresh_finish(refresh=refresh, error=str(exc))
    finally:
        if own_client:
            client.close()
    return catalog_services.model_refresh_finish(refresh=refresh, models=models)


def model_catalogs_refresh(*, client_for=None) -> list:
    """Refresh the model list of every engine in use; one engine's failure (recorded on its
    refresh) does not keep the others from refreshing."""
    refreshes = []
    for family in families_in_use():
        client = client_for(family) if client_for else None
        try:
            refreshes.append(model_catalog_refresh(client=client, family=family))
        finally:
            if client is not None:
                client.close()
    return refreshes
