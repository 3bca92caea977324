"""Everything the call path needs, built once per process and passed down (never global)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

import httpx2

from agents.prompting import PromptBuilder
from agents.providers import build_providers
from agents.providers.base import Provider
from agents.ratelimit import RateLimiter
from agents.redact import Redactor
from agents.settings import AgentSettings, ProviderName, Role, RoleSettings, key_missing_error
from storage.db import SessionMaker
from storage.types import utcnow


@dataclass(frozen=True)
class AgentRuntime:
    settings: AgentSettings
    providers: Mapping[ProviderName, Provider]
    limiters: Mapping[ProviderName, RateLimiter]
    sessions: SessionMaker
    prompts: PromptBuilder
    redact: Redactor
    clock: Callable[[], datetime] = utcnow
    timer: Callable[[], float] = time.perf_counter

    def role(self, role: Role) -> RoleSettings:
        return self.settings.role(role)

    def provider_for(self, role: Role) -> Provider:
        """The role's provider; ProviderKeyMissing names the variable when its key is unset."""
        name = self.settings.role(role).provider
        provider = self.providers.get(name)
        if provider is None:
            raise key_missing_error(role, name)
        return provider


def build_limiters(
    settings: AgentSettings,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> dict[ProviderName, RateLimiter]:
    limiters = {}
    for name in ProviderName:
        per_minute, per_hour = settings.rate_limits(name)
        limiters[name] = RateLimiter(
            per_minute=per_minute, per_hour=per_hour, clock=clock, sleep=sleep
        )
    return limiters


def build_runtime(
    settings: AgentSettings,
    sessions: SessionMaker,
    *,
    http_client: httpx2.AsyncClient | None = None,
    secrets: Iterable[str] = (),
    clock: Callable[[], datetime] = utcnow,
    monotonic: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> AgentRuntime:
    """The runtime over the official SDK clients (sharing `http_client` when given).
    `secrets` are further values to scrub from prompts: the App's private key, its webhook
    secret, installation tokens."""
    return AgentRuntime(
        settings=settings,
        providers=build_providers(settings, http_client),
        limiters=build_limiters(settings, clock=monotonic, sleep=sleep),
        sessions=sessions,
        prompts=PromptBuilder(context_tokens=settings.agent_context_tokens),
        redact=Redactor([*settings.secrets(), *secrets]),
        clock=clock,
    )
