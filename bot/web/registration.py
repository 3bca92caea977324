"""The end of GitHub's manifest flow: a one-hour code exchanged for the new App's credentials,
which are saved where `load_settings` finds them at the next start.

The private key goes to its own file beside the env file; the env file gets the App id, the
key file's path, the webhook secret and the OAuth client. Both files are mode 0600. Neither the
code nor any credential is ever logged or put in an exception message.

Where the disk is thrown away and not shared between processes (SETUP_WRITE_ENV=false, or a
platform known for it), nothing is written: the values to set as config variables are handed
back instead, for the page that follows registration and for nothing else.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import gidgethub
import httpx2
from pydantic import BaseModel, SecretStr, ValidationError, field_validator, model_validator

from agents.redact import register_secrets
from bot.envfile import update_env_file, write_private_file
from bot.github.client import anonymous_client
from bot.github.ratelimit import RateLimited
from bot.settings import Settings

logger = logging.getLogger(__name__)

KEY_FILE_NAME = "github-app.{name}.private-key.pem"

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

_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")

# Set on platforms whose every process has its own disk, lost at each restart or deploy.
THROWAWAY_DISK_PLATFORMS = {"DYNO": "Heroku", "K_SERVICE": "Google Cloud Run"}


class RegistrationFailed(Exception):
    """A step failed; the message is fit for the user's page, `status_code` for the reply."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class ConfiguredApp:
    """The App just registered; no secrets: they are in `env_file` and `private_key_file`, or
    (both None) were shown once as config variables."""

    app_id: int
    slug: str
    name: str
    html_url: str
    client_id: str
    env_file: Path | None
    private_key_file: Path | None

    @property
    def install_url(self) -> str:
        return f"{self.html_url}/installations/new"


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

    @model_validator(mode="after")
    def _known_secrets(self) -> Conversion:
        # The new App's secrets exist from this answer on, long before settings are re-read.
        secrets = (self.client_secret, self.webhook_secret, self.pem)
        register_secrets(*(secret.get_secret_value() for secret in secrets))
        return self


async def exchange_code(http: httpx2.AsyncClient, settings: Settings, code: str) -> Conversion:
    """`POST /app-manifests/{code}/conversions` (no auth); RegistrationFailed with 502 if not."""
    github = anonymous_client(http, settings.github_api_url, settings.github_api_version)
    try:
        answer = await github.post("/app-manifests/{code}/conversions", {"code": code}, data=b"")
    except gidgethub.HTTPException as exc:
        logger.warning("manifest conversion refused: HTTP %d", exc.status_code)
        message = CONVERSION_REFUSED.format(status=int(exc.status_code))
        raise RegistrationFailed(message, 502) from None
    except (httpx2.HTTPError, RateLimited) as exc:
        logger.warning("manifest conversion failed: %s", type(exc).__name__)
        message = GITHUB_UNREACHABLE.format(error=type(exc).__name__)
        raise RegistrationFailed(message, 502) from None
    try:
        return Conversion.model_validate(answer)
    except ValidationError as exc:
        # Field names only: the error's input is the whole answer, private key included.
        fields = ", ".join(sorted({str(error["loc"][0]) for error in exc.errors() if error["loc"]}))
        logger.warning("manifest conversion answer lacked %s", fields)
        raise RegistrationFailed(CONVERSION_INCOMPLETE.format(fields=fields), 502) from None


def writes_env_file(settings: Settings, environ: Mapping[str, str] = os.environ) -> bool:
    """SETUP_WRITE_ENV, or when unset: yes, except on a platform whose disk is thrown away."""
    if settings.setup_write_env is not None:
        return settings.setup_write_env
    return not any(name in environ for name in THROWAWAY_DISK_PLATFORMS)


def config_variables(app: Conversion, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The settings to give the platform, by name: what `save_credentials` would have written,
    with the private key itself instead of a file's path."""
    return {
        "GITHUB_APP_ID": str(app.id),
        "GITHUB_PRIVATE_KEY": app.pem.get_secret_value(),
        "GITHUB_WEBHOOK_SECRET": app.webhook_secret.get_secret_value(),
        "GITHUB_CLIENT_ID": app.client_id,
        "GITHUB_CLIENT_SECRET": app.client_secret.get_secret_value(),
        "SESSION_SECRET": new_session_secret(),
        **(extra or {}),
    }


def unsaved_app(app: Conversion) -> ConfiguredApp:
    """The App as the pages describe it when its credentials go to config variables."""
    logger.info("registered GitHub App %s (id %d); credentials not saved here", app.slug, app.id)
    return ConfiguredApp(app.id, app.slug, app.name, app.html_url, app.client_id, None, None)


def save_credentials(app: Conversion, env_file: Path) -> ConfiguredApp:
    """The key file, then the env file naming it; if either cannot be written, neither stays."""
    env_file = env_file.resolve()
    key_name = app.slug if _SLUG.fullmatch(app.slug) else str(app.id)
    key_file = env_file.parent / KEY_FILE_NAME.format(name=key_name)
    credentials = {
        "GITHUB_APP_ID": str(app.id),
        "GITHUB_PRIVATE_KEY_PATH": str(key_file),
        "GITHUB_WEBHOOK_SECRET": app.webhook_secret.get_secret_value(),
        "GITHUB_CLIENT_ID": app.client_id,
        "GITHUB_CLIENT_SECRET": app.client_secret.get_secret_value(),
    }
    if not _has_session_secret(env_file):  # a second App keeps the sessions signed in
        credentials["SESSION_SECRET"] = new_session_secret()
    try:
        write_private_file(key_file, app.pem.get_secret_value())
    except OSError as exc:
        raise RegistrationFailed(
            WRITE_FAILED.format(path=key_file, reason=_reason(exc)), 500
        ) from None
    try:
        # A GITHUB_PRIVATE_KEY left in the file would win over the new key file.
        update_env_file(env_file, credentials, remove=("GITHUB_PRIVATE_KEY",))
    except (OSError, ValueError) as exc:
        key_file.unlink(missing_ok=True)
        raise RegistrationFailed(
            WRITE_FAILED.format(path=env_file, reason=_reason(exc)), 500
        ) from None
    logger.info("registered GitHub App %s (id %d); credentials in %s", app.slug, app.id, env_file)
    return ConfiguredApp(
        app.id, app.slug, app.name, app.html_url, app.client_id, env_file, key_file
    )


def new_session_secret() -> str:
    """A fresh SESSION_SECRET: 256 random bits."""
    return secrets.token_urlsafe(32)


def _has_session_secret(env_file: Path) -> bool:
    try:
        text = env_file.read_text()
    except OSError:
        return False
    return any(line.strip().startswith("SESSION_SECRET=") for line in text.splitlines())


def _reason(exc: Exception) -> str:
    """Why a write failed, without a path or value in it (update_env_file names only keys)."""
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc)
