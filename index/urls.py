"""The shape of every URL mentionwatch reads from a watchlist or requests: http or https, and a
well-formed host (a name of valid labels, or an IP address) and port.

Whether a host's addresses may be contacted is judged where the connection is made
(`crawlers/addresses.py`); this module only says whether the URL is one at all, so the
watchlist, the crawler and the notifiers refuse the same URLs with the same words.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

__all__ = ["ALLOWED_SCHEMES", "BadURL", "http_url_host"]

ALLOWED_SCHEMES = frozenset({"http", "https"})

# A DNS label (after IDNA): letters, digits and inner hyphens, at most 63 characters.
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


class BadURL(ValueError):
    """Raised by `http_url_host`; `reason` (`scheme` or `host`) says which rule the URL broke,
    for counting."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def http_url_host(url: str) -> str:
    """The host of an http(s) URL (an IP literal without brackets); raises `BadURL` naming
    what is wrong."""
    if any(char.isspace() for char in url):
        raise BadURL("a URL has no spaces: escape them as %20", "host")
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # .port raises for a port out of range
    except ValueError as exc:
        raise BadURL(f"not a valid URL ({exc})", "host") from None
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        raise BadURL(f"must be an http or https URL, not {parts.scheme or 'no scheme'!r}",
                     "scheme")
    if not host:
        raise BadURL("the URL has no host", "host")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        try:
            labels = host.encode("idna").decode("ascii").rstrip(".").split(".")
        except UnicodeError:
            labels = [host]
        if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
            raise BadURL(f"malformed host name {host!r}", "host") from None
    return host
