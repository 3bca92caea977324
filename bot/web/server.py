"""Serving the app with uvicorn, and saying where setup mode is once the socket is bound.

The line is written after binding, not before, so that it names the real port (PORT=0, or a
port chosen by the platform) and an address a browser can open (not 0.0.0.0).
"""

from __future__ import annotations

import ipaddress
import logging
import socket

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp

from bot.heap import settle_heap

log = logging.getLogger(__name__)

SETUP_LINE = "setup mode: open {url} to register the GitHub App"


def uvicorn_config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    """How the app is served. `log_config=None`: uvicorn's loggers go through ours (one JSON
    line each, scrubbed). No access log of uvicorn's: the app writes its own, one line with the
    delivery's facts (bot/web/accesslog.py). The webhook benchmark serves its bare endpoint
    with this too, so that both servers pay for the same server and log set-up."""
    return uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False)


class Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, app: Starlette) -> None:
        super().__init__(config)
        self.app = app

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        settle_heap()  # the app is up: what it built is never garbage (bot/heap.py)
        if self.started and not self.should_exit and _in_setup_mode(self.app):
            bound = [sock.getsockname() for server in self.servers for sock in server.sockets]
            url = setup_url(bound, self.app.state.runtime.settings.public_url)
            if url is not None:
                log.info(SETUP_LINE.format(url=url))


def setup_url(bound: list[object], public_url: str | None) -> str | None:
    """Where a browser opens setup: the first TCP address bound, a wildcard one as loopback."""
    for address in bound:
        if isinstance(address, tuple) and len(address) >= 2:
            local = f"http://{_browsable(str(address[0]))}:{address[1]}/"
            return f"{local} (or {public_url}/)" if public_url else local
    return f"{public_url}/" if public_url else None  # a Unix socket: no URL of its own


def _in_setup_mode(app: Starlette) -> bool:
    runtime = getattr(app.state, "runtime", None)
    return runtime is not None and runtime.deps is None


def _browsable(host: str) -> str:
    """0.0.0.0 and :: are not addresses a browser can open; an IPv6 literal needs brackets."""
    address = ipaddress.ip_address(host)
    if address.is_unspecified:
        return "127.0.0.1" if address.version == 4 else "[::1]"
    return f"[{host}]" if address.version == 6 else host
