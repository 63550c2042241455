"""Which URLs may become links in this site's pages: the one rule every page follows."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_web_url(url: str) -> bool:
    """Whether ``url`` is an absolute http(s) URL with a host.

    URLs come from the API (citations, links in answers), so they are untrusted: a
    "javascript:", "data:" or "vbscript:" URL would run in this site's pages when clicked,
    a relative or protocol-relative one would point into the site or hide its scheme.
    Anything else (leading spaces or controls included) stays text.
    """
    if not url.lower().startswith(("http://", "https://")):
        return False
    try:
        return bool(urlsplit(url).hostname)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return False
