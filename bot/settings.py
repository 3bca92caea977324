"""The app's settings, from the environment and a `.env` file.

Every setting has an upper-case environment name (pydantic-settings matches case-insensitively).
`load_settings` turns any validation failure into one line naming the setting, so start-up
never shows a traceback for a typo.
"""

from __future__ import annotations

import os
import re
from enum import StrEnum
from pathlib import Path
from typing import Any

import pydantic_settings
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from agents.redact import register_secrets
from storage.db import DatabaseURLError, async_url

DEFAULT_DATABASE_URL = "sqlite:///./ai-orchestrator.db"
ENV_FILE = ".env"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_HTTPS_URL = re.compile(r"^https://[^\s/?#]+(/\S*)?$")


class SettingsError(Exception):
    """A setting is malformed or missing; the message is one line naming it."""


class CredentialState(StrEnum):
    CONFIGURED = "configured"
    MISSING = "missing"  # no App credentials at all: setup mode


_CREDENTIALS = ("GITHUB_APP_ID", "GITHUB_PRIVATE_KEY", "GITHUB_WEBHOOK_SECRET")
# What the manifest flow writes, and a running server picks up when it leaves setup mode.
CREDENTIAL_FIELDS = (
    "github_app_id",
    "github_private_key",
    "github_private_key_path",
    "github_webhook_secret",
    "github_client_id",
    "github_client_secret",
    "session_secret",
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=ENV_FILE, env_file_encoding="utf-8", extra="ignore")

    github_app_id: int | None = None
    github_private_key: SecretStr | None = None
    github_private_key_path: Path | None = None
    github_webhook_secret: SecretStr | None = None
    github_client_id: str | None = None
    github_client_secret: SecretStr | None = None
    github_api_url: str = "https://api.github.com"
    # Where people sign in (OAuth's authorize and access_token endpoints): GitHub Enterprise
    # Server's own host, or a test double.
    github_web_url: str = "https://github.com"
    github_api_version: str = "2022-11-28"
    # GitHub asks for serial mutating requests at least a second apart, per installation.
    github_mutation_spacing: float = Field(default=1.0, ge=0)
    public_url: str | None = Field(default=None, description="URL GitHub reaches this server at")
    # Signs the dashboard's session cookies and keys the encryption of the signed-in people's
    # GitHub tokens (bot/web/access/crypto.py); setup mode generates one into the env file.
    session_secret: SecretStr | None = None
    # Logins (comma-separated, any case) who see the dashboard's operator pages.
    dashboard_admins: str = ""
    # The Bearer token /metrics asks for; unset, /metrics answers loopback clients only
    # (bot/web/metrics.py).
    metrics_token: SecretStr | None = None
    # A smee.io channel (https://smee.io/<channel>) the app reads webhooks from, for a server
    # GitHub cannot reach (bot/web/proxy.py).
    webhook_proxy_url: str | None = Field(default=None, pattern=r"^https?://[^\s/]+/\S*$")
    # Whether setup mode writes the new App's credentials to the env file; unset: yes, except
    # on platforms whose disk is thrown away (bot/web/registration.py).
    setup_write_env: bool | None = None
    database_url: str = DEFAULT_DATABASE_URL
    trigger_label: str = "ai-orchestrator"
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: str = "INFO"
    log_format: str = Field(default="auto", pattern="^(auto|json|text)$")
    auto_migrate: bool = True
    worker_concurrency: int = Field(default=4, ge=1, le=64)
    worker_poll_seconds: float = Field(default=0.5, gt=0)
    job_lease_seconds: int = Field(default=300, ge=5)
    # How long a job keeps being retried while GitHub answers it with transient errors (5xx,
    # timeouts, dropped connections, rate limits) before it is dead (bot/queue/failures.py).
    job_transient_budget_seconds: int = Field(default=3600, ge=0)
    # Days kept before the hourly prune deletes them; 0 keeps them for good (storage/retention.py).
    retain_deliveries_days: int = Field(default=30, ge=0)
    retain_jobs_days: int = Field(default=30, ge=0)
    retain_ledger_days: int = Field(default=0, ge=0)
    webhook_max_bytes: int = 25 * 1024 * 1024
    # /health reports unhealthy when no worker has beaten for this long.
    health_max_heartbeat_age: float = Field(default=60.0, gt=0)
    env_file_path: Path = Path(ENV_FILE)
    # Plugins (bot/plugins/): entry-point names, comma-separated; none runs unless named here.
    plugins: str = ""
    # Each call of a plugin's hook is given up after this long (logged; the project goes on).
    plugin_timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    # The built-in `notify` plugin's endpoints, settings only: a repository's options file
    # must not be able to send the app's events elsewhere. A Slack URL is itself a credential.
    notify_slack_urls: SecretStr | None = None
    notify_webhook_urls: str = ""
    notify_webhook_secret: SecretStr | None = None  # signs what goes to NOTIFY_WEBHOOK_URLS
    notify_events: str = ""  # the hooks `notify` posts, comma-separated; empty: all of them

    @field_validator("github_api_url", "github_web_url", "public_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.upper() not in LOG_LEVELS:
            raise ValueError(f"{value!r} is not a log level; use one of {', '.join(LOG_LEVELS)}")
        return value.upper()

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        try:
            async_url(value)
        except DatabaseURLError as exc:
            raise ValueError(str(exc)) from None
        return value

    @model_validator(mode="after")
    def _whole_credentials(self) -> Settings:
        present = {
            "GITHUB_APP_ID": self.github_app_id is not None,
            "GITHUB_PRIVATE_KEY": self.github_private_key is not None
            or self.github_private_key_path is not None,
            "GITHUB_WEBHOOK_SECRET": self.github_webhook_secret is not None,
        }
        if any(present.values()) and not all(present.values()):
            missing = [name for name in _CREDENTIALS if not present[name]]
            given = [name for name in _CREDENTIALS if present[name]]
            raise ValueError(
                f"partial GitHub App credentials: {', '.join(given)} set but "
                f"{', '.join(missing)} missing (GITHUB_PRIVATE_KEY_PATH may stand in for the key)"
            )
        return self

    @model_validator(mode="after")
    def _notify_endpoints(self) -> Settings:
        for name, urls in (
            ("NOTIFY_SLACK_URLS", self.slack_urls()),
            ("NOTIFY_WEBHOOK_URLS", self.webhook_urls),
        ):
            bad = [url for url in urls if not _HTTPS_URL.match(url)]
            if bad:  # the value of a Slack URL is a credential: only its position is named
                raise ValueError(f"{name}: entry {urls.index(bad[0]) + 1} is not an https:// URL")
        if self.webhook_urls and self.notify_webhook_secret is None:
            raise ValueError("NOTIFY_WEBHOOK_URLS needs NOTIFY_WEBHOOK_SECRET to sign with")
        return self

    @model_validator(mode="after")
    def _known_secrets(self) -> Settings:
        # Every scrubber of the process learns them as they are read (setup mode included,
        # whose new App's settings are read after the log formatter was built).
        values = [
            self.github_webhook_secret,
            self.github_private_key,
            self.github_client_secret,
            self.session_secret,
            self.metrics_token,
            self.notify_webhook_secret,
        ]
        register_secrets(*(value.get_secret_value() for value in values if value is not None))
        register_secrets(*self.slack_urls())  # whoever holds one may post to the channel
        if self.github_private_key is not None:
            register_secrets(self.private_key())  # with its "\n" made newlines
        register_secrets(make_url(self.database_url).password)
        return self

    @property
    def credential_state(self) -> CredentialState:
        if self.github_app_id is None:
            return CredentialState.MISSING
        return CredentialState.CONFIGURED

    def private_key(self) -> str:
        """The App's PEM private key, from GITHUB_PRIVATE_KEY or the file it names."""
        if self.github_private_key is not None:
            # Hosting platforms often store the PEM with literal "\n" in one line.
            return self.github_private_key.get_secret_value().replace("\\n", "\n")
        if self.github_private_key_path is not None:
            try:
                text = self.github_private_key_path.read_text()
            except OSError as exc:
                raise SettingsError(
                    f"GITHUB_PRIVATE_KEY_PATH: cannot read {self.github_private_key_path}: "
                    f"{exc.strerror}"
                ) from None
            register_secrets(text)  # known only now that the file is read
            return text
        raise SettingsError("GITHUB_PRIVATE_KEY: not set (nor GITHUB_PRIVATE_KEY_PATH)")

    @property
    def admin_logins(self) -> frozenset[str]:
        """DASHBOARD_ADMINS, lower-cased (logins are case-insensitive on GitHub)."""
        return frozenset(x.strip().lower() for x in self.dashboard_admins.split(",") if x.strip())

    @property
    def enabled_plugins(self) -> tuple[str, ...]:
        """PLUGINS as names, in the order given (the order their hooks are called in)."""
        return _listed(self.plugins)

    def slack_urls(self) -> tuple[str, ...]:
        secret = self.notify_slack_urls
        return _listed(secret.get_secret_value()) if secret is not None else ()

    @property
    def webhook_urls(self) -> tuple[str, ...]:
        return _listed(self.notify_webhook_urls)

    @property
    def notify_hooks(self) -> frozenset[str]:
        """NOTIFY_EVENTS as hook names; empty means every hook."""
        return frozenset(_listed(self.notify_events))

    def webhook_secret(self) -> str:
        if self.github_webhook_secret is None:
            raise SettingsError("GITHUB_WEBHOOK_SECRET: not set")
        return self.github_webhook_secret.get_secret_value()


def _listed(text: str) -> tuple[str, ...]:
    """A comma-separated setting as its items, without blanks or duplicates, in order."""
    return tuple(dict.fromkeys(item.strip() for item in text.split(",") if item.strip()))


def describe_error(exc: ValidationError) -> str:
    """One line naming the first bad setting and what is wrong with it; inside a JSON setting,
    the path to the bad value follows the name (`MODEL_PRICES: my-model.input: …`)."""
    error = exc.errors()[0]
    name, *path = [str(part) for part in error["loc"]] or [""]
    message = str(error["msg"]).removeprefix("Value error, ")
    where = ": ".join(part for part in (name.upper(), ".".join(path)) if part)
    return f"{where}: {message}" if where else message


def describe_source_error(exc: pydantic_settings.SettingsError) -> str:
    """pydantic-settings' own failure (a complex value that is not JSON) as one line."""
    match = re.search(r'field "(\w+)"', str(exc))
    name = match.group(1).upper() if match else "a setting"
    return f"{name}: not valid JSON"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and the env file; raises SettingsError with one clear line.

    ENV_FILE_PATH (default `.env`) names the env file, which setup mode also writes.
    """
    env_file = overrides.pop("_env_file", os.environ.get("ENV_FILE_PATH", ENV_FILE))
    if env_file is not None:
        overrides.setdefault("env_file_path", Path(env_file))
    try:
        return Settings(_env_file=env_file, **overrides)
    except ValidationError as exc:
        raise SettingsError(f"invalid setting {describe_error(exc)}") from None
    except pydantic_settings.SettingsError as exc:
        raise SettingsError(f"invalid setting {describe_source_error(exc)}") from None
