from __future__ import annotations

import pytest

from crawlers.addresses import UnsafeURL, check_url


@pytest.mark.parametrize(
    ("url", "problem"),
    [("file:///etc/passwd", "must be an http or https URL"),
     ("data:,hello", "must be an http or https URL"),
     ("ftp://example.com/x", "must be an http or https URL"), ("http:///path", "has no host"),
     ("http://a..b/hook", "malformed host"), ("http://100.64.0.1/", "non-global"),
     ("http://[64:ff9b::7f00:1]/", "non-global"), ("http://[::1]:8000/", "non-global"),
     ("http://[::1/", "not a valid URL"), ("http://a b/", "no spaces"),
     ("http://shop.example:99999/", "Port out of range"),
     ("http://-shop.example/", "malformed host")],
)
def test_unsafe_urls_are_refused_naming_the_problem(url: str, problem: str) -> None:
    with pytest.raises(UnsafeURL, match=problem):
        check_url(url)


def test_public_and_allowed_loopback_urls_give_their_host() -> None:
    assert check_url("https://hooks.slack.com/services/T/B/X") == "hooks.slack.com"
    assert check_url("http://bücher.example/") == "bücher.example"
    assert check_url("http://127.0.0.1:8765/", allow_loopback=True) == "127.0.0.1"
    assert check_url("http://[::1]:8765/", allow_loopback=True) == "::1"
    for url in ("file:///etc/passwd", "http://100.64.0.1/", "http://10.0.0.1/"):
        with pytest.raises(UnsafeURL):
            check_url(url, allow_loopback=True)
