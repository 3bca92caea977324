"""The one path every agent step takes to a model.

1. Scrub secrets from the prompt and hash the inputs (role, step, provider, model,
   temperature, answer schema, both prompt parts).
2. Look up the response cache; a hit returns the stored answer and records a free ledger row.
3. Otherwise ask the provider under its rate limiter (after the budget hook), validate the
   answer, and on an invalid one ask once more with the error in the conversation.
4. Record a ledger row per model call (an invalid answer is paid for too), priced exactly.
5. Store the valid answer in the cache with its dependencies and the stage's lifetime.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Generic

from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from agents.context import PromptManifest
from agents.errors import AgentOutputError
from agents.pricing import Cost, cost_of, price_for
from agents.prompting import Prompt
from agents.providers.base import ModelReply, ModelRequest, T, Turn, Usage
from agents.runtime import AgentRuntime
from agents.settings import Role, RoleSettings
from storage import cache, ledger
from storage.cache_keys import parse_key
from storage.db import transaction

log = logging.getLogger(__name__)

Budget = Callable[[int], Awaitable[None]]
ATTEMPTS = 2
CORRECTION = (
    "Your answer does not match the required JSON schema: {error}\n"
    "Answer again with one JSON object that matches the schema exactly."
)


@dataclass(frozen=True)
class CallResult(Generic[T]):
    answer: T
    cache_hit: bool
    usage: Usage  # all attempts; zero on a cache hit
    cost_nanousd: int
    manifest: PromptManifest
    attempts: int  # model calls made: 0 on a hit, 1, or 2 after a retry


@dataclass(frozen=True)
class Step:
    """Where a call belongs: the ledger and cache coordinates of one agent step."""

    role: Role
    step: str
    project_id: int
    phase: int | None
    cache_key: str
    depends_on: Sequence[str]


def input_hash(step: Step, chosen: RoleSettings, output_type: type[T], prompt: Prompt) -> str:
    return cache.hash_inputs(
        {
            "role": step.role.value,
            "step": step.step,
            "provider": chosen.provider.value,
            "model": chosen.model,
            "temperature": chosen.temperature,
            "schema": output_type.model_json_schema(),
            "stable": prompt.stable,
            "changing": prompt.changing,
        }
    )


async def _cached(
    rt: AgentRuntime, step: Step, chosen: RoleSettings, output_type: type[T], digest: str
) -> T | None:
    async with transaction(rt.sessions) as session:
        now = rt.clock()
        entry = await cache.lookup(
            session,
            project_id=step.project_id,
            key=step.cache_key,
            step=step.step,
            input_hash=digest,
            now=now,
        )
        if entry is None:
            return None
        try:
            answer = output_type.model_validate(entry.value)
        except ValidationError:
            # Stored under an older validator: answer afresh (and replace the entry).
            log.warning("cache entry %s/%s no longer validates", step.cache_key, step.step)
            return None
        await _record(rt, session, step, chosen, Usage(), Cost(0, 0), latency_ms=0, hit=True)
    return answer


async def _record(
    rt: AgentRuntime,
    session: AsyncSession,
    step: Step,
    chosen: RoleSettings,
    usage: Usage,
    cost: Cost,
    *,
    latency_ms: int,
    hit: bool,
) -> None:
    await ledger.record_call(
        session,
        project_id=step.project_id,
        phase=step.phase,
        role=step.role.value,
        step=step.step,
        cache_key=step.cache_key,
        provider=chosen.provider.value,
        model=chosen.model,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cached_input_tokens=usage.cached_input_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        cost_nanousd=cost.nanousd,
        provider_cache_saved_nanousd=cost.provider_cache_saved_nanousd,
        latency_ms=latency_ms,
        cache_hit=hit,
        now=rt.clock(),
    )


async def _ask(
    rt: AgentRuntime, step: Step, request: ModelRequest, output_type: type[T], budget: Budget | None
) -> tuple[ModelReply[T], Cost]:
    """One model call: budget hook, rate limit, provider, ledger row."""
    chosen = rt.role(step.role)
    price = price_for(rt.settings.prices(), chosen.model)  # refuses before spending anything
    provider = rt.provider_for(step.role)
    if budget is not None:
        async with transaction(rt.sessions) as session:
            spent = await ledger.project_spend_nanousd(session, project_id=step.project_id)
        await budget(spent)
    await rt.limiters[chosen.provider].acquire()
    started = rt.timer()
    reply = await provider.complete(request, output_type)
    latency_ms = round((rt.timer() - started) * 1000)
    cost = cost_of(reply.usage, price)
    async with transaction(rt.sessions) as session:
        await _record(
            rt, session, step, chosen, reply.usage, cost, latency_ms=latency_ms, hit=False
        )
    log.info(
        "model call %s/%s project=%s phase=%s tokens in=%d cached=%d out=%d valid=%s",
        step.role.value,
        step.step,
        step.project_id,
        step.phase,
        reply.usage.input_tokens,
        reply.usage.cached_input_tokens,
        reply.usage.output_tokens,
        reply.parsed is not None,
    )
    return reply, cost


async def _store(
    rt: AgentRuntime, step: Step, digest: str, answer: T, usage: Usage, nanousd: int
) -> None:
    async with transaction(rt.sessions) as session:
        await cache.store(
            session,
            project_id=step.project_id,
            key=step.cache_key,
            step=step.step,
            input_hash=digest,
            value=answer.model_dump(mode="json"),
            depends_on=list(step.depends_on),
            ttl=rt.settings.ttl(parse_key(step.cache_key).stage),
            input_tokens=usage.prompt_tokens,
            output_tokens=usage.output_tokens,
            cost_nanousd=nanousd,
            now=rt.clock(),
        )


async def call(
    rt: AgentRuntime,
    step: Step,
    output_type: type[T],
    prompt: Prompt,
    *,
    budget: Budget | None = None,
) -> CallResult[T]:
    """The answer of one agent step, from the cache or the model (see the module docstring).
    Raises AgentOutputError after two invalid answers, ProviderKeyMissing when the role's
    provider has no key, ProviderError when the API fails, and whatever `budget` raises."""
    chosen = rt.role(step.role)
    prompt = Prompt(
        prompt.step, rt.redact(prompt.stable), rt.redact(prompt.changing), prompt.manifest
    )
    digest = input_hash(step, chosen, output_type, prompt)
    cached = await _cached(rt, step, chosen, output_type, digest)
    if cached is not None:
        return CallResult(cached, True, Usage(), 0, prompt.manifest, attempts=0)
    request = ModelRequest(
        model=chosen.model,
        max_tokens=chosen.max_tokens,
        temperature=chosen.temperature,
        stable=prompt.stable,
        changing=prompt.changing,
    )
    usage, nanousd, error = Usage(), 0, ""
    for attempt in range(1, ATTEMPTS + 1):
        reply, cost = await _ask(rt, step, request, output_type, budget)
        usage, nanousd = usage + reply.usage, nanousd + cost.nanousd
        if reply.parsed is not None:
            await _store(rt, step, digest, reply.parsed, usage, nanousd)
            return CallResult(reply.parsed, False, usage, nanousd, prompt.manifest, attempt)
        error = reply.error or "no answer"
        retry = (
            Turn("assistant", rt.redact(reply.text) or "(no answer)"),
            Turn("user", CORRECTION.format(error=error)),
        )
        request = replace(request, turns=retry)
    raise AgentOutputError(role=step.role.value, step=step.step, problem=error)
