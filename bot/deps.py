"""The app's dependencies, built once per process and passed down to handlers and jobs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx2
from sqlalchemy.ext.asyncio import AsyncEngine

from agents.runtime import AgentRuntime, build_runtime
from agents.settings import AgentSettings
from bot.github.client import GitHubApp
from bot.github.permissions import PermissionCache
from bot.github.ratelimit import Sleep
from bot.options_chain import OptionsFiles
from bot.plugins.host import Plugins, load_plugins
from bot.settings import Settings
from bot.trigger import TriggerLabels
from storage.db import SessionMaker


@dataclass(frozen=True)
class Deps:
    settings: Settings
    engine: AsyncEngine
    sessions: SessionMaker
    http: httpx2.AsyncClient
    github: GitHubApp
    permissions: PermissionCache = field(default_factory=PermissionCache)
    triggers: TriggerLabels = field(default_factory=TriggerLabels)
    # Options files read for inheritance and `_extends`; missing ones remembered a while.
    options_files: OptionsFiles = field(default_factory=OptionsFiles)
    # The agents' runtime; None where no workflow job runs (the web process, replay).
    agents: AgentRuntime | None = None
    # The enabled plugins (PLUGINS); none by default, so nothing is queued for them.
    plugins: Plugins = field(default_factory=Plugins)


def secret_values(settings: Settings) -> tuple[str, ...]:
    """The configured secret values, for the log scrubber."""
    values = [settings.github_webhook_secret, settings.github_private_key]
    values.append(settings.github_client_secret)
    return tuple(value.get_secret_value() for value in values if value is not None)


def build_github_app(
    settings: Settings, http: httpx2.AsyncClient, *, sleep: Sleep = asyncio.sleep
) -> GitHubApp:
    if settings.github_app_id is None:
        raise ValueError("GitHub App credentials are not configured")
    return GitHubApp(
        app_id=settings.github_app_id,
        private_key=settings.private_key(),
        http=http,
        api_url=settings.github_api_url,
        api_version=settings.github_api_version,
        mutation_spacing=settings.github_mutation_spacing,
        sleep=sleep,
    )


def build_plugins(settings: Settings) -> Plugins:
    """The plugins PLUGINS enables, loaded through their entry points."""
    return load_plugins(settings.enabled_plugins, timeout=settings.plugin_timeout_seconds)


AgentFactory = Callable[[Settings, SessionMaker], AgentRuntime]


def build_agents(settings: Settings, sessions: SessionMaker) -> AgentRuntime:
    """The agents' runtime from the environment and the app's env file (`AgentSettings`),
    scrubbing the App's secrets from every prompt. The SDKs make their own HTTP clients, with
    the agents' long timeout."""
    agents = AgentSettings(_env_file=settings.env_file_path)
    return build_runtime(agents, sessions, secrets=secret_values(settings))
