"""A test double served over real HTTP, for app processes the test starts (`tests/workflow/
test_chaos.py`): the same handler `httpx2.MockTransport` takes in-process, behind uvicorn on a
local port, inside the test's own event loop, so the test reads the double's state between
requests without locks.

    sock = listening_socket()                      # the port is known before the double is made
    fake = FakeGitHub(spec, api_url=url_of(sock))
    async with served(asgi(handler), sock): ...

`asgi(handler, delay=0.05)` answers after that long, as a distant server would (the benchmark
of many workers, `bench/scale.py`); `app_env(...)` is the environment of an app process
(`ai-orchestrator web`, `worker` or `serve`) on those doubles.

`asgi(handler, after=...)` calls `after(request, response)` once the handler has answered and
before the answer is sent: the chaos test kills the calling process there, so the write is
applied and its answer never arrives.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Protocol

import httpx2
import uvicorn

from tests.scriptedmodel.runtime import ANTHROPIC_TEST_KEY, OPENAI_TEST_KEY

ROOT = Path(__file__).resolve().parents[1]  # the clone: app processes import `tests` from it

Handler = Callable[[httpx2.Request], httpx2.Response]
# Returns False when the caller is dead: its answer is lost.
After = Callable[[httpx2.Request, httpx2.Response], Awaitable[bool]]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


async def _body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _request(scope: dict[str, Any], body: bytes) -> httpx2.Request:
    host, port = scope["server"]
    query = scope.get("query_string", b"").decode()
    url = f"http://{host}:{port}{scope['raw_path'].decode()}" + (f"?{query}" if query else "")
    headers = [(key.decode(), value.decode()) for key, value in scope["headers"]]
    return httpx2.Request(scope["method"], url, headers=headers, content=body)


def asgi(
    handler: Handler, after: After | None = None, *, delay: float = 0.0
) -> Callable[..., Awaitable[None]]:
    """An ASGI app answering every request with `handler` (sync: the doubles are)."""

    async def app(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        request = _request(scope, await _body(receive))
        if delay:
            await asyncio.sleep(delay)
        response = handler(request)
        content = response.read()
        if after is not None and not await after(request, response):
            response, content = httpx2.Response(502), b""  # to a dead caller: nobody reads it
        headers = [
            (key.encode(), value.encode())
            for key, value in response.headers.items()
            if key.lower() not in ("content-length", "content-encoding", "transfer-encoding")
        ]
        headers.append((b"content-length", str(len(content)).encode()))
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        await send({"type": "http.response.body", "body": content})

    return app


@asynccontextmanager
async def served(app: Callable[..., Awaitable[None]], sock: socket.socket) -> AsyncIterator[str]:
    """Serves `app` on `sock` until the block ends; yields its base URL."""
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it
        await asyncio.sleep(0.01)
    try:
        yield url_of(sock)
    finally:
        server.should_exit = True
        await task


class Served(Protocol):
    """What `app_env` needs of the fake GitHub."""

    app_id: int
    private_key_pem: str
    webhook_secret: str
    api_url: str


def app_env(fake: Served, database_url: str, model_url: str, **settings: str) -> dict[str, str]:
    """This process's environment, less its own GitHub and agent settings, for an app process
    on the fake GitHub and the scripted model served at `model_url` (`settings` on top)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENT_", "GITHUB_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database_url,
        GITHUB_APP_ID=str(fake.app_id),
        GITHUB_PRIVATE_KEY=fake.private_key_pem,
        GITHUB_WEBHOOK_SECRET=fake.webhook_secret,
        GITHUB_API_URL=fake.api_url,
        GITHUB_MUTATION_SPACING="0",
        OPENAI_API_KEY=OPENAI_TEST_KEY,
        ANTHROPIC_API_KEY=ANTHROPIC_TEST_KEY,
        OPENAI_BASE_URL=f"{model_url}/v1",
        ANTHROPIC_BASE_URL=model_url,
        AGENT_MAX_RETRIES="0",
        LOG_LEVEL="WARNING",
    )
    env.update(settings)
    return env
