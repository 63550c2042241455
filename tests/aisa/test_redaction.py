"""What of a task object may be shown: the secrets of its webhook URLs never."""

import pytest

from monitoring.aisa.redaction import REDACTED, task_body_redacted, url_redacted

TOKEN = "3f2a" * 10


def test_it_hides_the_token_of_our_webhook_urls_and_keeps_the_rest():
    url = f"https://visibility.example.com/hooks/postback/{TOKEN}/?id=$id&tag=$tag"
    assert url_redacted(url) == (
        f"https://visibility.example.com/hooks/postback/{REDACTED}/?id=$id&tag=$tag"
    )


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        # Credentials in the authority, secrets in the query or the fragment.
        ("https://user:pw@example.com/p", "https://example.com/p"),
        (
            "https://example.com/p?token=s3cr3t&tag=$tag",
            f"https://example.com/p?token={REDACTED}&tag=$tag",
        ),
        ("https://example.com/p#k9x", f"https://example.com/p#{REDACTED}"),
        ("https://example.com:8443/hooks", "https://example.com:8443/hooks"),
        # A long word may be a key too; only short plain words and placeholders are shown.
        ("https://example.com/abcdefabcdefabcdefabcdef", f"https://example.com/{REDACTED}"),
        # Not a URL we can take apart: nothing of it is shown.
        ("http://[::1/x", REDACTED),
        ("http://[::1]:8000/hooks", "http://[::1]:8000/hooks"),
        ("not a url", REDACTED),
    ],
)
def test_it_shows_only_what_cannot_be_a_secret(url, shown):
    assert url_redacted(url) == shown


def test_it_redacts_both_webhook_fields_of_a_copy():
    body = {
        "user_prompt": "Which CRM?",
        "tag": "t-1",
        "postback_url": f"https://x.example/hooks/postback/{TOKEN}/",
        "pingback_url": f"https://x.example/hooks/pingback/{TOKEN}/",
    }
    shown = task_body_redacted(body)
    assert TOKEN not in str(shown)
    assert shown["user_prompt"] == "Which CRM?"
    assert TOKEN in body["postback_url"]  # the task's own body is untouched


@pytest.mark.parametrize("value", [None, 42, ["a", TOKEN]])
def test_it_hides_a_webhook_field_that_is_not_a_string(value):
    shown = task_body_redacted({"postback_url": value})
    assert shown["postback_url"] in (None, REDACTED)
    assert TOKEN not in str(shown)
