"""No run-away spending: the budget pauses the project at its pause point (80% by default),
`/approve` lets it go on, and it stops at 100% — exactly, by the ledger's nano-dollars; the
caps on model calls and on jobs per hour stop or slow a project, and say so."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import col, select

from bot.options import RepoOptions
from bot.workflow.budget import BudgetExhausted, BudgetPaused, check_budget
from storage.ledger import LLMCall
from storage.money import usd_to_nano
from storage.projects import ProjectStatus
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import (
    bare_project,
    comment,
    job_errors,
    project_of,
    set_options,
    start_project,
    status_text,
)

BUDGET = "0.02"


async def spend_before_each_call(app: RunningApp) -> list[tuple[int, int]]:
    """(spend before the call, spend after it) for each model call, in order."""
    async with app.runtime.sessions() as session:
        rows = (await session.exec(select(LLMCall).order_by(col(LLMCall.id)))).all()
    spent, out = 0, []
    for row in rows:
        out.append((spent, spent + row.cost_nanousd))
        spent += row.cost_nanousd
    return out


def test_the_pause_and_the_stop_are_exact_to_the_nano_dollar() -> None:
    options = RepoOptions(budget_usd=Decimal("10.00"))
    project = bare_project()
    pause_at = usd_to_nano("8.00")
    check_budget(project, options, pause_at - 1)
    with pytest.raises(BudgetPaused, match=r"\$8.00 of the \$10.00 budget \(80%\)"):
        check_budget(project, options, pause_at)
    project.budget_approved_nanousd = pause_at
    check_budget(project, options, usd_to_nano("10.00") - 1)
    with pytest.raises(BudgetExhausted, match=r"\$10.00 spent of the \$10.00 budget"):
        check_budget(project, options, usd_to_nano("10.00"))


async def test_the_project_pauses_at_80_percent_and_stops_at_the_budget(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    set_options(fake_github, f"budget_usd: {BUDGET}\nplan_approval: auto\n")
    ScriptedProject(phases=3).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    budget, pause_at = usd_to_nano(BUDGET), usd_to_nano(BUDGET) * 8 // 10
    project = await project_of(workflow_app)
    assert project.paused and project.pause_resumable and project.status is ProjectStatus.PAUSED
    calls = await spend_before_each_call(workflow_app)
    # every call began below the pause point; the next one would not have
    assert all(before < pause_at for before, _ in calls) and calls[-1][1] >= pause_at
    assert "Comment /approve to continue" in status_text(fake_github, number)
    assert await job_errors(workflow_app) == []
    await comment(workflow_app, fake_github, "writer", number, "/approve")
    project = await project_of(workflow_app)
    assert project.paused and not project.pause_resumable
    calls = await spend_before_each_call(workflow_app)
    assert all(before < budget for before, _ in calls) and calls[-1][1] >= budget
    status = status_text(fake_github, number)
    assert "💸" in status and "Stopped:" in status
    await comment(workflow_app, fake_github, "writer", number, "/approve")
    assert len(await spend_before_each_call(workflow_app)) == len(calls)  # still stopped


async def test_the_model_call_cap_stops_the_project(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    set_options(fake_github, "max_model_calls: 4\n")
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    assert len(scripted_model.requests) == 4
    project = await project_of(workflow_app)
    assert project.paused and not project.pause_resumable
    assert "max_model_calls" in status_text(fake_github, number)


async def test_the_jobs_per_hour_cap_slows_the_project_down(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    set_options(fake_github, "max_jobs_per_hour: 1\n")
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    # the options are read by the plan job itself; its re-run (the 2nd job) hits the cap
    assert scripted_model.requests != []
    assert (await project_of(workflow_app)).notice is not None
    assert "max_jobs_per_hour" in status_text(fake_github, number)
