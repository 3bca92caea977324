"""The agents' settings, from the environment and `.env`: a provider and model per role, the
providers' keys and endpoints, client timeouts and retries, rate limits, cache lifetimes, prices.

Names are the environment variables, case-insensitive: `AGENT_DEVELOPER_MODEL`,
`OPENAI_API_KEY`, `ANTHROPIC_BASE_URL`, `MODEL_PRICES` (JSON), … The keys and base URLs are the
very variables the official SDKs read, so an OpenAI-compatible server (vLLM, Ollama,
LM Studio) serves a role through `OPENAI_BASE_URL`.

A role's provider is `AGENT_<ROLE>_PROVIDER`, else `AGENT_PROVIDER` (every role on one
provider), else the design's team (OpenAI, with Anthropic for the developer); its model is
`AGENT_<ROLE>_MODEL`, else that provider's default model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from agents.errors import ProviderKeyMissing
from agents.redact import register_secrets
from storage.cache_keys import Stage


class Role(StrEnum):
    MANAGER = "manager"
    DEVELOPER = "developer"
    VALIDATOR = "validator"
    GIT = "git"
    INTEGRATION = "integration"


class ProviderName(StrEnum):
    OPENAI = "openai"
    ANTHROPIC = "anthropic"


KEY_VARIABLES = {ProviderName.OPENAI: "OPENAI_API_KEY", ProviderName.ANTHROPIC: "ANTHROPIC_API_KEY"}

DEFAULT_MODELS = {ProviderName.OPENAI: "gpt-4.1", ProviderName.ANTHROPIC: "claude-sonnet-4-6"}
# The design's team: the developer writes code with Anthropic, every other role uses OpenAI.
DEFAULT_PROVIDERS = {
    Role.MANAGER: ProviderName.OPENAI,
    Role.DEVELOPER: ProviderName.ANTHROPIC,
    Role.VALIDATOR: ProviderName.OPENAI,
    Role.GIT: ProviderName.OPENAI,
    Role.INTEGRATION: ProviderName.OPENAI,
}
DEFAULT = "default"  # where a role's provider or model came from when no setting chose it


class ModelPrice(BaseModel):
    """Dollars per million tokens. Cached input and cache writes default to the input price
    (no discount, no surcharge) when a custom entry leaves them out."""

    model_config = {"frozen": True}

    input: Decimal = Field(ge=0)
    output: Decimal = Field(ge=0)
    cached_input: Decimal | None = Field(default=None, ge=0)
    cache_write: Decimal | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _fill(self) -> ModelPrice:
        if self.cached_input is None:
            object.__setattr__(self, "cached_input", self.input)
        if self.cache_write is None:
            object.__setattr__(self, "cache_write", self.input)
        return self


def _price(input: str, cached: str, write: str, output: str) -> ModelPrice:
    return ModelPrice(
        input=Decimal(input),
        cached_input=Decimal(cached),
        cache_write=Decimal(write),
        output=Decimal(output),
    )


# Published list prices (USD per million tokens). OpenAI bills no cache writes; Anthropic
# bills a five-minute cache write at 1.25x input and a cache read at 0.1x.
DEFAULT_PRICES: dict[str, ModelPrice] = {
    "gpt-4.1": _price("2.00", "0.50", "2.00", "8.00"),
    "gpt-4.1-mini": _price("0.40", "0.10", "0.40", "1.60"),
    "gpt-4.1-nano": _price("0.10", "0.025", "0.10", "0.40"),
    "gpt-5": _price("1.25", "0.125", "1.25", "10.00"),
    "gpt-5-mini": _price("0.25", "0.025", "0.25", "2.00"),
    "claude-sonnet-4-6": _price("3.00", "0.30", "3.75", "15.00"),
    "claude-haiku-4-5": _price("1.00", "0.10", "1.25", "5.00"),
}


@dataclass(frozen=True)
class RoleSettings:
    provider: ProviderName
    model: str
    temperature: float | None
    max_tokens: int
    # The variables that chose the provider and the model, or DEFAULT, for `doctor`.
    provider_from: str = DEFAULT
    model_from: str = DEFAULT


class AgentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    # Unset (None) per-role providers and models are resolved in `role()`.
    agent_provider: ProviderName | None = None
    agent_manager_provider: ProviderName | None = None
    agent_manager_model: str | None = None
    agent_manager_temperature: float | None = Field(default=0.3, ge=0, le=2)
    agent_manager_max_tokens: int = Field(default=4000, ge=1)
    agent_developer_provider: ProviderName | None = None
    agent_developer_model: str | None = None
    agent_developer_temperature: float | None = Field(default=0.7, ge=0, le=2)
    agent_developer_max_tokens: int = Field(default=16000, ge=1)
    agent_validator_provider: ProviderName | None = None
    agent_validator_model: str | None = None
    agent_validator_temperature: float | None = Field(default=0.2, ge=0, le=2)
    agent_validator_max_tokens: int = Field(default=4000, ge=1)
    agent_git_provider: ProviderName | None = None
    agent_git_model: str | None = None
    agent_git_temperature: float | None = Field(default=0.3, ge=0, le=2)
    agent_git_max_tokens: int = Field(default=4000, ge=1)
    agent_integration_provider: ProviderName | None = None
    agent_integration_model: str | None = None
    agent_integration_temperature: float | None = Field(default=0.3, ge=0, le=2)
    agent_integration_max_tokens: int = Field(default=4000, ge=1)

    openai_api_key: SecretStr | None = None
    anthropic_api_key: SecretStr | None = None
    openai_base_url: str | None = None
    anthropic_base_url: str | None = None
    agent_http_timeout_seconds: float = Field(default=600.0, gt=0)
    agent_max_retries: int = Field(default=2, ge=0, le=10)

    openai_requests_per_minute: int = Field(default=50, ge=1)
    openai_requests_per_hour: int = Field(default=1000, ge=1)
    anthropic_requests_per_minute: int = Field(default=50, ge=1)
    anthropic_requests_per_hour: int = Field(default=1000, ge=1)

    cache_ttl_brainstorming_hours: float = Field(default=168, gt=0)
    cache_ttl_architecture_hours: float = Field(default=72, gt=0)
    cache_ttl_micro_phases_hours: float = Field(default=72, gt=0)
    cache_ttl_phase_code_hours: float = Field(default=72, gt=0)
    cache_ttl_phase_review_hours: float = Field(default=72, gt=0)
    cache_ttl_integration_hours: float = Field(default=24, gt=0)

    # NoDecode: the validator below parses the JSON, so a typo is a ValidationError naming
    # MODEL_PRICES rather than pydantic-settings' own exception.
    model_prices: Annotated[dict[str, ModelPrice], NoDecode] = Field(default_factory=dict)
    # The changing part of a prompt (file map and files) is cut to this many tokens.
    agent_context_tokens: int = Field(default=24000, ge=1000)

    @field_validator(*(f"agent_{role.value}_temperature" for role in Role), mode="before")
    @classmethod
    def _blank_temperature(cls, value: Any) -> Any:
        # AGENT_<ROLE>_TEMPERATURE=none (or empty) leaves temperature out of the request, for
        # reasoning models that refuse one.
        if isinstance(value, str) and value.strip().lower() in {"", "none", "default"}:
            return None
        return value

    @field_validator(
        "agent_provider",
        *(f"agent_{role.value}_{part}" for role in Role for part in ("provider", "model")),
        mode="before",
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        # `AGENT_PROVIDER=` (an empty variable from a compose file) means "not set".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("model_prices", mode="before")
    @classmethod
    def _prices_json(cls, value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value) if value.strip() else {}
        except json.JSONDecodeError as exc:
            raise ValueError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None

    @field_validator("openai_base_url", "anthropic_base_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value else None

    @model_validator(mode="after")
    def _known_secrets(self) -> AgentSettings:
        # Read now, scrubbed from now on: the log formatter was built before the agents.
        register_secrets(*self.secrets())
        return self

    def role(self, role: Role) -> RoleSettings:
        prefix = f"agent_{role.value}_"
        provider, provider_from = self._provider(role)
        model: str | None = getattr(self, prefix + "model")
        return RoleSettings(
            provider=provider,
            model=model or DEFAULT_MODELS[provider],
            temperature=getattr(self, prefix + "temperature"),
            max_tokens=getattr(self, prefix + "max_tokens"),
            provider_from=provider_from,
            model_from=f"{prefix}model".upper() if model else DEFAULT,
        )

    def _provider(self, role: Role) -> tuple[ProviderName, str]:
        """The role's provider and the variable that chose it: the role's own, then the one
        for every role, then the design's default."""
        name = f"agent_{role.value}_provider"
        own: ProviderName | None = getattr(self, name)
        if own is not None:
            return own, name.upper()
        if self.agent_provider is not None:
            return self.agent_provider, "AGENT_PROVIDER"
        return DEFAULT_PROVIDERS[role], DEFAULT

    def providers_in_use(self) -> list[ProviderName]:
        used = {self.role(role).provider for role in Role}
        return [name for name in ProviderName if name in used]

    def api_key(self, provider: ProviderName) -> SecretStr | None:
        return self.openai_api_key if provider is ProviderName.OPENAI else self.anthropic_api_key

    def has_key(self, provider: ProviderName) -> bool:
        key = self.api_key(provider)
        return key is not None and bool(key.get_secret_value())

    def base_url(self, provider: ProviderName) -> str | None:
        if provider is ProviderName.OPENAI:
            return self.openai_base_url
        return self.anthropic_base_url

    def rate_limits(self, provider: ProviderName) -> tuple[int, int]:
        """(requests per minute, requests per hour)."""
        name = provider.value
        return getattr(self, f"{name}_requests_per_minute"), getattr(
            self, f"{name}_requests_per_hour"
        )

    def ttl(self, stage: Stage) -> timedelta:
        hours: float = getattr(self, f"cache_ttl_{stage.value}_hours")
        return timedelta(hours=hours)

    def prices(self) -> dict[str, ModelPrice]:
        """The built-in price table with MODEL_PRICES merged over it."""
        return {**DEFAULT_PRICES, **self.model_prices}

    def secrets(self) -> list[str]:
        """The configured key values, for redaction."""
        keys = (self.openai_api_key, self.anthropic_api_key)
        return [key.get_secret_value() for key in keys if key and key.get_secret_value()]


def key_missing_error(role: Role, provider: ProviderName) -> ProviderKeyMissing:
    return ProviderKeyMissing(f"role {role} uses {provider}: set {KEY_VARIABLES[provider]}")
