"""The webhook proxy: with WEBHOOK_PROXY_URL set, webhooks reach a server GitHub cannot reach.

GitHub posts to a smee.io channel; this process reads the channel as a Server-Sent Events
client (httpx2's own `AsyncClient.sse`) and posts each event to its own `/webhooks` in-process,
headers and signature as GitHub sent them (bot/web/relay.py), so the endpoint verifies and
stores it as any delivery. As Probot's smee-client does, with two differences: nothing else
has to run, and the body is rebuilt in GitHub's form rather than JavaScript's.

A dropped stream is opened again after a jittered exponential backoff; events sent while it
was down are not replayed by smee.io (redeliver them from the App's settings on GitHub).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx2

from bot.web.relay import NotAWebhook, relayed

log = logging.getLogger(__name__)

SMEE_NEW_CHANNEL_URL = "https://smee.io/new"
WEBHOOK_PATH = "/webhooks"
# The in-process target: requests go straight to the ASGI app, never to a socket.
LOOPBACK_BASE_URL = "http://webhook-proxy.internal"
# smee.io pings every 30 s: a stream silent for three pings is dead and is opened again.
STREAM_TIMEOUT = httpx2.Timeout(10.0, read=90.0)
CHANNEL_TIMEOUT = 10.0


class ChannelError(Exception):
    """A new channel could not be had; the message says why, without the channel's address."""


@dataclass(frozen=True)
class Backoff:
    """Seconds to wait before opening the stream again, after `failures` failed tries in a row."""

    first: float = 1.0
    cap: float = 60.0

    def delay(self, failures: int, draw: Callable[[], float] = random.random) -> float:
        # Half fixed, half random ("equal jitter"): clients that smee.io dropped together do
        # not all come back in the same instant.
        ceiling = min(self.cap, self.first * 2.0 ** min(failures, 32))
        return ceiling / 2 + draw() * ceiling / 2


@dataclass(frozen=True)
class ProxyConfig:
    """What tests and a self-hosted smee server may change; the defaults are smee.io's."""

    new_channel_url: str = SMEE_NEW_CHANNEL_URL
    backoff: Backoff = Backoff()
    http: httpx2.AsyncClient | None = None  # for the stream and /new; built when None


def channel_host(url: str) -> str:
    """What logs say of a channel: its host. Anyone with the full URL can read its events."""
    return urlsplit(url).netloc or "the webhook proxy"


async def create_channel(http: httpx2.AsyncClient, new_url: str = SMEE_NEW_CHANNEL_URL) -> str:
    """A new channel's URL, as smee-client's createChannel: `HEAD /new`, the redirect unfollowed."""
    try:
        response = await http.head(new_url, follow_redirects=False, timeout=CHANNEL_TIMEOUT)
    except httpx2.HTTPError as exc:
        message = f"{channel_host(new_url)} could not be reached ({type(exc).__name__})"
        raise ChannelError(message) from None
    location = response.headers.get("location", "")
    channel = urljoin(new_url, location)
    if not (response.is_redirect and location) or urlsplit(channel).scheme not in ("http", "https"):
        raise ChannelError(f"{channel_host(new_url)} answered HTTP {response.status_code}")
    return channel


class WebhookProxy:
    """Reads one channel for as long as it runs (cancel it to stop)."""

    def __init__(
        self,
        source: str,
        *,
        stream_http: httpx2.AsyncClient,
        target: httpx2.AsyncClient,
        backoff: Backoff,
        max_event_bytes: int,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.source = source
        self.stream_http = stream_http
        self.target = target
        self.backoff = backoff
        self.max_event_bytes = max_event_bytes
        self.sleep = sleep
        self.host = channel_host(source)

    async def run(self) -> None:
        failures = 0
        while True:
            try:
                opened = await self._read_stream()
            except Exception:
                # The edge of a background task: whatever went wrong, log it and try again.
                log.exception("webhook proxy: reading %s failed", self.host)
                opened = False
            failures = 0 if opened else failures + 1
            await self.sleep(self.backoff.delay(failures))

    async def _read_stream(self) -> bool:
        """Relays the channel's events until the stream ends; False if not one event came.

        Only a stream that carried something resets the backoff, so that a server accepting
        and dropping every connection at once is not asked again every second.
        """
        opened = False
        try:
            async with self.stream_http.sse(
                self.source, timeout=STREAM_TIMEOUT, max_event_size=self.max_event_bytes
            ) as events:
                if events.response.status_code != 200:
                    log.warning(
                        "webhook proxy: %s answered HTTP %d", self.host, events.response.status_code
                    )
                    return False
                async for event in events:
                    opened = True
                    await self._handle(event)
        except httpx2.HTTPError as exc:
            log.warning("webhook proxy: stream from %s lost (%s)", self.host, type(exc).__name__)
            return opened
        log.info("webhook proxy: %s closed the stream; opening it again", self.host)
        return opened

    async def _handle(self, event: httpx2.ServerSentEvent) -> None:
        if event.event == "ready":
            log.info("webhook proxy: receiving webhooks from %s", self.host)
        elif event.event == "message":
            await self._relay(event.data)
        # `ping` (every 30 s) and any other event carry no webhook.

    async def _relay(self, data: str) -> None:
        try:
            request = relayed(data)
        except NotAWebhook as exc:
            log.warning("webhook proxy: skipped a message from %s: %s", self.host, exc)
            return
        context = {"delivery_id": request.delivery_id}
        try:
            response = await self.target.post(
                WEBHOOK_PATH, content=request.body, headers=request.headers
            )
        except Exception:
            # One delivery's failure must not end the stream that carries the next ones.
            log.exception("webhook proxy: delivering a webhook failed", extra=context)
            return
        _log_answer(response.status_code, context)


def _log_answer(status: int, context: dict[str, str | None]) -> None:
    if status < 300:
        # /webhooks logs each delivery it takes; this line only says it came by the proxy.
        log.debug("webhook proxy: delivered, HTTP %d", status, extra=context)
    elif status == 401:
        log.warning(
            "webhook proxy: the signature did not verify (HTTP 401): not sent by GitHub with "
            "this App's secret, or a body the channel could not carry unchanged",
            extra=context,
        )
    else:
        log.warning("webhook proxy: /webhooks answered HTTP %d", status, extra=context)


class ProxyRunner:
    """The proxy of one process: at most one channel, read from start until the app stops."""

    def __init__(
        self, config: ProxyConfig, target: httpx2.AsyncClient, max_event_bytes: int
    ) -> None:
        self.config = config
        self.target = target
        self.max_event_bytes = max_event_bytes
        self.http = config.http or httpx2.AsyncClient(timeout=STREAM_TIMEOUT)
        self.url: str | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, url: str) -> None:
        if self._task is not None:
            return
        self.url = url
        proxy = WebhookProxy(
            url,
            stream_http=self.http,
            target=self.target,
            backoff=self.config.backoff,
            max_event_bytes=self.max_event_bytes,
        )
        self._task = asyncio.create_task(proxy.run(), name="webhook-proxy")
        log.info("webhook proxy: reading webhooks from %s", channel_host(url))

    async def create_channel(self) -> str:
        return await create_channel(self.http, self.config.new_channel_url)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.config.http is None:
            await self.http.aclose()
        await self.target.aclose()
