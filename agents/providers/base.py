"""The one interface every model provider implements, and the values that cross it.

Token convention, the same for every provider: `Usage.input_tokens` is the UNCACHED input only.
Cache reads are `cached_input_tokens` and cache writes `cache_write_tokens`, so the whole prompt
is their sum. Anthropic reports usage this way already; OpenAI's `prompt_tokens` includes the
cached tokens, and its adapter subtracts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Generic, Literal, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from agents.settings import ProviderName

T = TypeVar("T", bound=BaseModel)


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def prompt_tokens(self) -> int:
        return self.input_tokens + self.cached_input_tokens + self.cache_write_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cached_input_tokens + other.cached_input_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )


@dataclass(frozen=True)
class Turn:
    """A later message of the conversation: the model's invalid answer and our correction."""

    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class ModelRequest:
    """What to send. `stable` is the cacheable prefix (system); `changing` the first user turn."""

    model: str
    max_tokens: int
    temperature: float | None
    stable: str
    changing: str
    turns: tuple[Turn, ...] = ()


@dataclass(frozen=True)
class ModelReply(Generic[T]):
    """The answer: `parsed` when it validated, else `error` says what was wrong with `text`."""

    provider: ProviderName
    model: str
    text: str
    usage: Usage
    parsed: T | None = None
    error: str | None = None
    request_id: str | None = field(default=None, compare=False)


class Provider(Protocol):
    name: ProviderName

    async def complete(self, request: ModelRequest, output_type: type[T]) -> ModelReply[T]: ...


def describe_validation_error(exc: ValidationError, *, limit: int = 10) -> str:
    """The errors as `location: message` lines, without echoing the (possibly huge) input."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False)[:limit]:
        location = ".".join(str(part) for part in error["loc"]) or "(answer)"
        lines.append(f"{location}: {error['msg']}")
    more = exc.error_count() - limit
    if more > 0:
        lines.append(f"… and {more} more")
    return "; ".join(lines)


def validate_answer(output_type: type[T], text: str) -> tuple[T | None, str | None]:
    """The answer parsed into `output_type`, or the reason it does not parse."""
    try:
        return output_type.model_validate_json(text), None
    except ValidationError as exc:
        return None, describe_validation_error(exc)
