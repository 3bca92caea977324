"""Anthropic through the official async client.

Structured output uses `output_config.format`, the JSON schema that `messages.parse` sends
(built with the SDK's public `transform_schema`); like the OpenAI adapter it calls `create` so an
invalid answer keeps its text and usage. The stable part is a system block marked with
`cache_control`, so from the second call on its tokens are read from Anthropic's prompt cache.
anthropic 2.x takes no temperature, so none is sent.
"""

from __future__ import annotations

import httpx2
from anthropic import APIError, AsyncAnthropic, transform_schema
from anthropic.types import JSONOutputFormatParam, Message, MessageParam, TextBlockParam
from pydantic import BaseModel

from agents.errors import ProviderError
from agents.providers.base import ModelReply, ModelRequest, T, Usage, validate_answer
from agents.settings import AgentSettings, ProviderName

_PROBLEM_STOPS = {
    "max_tokens": "the answer was cut off at {max_tokens} output tokens",
    "refusal": "the model refused to answer",
    "model_context_window_exceeded": "the prompt and answer exceed the model's context window",
}


def anthropic_client(
    settings: AgentSettings, http_client: httpx2.AsyncClient | None
) -> AsyncAnthropic:
    key = settings.api_key(ProviderName.ANTHROPIC)
    return AsyncAnthropic(
        api_key=key.get_secret_value() if key else None,
        base_url=settings.anthropic_base_url,
        timeout=settings.agent_http_timeout_seconds,
        max_retries=settings.agent_max_retries,
        http_client=http_client,
    )


def _system(request: ModelRequest) -> list[TextBlockParam]:
    return [{"type": "text", "text": request.stable, "cache_control": {"type": "ephemeral"}}]


def _messages(request: ModelRequest) -> list[MessageParam]:
    messages: list[MessageParam] = [{"role": "user", "content": request.changing}]
    for turn in request.turns:
        if turn.role == "assistant":
            messages.append({"role": "assistant", "content": turn.content})
        else:
            messages.append({"role": "user", "content": turn.content})
    return messages


def _output_format(output_type: type[BaseModel]) -> JSONOutputFormatParam:
    return {"type": "json_schema", "schema": transform_schema(output_type)}


def _usage(message: Message) -> Usage:
    usage = message.usage
    return Usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cached_input_tokens=usage.cache_read_input_tokens or 0,
        cache_write_tokens=usage.cache_creation_input_tokens or 0,
    )


class AnthropicProvider:
    name = ProviderName.ANTHROPIC

    def __init__(self, client: AsyncAnthropic) -> None:
        self._client = client

    async def complete(self, request: ModelRequest, output_type: type[T]) -> ModelReply[T]:
        try:
            message = await self._client.messages.create(
                model=request.model,
                max_tokens=request.max_tokens,
                system=_system(request),
                messages=_messages(request),
                output_config={"format": _output_format(output_type)},
            )
        except APIError as exc:
            raise ProviderError(f"Anthropic API error: {exc}") from exc
        text = "".join(block.text for block in message.content if block.type == "text")
        parsed, error = None, None
        if message.stop_reason in _PROBLEM_STOPS:
            error = _PROBLEM_STOPS[message.stop_reason].format(max_tokens=request.max_tokens)
        else:
            parsed, error = validate_answer(output_type, text)
        return ModelReply(
            provider=self.name,
            model=message.model,
            text=text,
            usage=_usage(message),
            parsed=parsed,
            error=error,
            request_id=message._request_id,
        )
