"""The agents' settings: environment names, defaults per role, one provider for every role,
keys, prices, lifetimes."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from agents.settings import DEFAULT, AgentSettings, ModelPrice, ProviderName, Role
from storage.cache_keys import Stage

ROLE_FIELDS = ("PROVIDER", "MODEL", "TEMPERATURE", "MAX_TOKENS")
ALL_AGENT_VARIABLES = [
    "AGENT_PROVIDER",
    *(f"AGENT_{role.upper()}_{field}" for role in Role for field in ROLE_FIELDS),
    *("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_BASE_URL"),
    *("MODEL_PRICES", "CACHE_TTL_INTEGRATION_HOURS"),
]


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ALL_AGENT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def load() -> AgentSettings:
    return AgentSettings(_env_file=None)


def test_defaults_per_role(env: pytest.MonkeyPatch) -> None:
    settings = load()

    expected = {
        Role.MANAGER: (ProviderName.OPENAI, 0.3),
        Role.DEVELOPER: (ProviderName.ANTHROPIC, 0.7),
        Role.VALIDATOR: (ProviderName.OPENAI, 0.2),
        Role.GIT: (ProviderName.OPENAI, 0.3),
        Role.INTEGRATION: (ProviderName.OPENAI, 0.3),
    }
    for role, (provider, temperature) in expected.items():
        chosen = settings.role(role)
        assert (chosen.provider, chosen.temperature) == (provider, temperature)
        assert chosen.model in settings.prices()
    assert settings.rate_limits(ProviderName.OPENAI) == (50, 1000)
    assert settings.rate_limits(ProviderName.ANTHROPIC) == (50, 1000)
    lifetimes = [settings.ttl(stage) for stage in Stage]
    assert lifetimes == [timedelta(hours=h) for h in (168, 72, 72, 72, 72, 24)]


def test_roles_read_their_environment_variables(env: pytest.MonkeyPatch) -> None:
    env.setenv("AGENT_VALIDATOR_PROVIDER", "anthropic")
    env.setenv("AGENT_VALIDATOR_MODEL", "claude-haiku-4-5")
    env.setenv("AGENT_VALIDATOR_MAX_TOKENS", "2000")
    env.setenv("AGENT_MANAGER_TEMPERATURE", "none")
    env.setenv("OPENAI_BASE_URL", "http://localhost:11434/v1/")
    env.setenv("CACHE_TTL_INTEGRATION_HOURS", "6")

    settings = load()

    validator = settings.role(Role.VALIDATOR)
    assert (validator.provider, validator.model, validator.max_tokens) == (
        ProviderName.ANTHROPIC,
        "claude-haiku-4-5",
        2000,
    )
    assert settings.role(Role.MANAGER).temperature is None
    assert settings.openai_base_url == "http://localhost:11434/v1"
    assert settings.ttl(Stage.INTEGRATION) == timedelta(hours=6)


def test_a_bad_provider_is_refused(env: pytest.MonkeyPatch) -> None:
    env.setenv("AGENT_GIT_PROVIDER", "cohere")
    with pytest.raises(ValidationError, match="agent_git_provider"):
        load()


def test_model_prices_merge_over_the_defaults(env: pytest.MonkeyPatch) -> None:
    env.setenv(
        "MODEL_PRICES",
        '{"gpt-4.1": {"input": "1.50", "output": "6"}, "llama3": {"input": 0, "output": 0}}',
    )

    prices = load().prices()

    assert prices["gpt-4.1"] == ModelPrice(
        input=Decimal("1.50"), cached_input=Decimal("1.50"), cache_write=Decimal("1.50"),
        output=Decimal("6"),
    )  # fmt: skip
    assert prices["llama3"].output == 0
    assert prices["claude-sonnet-4-6"].cache_write == Decimal("3.75")


def test_agent_provider_puts_every_role_on_one_provider(env: pytest.MonkeyPatch) -> None:
    env.setenv("AGENT_PROVIDER", "openai")

    settings = load()

    for role in Role:
        chosen = settings.role(role)
        assert (chosen.provider, chosen.model) == (ProviderName.OPENAI, "gpt-4.1")
        assert (chosen.provider_from, chosen.model_from) == ("AGENT_PROVIDER", DEFAULT)
    assert settings.providers_in_use() == [ProviderName.OPENAI]


def test_per_role_settings_win_over_agent_provider(env: pytest.MonkeyPatch) -> None:
    env.setenv("AGENT_PROVIDER", "anthropic")
    env.setenv("AGENT_GIT_PROVIDER", "openai")
    env.setenv("AGENT_VALIDATOR_MODEL", "claude-haiku-4-5")

    settings = load()

    git, validator = settings.role(Role.GIT), settings.role(Role.VALIDATOR)
    assert (git.provider, git.model, git.provider_from) == (
        ProviderName.OPENAI,
        "gpt-4.1",
        "AGENT_GIT_PROVIDER",
    )
    assert (validator.provider, validator.model, validator.model_from) == (
        ProviderName.ANTHROPIC,
        "claude-haiku-4-5",
        "AGENT_VALIDATOR_MODEL",
    )
    assert settings.role(Role.MANAGER).model == "claude-sonnet-4-6"


def test_a_role_given_a_provider_gets_that_providers_default_model(
    env: pytest.MonkeyPatch,
) -> None:
    env.setenv("AGENT_DEVELOPER_PROVIDER", "openai")
    developer = load().role(Role.DEVELOPER)
    assert (developer.provider, developer.model) == (ProviderName.OPENAI, "gpt-4.1")


def test_an_empty_variable_is_unset(env: pytest.MonkeyPatch) -> None:
    # What a compose file's `AGENT_PROVIDER=${AGENT_PROVIDER}` gives when the shell has none.
    env.setenv("AGENT_PROVIDER", "")
    env.setenv("AGENT_DEVELOPER_MODEL", " ")
    developer = load().role(Role.DEVELOPER)
    assert (developer.provider, developer.model) == (ProviderName.ANTHROPIC, "claude-sonnet-4-6")


def test_a_bad_agent_provider_is_refused(env: pytest.MonkeyPatch) -> None:
    env.setenv("AGENT_PROVIDER", "gemini")
    with pytest.raises(ValidationError, match="agent_provider"):
        load()


@pytest.mark.parametrize(
    ("value", "location", "message"),
    [
        ("{not-json", ("model_prices",), "Value error, not valid JSON: Expecting property name"),
        ("[1, 2]", ("model_prices",), "Input should be a valid dictionary"),
        ('{"m": {"input": "1"}}', ("model_prices", "m", "output"), "Field required"),
        ('{"m": {"input": "-1", "output": "1"}}', ("model_prices", "m", "input"), "greater"),
    ],
)
def test_malformed_model_prices_name_the_variable_and_the_path(
    env: pytest.MonkeyPatch, value: str, location: tuple[str, ...], message: str
) -> None:
    env.setenv("MODEL_PRICES", value)
    with pytest.raises(ValidationError) as caught:
        load()
    error = caught.value.errors()[0]
    assert error["loc"] == location
    assert message in error["msg"]
