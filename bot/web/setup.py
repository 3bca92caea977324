"""Setup mode: register the GitHub App through GitHub's manifest flow, as Probot does.

`GET /` explains which credentials are missing and offers a form that posts the manifest built
from app.yml to GitHub, with a random state remembered here. GitHub sends the browser back to
the address it used (bot/web/addresses.py), `GET /setup/callback?code=…&state=…`; the state is
checked and the code turned into saved credentials (bot/web/registration.py). Webhooks go where
bot/web/hookurl.py decides. Pages are Jinja2 templates with autoescaping; the only one that
shows a secret is the one answering the callback when nothing is saved here (the config
variables to set), once.
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
from bot.web.addresses import browser_url, trusted_host
from bot.web.hookurl import HookURLs
from bot.web.manifest import CALLBACK_PATH, build_manifest, load_app_yml
from bot.web.proxy import ProxyRunner
from bot.web.registration import (
    ConfiguredApp,
    Conversion,
    RegistrationFailed,
    config_variables,
    exchange_code,
    save_credentials,
    unsaved_app,
    writes_env_file,
)

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
ALREADY_SHOWN = (
    "An App has already been registered by this server; its credentials were shown once, on "
    "the page that followed the registration."
)
UNKNOWN_HOST = (
    "This page was reached through the name {host}, which this server does not know. Open it "
    "at http://127.0.0.1:{port}/ (or another IP address of this machine), or set PUBLIC_URL to "
    "the address you use and open it there."
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
    proxy: ProxyRunner | None = None,
    write_env: bool | None = None,
) -> list[BaseRoute]:
    """`GET /` (the setup page) and `GET /setup/callback` (the end of GitHub's flow).

    With `proxy`, a page opened on this machine gets a webhook channel when neither
    WEBHOOK_PROXY_URL nor PUBLIC_URL is set. `write_env` defaults to `writes_env_file`.
    """
    write = writes_env_file(settings) if write_env is None else write_env
    setup = _Setup(
        settings,
        http,
        on_configured,
        states or StateStore(),
        app_yml or load_app_yml(),
        HookURLs(settings, proxy, write),
    )
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
        hooks: HookURLs,
    ) -> None:
        self.settings = settings
        self.http = http
        self.on_configured = on_configured
        self.states = states
        self.app_yml = app_yml
        self.hooks = hooks
        self.templates = _templates()
        self.done: ConfiguredApp | None = None  # after one registration, no second
        self.reloaded = False
        self.registering = asyncio.Lock()  # two callbacks at once must not both register

    async def page(self, request: Request) -> Response:
        if self.done is not None:
            return self._done_page(request, self.done)
        host = request.url.hostname
        if not trusted_host(host, self.settings.public_url):
            message = UNKNOWN_HOST.format(host=host, port=self.settings.port)
            return self._render(request, "setup_error.html", {"message": message, "home": ""}, 400)
        browser = browser_url(request)
        hook = await self.hooks.choose(browser, host)
        manifest = build_manifest(
            self.app_yml,
            webhook_url=hook.url,
            browser_url=browser,
            home_url=self.settings.public_url,
        )
        context = {
            **self._form(request.query_params.get("organization", "").strip()),
            "missing": missing_settings(self.settings),
            "browser_url": browser,
            "hook_source": hook.source.value,
            "hook_problem": hook.problem,
            "write_env": self.hooks.write_env,
            "manifest": manifest,
            "manifest_json": json.dumps(manifest),
        }
        return self._render(request, "setup.html", context)

    def _form(self, organization: str) -> dict[str, Any]:
        """Where the form posts (with a fresh state), for the account or a valid organisation."""
        error = None
        if organization and not _ORGANIZATION.fullmatch(organization):
            error, organization = BAD_ORGANIZATION, ""
        action = create_app_url(self.settings.github_web_url, organization, self.states.issue())
        return {"action": action, "organization": organization, "error": error}

    async def callback(self, request: Request) -> Response:
        try:
            async with self.registering:
                conversion = await self._convert(request)
                self.done, variables = self._keep(conversion)
        except RegistrationFailed as exc:
            context = {"message": str(exc), "home": str(request.base_url)}
            return self._render(request, "setup_error.html", context, exc.status_code)
        if variables is None:
            self.reloaded = await self._notify(self.done)
        return self._done_page(request, self.done, variables)

    async def _convert(self, request: Request) -> Conversion:
        if self.done is not None:
            raise RegistrationFailed(self._already(self.done), 409)
        if not self.states.redeem(request.query_params.get("state", "")):
            raise RegistrationFailed(BAD_STATE, 400)
        code = request.query_params.get("code", "")
        if not _CODE.fullmatch(code):
            raise RegistrationFailed(BAD_CODE, 400)
        return await exchange_code(self.http, self.settings, code)

    def _keep(self, conversion: Conversion) -> tuple[ConfiguredApp, dict[str, str] | None]:
        """Saved to the env file; or, where that cannot last, the config variables to show."""
        if self.hooks.write_env:
            return save_credentials(conversion, self.settings.env_file_path), None
        extra = {"WEBHOOK_PROXY_URL": self.hooks.created} if self.hooks.created else {}
        return unsaved_app(conversion), config_variables(conversion, extra)

    @staticmethod
    def _already(done: ConfiguredApp) -> str:
        if done.env_file is None:
            return ALREADY_SHOWN
        return ALREADY_REGISTERED.format(env_file=done.env_file)

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

    def _done_page(
        self, request: Request, app: ConfiguredApp, variables: dict[str, str] | None = None
    ) -> Response:
        context = {"app": app, "reloaded": self.reloaded, "variables": variables}
        return self._render(request, "setup_done.html", context)

    def _render(
        self, request: Request, name: str, context: dict[str, Any], status_code: int = 200
    ) -> Response:
        return self.templates.TemplateResponse(
            request, name, context, status_code=status_code, headers=PAGE_HEADERS
        )
