"""Where mentionwatch may send a request: http(s) URLs of hosts whose addresses are global.

A watched site, a sitemap, a redirect or an admin's webhook URL is untrusted: it could point
the crawler or a notifier at the machine it runs on (`file:`, loopback), its network (private
ranges, carrier-grade NAT 100.64.0.0/10 where some clouds keep their metadata service), or
smuggle such an address inside an IPv6 one (IPv4-mapped, 6to4, Teredo, NAT64). The standard
library's `is_global` knows the IANA special-purpose registries; the embedded IPv4 address is
unwrapped and judged too.

An admin may still trust a few hosts whose addresses are private, such as a model server on
the LAN or in the same compose project (`PrivateHosts`, MENTIONWATCH_PRIVATE_HOSTS): exactly
those hosts pass, on any address; every other host is judged by its address as ever.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from index.urls import BadURL, http_url_host

__all__ = ["NO_PRIVATE_HOSTS", "PrivateHosts", "UnsafeURL", "check_url", "is_allowed_address",
           "is_public_address", "url_port"]

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class UnsafeURL(ValueError):
    """Raised by `check_url` for a URL mentionwatch must never request; `reason` (`scheme`,
    `host` or `private_address`) says which check it failed, for counting."""

    def __init__(self, message: str, reason: str = "private_address") -> None:
        super().__init__(message)
        self.reason = reason


def _host_key(host: str) -> str:
    """How hosts are compared: an IP literal in its short form (`0:0::1` is `::1`), a name in
    lower case and IDNA-encoded (as a request's URL has it), without a final dot."""
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        pass
    name = host.rstrip(".")
    try:
        return name.encode("idna").decode("ascii").lower()
    except UnicodeError:  # not a valid name: compared as written, so it matches no entry
        return name.lower()


@dataclass(frozen=True, slots=True)
class PrivateHosts:
    """The hosts an admin trusts although their addresses are private or loopback
    (MENTIONWATCH_PRIVATE_HOSTS): each a host name or IP literal, on one port or (without
    one) any. A listed host passes the address guard whatever it resolves to; a host not
    listed, even one a listed host redirects to, is judged by its address."""

    entries: frozenset[tuple[str, int | None]] = frozenset()

    @classmethod
    def parse(cls, value: str | Iterable[str] | None) -> PrivateHosts:
        """From `host[:port]` entries separated by commas or spaces (`gpu-box.lan:8080
        10.0.0.5 [fd00::5]:8000`); ValueError naming an entry that is not one (a URL, a
        wildcard)."""
        text = value if isinstance(value, str) else " ".join(value or ())
        entries: set[tuple[str, int | None]] = set()
        for entry in filter(None, re.split(r"[\s,]+", text)):
            try:  # a bare IPv6 literal: its colons are not a port's
                entries.add((ipaddress.ip_address(entry).compressed, None))
                continue
            except ValueError:
                pass
            try:
                host = http_url_host(f"http://{entry}")
                parts = urlsplit(f"http://{entry}")
            except BadURL as exc:
                raise ValueError(f"MENTIONWATCH_PRIVATE_HOSTS: {entry!r} is not host[:port] "
                                 f"({exc}); no wildcards: list each host") from None
            if parts.netloc != entry or "@" in entry:  # a path, query or user is no host
                raise ValueError(f"MENTIONWATCH_PRIVATE_HOSTS: {entry!r} is not host[:port]")
            entries.add((_host_key(host), parts.port))
        return cls(frozenset(entries))

    def lists(self, host: str, port: int | None = None) -> bool:
        """True when `host` on `port` is listed; with no `port`, on any port it is listed
        with (the resolver knows no port: the guard judges the URL's port before)."""
        key = _host_key(host)
        return any(listed == key and (port is None or wanted in (None, port))
                   for listed, wanted in self.entries)


NO_PRIVATE_HOSTS = PrivateHosts()


def url_port(url: str) -> int:
    """The port a request for an http(s) URL connects to: its own, else the scheme's."""
    parts = urlsplit(url)
    return parts.port or (443 if parts.scheme.lower() == "https" else 80)


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


def is_allowed_address(address: str, *, allow_loopback: bool = False, host: str | None = None,
                       port: int | None = None,
                       private_hosts: PrivateHosts = NO_PRIVATE_HOSTS) -> bool:
    """`is_public_address`, or a loopback address when `allow_loopback` (tests and the demo
    serve on 127.0.0.1), or any address of a `host` that `private_hosts` lists on `port`
    (see `PrivateHosts.lists`); nothing else private is ever allowed."""
    if host is not None and private_hosts.lists(host, port):
        return True
    if allow_loopback and ipaddress.ip_address(address.split("%", 1)[0]).is_loopback:
        return True
    return is_public_address(address)


def check_url(url: str, *, allow_loopback: bool = False,
              private_hosts: PrivateHosts = NO_PRIVATE_HOSTS) -> str:
    """The URL's host, after checking it is an http(s) URL with a well-formed host
    (`index.urls`); raises `UnsafeURL` naming what is wrong. An IP literal host must pass
    `is_allowed_address`; a name is resolved by the caller, which judges each address it
    connects to the same way (with the URL's host and `url_port`)."""
    try:
        host = http_url_host(url)
    except BadURL as exc:
        raise UnsafeURL(f"{exc}: {url!r}", exc.reason) from None
    try:
        literal = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return host
    if not is_allowed_address(str(literal), allow_loopback=allow_loopback, host=host,
                              port=url_port(url), private_hosts=private_hosts):
        raise UnsafeURL(f"{host} is a private, loopback or otherwise non-global address: {url!r}")
    return host
