"""The shape of every URL mentionwatch reads from a watchlist or requests: http or https, and a
well-formed host (a name of valid labels, or an IP address) and port.

Whether a host's addresses may be contacted is judged where the connection is made
(`crawlers/addresses.py`); this module only says whether the URL is one at all, so the
watchlist, the crawler and the notifiers refuse the same URLs with the same words.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = ["ALLOWED_SCHEMES", "TRACKING_PARAMETERS", "BadURL", "http_url_host", "page_key",
           "untracked"]

ALLOWED_SCHEMES = frozenset({"http", "https"})
#: Query parameters that say where a reader came from, not what a link points to; each
#: syndicated copy of a press release tags its links with its own.
TRACKING_PARAMETERS = re.compile(
    r"utm_\w*|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|igshid|mc_cid|mc_eid|_hsenc"
    r"|_hsmi|mkt_tok|ref_src|ref_url", re.IGNORECASE)

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


def untracked(url: str) -> str:
    """`url` without its tracking parameters and its fragment."""
    parts = urlsplit(url)
    kept = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if not TRACKING_PARAMETERS.fullmatch(name)]
    return urlunsplit(parts._replace(query=urlencode(kept), fragment=""))


def page_key(url: str) -> str:
    """What tells two links to the same page apart from links to others: `url` untracked,
    its scheme and host in lower case, without a `www.` (as a mention's `source_domain`),
    a default port or a trailing slash (`HTTPS://www.Shop.example:443/r/7/?utm_source=x` is
    `https://shop.example/r/7`). An unreadable URL is its own key."""
    try:
        parts = urlsplit(untracked(url.strip()))
        host, port = (parts.hostname or "").rstrip(".").removeprefix("www."), parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and (scheme, port) not in {("http", 80), ("https", 443)}:
        netloc += f":{port}"
    return urlunsplit((scheme, netloc, parts.path.rstrip("/"), parts.query, ""))
