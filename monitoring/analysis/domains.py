"""The domain a citation points at, and whether it belongs to a brand.

Citation share groups citations by domain, so every spelling of one site must give the
same key: ``HTTPS://user@WWW.HubSpot.com:443/pricing``, ``hubspot.com`` and
``m.hubspot.com`` are all ``hubspot.com``. Internationalised names are kept in their ASCII
(punycode) form so "bücher.de" and "xn--bcher-kva.de" are one domain.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_OPAQUE_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:(?!//)(?!\d)")  # mailto:, tel:, data:
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9_-]{1,63}(?<!-)$")
_TLD_RE = re.compile(r"^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$")
_STRIPPED_PREFIXES = ("www.", "m.")
#: Values up to this long are remembered (``normalize_domain``): a stored citation's domain
#: (at most 253 characters) and a brand's domains are, so the cache holds at most about a
#: megabyte, and no long hostile URL is kept.
CACHED_CHARS = 256


def normalize_domain(url_or_domain: str) -> str:
    """The lower-case registrable host of a URL or domain, or "" when there is none.

    Remembered for short values: analysing an answer matches each of its citations'
    domains against every brand domain of the workspace, the same few hundred strings
    over and over (it took a quarter of an answer's analysis)."""
    if len(url_or_domain) <= CACHED_CHARS:
        return _normalized_cached(url_or_domain)
    return _normalized(url_or_domain)


def _normalized(url_or_domain: str) -> str:
    host = _hostname(url_or_domain)
    if not host:
        return ""
    if _is_ip(host):
        return host
    host = _to_ascii(host)
    if not _is_valid_host(host):
        return ""
    for prefix in _STRIPPED_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            host = host[len(prefix) :]
    return host


_normalized_cached = functools.lru_cache(maxsize=4096)(_normalized)


def domain_matches(domain: str, brand_domains: Iterable[str]) -> bool:
    """Whether ``domain`` is one of ``brand_domains`` or a subdomain of one.

    ``blog.hubspot.com`` belongs to ``hubspot.com``; ``nothubspot.com`` does not.
    """
    host = normalize_domain(domain)
    if not host:
        return False
    for brand_domain in brand_domains:
        owner = normalize_domain(brand_domain)
        if owner and (host == owner or host.endswith("." + owner)):
            return True
    return False


def _hostname(value: str) -> str:
    value = value.strip()
    if not value or any(char.isspace() for char in value):
        return ""
    if _OPAQUE_RE.match(value):
        return ""
    if not _SCHEME_RE.match(value) and not value.startswith("//"):
        value = "//" + value  # a bare domain: make urlsplit read it as the host
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return ""
    return host.rstrip(".")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _to_ascii(host: str) -> str:
    if host.isascii():
        return host.lower()
    try:
        return host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return ""


def _is_valid_host(host: str) -> bool:
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL_RE.match(label) for label in labels):
        return False
    return _TLD_RE.match(labels[-1]) is not None
