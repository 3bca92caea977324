"""What a project costs in model tokens, and what the caches save (a benchmark, not a test).

Runs scripted projects of 3, 6, 12 and 24 phases through the real agents and call path on a
temporary SQLite database, the scripted model answering with realistic sizes (each phase
writes three files of about 100-300 lines) and usage (tokens ~ characters / 4, provider prompt
caching simulated). For each size it prints the input and output tokens, the input tokens per
phase, the share of input in the stable cacheable prefix, and what two reruns cost: the whole
project unchanged (target: no model call) and after invalidating one middle phase's code
(target: that phase, its review and the integration summary; at least 90% fewer tokens).

    python bench/llm_cost.py          # last line: one JSON object with the headline figures
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import create_engine
from sqlmodel import SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.scriptedmodel

import storage.schema  # noqa: F401  (every table on the metadata)
from agents.runtime import build_runtime
from storage import cache
from storage.cache_keys import phase_code_key
from storage.db import make_engine, make_sessionmaker, sync_url, transaction
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.driver import run_project
from tests.scriptedmodel.project import ScriptedProject
from tests.scriptedmodel.runtime import agent_settings
from tests.scriptedmodel.wire import Tokens

SIZES = (3, 6, 12, 24)
PHASE_STEPS = {"developer.phase_files", "validator.review", "git.pr_text"}


@dataclass
class Spend:
    calls: int = 0
    input: int = 0  # whole prompts: uncached + cached + cache writes
    cached: int = 0
    output: int = 0
    stable_chars: int = 0
    prompt_chars: int = 0
    phase_input: int = 0

    @property
    def tokens(self) -> int:
        return self.input + self.output


def _usage(response: dict[str, Any]) -> Tokens:
    """The answer's usage on the wire, with OpenAI's cached tokens taken out of its input."""
    usage = response["usage"]
    if "prompt_tokens" in usage:
        cached = usage["prompt_tokens_details"]["cached_tokens"]
        return Tokens(usage["prompt_tokens"] - cached, cached, 0, usage["completion_tokens"])
    return Tokens(
        usage["input_tokens"],
        usage["cache_read_input_tokens"],
        usage["cache_creation_input_tokens"],
        usage["output_tokens"],
    )


def spend_since(model: ScriptedModel, start: int) -> Spend:
    spend = Spend()
    for request, response in zip(model.requests[start:], model.responses[start:], strict=True):
        usage = _usage(response)
        prompt = usage.uncached + usage.cached + usage.written
        spend.calls += 1
        spend.input += prompt
        spend.cached += usage.cached
        spend.output += usage.output
        spend.stable_chars += len(request.system)
        spend.prompt_chars += len(request.text)
        if request.step in PHASE_STEPS:
            spend.phase_input += prompt
    return spend


def create_database(directory: str) -> str:
    url = f"sqlite:///{directory}/bench.db"
    engine = create_engine(sync_url(url))
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    return url


async def measure(phases: int) -> dict[str, float]:
    # Default roles; rate limits raised, since the scripted model answers at once and the
    # benchmark counts tokens, not minutes.
    limits = {
        f"{p}_requests_per_{w}": 10**6 for p in ("openai", "anthropic") for w in ("minute", "hour")
    }
    settings = agent_settings(None, **limits)
    with tempfile.TemporaryDirectory() as directory:
        engine = make_engine(create_database(directory))
        model = ScriptedModel()
        ScriptedProject(phases=phases).install(model)
        async with httpx2.AsyncClient(transport=model.transport) as http:
            rt = build_runtime(settings, make_sessionmaker(engine), http_client=http)
            await run_project(rt, 1)
            full = spend_since(model, 0)
            mark = len(model.requests)
            await run_project(rt, 1)
            rerun = spend_since(model, mark)
            async with transaction(rt.sessions) as session:
                await cache.invalidate(session, project_id=1, key=phase_code_key(phases // 2 + 1))
            mark = len(model.requests)
            await run_project(rt, 1)
            retry = spend_since(model, mark)
            retried = sorted({str(r.step) for r in model.requests[mark:]})
        await engine.dispose()
    per_phase = full.phase_input / phases
    row = {
        "phases": phases,
        "calls": full.calls,
        "input_tokens": full.input,
        "output_tokens": full.output,
        "input_tokens_per_phase": round(per_phase),
        "stable_prefix_share": round(full.stable_chars / full.prompt_chars, 3),
        "provider_cached_share": round(full.cached / full.input, 3),
        "rerun_model_calls": rerun.calls,
        "rerun_tokens": rerun.tokens,
        "retry_one_phase_calls": retry.calls,
        "retry_one_phase_tokens": retry.tokens,
        "retry_one_phase_savings": round(1 - retry.tokens / full.tokens, 3),
    }
    print(
        f"{phases:>3} phases: {full.calls} calls, {full.input:,} in / {full.output:,} out tokens; "
        f"{round(per_phase):,} input tokens per phase; stable prefix "
        f"{row['stable_prefix_share']:.0%} of input ({row['provider_cached_share']:.0%} read "
        f"from the provider cache); rerun {rerun.calls} calls / {rerun.tokens} tokens; "
        f"retry of phase {phases // 2 + 1}: {retry.calls} calls ({', '.join(retried)}), "
        f"{retry.tokens:,} tokens, {row['retry_one_phase_savings']:.1%} saved"
    )
    return row


async def main() -> None:
    rows = {phases: await measure(phases) for phases in SIZES}
    per_phase = {str(p): rows[p]["input_tokens_per_phase"] for p in SIZES}
    total_stable = sum(rows[p]["stable_prefix_share"] * rows[p]["input_tokens"] for p in SIZES)
    summary = {
        "input_tokens_per_phase": per_phase,
        "growth_24_vs_3": round(
            rows[24]["input_tokens_per_phase"] / rows[3]["input_tokens_per_phase"], 2
        ),
        "stable_prefix_share": round(total_stable / sum(rows[p]["input_tokens"] for p in SIZES), 3),
        "rerun_model_calls": sum(int(rows[p]["rerun_model_calls"]) for p in SIZES),
        # The headline is the largest project; with 3 phases one phase is a third of all the
        # phase work, so no cache can save 90% of a full run there (see the by-size figures).
        "retry_one_phase_savings": rows[SIZES[-1]]["retry_one_phase_savings"],
        "retry_one_phase_savings_by_size": {
            str(p): rows[p]["retry_one_phase_savings"] for p in SIZES
        },
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main())
