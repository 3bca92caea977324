"""The providers' wire formats: responses, errors, token counts and prompt caching, as the
OpenAI Chat Completions and Anthropic Messages APIs report them."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any, Literal

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD = 4  # tokens of role markers around each message
OPENAI_MIN_CACHED = 1024  # OpenAI caches prompts of 1,024 tokens or more…
OPENAI_CACHE_STEP = 128  # …and reports hits in 128-token increments
ANTHROPIC_MIN_CACHED = 1024  # Sonnet's minimum cacheable prefix

Stop = Literal["stop", "length", "refusal"]


def tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


@dataclass(frozen=True)
class Tokens:
    uncached: int
    cached: int = 0
    written: int = 0
    output: int = 0


@dataclass
class PromptCache:
    """Prefixes each provider has seen, per model: a repeat is read from the cache."""

    seen: set[tuple[str, str, str]] = field(default_factory=set)

    def openai(self, model: str, prefix: str, total: int) -> Tokens:
        size = tokens(prefix)
        key = ("openai", model, prefix)
        cached = 0
        if size >= OPENAI_MIN_CACHED:
            if key in self.seen:
                cached = size - size % OPENAI_CACHE_STEP
            self.seen.add(key)
        return Tokens(uncached=total - cached, cached=cached)

    def anthropic(self, model: str, prefix: str | None, total: int) -> Tokens:
        if prefix is None or tokens(prefix) < ANTHROPIC_MIN_CACHED:
            return Tokens(uncached=total)
        size = tokens(prefix)
        key = ("anthropic", model, prefix)
        if key in self.seen:
            return Tokens(uncached=total - size, cached=size)
        self.seen.add(key)
        return Tokens(uncached=total - size, written=size)


def openai_completion(
    *, number: int, model: str, text: str, stop: Stop, usage: Tokens, created: int
) -> dict[str, Any]:
    refusal = text if stop == "refusal" else None
    prompt = usage.uncached + usage.cached
    return {
        "id": f"chatcmpl-scripted{number:06d}",
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None if refusal else text,
                    "refusal": refusal,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": "length" if stop == "length" else "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": usage.output,
            "total_tokens": prompt + usage.output,
            "prompt_tokens_details": {"cached_tokens": usage.cached, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": "fp_scripted",
    }


_ANTHROPIC_STOPS = {"stop": "end_turn", "length": "max_tokens", "refusal": "refusal"}


def anthropic_message(
    *, number: int, model: str, text: str, stop: Stop, usage: Tokens
) -> dict[str, Any]:
    return {
        "id": f"msg_scripted{number:06d}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": text}],
        "stop_reason": _ANTHROPIC_STOPS[stop],
        "stop_sequence": None,
        "usage": {
            "input_tokens": usage.uncached,
            "output_tokens": usage.output,
            "cache_creation_input_tokens": usage.written,
            "cache_read_input_tokens": usage.cached,
            "cache_creation": {
                "ephemeral_5m_input_tokens": usage.written,
                "ephemeral_1h_input_tokens": 0,
            },
            "service_tier": "standard",
        },
    }


def openai_error(message: str, kind: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def anthropic_error(message: str, kind: str = "invalid_request_error") -> dict[str, Any]:
    return {"type": "error", "error": {"type": kind, "message": message}}


def strict_schema_problem(schema: Any, path: str = "$") -> str | None:
    """What OpenAI's strict mode would reject in `schema`: an object whose properties are not
    all required, or that allows additional properties."""
    if isinstance(schema, dict):
        if schema.get("type") == "object":
            if schema.get("additionalProperties") is not False:
                return f"{path}: additionalProperties must be false"
            if sorted(schema.get("required", [])) != sorted(schema.get("properties", {})):
                return f"{path}: every property must be required"
        for key, value in schema.items():
            problem = strict_schema_problem(value, f"{path}.{key}")
            if problem:
                return problem
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            problem = strict_schema_problem(value, f"{path}[{index}]")
            if problem:
                return problem
    return None


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()
