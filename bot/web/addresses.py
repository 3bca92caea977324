"""Which addresses setup mode hands GitHub: where the browser comes back, where webhooks go.

The browser comes back to the address it used (the request's scheme and Host; uvicorn takes
X-Forwarded-Proto from the proxies in FORWARDED_ALLOW_IPS, loopback by default). X-Forwarded-Host
is not read: any client can send it, and no reverse proxy needs it when it passes Host on.

The Host header is checked before it is used. A page reached through a name that some DNS
server points at 127.0.0.1 (DNS rebinding) would otherwise send GitHub's one-hour code, and
with it the new App's private key, to that name's owner. So a host is taken only if it is an
IP address, a name without a dot (`localhost`, a machine's name: public DNS cannot serve
those), a `.localhost` name, or PUBLIC_URL's own host.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from starlette.requests import Request


def browser_url(request: Request) -> str:
    """The address the browser used to reach this server, without a trailing slash."""
    return str(request.base_url).rstrip("/")


def trusted_host(host: str | None, public_url: str | None) -> bool:
    if not host:
        return False
    host = host.lower().rstrip(".")
    if _ip(host) is not None or "." not in host or host.endswith(".localhost"):
        return True
    return public_url is not None and host == (urlsplit(public_url).hostname or "")


def is_loopback(host: str | None) -> bool:
    """True for this machine's own names: a browser there needs a proxy to get webhooks."""
    if not host:
        return False
    host = host.lower().rstrip(".")
    address = _ip(host)
    if address is not None:
        return address.is_loopback
    return host == "localhost" or host.endswith(".localhost")


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
