"""Browsers ask for /favicon.ico whatever the page links: it leads to the site's icon."""

import pytest
from django.templatetags.static import static

pytestmark = pytest.mark.django_db


def test_favicon_ico_leads_to_the_icon_without_a_login(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == static("favicon.svg")


def test_every_page_links_the_icon(client):
    html = client.get("/accounts/login/").content.decode()
    assert f'<link rel="icon" href="{static("favicon.svg")}" type="image/svg+xml">' in html
