import pytest

from monitoring.analysis import domain_matches, normalize_domain


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hubspot.com", "hubspot.com"),
        ("HubSpot.COM", "hubspot.com"),
        ("https://www.hubspot.com/pricing?utm=1#top", "hubspot.com"),
        ("HTTPS://user:secret@WWW.HubSpot.com:443/x", "hubspot.com"),
        ("http://m.hubspot.com", "hubspot.com"),
        ("www.hubspot.com.", "hubspot.com"),
        ("blog.hubspot.com/post", "blog.hubspot.com"),
        ("//cdn.example.com/a.js", "cdn.example.com"),
        ("  example.org  ", "example.org"),
        ("bücher.de", "xn--bcher-kva.de"),
        ("https://www.BÜCHER.de/katalog", "xn--bcher-kva.de"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("www.com", "www.com"),
        ("m.co", "m.co"),
        ("192.168.0.1", "192.168.0.1"),
    ],
)
def test_it_normalizes_urls_and_domains(raw, expected):
    assert normalize_domain(raw) == expected


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "   ",
        "not a url",
        "http://",
        "localhost",
        "mailto:sales@hubspot.com",
        "https://example.com:port",
        "-bad-.com",
        "a..b.com",
        "http://example.123",
        "http://[::1",
    ],
)
def test_it_returns_empty_for_garbage(garbage):
    assert normalize_domain(garbage) == ""


def test_it_matches_the_domain_and_its_subdomains_only():
    brand = ["hubspot.com"]
    assert domain_matches("hubspot.com", brand)
    assert domain_matches("https://blog.hubspot.com/marketing", brand)
    assert domain_matches("www.hubspot.com", ["https://www.HubSpot.com/"])
    assert not domain_matches("nothubspot.com", brand)
    assert not domain_matches("hubspot.com.evil.io", brand)
    assert not domain_matches("hubspot.co", brand)


def test_it_matches_nothing_for_garbage_or_empty_brand_domains():
    assert not domain_matches("", ["hubspot.com"])
    assert not domain_matches("hubspot.com", ["", "not a domain"])
    assert not domain_matches("hubspot.com", [])
