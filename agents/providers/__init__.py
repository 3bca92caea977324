"""Model providers: one adapter per API behind the `Provider` interface."""

from __future__ import annotations

import httpx2

from agents.providers.anthropic import AnthropicProvider, anthropic_client
from agents.providers.base import ModelReply, ModelRequest, Provider, Turn, Usage
from agents.providers.openai import OpenAIProvider, openai_client
from agents.settings import AgentSettings, ProviderName

__all__ = ["ModelReply", "ModelRequest", "Provider", "Turn", "Usage", "build_providers"]


def build_providers(
    settings: AgentSettings, http_client: httpx2.AsyncClient | None = None
) -> dict[ProviderName, Provider]:
    """A provider for each API the roles use and whose key is set; a role whose provider is
    missing here fails with ProviderKeyMissing when first used."""
    providers: dict[ProviderName, Provider] = {}
    for name in settings.providers_in_use():
        if not settings.has_key(name):
            continue
        if name is ProviderName.OPENAI:
            providers[name] = OpenAIProvider(openai_client(settings, http_client))
        else:
            providers[name] = AnthropicProvider(anthropic_client(settings, http_client))
    return providers
