"""The response cache over whole projects: a rerun costs no model call, an invalidated key
re-asks exactly the steps under it and what depends on it, and the analytics match the calls."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from agents.runtime import AgentRuntime
from storage import cache, costs
from storage.cache_keys import MICRO_PHASES, phase_code_key
from storage.db import transaction
from storage.ledger import LLMCall
from tests.scriptedmodel import ScriptedModel, calls_by_phase
from tests.scriptedmodel.driver import run_project
from tests.scriptedmodel.project import ScriptedProject
from tests.scriptedmodel.runtime import RuntimeFactory

PLAN_STEPS = [
    "manager.brainstorm",
    "developer.brainstorm",
    "manager.synthesis",
    "developer.architecture",
    "developer.breakdown",
    "manager.breakdown_review",
]
PHASE_STEPS = ["developer.phase_files", "validator.review", "git.pr_text"]


async def invalidate(rt: AgentRuntime, key: str) -> list[str]:
    async with transaction(rt.sessions) as session:
        return await cache.invalidate(session, project_id=1, key=key)


@pytest.fixture
def project(scripted_model: ScriptedModel) -> ScriptedProject:
    project = ScriptedProject(phases=3)
    project.install(scripted_model)
    return project


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_rerun_of_a_whole_project_makes_no_model_call(
    provider: str,
    project: ScriptedProject,
    scripted_model: ScriptedModel,
    make_runtime: RuntimeFactory,
) -> None:
    rt = make_runtime(provider)
    first = await run_project(rt, 1)
    calls = len(scripted_model.requests)

    second = await run_project(rt, 1)

    assert calls == len(PLAN_STEPS) + 3 * len(PHASE_STEPS) + 1 == first.calls
    assert len(scripted_model.requests) == calls
    assert second.cache_hits == second.calls == calls
    assert second.repo == first.repo


async def test_invalidating_the_breakdown_reasks_only_what_depends_on_it(
    project: ScriptedProject, scripted_model: ScriptedModel, agent_runtime: AgentRuntime
) -> None:
    await run_project(agent_runtime, 1)
    before = len(scripted_model.requests)

    removed = await invalidate(agent_runtime, MICRO_PHASES)
    await run_project(agent_runtime, 1)

    assert removed == sorted(
        [MICRO_PHASES, "final_integration_summary"]
        + [f"phase-{k}-generated_code" for k in (1, 2, 3)]
        + [f"phase-{k}-validation_report" for k in (1, 2, 3)]
    )
    phase_calls = [(step, k) for k in (1, 2, 3) for step in PHASE_STEPS]
    assert calls_by_phase(scripted_model, before) == [
        ("developer.breakdown", None),
        ("manager.breakdown_review", None),
        *phase_calls,
        ("integration.summary", None),
    ]


async def test_invalidating_one_phase_reasks_that_phase_its_review_and_the_summary(
    project: ScriptedProject, scripted_model: ScriptedModel, agent_runtime: AgentRuntime
) -> None:
    await run_project(agent_runtime, 1)
    before = len(scripted_model.requests)

    removed = await invalidate(agent_runtime, phase_code_key(2))
    await run_project(agent_runtime, 1)

    assert removed == [
        "final_integration_summary",
        "phase-2-generated_code",
        "phase-2-validation_report",
    ]
    assert calls_by_phase(scripted_model, before) == [
        ("developer.phase_files", 2),
        ("validator.review", 2),
        ("git.pr_text", 2),
        ("integration.summary", None),
    ]


async def test_analytics_match_the_calls_made(
    project: ScriptedProject, scripted_model: ScriptedModel, agent_runtime: AgentRuntime
) -> None:
    await run_project(agent_runtime, 1)
    await run_project(agent_runtime, 1)
    await invalidate(agent_runtime, phase_code_key(3))
    await run_project(agent_runtime, 1)

    async with transaction(agent_runtime.sessions) as session:
        stats = await costs.cache_analytics(session, project_id=1)
        rows = list(await session.exec(select(LLMCall).order_by(col(LLMCall.id))))
    model_rows = [row for row in rows if not row.cache_hit]
    hit_rows = [row for row in rows if row.cache_hit]
    assert stats.misses == len(model_rows) == len(scripted_model.requests) == 16 + 4
    assert len(hit_rows) == 16 + 12
    assert stats.entries == 16
    # The entries count the hits each current answer saved: the 4 re-asked steps' entries
    # are new, so only the hits on the 12 others (in both reruns) remain.
    latest = {(row.cache_key, row.step): row for row in model_rows}
    saved = [row for row in hit_rows if _id(latest[(row.cache_key, row.step)]) < _id(row)]
    originals = [latest[(row.cache_key, row.step)] for row in saved]
    assert stats.hits == stats.calls_saved == len(saved) == 12 * 2
    assert stats.hit_rate == pytest.approx(24 / (24 + 20))
    assert stats.tokens_saved == sum(_tokens(row) for row in originals) > 0
    assert stats.nanousd_saved == sum(row.cost_nanousd for row in originals) > 0


def _id(row: LLMCall) -> int:
    assert row.id is not None
    return row.id


def _tokens(row: LLMCall) -> int:
    return row.input_tokens + row.cached_input_tokens + row.cache_write_tokens + row.output_tokens
