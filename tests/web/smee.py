"""A local stand-in for smee.io, served by uvicorn on a loopback port, as the proxy sees it.

`GET /new` redirects to a new channel (307, as smee.io does); `GET /<channel>` with
`Accept: text/event-stream` streams `event: ready`, then the items a test queues with `send`,
each as smee.io writes it (`data:` the JSON of the request's headers, `body`, `query` and
`timestamp`, as JavaScript's JSON.stringify writes it). `drop` ends the stream that is open; the
next connection takes the items queued after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

CHANNEL = "3fJcsM1Xq2kTn9Lw"
_DROP = None


def smee_data(headers: Mapping[str, str], body: bytes, **extra: Any) -> str:
    """A message's data as smee.io sends it: the body parsed, everything re-serialised."""
    message = {
        "host": "smee.io",
        "content-length": str(len(body)),
        "connection": "close",
        **headers,
        "body": json.loads(body),
        "query": {},
        "timestamp": 1_767_225_600_000,
        **extra,
    }
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


@dataclass
class LocalSmee:
    base_url: str = ""
    connections: int = 0
    sent_on: list[int] = field(default_factory=list)  # the connection each message went out on
    heads: int = 0
    refuse_new: bool = False  # /new answers 503, as a smee.io that is down
    _items: asyncio.Queue[str | None] = field(default_factory=asyncio.Queue)

    @property
    def new_url(self) -> str:
        return f"{self.base_url}/new"

    @property
    def channel_url(self) -> str:
        return f"{self.base_url}/{CHANNEL}"

    def send(self, data: str) -> None:
        self._items.put_nowait(data)

    def drop(self) -> None:
        self._items.put_nowait(_DROP)

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/new", self._new, methods=["GET", "HEAD"]),
                Route("/{channel}", self._channel, methods=["GET"]),
            ]
        )

    async def _new(self, request: Request) -> Response:
        self.heads += request.method == "HEAD"
        if self.refuse_new:
            return PlainTextResponse("down for maintenance", status_code=503)
        return RedirectResponse(self.channel_url, status_code=307)

    async def _channel(self, request: Request) -> Response:
        if request.path_params["channel"] != CHANNEL:
            return PlainTextResponse("no such channel", status_code=404)
        if request.headers.get("accept") != "text/event-stream":
            return PlainTextResponse("the channel's web page")
        self.connections += 1
        return StreamingResponse(self._stream(self.connections), media_type="text/event-stream")

    async def _stream(self, connection: int) -> AsyncIterator[str]:
        number = 0
        yield f"id: {number}\nevent: ready\ndata: {{}}\n\n"
        while (item := await self._items.get()) is not _DROP:
            number += 1
            self.sent_on.append(connection)
            yield f"id: {number}\ndata: {item}\n\n"


@contextlib.asynccontextmanager
async def serving(smee: LocalSmee) -> AsyncIterator[LocalSmee]:
    """`smee` listening on 127.0.0.1 (a free port) in this event loop, until the block ends."""
    config = uvicorn.Config(
        smee.app(),
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    smee.base_url = f"http://127.0.0.1:{port}"
    try:
        yield smee
    finally:
        server.should_exit = True
        await task
