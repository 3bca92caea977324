"""The response cache over whole projects, through the real app (its jobs on the fake GitHub,
the scripted model, a repository with files, one revision per phase): the same issue again
with the cache costs no model call, an invalidated key re-asks exactly the steps under it and
what depends on it, and the analytics match the calls.

"Again with the cache" is a fresh GitHub repository with the same files and a fresh database
holding only the first run's cache entries (`tests.projectworld`): every step's inputs are
the same as the first time, so every prompt must be too."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from storage import costs
from storage.cache_keys import MICRO_PHASES
from storage.ledger import LLMCall
from storage.projects import ProjectStatus
from storage.states import PhaseState
from tests.command_helpers import reply_to
from tests.database import PostgresDatabases, SQLiteDatabases
from tests.projectworld import INTEGRATION, OneRevision, World, copy_cache, model_rows, open_world

PLAN_STEPS = [
    "manager.brainstorm",
    "developer.brainstorm",
    "manager.synthesis",
    "developer.architecture",
    "developer.breakdown",
    "manager.breakdown_review",
]
# A phase revised once: its files, the PR text, the failing review, the revision, the review
# that passes.
PHASE_STEPS = [
    "developer.phase_files",
    "git.pr_text",
    "validator.review",
    "developer.revise.1",
    "validator.review.1",
]
SUMMARY = ("integration.summary", None)


@pytest.fixture
def second_database_url(_databases: PostgresDatabases | SQLiteDatabases) -> Iterator[str]:
    """Another fresh, migrated database, for the same project run again."""
    with _databases.fresh() as url:
        yield url


def steps(rows: list[LLMCall]) -> list[tuple[str, int | None]]:
    return [(row.step, row.phase) for row in rows]


async def done(world: World) -> None:
    assert (await world.project()).status is ProjectStatus.DONE
    assert [phase.state for phase in await world.phases()] == [PhaseState.MERGED] * 3


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_the_same_issue_again_with_the_cache_makes_no_model_call(
    provider: str, tmp_path: Path, database_url: str, second_database_url: str
) -> None:
    async with open_world(
        tmp_path, database_url, OneRevision(phases=3), provider=provider
    ) as first:
        await first.start()
        await done(first)
        calls = await first.ledger()
        async with open_world(
            tmp_path, second_database_url, OneRevision(phases=3), provider=provider
        ) as again:
            assert await copy_cache(first.sessions, again.sessions) == len(calls)
            await again.start()
            await done(again)
            rerun = await again.ledger()

            assert steps(calls) == [
                *((step, None) for step in PLAN_STEPS),
                *((step, k) for k in (1, 2, 3) for step in PHASE_STEPS),
                SUMMARY,
            ]
            assert model_rows(calls) == calls and len(first.model.requests) == len(calls)
            assert again.model.requests == [] and model_rows(rerun) == []
            assert steps(rerun) == steps(calls)  # every request answered by the cache
            # The same code and phase docs; the plan file says when it was made, so it differs.
            assert written(again) == written(first)


async def test_invalidating_the_breakdown_reasks_only_what_depends_on_it(
    tmp_path: Path, database_url: str, second_database_url: str
) -> None:
    async with open_world(tmp_path, database_url, OneRevision(phases=3)) as first:
        await first.start()
        await first.comment(f"/invalidate-cache {MICRO_PHASES}")
        removed = sorted(
            [MICRO_PHASES, "final_integration_summary"]
            + [f"phase-{k}-generated_code" for k in (1, 2, 3)]
            + [f"phase-{k}-validation_report" for k in (1, 2, 3)]
        )
        reply = reply_to(first.fake, first.issue, f"/invalidate-cache {MICRO_PHASES}")
        assert reply.endswith(", ".join(f"`{key}`" for key in removed) + ".")
        async with open_world(tmp_path, second_database_url, OneRevision(phases=3)) as again:
            await copy_cache(first.sessions, again.sessions)
            await again.start()
            await done(again)

            assert steps(model_rows(await again.ledger())) == [
                ("developer.breakdown", None),
                ("manager.breakdown_review", None),
                *((step, k) for k in (1, 2, 3) for step in PHASE_STEPS),
                SUMMARY,
            ]


async def test_retry_of_an_unchanged_phase_reasks_it_and_the_summary_and_analytics_match(
    tmp_path: Path, database_url: str, second_database_url: str
) -> None:
    """`/retry phase-2` while phase 2 waits for CI: its files, PR text, both reviews and the
    revision, then the integration summary, and nothing else; the cache's hit counts and
    savings are those of the ledger's rows."""
    async with open_world(tmp_path, database_url, OneRevision(phases=3)) as first:
        await first.start()
        originals = {(row.cache_key, row.step): row for row in await first.ledger()}
        async with open_world(tmp_path, second_database_url, OneRevision(phases=3)) as again:
            await copy_cache(first.sessions, again.sessions)
            await again.label_issue()

            async def phase_2_waits_for_ci() -> bool:
                phases = await again.phases()
                return bool(phases) and phases[1].state is PhaseState.WAITING_CI

            await again.run_until(phase_2_waits_for_ci)
            before = len(await again.ledger())
            await again.comment("/retry phase-2")
            await done(again)
            rows = await again.ledger()
            async with again.sessions() as session:
                stats = await costs.cache_analytics(session, project_id=1)

    reply = reply_to(again.fake, again.issue, "/retry phase-2")
    keys = ["final_integration_summary", "phase-2-generated_code", "phase-2-validation_report"]
    assert reply.endswith("Removed from the cache: " + ", ".join(f"`{k}`" for k in keys) + ".")
    assert model_rows(rows[:before]) == []
    assert steps(model_rows(rows)) == [*((step, 2) for step in PHASE_STEPS), SUMMARY]
    assert len(again.model.requests) == 6 == stats.misses
    # The hits counted on the entries are those on entries still there: phase 2's hits before
    # the retry went with its invalidated entries (the summary had none yet).
    hits = [row for row in rows if row.cache_hit]
    kept = [row for row in hits if row.cache_key not in keys]
    assert len(hits) == len(PLAN_STEPS) + 3 * len(PHASE_STEPS) and len(kept) == len(hits) - 5
    assert stats.entries == len(originals)
    assert stats.hits == stats.calls_saved == len(kept)
    assert stats.hit_rate == pytest.approx(len(kept) / (len(kept) + 6))
    saved = [originals[(row.cache_key, row.step)] for row in kept]
    assert stats.tokens_saved == sum(row_tokens(row) for row in saved) > 0
    assert stats.nanousd_saved == sum(row.cost_nanousd for row in saved) > 0


def written(world: World) -> dict[str, str]:
    files = world.fake.files(INTEGRATION)
    return {path: text for path, text in files.items() if not path.endswith("/plan.yaml")}


def row_tokens(row: LLMCall) -> int:
    return row.input_tokens + row.cached_input_tokens + row.cache_write_tokens + row.output_tokens
