"""Only absolute http(s) URLs become links: a citation URL comes from the API, untrusted.

A "javascript:" or "data:" href runs code in the page's origin when clicked, a relative one
points into this site; every other URL is shown as text on the answer and task pages.
"""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from monitoring.models import Citation, TaskStatus
from tests.factories import make_answer

pytestmark = pytest.mark.django_db

WEB = ["https://acme.com/pricing", "HTTP://Example.org/a?b=1"]
HOSTILE = [
    "javascript:alert(document.cookie)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "\x01javascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "/w/1/settings/?from=citation",
    "//evil.example/x",
    "https:/evil.example",
    "https://",
    "ftp://files.example.com/a",
]


@pytest.mark.parametrize("url", WEB)
def test_a_web_url_is_a_link(url):
    assert Citation(url=url).is_web


@pytest.mark.parametrize("url", HOSTILE)
def test_any_other_url_is_not(url):
    assert not Citation(url=url).is_web


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self.hrefs.append(dict(attrs).get("href", ""))


def hrefs(response) -> list[str]:
    parser = _Links()
    parser.feed(response.content.decode())
    return parser.hrefs


@pytest.fixture
def cited(workspace, prompts):
    citations = [{"url": url, "domain": "example.com"} for url in WEB + HOSTILE]
    return make_answer(
        workspace=workspace, prompt=prompts["P1"], web_search=True, citations=citations
    )


def _assert_only_web_links(response):
    links = hrefs(response)
    for url in WEB:
        assert url in links
    for url in HOSTILE:
        assert url not in links
    assert not [h for h in links if h.strip().lower().startswith(("javascript", "data:", "vb"))]


def test_the_answer_page_links_only_web_citations(viewer_client, workspace, cited):
    response = viewer_client.get(reverse("answer_detail", args=[workspace.pk, cited.pk]))
    _assert_only_web_links(response)
    page = response.content.decode()
    assert "<code>javascript:alert(document.cookie)</code>" in page  # shown, as text
    assert "<code>vbscript:msgbox(1)</code>" in page


def test_the_task_page_links_only_web_citations(viewer_client, workspace, cited):
    assert cited.task.status == TaskStatus.COLLECTED
    url = reverse("task_detail", args=[workspace.pk, cited.task_id])
    _assert_only_web_links(viewer_client.get(url))
    _assert_only_web_links(viewer_client.get(url, headers={"HX-Request": "true"}))
