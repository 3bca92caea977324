"""Settings and a clock for runtimes over the scripted model (the fixtures build on these)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from agents.runtime import AgentRuntime
from agents.settings import AgentSettings, ProviderName, Role

OPENAI_TEST_KEY = "sk-test-openai-0123456789abcdefghij"
ANTHROPIC_TEST_KEY = "sk-ant-test-0123456789abcdefghijkl"
MODELS = {ProviderName.OPENAI: "gpt-4.1", ProviderName.ANTHROPIC: "claude-sonnet-4-6"}
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class FakeClock:
    """A settable UTC clock for cache expiry."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def agent_settings(provider: str | None = None, **overrides: Any) -> AgentSettings:
    """Settings with test keys and no .env; `provider` puts every role on one provider."""
    values: dict[str, Any] = {
        "openai_api_key": OPENAI_TEST_KEY,
        "anthropic_api_key": ANTHROPIC_TEST_KEY,
        "openai_base_url": "https://api.openai.com/v1",
        "anthropic_base_url": "https://api.anthropic.com",
        "agent_max_retries": 0,
    }
    if provider is not None:
        name = ProviderName(provider)
        for role in Role:
            values[f"agent_{role.value}_provider"] = name
            values[f"agent_{role.value}_model"] = MODELS[name]
    values.update(overrides)
    return AgentSettings(_env_file=None, **values)


RuntimeFactory = Callable[..., AgentRuntime]
