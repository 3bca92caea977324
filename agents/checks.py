"""What the pre-flight and `doctor` say about the agents' settings: each provider's key, and for
each role the provider and model in effect, whether that provider serves that model, and its
price.

A model's provider is told by its name (`gpt-…`, `o3…` are OpenAI's, `claude-…` Anthropic's). A
role whose model belongs to the other provider is a bad setting when the role calls the
provider's official endpoint (it cannot work); behind a base URL (a proxy or a local server may
serve any name) it is only a warning, as is a name neither provider is known to use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from agents.pricing import missing_price_message
from agents.settings import (
    DEFAULT,
    KEY_VARIABLES,
    AgentSettings,
    ProviderName,
    Role,
    RoleSettings,
)

# invalid: start-up refuses it; fail: the agents cannot work yet (a key is missing).
Status = Literal["ok", "warn", "fail", "invalid"]

_MODEL_NAMES = {
    ProviderName.OPENAI: re.compile(r"(gpt-|chatgpt-|codex-|o\d+($|-))"),
    ProviderName.ANTHROPIC: re.compile(r"claude-"),
}


@dataclass(frozen=True)
class Finding:
    name: str
    status: Status
    detail: str


def model_provider(model: str) -> ProviderName | None:
    """The provider whose models are named like `model`; None for any other name."""
    for provider, pattern in _MODEL_NAMES.items():
        if pattern.match(model):
            return provider
    return None


def _model_variable(role: Role, chosen: RoleSettings) -> str:
    return chosen.model_from if chosen.model_from != DEFAULT else f"AGENT_{role.upper()}_MODEL"


def _role_problem(settings: AgentSettings, role: Role) -> str | None:
    chosen = settings.role(role)
    variable = _model_variable(role, chosen)
    if chosen.model not in settings.prices():
        return f"{variable}: {missing_price_message(chosen.model)}"
    family = model_provider(chosen.model)
    if family in (None, chosen.provider) or settings.base_url(chosen.provider):
        return None
    return (
        f"{variable}: {chosen.model} is an {family} model, but the {role} role's provider is "
        f"{chosen.provider} ({chosen.provider_from}); set "
        f"AGENT_{role.upper()}_PROVIDER={family} or an {chosen.provider} model"
    )


def role_problems(settings: AgentSettings) -> list[str]:
    """Each role whose provider and model cannot work together, one line naming the setting."""
    problems = (_role_problem(settings, role) for role in Role)
    return [problem for problem in problems if problem is not None]


def _role_warning(settings: AgentSettings, chosen: RoleSettings) -> str | None:
    family = model_provider(chosen.model)
    base_url = settings.base_url(chosen.provider)
    if family is None and base_url is None:
        return f"{chosen.model} is not an {chosen.provider} model name; check the spelling"
    if family not in (None, chosen.provider):
        return f"{chosen.model} is an {family} model; fine if the server at {base_url} serves it"
    return None


def describe_role(chosen: RoleSettings) -> str:
    """`openai gpt-4.1 (provider from AGENT_PROVIDER, model: its default)`."""
    if chosen.provider_from == chosen.model_from == DEFAULT:
        origin = "default"
    else:
        provider = "default" if chosen.provider_from == DEFAULT else chosen.provider_from
        model = "its default" if chosen.model_from == DEFAULT else chosen.model_from
        origin = f"provider: {provider}, model: {model}"
    return f"{chosen.provider} {chosen.model} ({origin})"


def _role_finding(settings: AgentSettings, role: Role) -> Finding:
    chosen, name = settings.role(role), f"agent {role.value}"
    described = describe_role(chosen)
    problem = _role_problem(settings, role)
    if problem is not None:
        return Finding(name, "invalid", problem)  # it names the setting; the pre-flight's words
    warning = _role_warning(settings, chosen)
    if warning is not None:
        return Finding(name, "warn", f"{described}: {warning}")
    return Finding(name, "ok", described)


def _key_finding(settings: AgentSettings, provider: ProviderName) -> Finding:
    roles = ", ".join(role.value for role in Role if settings.role(role).provider is provider)
    variable = KEY_VARIABLES[provider]
    if not settings.has_key(provider):
        return Finding(variable, "fail", f"not set: role(s) {roles} use {provider}")
    where = settings.base_url(provider) or "the official endpoint"
    return Finding(variable, "ok", f"set; {roles} call {where}")


def doctor_checks(settings: AgentSettings) -> list[Finding]:
    """`doctor`'s lines: each provider in use and its key, then each role's provider and model
    in effect, with the settings that chose them."""
    keys = [_key_finding(settings, provider) for provider in settings.providers_in_use()]
    return [*keys, *(_role_finding(settings, role) for role in Role)]
