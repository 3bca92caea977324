"""GitHub REST clients: gidgethub over the shared httpx2 client, with GitHub's rate limits honoured.

`GitHubClient` adds what gidgethub leaves to its users: the `X-GitHub-Api-Version` header on
every request, waiting out 429s and secondary-limit 403s (gidgethub raises `RateLimitExceeded`
only for a 403 with nothing remaining), repeating requests safe to repeat on GitHub's 5xx and
dropped connections (`bot.github.retry`; never a POST), and spacing mutating requests of one
installation, as GitHub asks. Rate-limit retries go through gidgethub's own hooks
(`manage_rate_limit`, before each attempt, and `handle_rate_limit_error`, after a failed one);
transient-failure retries wrap the raw exchange (`_request`) beneath them; either way
conditional-request caching and response parsing stay gidgethub's.

`GitHubApp` (one per process) hands out those clients: one authenticated as the App with a JWT,
and one per installation with its own ETag cache and its own spacing of mutations. An
installation client asks `bot.github.auth`'s token cache for the token on every request, so a
client held by a long job (or its `guarded` copy) follows the token past its hour. Nothing here
logs a token, a JWT or the private key.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from urllib.parse import urlsplit

import cachetools
import gidgethub
import gidgethub.httpx
import httpx2

from bot.github.auth import InstallationToken, TokenCache, app_jwt
from bot.github.metrics import record_response
from bot.github.ratelimit import (
    Clock,
    MutationPacer,
    RateLimited,
    RateLimitPolicy,
    Sleep,
    rate_limit_wait,
    reset_at,
)
from bot.github.retry import Response, RetryPolicy, send_with_retries

__all__ = [
    "GitHubApp",
    "GitHubClient",
    "RateLimitPolicy",
    "RateLimited",
    "RetryPolicy",
    "anonymous_client",
]

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.github.com"
DEFAULT_API_VERSION = "2022-11-28"
REQUESTER = "ai-orchestrator"
MUTATING_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
_ETAG_CACHE_SIZE = 500  # conditional-request entries kept per installation
# The installation token in effect now (cached until a minute before it expires).
Credentials = Callable[[], Awaitable[InstallationToken]]


class GitHubClient(gidgethub.httpx.GitHubAPI):
    """A gidgethub client that sends the API version and honours GitHub's rate limits."""

    def __init__(
        self,
        http: httpx2.AsyncClient,
        *,
        api_url: str = DEFAULT_API_URL,
        api_version: str = DEFAULT_API_VERSION,
        oauth_token: str | None = None,
        app_id: int | None = None,
        private_key: str | None = None,
        cache: gidgethub.abc.CACHE_TYPE | None = None,
        pacer: MutationPacer | None = None,
        policy: RateLimitPolicy | None = None,
        retry: RetryPolicy | None = None,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        requester: str = REQUESTER,
        credentials: Credentials | None = None,
    ) -> None:
        super().__init__(
            http,
            requester,
            oauth_token=oauth_token,
            app_id=str(app_id) if app_id is not None else None,
            private_key=private_key,
            cache=cache,
            base_url=api_url,
        )
        self.api_version = api_version
        self._pacer = pacer
        self._policy = policy or RateLimitPolicy()
        self._retry = retry or RetryPolicy()
        self._clock = clock
        self._sleep = sleep
        # The installation's current token, asked for on every request: gidgethub would send
        # the `oauth_token` of the moment the client (or a copy of it) was made.
        self._credentials = credentials
        # Asked before every mutating request; raising stops the write (see `guarded`).
        self.before_write: Callable[[], Awaitable[None]] | None = None
        # An installation client's granted permissions, from its token (empty otherwise).
        self.permissions: Mapping[str, str] = {}

    def guarded(self, before_write: Callable[[], Awaitable[None]]) -> GitHubClient:
        """This client for one job: `before_write` is awaited before each of its writes (a
        project's job stops there once the project is aborted). The copy shares the ETag
        cache and the spacing of mutations with this client."""
        clone = copy.copy(self)
        clone.before_write = before_write
        return clone

    async def _request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, Mapping[str, str], bytes]:
        if self.before_write is not None and method.upper() in MUTATING_METHODS:
            await self.before_write()
        headers = {**headers, "x-github-api-version": self.api_version}
        exchange = super()._request

        async def send() -> Response:
            sent = dict(headers)
            if self._credentials is not None:  # asked per try: a retry may cross the hour
                sent["authorization"] = await self._current_authorization()
            return self._logged(method, url, await exchange(method, url, sent, body))

        return await send_with_retries(
            send, method=method, url=url, policy=self._retry, sleep=self.sleep
        )

    @staticmethod
    def _logged(method: str, url: str, response: Response) -> Response:
        status, response_headers, _ = response
        record_response(method, status, response_headers)
        log.debug(
            "github %s %s -> %s",
            method,
            urlsplit(url).path,
            status,
            extra={
                "github_method": method,
                "github_path": urlsplit(url).path,
                "github_status": status,
                "ratelimit_remaining": response_headers.get("x-ratelimit-remaining"),
                "ratelimit_reset": response_headers.get("x-ratelimit-reset"),
                "ratelimit_resource": response_headers.get("x-ratelimit-resource"),
            },
        )
        return response

    async def _current_authorization(self) -> str:
        """The header for the installation's token now; what it grants comes with it."""
        assert self._credentials is not None
        token = await self._credentials()
        self.permissions = dict(token.permissions)
        return f"token {token.token}"

    async def download(self, url: str) -> str:
        """The text at a URL GitHub redirected to (a log's short-lived address). Fetched with
        the shared HTTP client but none of the API's headers: the token stays with GitHub."""
        response = await self._client.get(url, follow_redirects=True)
        response.raise_for_status()
        return response.text

    async def sleep(self, seconds: float) -> None:
        await self._sleep(seconds)

    async def manage_rate_limit(self, *, method: str, url: str) -> None:
        if self._pacer is not None and method.upper() in MUTATING_METHODS:
            await self._pacer.wait()

    async def handle_rate_limit_error(
        self, *, method: str, url: str, exception: gidgethub.HTTPException, attempt: int
    ) -> bool:
        wait = rate_limit_wait(exception, attempt=attempt, now=self._clock(), policy=self._policy)
        if wait is None:
            return False
        status = int(exception.status_code)
        if wait > self._policy.max_wait or attempt >= self._policy.max_attempts:
            raise RateLimited(
                reset_at=reset_at(exception.headers), retry_after=wait, status=status
            ) from exception
        log.warning(
            "github rate limit on %s %s (%s): waiting %.0f s, attempt %d",
            method,
            urlsplit(url).path,
            status,
            wait,
            attempt,
        )
        await self.sleep(wait)
        return True


def anonymous_client(
    http: httpx2.AsyncClient,
    api_url: str = DEFAULT_API_URL,
    api_version: str = DEFAULT_API_VERSION,
    *,
    sleep: Sleep = asyncio.sleep,
) -> GitHubClient:
    """A client without credentials, for `POST /app-manifests/{code}/conversions`."""
    return GitHubClient(http, api_url=api_url, api_version=api_version, sleep=sleep)


class GitHubApp:
    """Mints JWTs, caches installation tokens, hands out per-installation clients."""

    def __init__(
        self,
        *,
        app_id: int,
        private_key: str,
        http: httpx2.AsyncClient,
        api_url: str = DEFAULT_API_URL,
        api_version: str = DEFAULT_API_VERSION,
        mutation_spacing: float = 1.0,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        policy: RateLimitPolicy | None = None,
        retry: RetryPolicy | None = None,
        requester: str = REQUESTER,
    ) -> None:
        self.app_id = app_id
        self.api_url = api_url
        self._private_key = private_key
        self._http = http
        self._api_version = api_version
        self._spacing = mutation_spacing
        self._clock = clock
        self._sleep = sleep
        self._policy = policy or RateLimitPolicy()
        self._retry = retry or RetryPolicy()
        self._requester = requester
        self._tokens = TokenCache(clock=clock)
        self._clients: dict[int, GitHubClient] = {}
        self._app_client: GitHubClient | None = None

    def __repr__(self) -> str:
        return f"GitHubApp(app_id={self.app_id}, api_url={self.api_url!r})"

    def jwt(self) -> str:
        """A fresh App JWT: RS256, `iat` 60 s in the past, `exp` under GitHub's 10 minutes."""
        return app_jwt(self.app_id, self._private_key)

    def app_client(self) -> GitHubClient:
        """A client authenticated as the App (gidgethub mints and refreshes its JWT)."""
        if self._app_client is None:
            self._app_client = self._new_client(app_id=self.app_id, private_key=self._private_key)
        return self._app_client

    async def installation_token(self, installation_id: int) -> str:
        """The installation's token, fetched once, reused until a minute before it expires."""
        return (await self._tokens.get(installation_id, self._fetch_token)).token

    async def installation_client(self, installation_id: int) -> GitHubClient:
        """A token client; its ETag cache and mutation spacing persist per installation, and
        `permissions` says what its current token was granted."""
        fetched = await self._tokens.get(installation_id, self._fetch_token)
        token = fetched.token
        client = self._clients.get(installation_id)
        if client is None:
            client = self._new_client(
                oauth_token=token,
                cache=cachetools.LRUCache(_ETAG_CACHE_SIZE),
                credentials=functools.partial(self._tokens.get, installation_id, self._fetch_token),
            )
            self._clients[installation_id] = client
        client.oauth_token = token  # what gidgethub builds headers from; each request re-asks
        client.permissions = dict(fetched.permissions)
        return client

    async def _fetch_token(self, installation_id: int) -> InstallationToken:
        data = await self.app_client().post(
            "/app/installations/{installation_id}/access_tokens",
            {"installation_id": installation_id},
            data=b"",
        )
        token = InstallationToken.from_response(data)
        log.info(
            "installation token fetched",
            extra={"installation_id": installation_id, "expires_at": token.expires_at},
        )
        return token

    def _new_client(
        self,
        *,
        oauth_token: str | None = None,
        app_id: int | None = None,
        private_key: str | None = None,
        cache: gidgethub.abc.CACHE_TYPE | None = None,
        credentials: Credentials | None = None,
    ) -> GitHubClient:
        return GitHubClient(
            self._http,
            api_url=self.api_url,
            api_version=self._api_version,
            oauth_token=oauth_token,
            app_id=app_id,
            private_key=private_key,
            cache=cache,
            pacer=MutationPacer(self._spacing, clock=self._clock, sleep=self._sleep),
            policy=self._policy,
            retry=self._retry,
            clock=self._clock,
            sleep=self._sleep,
            requester=self._requester,
            credentials=credentials,
        )
