"""Setup mode: register the GitHub App through GitHub's manifest flow, as Probot does.

`/` explains which credentials are missing and offers a form that posts the manifest built from
app.yml to GitHub. GitHub sends the browser back to `/setup/callback` with a one-hour code, which
is exchanged (`POST /app-manifests/{code}/conversions`) for the new App's id, private key,
webhook secret and OAuth client; they are written to the env file and the private key to a file
beside it, both mode 0600. Secrets are never logged and never shown on a page.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import gidgethub
import gidgethub.httpx
import httpx2
import jinja2
from cachetools import TTLCache
from pydantic import BaseModel, SecretStr, ValidationError, field_validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from bot.envfile import update_env_file, write_private_file
from bot.manifest import CALLBACK_PATH, build_manifest, load_app_yml
from bot.settings import Settings

logger = logging.getLogger(__name__)

REQUESTER = "ai-orchestrator"
STATE_TTL_SECONDS = 3600.0  # GitHub's code lives an hour, so an older form is of no use
KEY_FILE_NAME = "github-app.{name}.private-key.pem"

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
CONVERSION_REFUSED = (
    "GitHub refused to hand over the new App's credentials (HTTP {status}). A registration "
    "code works once and for an hour: start again from the setup page."
)
GITHUB_UNREACHABLE = "GitHub could not be reached ({error}). Start again from the setup page."
CONVERSION_INCOMPLETE = (
    "GitHub's answer lacked {fields}. The App may exist on GitHub without its credentials "
    "here: delete it in your GitHub settings and start again."
)
WRITE_FAILED = (
    "The App was registered on GitHub, but {path} could not be written ({reason}). Delete the "
    "App in your GitHub settings, make the directory writable, and start again."
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
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")


@dataclass(frozen=True)
class ConfiguredApp:
    """The App setup mode registered; no secrets, they are in `env_file` and the key file."""

    app_id: int
    slug: str
    name: str
    html_url: str
    client_id: str
    env_file: Path
    private_key_file: Path

    @property
    def install_url(self) -> str:
        return f"{self.html_url}/installations/new"


OnConfigured = Callable[[ConfiguredApp], Awaitable[None]]


class Conversion(BaseModel):
    """The part of GitHub's conversion answer that setup keeps."""

    id: int
    slug: str
    name: str
    html_url: str
    client_id: str
    client_secret: SecretStr
    webhook_secret: SecretStr
    pem: SecretStr

    @field_validator("html_url")
    @classmethod
    def _web_link(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("not an http(s) URL")
        return value.rstrip("/")


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


class SetupFailed(Exception):
    """A step of the callback failed; the message is for the page, the status for the reply."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


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
        loader=jinja2.PackageLoader("bot", "templates"),
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
        self.done: ConfiguredApp | None = None  # after a registration, no second one
        self.reloaded = False

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
            configured = await self._register(request)
        except SetupFailed as exc:
            context = {"message": str(exc), "home": str(request.base_url)}
            return self._render(request, "setup_error.html", context, exc.status_code)
        self.done = configured
        self.reloaded = await self._notify(configured)
        return self._done_page(request, configured)

    async def _register(self, request: Request) -> ConfiguredApp:
        if self.done is not None:
            raise SetupFailed(ALREADY_REGISTERED.format(env_file=self.done.env_file), 409)
        if not self.states.redeem(request.query_params.get("state", "")):
            raise SetupFailed(BAD_STATE, 400)
        code = request.query_params.get("code", "")
        if not _CODE.fullmatch(code):
            raise SetupFailed(BAD_CODE, 400)
        return self._save(await self._convert(code))

    async def _convert(self, code: str) -> Conversion:
        """Exchange the code for the App's configuration; never logs the code or the answer."""
        github = gidgethub.httpx.GitHubAPI(
            self.http, REQUESTER, base_url=self.settings.github_api_url
        )
        version = {"X-GitHub-Api-Version": self.settings.github_api_version}
        try:
            answer = await github.post(
                "/app-manifests/{code}/conversions",
                {"code": code},
                data=b"",
                extra_headers=version,
            )
        except gidgethub.HTTPException as exc:
            logger.warning("manifest conversion refused: HTTP %d", exc.status_code)
            raise SetupFailed(CONVERSION_REFUSED.format(status=int(exc.status_code)), 502) from None
        except httpx2.HTTPError as exc:
            logger.warning("manifest conversion failed: %s", type(exc).__name__)
            raise SetupFailed(GITHUB_UNREACHABLE.format(error=type(exc).__name__), 502) from None
        try:
            return Conversion.model_validate(answer)
        except ValidationError as exc:
            # Only field names: the error's input would be the answer, private key included.
            fields = sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]})
            logger.warning("manifest conversion answer lacked %s", ", ".join(fields))
            raise SetupFailed(CONVERSION_INCOMPLETE.format(fields=", ".join(fields)), 502) from None

    def _save(self, app: Conversion) -> ConfiguredApp:
        """The key file, then the env file naming it; on failure neither is left behind."""
        env_file = self.settings.env_file_path.resolve()
        key_name = app.slug if _SLUG.fullmatch(app.slug) else str(app.id)
        key_file = env_file.parent / KEY_FILE_NAME.format(name=key_name)
        credentials = {
            "GITHUB_APP_ID": str(app.id),
            "GITHUB_PRIVATE_KEY_PATH": str(key_file),
            "GITHUB_WEBHOOK_SECRET": app.webhook_secret.get_secret_value(),
            "GITHUB_CLIENT_ID": app.client_id,
            "GITHUB_CLIENT_SECRET": app.client_secret.get_secret_value(),
        }
        try:
            write_private_file(key_file, app.pem.get_secret_value())
        except OSError as exc:
            raise SetupFailed(
                WRITE_FAILED.format(path=key_file, reason=exc.strerror), 500
            ) from None
        try:
            # A GITHUB_PRIVATE_KEY left in the file would win over the new key file.
            update_env_file(env_file, credentials, remove=("GITHUB_PRIVATE_KEY",))
        except OSError as exc:
            key_file.unlink(missing_ok=True)
            raise SetupFailed(
                WRITE_FAILED.format(path=env_file, reason=exc.strerror), 500
            ) from None
        logger.info(
            "registered GitHub App %s (id %d); credentials in %s", app.slug, app.id, env_file
        )
        return ConfiguredApp(
            app.id, app.slug, app.name, app.html_url, app.client_id, env_file, key_file
        )

    async def _notify(self, configured: ConfiguredApp) -> bool:
        """Tell the app to leave setup mode; True if it did, False if a restart is needed."""
        if self.on_configured is None:
            return False
        try:
            await self.on_configured(configured)
        except Exception:
            # The credentials are saved whatever went wrong: the page says to restart.
            logger.exception(
                "GitHub App %s saved, but the server could not switch to it", configured.slug
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
