"""Where mentionwatch may send a request: http(s) URLs of hosts whose addresses are global.

A watched site, a sitemap, a redirect or an admin's webhook URL is untrusted: it could point
the crawler or a notifier at the machine it runs on (`file:`, loopback), its network (private
ranges, carrier-grade NAT 100.64.0.0/10 where some clouds keep their metadata service), or
smuggle such an address inside an IPv6 one (IPv4-mapped, 6to4, Teredo, NAT64). The standard
library's `is_global` knows the IANA special-purpose registries; the embedded IPv4 address is
unwrapped and judged too.
"""

from __future__ import annotations

import ipaddress

from index.urls import BadURL, http_url_host

__all__ = ["UnsafeURL", "check_url", "is_allowed_address", "is_public_address"]

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class UnsafeURL(ValueError):
    """Raised by `check_url` for a URL mentionwatch must never request; `reason` (`scheme`,
    `host` or `private_address`) says which check it failed, for counting."""

    def __init__(self, message: str, reason: str = "private_address") -> None:
        super().__init__(message)
        self.reason = reason


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    embedded = [ip.ipv4_mapped, ip.sixtofour]
    if ip.teredo is not None:
        embedded.extend(ip.teredo)  # (server, client)
    if any(ip in net for net in _NAT64):
        embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return [v4 for v4 in embedded if v4 is not None]


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address, and for an IPv6 address only when every
    IPv4 address it embeds is one too."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if not ip.is_global or ip.is_multicast:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        return all(is_public_address(str(v4)) for v4 in _embedded_ipv4(ip))
    return True


def is_allowed_address(address: str, *, allow_loopback: bool = False) -> bool:
    """`is_public_address`, or a loopback address when `allow_loopback` (tests and the demo
    serve on 127.0.0.1; nothing else private is ever allowed)."""
    if allow_loopback and ipaddress.ip_address(address.split("%", 1)[0]).is_loopback:
        return True
    return is_public_address(address)


def check_url(url: str, *, allow_loopback: bool = False) -> str:
    """The URL's host, after checking it is an http(s) URL with a well-formed host
    (`index.urls`); raises `UnsafeURL` naming what is wrong. An IP literal host must pass
    `is_allowed_address`; a name is resolved by the caller, which judges each address it
    connects to the same way."""
    try:
        host = http_url_host(url)
    except BadURL as exc:
        raise UnsafeURL(f"{exc}: {url!r}", exc.reason) from None
    try:
        literal = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if not is_allowed_address(str(literal), allow_loopback=allow_loopback):
        raise UnsafeURL(f"{host} is a private, loopback or otherwise non-global address: {url!r}")
    return host
