"""Setup mode: register the GitHub App through GitHub's manifest flow, as Probot does.

`GET /` explains which credentials are missing and offers a form that posts the manifest built
from app.yml to GitHub, with a random state remembered here. GitHub sends the browser back to
`GET /setup/callback?code=…&state=…`; the state is checked and the code turned into saved
credentials (bot/web/registration.py). Pages are Jinja2 templates with autoescaping; none shows a
secret.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any
from urllib.parse import quote, urlencode

import httpx2
import jinja2
from cachetools import TTLCache
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from bot.settings import Settings
from bot.web.manifest import CALLBACK_PATH, build_manifest, load_app_yml
from bot.web.registration import ConfiguredApp, RegistrationFailed, exchange_code, save_credentials

logger = logging.getLogger(__name__)

OnConfigured = Callable[[ConfiguredApp], Awaitable[None]]

STATE_TTL_SECONDS = 3600.0  # GitHub's code lives an hour, so an older form is of no use

BAD_STATE = (
    "This registration did not start on this server, was already completed, or started more "
    "than an hour ago. Start again from the setup page."
)
BAD_CODE = "GitHub's redirect carried no usable registration code. Start again from the setup page."
BAD_ORGANIZATION = "That is not a GitHub organisation name; the form registers the App for you."
ALREADY_REGISTERED = (
    "An App has already been registered by this server; its credentials are in {env_file}. "
    "Restart the server to use it."
)

# Every page is a one-off (a fresh state, or a result), the callback URL carries the code, and
# nobody should be able to frame the register button.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'"
    ),
}

_ORGANIZATION = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_CODE = re.compile(r"[A-Za-z0-9_.-]{1,256}")


class StateStore:
    """The random states of the forms this process rendered: single use, forgotten in an hour."""

    def __init__(
        self,
        ttl: float = STATE_TTL_SECONDS,
        timer: Callable[[], float] = time.monotonic,
        maxsize: int = 1024,
    ) -> None:
        self._states: TTLCache[str, bool] = TTLCache(maxsize, ttl, timer=timer)

    def issue(self) -> str:
        state = secrets.token_urlsafe(32)
        self._states[state] = True
        return state

    def redeem(self, state: str) -> bool:
        return self._states.pop(state, None) is not None


def missing_settings(settings: Settings) -> list[str]:
    """The names of the App credentials that are not set."""
    missing = []
    if settings.github_app_id is None:
        missing.append("GITHUB_APP_ID")
    if settings.github_private_key is None and settings.github_private_key_path is None:
        missing.append("GITHUB_PRIVATE_KEY")
    if settings.github_webhook_secret is None:
        missing.append("GITHUB_WEBHOOK_SECRET")
    return missing


def create_app_url(github_web_url: str, organization: str, state: str) -> str:
    """Where the registration form posts: the user's or an organisation's new-App page."""
    owner = f"/organizations/{quote(organization)}" if organization else ""
    return f"{github_web_url}{owner}/settings/apps/new?{urlencode({'state': state})}"


def setup_routes(
    settings: Settings,
    http: httpx2.AsyncClient,
    on_configured: OnConfigured | None = None,
    *,
    states: StateStore | None = None,
    app_yml: Mapping[str, Any] | None = None,
) -> list[BaseRoute]:
    """`GET /` (the setup page) and `GET /setup/callback` (the end of GitHub's flow)."""
    setup = _Setup(settings, http, on_configured, states or StateStore(), app_yml or load_app_yml())
    return [
        Route("/", setup.page, methods=["GET"], name="setup"),
        Route(CALLBACK_PATH, setup.callback, methods=["GET"], name="setup_callback"),
    ]


def _templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    return Jinja2Templates(env=environment)


class _Setup:
    def __init__(
        self,
        settings: Settings,
        http: httpx2.AsyncClient,
        on_configured: OnConfigured | None,
        states: StateStore,
        app_yml: Mapping[str, Any],
    ) -> None:
        self.settings = settings
        self.http = http
        self.on_configured = on_configured
        self.states = states
        self.app_yml = app_yml
        self.templates = _templates()
        self.done: ConfiguredApp | None = None  # after one registration, no second
        self.reloaded = False
        self.registering = asyncio.Lock()  # two callbacks at once must not both register

    async def page(self, request: Request) -> Response:
        if self.done is not None:
            return self._done_page(request, self.done)
        public_url = self.settings.public_url or str(request.base_url).rstrip("/")
        organization = request.query_params.get("organization", "").strip()
        error = None
        if organization and not _ORGANIZATION.fullmatch(organization):
            error, organization = BAD_ORGANIZATION, ""
        manifest = build_manifest(self.app_yml, public_url=public_url)
        state = self.states.issue()
        context = {
            "missing": missing_settings(self.settings),
            "public_url": public_url,
            "public_url_set": self.settings.public_url is not None,
            "manifest": manifest,
            "manifest_json": json.dumps(manifest),
            "action": create_app_url(self.settings.github_web_url, organization, state),
            "organization": organization,
            "error": error,
        }
        return self._render(request, "setup.html", context)

    async def callback(self, request: Request) -> Response:
        try:
            async with self.registering:
                self.done = await self._register(request)
        except RegistrationFailed as exc:
            context = {"message": str(exc), "home": str(request.base_url)}
            return self._render(request, "setup_error.html", context, exc.status_code)
        self.reloaded = await self._notify(self.done)
        return self._done_page(request, self.done)

    async def _register(self, request: Request) -> ConfiguredApp:
        if self.done is not None:
            message = ALREADY_REGISTERED.format(env_file=self.done.env_file)
            raise RegistrationFailed(message, 409)
        if not self.states.redeem(request.query_params.get("state", "")):
            raise RegistrationFailed(BAD_STATE, 400)
        code = request.query_params.get("code", "")
        if not _CODE.fullmatch(code):
            raise RegistrationFailed(BAD_CODE, 400)
        conversion = await exchange_code(self.http, self.settings, code)
        return save_credentials(conversion, self.settings.env_file_path)

    async def _notify(self, configured: ConfiguredApp) -> bool:
        """Tell the app to leave setup mode; True if it did, False if a restart is needed."""
        if self.on_configured is None:
            return False
        try:
            await self.on_configured(configured)
        except Exception:
            # The credentials are saved whatever went wrong here; the page says to restart.
            logger.exception(
                "GitHub App %s saved, but the server did not switch to it", configured.slug
            )
            return False
        return True

    def _done_page(self, request: Request, app: ConfiguredApp) -> Response:
        return self._render(request, "setup_done.html", {"app": app, "reloaded": self.reloaded})

    def _render(
        self, request: Request, name: str, context: dict[str, Any], status_code: int = 200
    ) -> Response:
        return self.templates.TemplateResponse(
            request, name, context, status_code=status_code, headers=PAGE_HEADERS
        )
