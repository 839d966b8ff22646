"""Requests to URLs people configure (alert notifiers, the reply-drafting AI engine), through
the crawler's address guard.

Such a URL is an admin's, but still untrusted: the host is resolved once, every address it
resolves to must be global (loopback only with `MENTIONWATCH_ALLOW_LOOPBACK`; any address
for a host the caller's `PrivateHosts` lists, which only the drafting engine passes), and the
connection goes to that checked address while TLS and the Host header keep the name, so a
DNS answer that changes in between cannot redirect it. A refused URL is refused before any
packet leaves. Errors name the host, never the URL's path or query (often a secret).
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx

from crawlers.addresses import (
    NO_PRIVATE_HOSTS,
    PrivateHosts,
    UnsafeURL,
    check_url,
    is_allowed_address,
    url_port,
)

__all__ = ["REDACTED", "OutboundError", "checked_address", "post", "redact_url", "url_refusal"]


class OutboundError(Exception):
    """Raised by `checked_address` and `post` for a refused address or a failed request."""


#: What stands for the path, query and fragment of a URL shown to people.
REDACTED = "/\N{HORIZONTAL ELLIPSIS}"


def redact_url(url: str) -> str:
    """The URL without what may hold a secret (user and password, path, query):
    `https://hooks.slack.com/…`."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname or "", parts.port
    except ValueError:
        return "(malformed URL)"
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}{f':{port}' if port else ''}{REDACTED}"


def url_refusal(url: str, *, allow_loopback: bool,
                private_hosts: PrivateHosts = NO_PRIVATE_HOSTS) -> str | None:
    """Why `url` must not be requested (`url: ...`, the URL redacted); None when it may."""
    try:
        check_url(url, allow_loopback=allow_loopback, private_hosts=private_hosts)
    except UnsafeURL as exc:
        # The guard quotes the URL, whose password or path may be a secret.
        return "url: " + str(exc).replace(repr(url), repr(redact_url(url)))
    return None


def checked_address(host: str, port: int, *, allow_loopback: bool,
                    private_hosts: PrivateHosts = NO_PRIVATE_HOSTS) -> str:
    """The address to connect to for `host`, resolved once; refused unless every address the
    name resolves to is allowed (a name that also points inside is not half-trusted)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise OutboundError(f"{host}: cannot resolve the host name ({exc})") from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for address in addresses:
        if not is_allowed_address(address, allow_loopback=allow_loopback, host=host, port=port,
                                  private_hosts=private_hosts):
            raise OutboundError(f"{host}: refused, it resolves to {address}, a private, "
                                "loopback or otherwise non-global address")
    return addresses[0]


def post(label: str, target: str, content: bytes, headers: dict[str, str], *,
         allow_loopback: bool, timeout: float, max_bytes: int = 0,
         private_hosts: PrivateHosts = NO_PRIVATE_HOSTS) -> bytes:
    """POST `content` to `target` through the address guard and return at most `max_bytes`
    of the answer (none by default: a notifier keeps nothing of it); OutboundError unless
    it answers 2xx. `label` (what is posting) begins every error."""
    if problem := url_refusal(target, allow_loopback=allow_loopback,
                              private_hosts=private_hosts):
        raise OutboundError(f"{label} {redact_url(target)}: {problem}")
    url = httpx.URL(target)
    name = url.raw_host.decode("ascii")
    address = checked_address(name, url_port(target), allow_loopback=allow_loopback,
                              private_hosts=private_hosts)
    body = b""
    try:
        # The checked address is connected to; Host and TLS (SNI, certificate) keep the name.
        with httpx.Client(timeout=timeout) as client, client.stream(
                "POST", url.copy_with(host=address), content=content,
                headers={**headers, "Host": url.netloc.decode("ascii")},
                extensions={"sni_hostname": name}) as response:
            status = response.status_code
            for chunk in response.iter_bytes() if max_bytes and status < 300 else ():
                body += chunk
                if len(body) > max_bytes:
                    raise OutboundError(f"{label} {name}: answer larger than {max_bytes} bytes")
    except httpx.HTTPError as exc:
        raise OutboundError(f"{label} {name}: {type(exc).__name__}") from exc
    if status >= 300:
        raise OutboundError(f"{label} {name}: HTTP {status}")
    return body
