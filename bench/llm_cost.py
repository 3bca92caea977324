"""What a project costs in model tokens, and what the response cache saves (a benchmark, not a
test).

Runs scripted projects of 3, 6, 12 and 24 phases through the real app, in-process, as
`bench/workflow.py` does: webhooks in, the worker running the app's jobs, the fake GitHub, a
temporary SQLite database, the agents on the scripted model (realistic sizes: each phase writes
three files of about 100-300 lines; usage with tokens ~ characters / 4 and provider prompt
caching simulated). The repository starts with a small service on `main` (`tests.basefiles`),
the options file allows 24 phases and starts without `/approve`, and every phase is revised
once: its first review fails, the developer's revision passes the second.

Three runs per size, each on a fresh fake GitHub and a fresh database:
- the project: tokens from the app's cost ledger (what `/cost` shows), input tokens per phase
  (the calls of a phase: files, PR text, two reviews, the revision), and the share of the
  prompts in the stable prefix (`system` text, byte-identical across a project's calls);
- the same issue again with the first run's response cache and nothing else (the app's rows
  gone): every step's inputs are the same, so the target is no model call;
- the same again, where a writer comments `/retry phase-<middle>` on the issue while that
  phase's pull request waits for CI: every model call of this run is the retry's, and it
  saves the rest of what the project cost.

    python bench/llm_cost.py          # last line: one JSON object with the headline figures
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.*

import storage.schema  # noqa: F401  (every table on the metadata)
from storage.ledger import LLMCall
from storage.projects import ProjectStatus
from storage.states import PhaseState
from tests.database import create_schema
from tests.projectworld import OneRevision, World, copy_cache, model_rows, open_world, prompt_tokens
from tests.scriptedmodel import ScriptedModel

SIZES = (3, 6, 12, 24)


@dataclass
class Spend:
    """Model calls of one run, from the ledger; prompt sizes from the model's requests."""

    calls: int = 0
    input: int = 0  # whole prompts: uncached + cached + cache writes
    cached: int = 0
    output: int = 0
    phase_input: int = 0  # of the calls inside a phase
    stable_chars: int = 0
    prompt_chars: int = 0
    steps: tuple[str, ...] = ()

    @property
    def tokens(self) -> int:
        return self.input + self.output


def spend_of(rows: list[LLMCall], model: ScriptedModel) -> Spend:
    calls = model_rows(rows)
    # The ledger counts every model call, the scripted model every request it answered.
    assert len(calls) == len(model.requests), (len(calls), len(model.requests))
    return Spend(
        calls=len(calls),
        input=sum(prompt_tokens(row) for row in calls),
        cached=sum(row.cached_input_tokens for row in calls),
        output=sum(row.output_tokens for row in calls),
        phase_input=sum(prompt_tokens(row) for row in calls if row.phase is not None),
        stable_chars=sum(len(request.system) for request in model.requests),
        prompt_chars=sum(len(request.text) for request in model.requests),
        steps=tuple(sorted({f"{row.step}@{row.phase}" for row in calls})),
    )


async def finished(world: World) -> None:
    project = await world.project()
    assert project.status is ProjectStatus.DONE, (project.status, project.error)
    assert all(phase.state is PhaseState.MERGED for phase in await world.phases())


@dataclass(frozen=True)
class Row:
    phases: int
    full: Spend
    rerun: Spend
    retry: Spend
    retry_phase: int

    @property
    def input_per_phase(self) -> int:
        return round(self.full.phase_input / self.phases)

    @property
    def stable_share(self) -> float:
        return round(self.full.stable_chars / self.full.prompt_chars, 3)

    @property
    def provider_cached_share(self) -> float:
        return round(self.full.cached / self.full.input, 3)

    @property
    def retry_saved(self) -> int:
        return self.full.tokens - self.retry.tokens

    @property
    def retry_saved_share(self) -> float:
        return round(self.retry_saved / self.full.tokens, 3)


async def measure(phases: int, directory: Path) -> Row:
    urls = []
    for name in ("first", "rerun", "retry"):
        urls.append(f"sqlite+aiosqlite:///{directory / f'{phases}-{name}.db'}")
        create_schema(urls[-1])
    middle = phases // 2 + 1
    async with open_world(directory, urls[0], OneRevision(phases=phases)) as first:
        await first.start()
        await finished(first)
        full = spend_of(await first.ledger(), first.model)
        async with open_world(directory, urls[1], OneRevision(phases=phases)) as rerun:
            await copy_cache(first.sessions, rerun.sessions)
            await rerun.start()
            await finished(rerun)
            again = spend_of(await rerun.ledger(), rerun.model)
        async with open_world(directory, urls[2], OneRevision(phases=phases)) as retried:
            await copy_cache(first.sessions, retried.sessions)

            async def waits_for_ci() -> bool:
                phase = next((p for p in await retried.phases() if p.number == middle), None)
                return phase is not None and phase.state is PhaseState.WAITING_CI

            # The middle phase was reviewed (twice: it was revised) and its CI is running
            # when a writer asks for it to be written again.
            await retried.label_issue()
            await retried.run_until(waits_for_ci)
            await retried.comment(f"/retry phase-{middle}")
            await finished(retried)
            retry = spend_of(await retried.ledger(), retried.model)
    return Row(phases, full, again, retry, middle)


def report(row: Row, seconds: float) -> None:
    full, retry = row.full, row.retry
    print(
        f"{row.phases:>3} phases: {full.calls} model calls, {full.input:,} in / "
        f"{full.output:,} out tokens; {row.input_per_phase:,} input tokens per phase; stable "
        f"prefix {row.stable_share:.0%} of the prompts ({row.provider_cached_share:.0%} of "
        f"input read from the provider cache); the same issue with the cache: "
        f"{row.rerun.calls} model calls; /retry phase-{row.retry_phase}: {retry.calls} calls "
        f"({', '.join(retry.steps)}), {retry.tokens:,} tokens, {row.retry_saved:,} "
        f"({row.retry_saved_share:.1%}) of the project's saved [{seconds:.0f} s]",
        flush=True,
    )


def machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            names = [
                line.split(":", 1)[1].strip() for line in info if line.startswith("model name")
            ]
        model = names[0] if names else model
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}"


def table(rows: list[Row]) -> None:
    print(
        "| phases | model calls | input tokens | output tokens | input tokens per phase "
        "| stable prefix | read from the provider cache | the same issue again: model calls "
        "| /retry of the middle phase: calls, tokens, saved |"
    )
    print("|" + " --- |" * 9)
    for row in rows:
        full, retry = row.full, row.retry
        print(
            f"| {row.phases} | {full.calls} | {full.input:,} | {full.output:,} "
            f"| {row.input_per_phase:,} | {row.stable_share:.0%} "
            f"| {row.provider_cached_share:.0%} | {row.rerun.calls} "
            f"| {retry.calls}, {retry.tokens:,}, {row.retry_saved:,} "
            f"({row.retry_saved_share:.1%}) |"
        )


async def main() -> None:
    print(f"machine: {machine()}", flush=True)
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        for phases in SIZES:
            started = time.perf_counter()
            rows.append(await measure(phases, Path(tmp)))
            report(rows[-1], time.perf_counter() - started)
    table(rows)
    by_size = {row.phases: row for row in rows}
    summary = {
        "input_tokens_per_phase": {str(r.phases): r.input_per_phase for r in rows},
        "growth_24_vs_3": round(by_size[24].input_per_phase / by_size[3].input_per_phase, 2),
        "stable_prefix_share": {str(r.phases): r.stable_share for r in rows},
        "provider_cached_share": {str(r.phases): r.provider_cached_share for r in rows},
        "rerun_model_calls": {str(r.phases): r.rerun.calls for r in rows},
        "retry_model_calls": {str(r.phases): r.retry.calls for r in rows},
        "retry_tokens": {str(r.phases): r.retry.tokens for r in rows},
        "retry_tokens_saved": {str(r.phases): r.retry_saved for r in rows},
        "retry_saved_share": {str(r.phases): r.retry_saved_share for r in rows},
    }
    print(json.dumps(summary))


if __name__ == "__main__":
    asyncio.run(main())
