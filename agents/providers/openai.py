"""OpenAI (and any OpenAI-compatible server) through the official async client.

The request carries exactly the `response_format` that `chat.completions.parse` builds (the
model's strict JSON schema, via the SDK's own `type_to_response_format_param`), but goes through
`create`: `parse` raises on an answer that does not validate and drops its usage, while we need
the raw text for the one retry and the tokens for the ledger (an invalid answer is paid for too).
"""

from __future__ import annotations

import httpx2
from openai import APIError, AsyncOpenAI, omit
from openai.lib._parsing import type_to_response_format_param
from openai.types.chat import ChatCompletion, ChatCompletionMessageParam

from agents.errors import ProviderError
from agents.providers.base import ModelReply, ModelRequest, T, Usage, validate_answer
from agents.settings import AgentSettings, ProviderName


def openai_client(settings: AgentSettings, http_client: httpx2.AsyncClient | None) -> AsyncOpenAI:
    key = settings.api_key(ProviderName.OPENAI)
    return AsyncOpenAI(
        api_key=key.get_secret_value() if key else None,
        base_url=settings.openai_base_url,
        timeout=settings.agent_http_timeout_seconds,
        max_retries=settings.agent_max_retries,
        http_client=http_client,
    )


def _messages(request: ModelRequest) -> list[ChatCompletionMessageParam]:
    # The stable part goes first and alone, so OpenAI's automatic prefix caching can reuse it.
    messages: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": request.stable},
        {"role": "user", "content": request.changing},
    ]
    for turn in request.turns:
        if turn.role == "assistant":
            messages.append({"role": "assistant", "content": turn.content})
        else:
            messages.append({"role": "user", "content": turn.content})
    return messages


def _usage(completion: ChatCompletion) -> Usage:
    usage = completion.usage
    if usage is None:  # some compatible servers leave it out
        return Usage()
    details = usage.prompt_tokens_details
    cached = (details.cached_tokens or 0) if details else 0
    return Usage(
        input_tokens=usage.prompt_tokens - cached,
        output_tokens=usage.completion_tokens,
        cached_input_tokens=cached,
    )


class OpenAIProvider:
    name = ProviderName.OPENAI

    def __init__(self, client: AsyncOpenAI) -> None:
        self._client = client

    async def complete(self, request: ModelRequest, output_type: type[T]) -> ModelReply[T]:
        try:
            completion = await self._client.chat.completions.create(
                model=request.model,
                messages=_messages(request),
                response_format=type_to_response_format_param(output_type),
                max_completion_tokens=request.max_tokens,
                temperature=omit if request.temperature is None else request.temperature,
            )
        except APIError as exc:
            raise ProviderError(f"OpenAI API error: {exc}") from exc
        choice = completion.choices[0]
        text = choice.message.content or ""
        parsed, error = None, None
        if choice.message.refusal:
            error = f"the model refused: {choice.message.refusal}"
        elif choice.finish_reason == "length":
            error = f"the answer was cut off at {request.max_tokens} output tokens"
        else:
            parsed, error = validate_answer(output_type, text)
        return ModelReply(
            provider=self.name,
            model=completion.model,
            text=text,
            usage=_usage(completion),
            parsed=parsed,
            error=error,
            request_id=completion._request_id,
        )
