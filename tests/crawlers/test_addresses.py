from __future__ import annotations

import pytest

from crawlers.addresses import (
    NO_PRIVATE_HOSTS,
    PrivateHosts,
    UnsafeURL,
    check_url,
    is_allowed_address,
)


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


LISTED = PrivateHosts.parse("GPU-Box.lan:8080, 10.0.0.5  [fd00::5]:8000,llm")


@pytest.mark.parametrize(("url", "host"), [
    ("http://gpu-box.lan:8080/v1/chat/completions", "gpu-box.lan"),  # any case, the port
    ("http://GPU-BOX.LAN.:8080/v1", "gpu-box.lan."),
    ("http://10.0.0.5:8000/v1", "10.0.0.5"),  # listed without a port: any
    ("https://10.0.0.5/v1", "10.0.0.5"),
    ("http://[fd00:0::5]:8000/v1", "fd00:0::5"),  # the same IPv6 address, written longer
    ("http://llm:8000/v1", "llm"),  # a compose service
])
def test_a_listed_private_host_passes(url: str, host: str) -> None:
    assert check_url(url, private_hosts=LISTED) == host


@pytest.mark.parametrize("url", [
    "http://[fd00::5]:9000/",  # another port than the listed one
    "http://10.0.0.6:8000/",  # its neighbour
    "http://[::ffff:10.0.0.5]:8000/",  # the listed IPv4 address inside an IPv6 one
    "http://127.0.0.1:8080/",
])
def test_a_host_not_listed_is_judged_by_its_address(url: str) -> None:
    with pytest.raises(UnsafeURL, match="non-global"):
        check_url(url, private_hosts=LISTED)


def test_a_listed_name_may_resolve_to_any_address_and_no_other_name_may() -> None:
    # check_url leaves a name to its caller, which judges each address it resolves to.
    assert is_allowed_address("10.9.9.9", host="gpu-box.lan", port=8080, private_hosts=LISTED)
    assert is_allowed_address("10.9.9.9", host="gpu-box.lan", private_hosts=LISTED)  # resolver
    for port in (22, 80):  # not the listed port
        assert not is_allowed_address("10.9.9.9", host="gpu-box.lan", port=port,
                                      private_hosts=LISTED)
    assert not is_allowed_address("10.9.9.9", host="gpu-box.lan.evil.example",
                                  private_hosts=LISTED)
    assert not is_allowed_address("10.9.9.9", host="gpu-box.lan", private_hosts=NO_PRIVATE_HOSTS)
    assert is_allowed_address("93.184.216.34", host="shop.example", private_hosts=LISTED)


@pytest.mark.parametrize(("value", "problem"), [
    ("*.lan", "malformed host name"), ("http://gpu-box.lan:8080", "is not host"),
    ("gpu-box.lan/v1", "is not host"), ("user@gpu-box.lan", "is not host"),
    ("gpu-box.lan:99999", "Port out of range"), ("fd00::5:8000:x", "is not host"),
])
def test_an_entry_that_is_not_a_host_is_refused(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        PrivateHosts.parse(value)


def test_an_unset_list_lists_nothing() -> None:
    assert PrivateHosts.parse("") == PrivateHosts.parse(None) == NO_PRIVATE_HOSTS
    assert PrivateHosts.parse(["a.lan", "b.lan:1"]) == PrivateHosts.parse("a.lan b.lan:1")
