"""Posting `notify`'s messages: to each endpoint at once, each retried with backoff.

A plain HTTPS endpoint's body is signed as GitHub signs its webhooks: HMAC-SHA256 of the exact
bytes with NOTIFY_WEBHOOK_SECRET, hex, in `X-AI-Orchestrator-Signature-256: sha256=<hex>`, with
the event's key in `X-AI-Orchestrator-Delivery` to drop a repeat by. A dropped connection, a
timeout, 429 or 5xx is tried again (ATTEMPTS in all); any other answer is final.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import httpx2
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-AI-Orchestrator-Signature-256"
DELIVERY_HEADER = "X-AI-Orchestrator-Delivery"
HOOK_HEADER = "X-AI-Orchestrator-Hook"
USER_AGENT = "ai-orchestrator-notify"
ATTEMPTS = 3
REQUEST_TIMEOUT = 8.0
BACKOFF = wait_exponential(multiplier=0.5, max=4)

Sleep = Callable[[float], Awaitable[None]]


class TryAgain(Exception):
    """The endpoint answered with something worth retrying (429, 5xx)."""


class NotifyFailed(Exception):
    """Some endpoints never took the message; the message names them (never a Slack URL)."""


@dataclass(frozen=True)
class Post:
    url: str
    label: str  # what logs and errors call the endpoint: a Slack URL is a credential
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signed(url: str, body: bytes, *, secret: str, hook: str, key: str) -> Post:
    headers = {SIGNATURE_HEADER: signature(secret, body), HOOK_HEADER: hook, DELIVERY_HEADER: key}
    return Post(url, httpx2.URL(url).host, body, headers)


async def send(http: httpx2.AsyncClient, post: Post, *, sleep: Sleep = asyncio.sleep) -> None:
    """Posts once it is taken; raises after ATTEMPTS tries, or at once on a final refusal."""
    retrying = AsyncRetrying(
        stop=stop_after_attempt(ATTEMPTS),
        wait=BACKOFF,
        retry=retry_if_exception_type((TryAgain, httpx2.TransportError)),
        sleep=sleep,
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            await _post_once(http, post)


async def _post_once(http: httpx2.AsyncClient, post: Post) -> None:
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, **post.headers}
    response = await http.post(
        post.url, content=post.body, headers=headers, timeout=REQUEST_TIMEOUT
    )
    if response.status_code == 429 or response.status_code >= 500:
        raise TryAgain(f"answered {response.status_code}")
    if response.status_code >= 400:
        raise NotifyFailed(f"refused it with {response.status_code}")


async def send_all(
    http: httpx2.AsyncClient, posts: Sequence[Post], *, sleep: Sleep = asyncio.sleep
) -> None:
    """Sends every post at once (one slow endpoint does not hold the others back); raises
    naming those that failed, once all are done."""
    results = await asyncio.gather(
        *(send(http, post, sleep=sleep) for post in posts), return_exceptions=True
    )
    failed = [
        f"{post.label}: {_why(result)}"
        for post, result in zip(posts, results, strict=True)
        if isinstance(result, BaseException)
    ]
    if failed:
        raise NotifyFailed(f"{len(failed)} of {len(posts)} endpoints failed: " + "; ".join(failed))


def _why(error: BaseException) -> str:
    return str(error) if isinstance(error, TryAgain | NotifyFailed) else type(error).__name__
