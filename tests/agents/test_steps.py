"""Every agent step, through both providers' wire formats: the typed answer comes back, the
request carries the answer's JSON schema, and temperature goes only to OpenAI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from anthropic import transform_schema
from openai.lib._parsing import type_to_response_format_param
from pydantic import BaseModel

from agents.callpath import CallResult
from agents.developer import Developer
from agents.git import Git
from agents.inputs import Brief, PersonComment, PhaseNote, Plan
from agents.integration import Integration
from agents.manager import Manager
from agents.runtime import AgentRuntime
from agents.schemas import (
    BreakdownReview,
    ConflictResolution,
    PhaseRecovery,
    PlanDecision,
    RecoveryDecision,
    Revision,
)
from agents.settings import Role
from agents.validator import Validator
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.scriptedmodel.runtime import RuntimeFactory

PROJECT = ScriptedProject(phases=2)
PLAN = Plan(architecture=PROJECT.architecture(), phases=PROJECT.breakdown().phases)
BRIEF = Brief(title="Orders back office", body="Orders, invoices and payments.")
PHASE = PROJECT.phase(2)
PHASE_ONE = {f.path: f.content for f in PROJECT.phase_files(1).files}
PHASE_TWO = {f.path: f.content for f in PROJECT.phase_files(2).files}
NOTES = [PhaseNote(id=1, name="Feature 1", summary="Adds feature 1.", files=sorted(PHASE_ONE))]
REVISION = Revision(summary="Sorted the results.", edits=[], new_files=[], replies=["Done."])
RECOVERY = RecoveryDecision(
    decision=PhaseRecovery.RETRY_WITH_GUIDANCE,
    reasoning="The review asks for sorting only.",
    guidance="Sort by id.",
    split_into=[],
    question="",
)
CONFLICT = ConflictResolution(path="README.md", content="# Both\n", explanation="Kept both.")
APPROVAL = BreakdownReview(
    decision=PlanDecision.APPROVED, reasons=["Complete."], requested_changes=[]
)

Run = Callable[[AgentRuntime], Awaitable[CallResult[Any]]]


@dataclass(frozen=True)
class Case:
    step: str
    role: Role
    answer: BaseModel
    run: Run


CASES = [
    Case("manager.brainstorm", Role.MANAGER, PROJECT.brainstorm(),
         lambda rt: Manager(rt).brainstorm(1, BRIEF)),
    Case("manager.synthesis", Role.MANAGER, PROJECT.brainstorm(),
         lambda rt: Manager(rt).synthesize(1, BRIEF, PROJECT.brainstorm(), PROJECT.brainstorm())),
    Case("manager.breakdown_review", Role.MANAGER, APPROVAL,
         lambda rt: Manager(rt).validate_breakdown(
             1, BRIEF, PROJECT.architecture(), PROJECT.breakdown())),
    Case("manager.recovery", Role.MANAGER, RECOVERY,
         lambda rt: Manager(rt).decide_recovery(1, PLAN, PHASE, [PROJECT.review(2)])),
    Case("developer.brainstorm", Role.DEVELOPER, PROJECT.brainstorm(),
         lambda rt: Developer(rt).brainstorm(1, BRIEF)),
    Case("developer.architecture", Role.DEVELOPER, PROJECT.architecture(),
         lambda rt: Developer(rt).architecture(1, BRIEF, PROJECT.brainstorm())),
    Case("developer.breakdown", Role.DEVELOPER, PROJECT.breakdown(),
         lambda rt: Developer(rt).breakdown(1, BRIEF, PROJECT.architecture(), max_phases=8)),
    Case("developer.phase_files", Role.DEVELOPER, PROJECT.phase_files(2),
         lambda rt: Developer(rt).phase_files(1, PLAN, PHASE, notes=NOTES, repo=PHASE_ONE)),
    Case("developer.revise", Role.DEVELOPER, REVISION,
         lambda rt: Developer(rt).revise(
             1, PLAN, PHASE, revision=1, repo={**PHASE_ONE, **PHASE_TWO},
             phase_paths=sorted(PHASE_TWO), review=PROJECT.review(2),
             comments=[PersonComment(author="octocat", body="Sort the results.")])),
    Case("validator.review", Role.VALIDATOR, PROJECT.review(2),
         lambda rt: Validator(rt).review(
             1, PLAN, PHASE, repo=PHASE_ONE, changed=PHASE_TWO)),
    Case("git.pr_text", Role.GIT, PROJECT.pr_text(2),
         lambda rt: Git(rt).pr_text(
             1, PHASE, issue_number=7, summary="Adds feature 2.", paths=sorted(PHASE_TWO))),
    Case("git.conflict", Role.GIT, CONFLICT,
         lambda rt: Git(rt).resolve_conflict(
             1, PHASE, path="README.md", base="#\n", ours="# A\n", theirs="# B\n")),
    Case("integration.summary", Role.INTEGRATION, PROJECT.summary(),
         lambda rt: Integration(rt).summarize(
             1, PLAN, issue_number=7, notes=NOTES, repo={**PHASE_ONE, **PHASE_TWO})),
]  # fmt: skip


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
@pytest.mark.parametrize("case", CASES, ids=[case.step for case in CASES])
async def test_step_returns_its_model_through_the_provider(
    case: Case, provider: str, scripted_model: ScriptedModel, make_runtime: RuntimeFactory
) -> None:
    scripted_model.script(case.step, case.answer)
    rt = make_runtime(provider)

    result = await case.run(rt)

    assert result.answer == case.answer
    assert type(result.answer) is type(case.answer)
    assert (result.cache_hit, result.attempts) == (False, 1)
    [request] = scripted_model.requests
    assert (request.provider, request.step) == (provider, case.step)
    output_type = type(case.answer)
    if provider == "openai":
        assert request.body["response_format"] == type_to_response_format_param(output_type)
        assert request.body["response_format"]["json_schema"]["strict"] is True
        assert request.body["temperature"] == rt.settings.role(case.role).temperature
    else:
        assert request.body["output_config"] == {
            "format": {"type": "json_schema", "schema": transform_schema(output_type)}
        }
        assert "temperature" not in request.body
    assert request.body["model"] == rt.settings.role(case.role).model


async def test_default_roles_use_their_providers_and_temperatures(
    scripted_model: ScriptedModel, agent_runtime: AgentRuntime
) -> None:
    scripted_model.script("manager.brainstorm", PROJECT.brainstorm())
    scripted_model.script("developer.brainstorm", PROJECT.brainstorm())

    await Manager(agent_runtime).brainstorm(1, BRIEF)
    await Developer(agent_runtime).brainstorm(1, BRIEF)

    manager, developer = scripted_model.requests
    assert (manager.provider, manager.body["model"], manager.body["temperature"]) == (
        "openai",
        "gpt-4.1",
        0.3,
    )
    assert (developer.provider, developer.body["model"]) == ("anthropic", "claude-sonnet-4-6")
    assert "temperature" not in developer.body


async def test_temperature_none_is_left_out_for_openai(
    scripted_model: ScriptedModel, make_runtime: RuntimeFactory
) -> None:
    scripted_model.script("manager.brainstorm", PROJECT.brainstorm())
    rt = make_runtime("openai", agent_manager_temperature="none", agent_manager_model="gpt-5")

    await Manager(rt).brainstorm(1, BRIEF)

    [request] = scripted_model.requests
    assert "temperature" not in request.body
    assert request.body["model"] == "gpt-5"
