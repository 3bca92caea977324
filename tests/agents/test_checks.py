"""What the pre-flight and `doctor` say about the agents' settings: which provider a model
belongs to, a role's provider and model that cannot work together, keys, prices."""

from __future__ import annotations

from typing import Any

import pytest

from agents.checks import Finding, describe_role, doctor_checks, model_provider, role_problems
from agents.settings import AgentSettings, ProviderName, Role


def load(**values: Any) -> AgentSettings:
    return AgentSettings(_env_file=None, **values)


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in AgentSettings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.mark.parametrize(
    ("model", "provider"),
    [
        ("gpt-4.1", ProviderName.OPENAI),
        ("gpt-5-mini", ProviderName.OPENAI),
        ("o3", ProviderName.OPENAI),
        ("o4-mini", ProviderName.OPENAI),
        ("claude-sonnet-4-6", ProviderName.ANTHROPIC),
        ("claude-haiku-4-5", ProviderName.ANTHROPIC),
        ("llama3", None),
        ("openchat", None),
        ("anthropic/claude-sonnet-4", None),  # a router's name: its own naming
    ],
)
def test_a_model_belongs_to_a_provider_by_its_name(
    model: str, provider: ProviderName | None
) -> None:
    assert model_provider(model) is provider


def test_the_defaults_have_no_problem() -> None:
    assert role_problems(load()) == []
    assert role_problems(load(agent_provider="openai")) == []
    assert role_problems(load(agent_provider="anthropic")) == []


def test_another_providers_model_on_the_official_endpoint_is_a_problem() -> None:
    settings = load(agent_developer_provider="openai", agent_developer_model="claude-sonnet-4-6")
    assert role_problems(settings) == [
        "AGENT_DEVELOPER_MODEL: claude-sonnet-4-6 is an anthropic model, but the developer "
        "role's provider is openai (AGENT_DEVELOPER_PROVIDER); set "
        "AGENT_DEVELOPER_PROVIDER=anthropic or an openai model"
    ]


def test_agent_provider_with_a_role_model_of_the_other_provider_names_agent_provider() -> None:
    settings = load(agent_provider="anthropic", agent_git_model="gpt-4.1")
    [problem] = role_problems(settings)
    assert problem.startswith("AGENT_GIT_MODEL: gpt-4.1 is an openai model")
    assert "provider is anthropic (AGENT_PROVIDER)" in problem


def test_behind_a_base_url_another_providers_model_is_only_a_warning() -> None:
    # A proxy such as LiteLLM may serve claude-* through the OpenAI API.
    settings = load(
        agent_developer_provider="openai",
        agent_developer_model="claude-sonnet-4-6",
        openai_base_url="http://localhost:4000/v1",
    )
    assert role_problems(settings) == []
    developer = next(f for f in doctor_checks(settings) if f.name == "agent developer")
    assert developer.status == "warn"
    assert developer.detail.endswith(
        "claude-sonnet-4-6 is an anthropic model; fine if the server at "
        "http://localhost:4000/v1 serves it"
    )


def test_a_model_without_a_price_is_a_problem() -> None:
    [problem] = role_problems(load(agent_git_model="local-llama"))
    assert problem.startswith("AGENT_GIT_MODEL: model local-llama has no price: add it to ")


def test_an_unknown_priced_model_on_the_official_endpoint_is_a_warning() -> None:
    settings = load(agent_git_model="gpt4", model_prices={"gpt4": {"input": "1", "output": "1"}})
    git = next(f for f in doctor_checks(settings) if f.name == "agent git")
    assert git == Finding(
        "agent git",
        "warn",
        "openai gpt4 (provider: default, model: AGENT_GIT_MODEL): gpt4 is not an openai model "
        "name; check the spelling",
    )


def test_a_local_model_behind_a_base_url_is_fine() -> None:
    settings = load(
        agent_provider="openai",
        agent_manager_model="llama3",
        openai_base_url="http://localhost:11434/v1",
        model_prices={"llama3": {"input": "0", "output": "0"}},
    )
    assert role_problems(settings) == []
    assert all(f.status == "fail" or f.status == "ok" for f in doctor_checks(settings))


def test_doctor_checks_report_keys_and_each_roles_provider_and_model() -> None:
    settings = load(anthropic_api_key="sk-ant-test", agent_git_model="local-llama")

    checks = {f.name: (f.status, f.detail) for f in doctor_checks(settings)}

    assert checks["OPENAI_API_KEY"] == (
        "fail",
        "not set: role(s) manager, validator, git, integration use openai",
    )
    assert checks["ANTHROPIC_API_KEY"][0] == "ok"
    assert "sk-ant-test" not in str(checks)
    assert checks["agent git"][0] == "invalid"
    assert checks["agent git"][1].startswith("AGENT_GIT_MODEL: model local-llama has no price")
    assert checks["agent developer"] == ("ok", "anthropic claude-sonnet-4-6 (default)")


def test_doctor_says_where_each_roles_choice_came_from() -> None:
    settings = load(agent_provider="openai", agent_manager_model="gpt-5", openai_api_key="sk-test")
    described = {role: describe_role(settings.role(role)) for role in Role}
    assert (
        described[Role.MANAGER]
        == "openai gpt-5 (provider: AGENT_PROVIDER, model: AGENT_MANAGER_MODEL)"
    )
    assert described[Role.DEVELOPER] == (
        "openai gpt-4.1 (provider: AGENT_PROVIDER, model: its default)"
    )
    keys = [f.name for f in doctor_checks(settings) if f.name.endswith("_API_KEY")]
    assert keys == ["OPENAI_API_KEY"]  # one provider, one key
