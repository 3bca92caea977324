"""`/retry`, `/skip` and `/invalidate-cache`: what they regenerate, reuse from the cache (counted
in model calls by step and phase), refuse, and answer."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import select

from agents.schemas import FileContent, MicroPhase, PhaseFiles, Review
from bot.commands.base import NO_SUCH_PHASE
from bot.commands.phases import (
    DEPENDENTS,
    DEPENDS_ON_SKIPPED,
    INVALIDATED,
    MERGED_PHASE,
    NOTHING_FAILED,
    RESTARTED,
    SKIP_CLOSED,
    SKIP_CLOSING,
    SKIPPED,
    STILL_STOPPED,
)
from storage.audit import Outcome
from storage.cache import CacheEntry
from storage.projects import ProjectStatus
from tests.apphelpers import RunningApp
from tests.command_helpers import audit_rows, body_of, reactions, reply_to, shown
from tests.fakegithub import FakeGitHub
from tests.scriptedmodel import RecordedRequest, Reply, ScriptedModel, calls_by_phase
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import (
    AUTO,
    app_pulls,
    check_runs_on,
    comment,
    job_errors,
    phases_of,
    project_of,
    reviews_on,
    run_until,
    set_options,
    start_project,
)

PHASE2_CODE = ("developer.phase_files", 2)
PHASE2_TEXT = ("git.pr_text", 2)
PHASE2_REVIEW = ("validator.review", 2)
SUMMARY = ("integration.summary", None)


@dataclass
class Branching(ScriptedProject):
    """Phases 3 and 4 need only phase 1, so they go on while phase 2 is failed. Phase 2's
    first review answers are not valid (twice: the phase fails); its code differs after the
    first version (one file renamed)."""

    depends: dict[int, list[int]] = field(default_factory=lambda: {3: [1], 4: [1]})
    bad_reviews: int = 2
    written: list[int] = field(default_factory=list)

    def phase(self, k: int) -> MicroPhase:
        base = super().phase(k)
        return base.model_copy(update={"dependencies": self.depends.get(k, base.dependencies)})

    def files_for(self, request: RecordedRequest) -> PhaseFiles:
        k = int(request.phase or 0)
        files = self.phase_files(k)
        self.written.append(k)
        if k != 2 or self.written.count(2) == 1:
            return files
        renamed = [
            FileContent(path=f.path.replace("models.py", "records.py"), content=f.content + "#\n")
            for f in files.files
        ]
        return files.model_copy(update={"files": renamed})

    def review_for(self, request: RecordedRequest) -> Review | Reply:
        if request.phase == 2 and self.bad_reviews > 0:
            self.bad_reviews -= 1
            return Reply("this is not JSON")
        return self.review(int(request.phase or 0))

    def install(self, model: ScriptedModel) -> None:
        model.script("developer.phase_files", self.files_for)
        model.script("validator.review", self.review_for)
        super().install(model)


async def failed_phase_two(app: RunningApp, fake: FakeGitHub, model: ScriptedModel) -> int:
    """A 4-phase project whose phase 2 failed (its review) with its pull request open, while
    phases 1, 3 and 4 were merged; the integration waits for phase 2."""
    set_options(fake, AUTO)
    Branching(phases=4).install(model)
    number = await start_project(app, fake)
    states = [phase.state for phase in await phases_of(app)]
    assert states == ["merged", "failed", "merged", "merged"]
    return number


async def test_retry_phase_2_calls_the_model_only_for_phase_2_and_reuses_its_pull_request(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    number = await failed_phase_two(workflow_app, fake_github, scripted_model)
    [pull] = [p for p in app_pulls(fake_github) if p.head_ref.endswith("/phase-2")]
    old_head = pull.head_sha
    before = len(scripted_model.requests)
    await comment(workflow_app, fake_github, "writer", number, "/retry phase-2")
    assert await job_errors(workflow_app) == []
    calls = calls_by_phase(scripted_model, before)
    assert sorted(set(calls), key=str) == sorted(
        {PHASE2_CODE, PHASE2_TEXT, PHASE2_REVIEW, SUMMARY}, key=str
    )
    assert calls.count(PHASE2_CODE) == 1 and calls.count(PHASE2_REVIEW) == 1
    assert not any(phase in (1, 3, 4) for _, phase in calls)
    # a new commit on the same branch and pull request, a new review and check run
    assert [p.number for p in app_pulls(fake_github) if p.head_ref == pull.head_ref] == [
        pull.number
    ]
    assert pull.head_sha != old_head and pull.merged
    assert reviews_on(fake_github, pull.number) == ["COMMENTED"]
    assert check_runs_on(fake_github, pull.head_sha) == ["success"]
    tree = fake_github.files(pull.head_sha)
    assert "app/feature2/records.py" in tree and "app/feature2/models.py" not in tree
    reply = reply_to(fake_github, number, "/retry phase-2")
    assert "phase 2 starts again (attempt 2)" in reply and f"#{pull.number}" in reply
    assert "`phase-2-generated_code`" in reply
    assert reactions(fake_github, number, "/retry phase-2") == ["eyes"]
    assert (await project_of(workflow_app)).status is ProjectStatus.DONE
    [row] = await audit_rows(workflow_app)
    assert (row.command, row.argument, row.outcome) == ("retry", "phase-2", Outcome.DONE)


async def test_retry_alone_runs_the_failed_step_again_with_the_cache(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    number = await failed_phase_two(workflow_app, fake_github, scripted_model)
    before = len(scripted_model.requests)
    await comment(workflow_app, fake_github, "writer", number, "/retry")
    # only the review that failed asks the model again: the code comes from the cache
    assert calls_by_phase(scripted_model, before) == [PHASE2_REVIEW, SUMMARY]
    assert [phase.state for phase in await phases_of(workflow_app)] == ["merged"] * 4
    assert "running the failed step again (phase review, phase 2)" in reply_to(
        fake_github, number, "/retry"
    )
    assert reactions(fake_github, number, "/retry") == ["eyes"]
    [row] = await audit_rows(workflow_app)
    assert (row.command, row.argument, row.outcome) == ("retry", "", Outcome.DONE)
    await comment(workflow_app, fake_github, "writer", number, "/retry ")
    assert reply_to(fake_github, number, "/retry ") == NOTHING_FAILED.format(user="writer")


async def test_retry_in_the_failed_phases_pull_request_retries_that_phase(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    await failed_phase_two(workflow_app, fake_github, scripted_model)
    [pull] = [p for p in app_pulls(fake_github) if p.head_ref.endswith("/phase-2")]
    before = len(scripted_model.requests)
    await comment(workflow_app, fake_github, "writer", pull.number, "/retry")
    assert calls_by_phase(scripted_model, before) == [PHASE2_REVIEW, SUMMARY]
    [row] = await audit_rows(workflow_app)
    assert row.location == f"pull request #{pull.number}"


async def test_retry_of_a_merged_phase_is_refused(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    number = await failed_phase_two(workflow_app, fake_github, scripted_model)
    [first] = [p for p in app_pulls(fake_github) if p.head_ref.endswith("/phase-1")]
    before, head = len(scripted_model.requests), first.head_sha
    await comment(workflow_app, fake_github, "writer", number, "/retry Phase 1")
    expected = MERGED_PHASE.format(user="writer", phase=1, pull=first.number)
    assert reply_to(fake_github, number, "/retry Phase 1") == expected
    assert len(scripted_model.requests) == before and first.head_sha == head
    [row] = await audit_rows(workflow_app)
    assert (row.outcome, row.result) == (Outcome.REFUSED, expected)
    await comment(workflow_app, fake_github, "writer", number, "/retry phase-7")
    phases = "1 (merged), 2 (failed), 3 (merged), 4 (merged)"
    refusal = NO_SUCH_PHASE.format(user="writer", name="`phase-7`", phases=phases)
    assert reply_to(fake_github, number, "/retry phase-7") == refusal


async def test_skip_closes_the_pull_request_and_flags_the_phases_that_need_it(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    set_options(fake_github, AUTO)
    Branching(phases=3, depends={}).install(scripted_model)  # 2 needs 1, 3 needs 2
    number = await start_project(workflow_app, fake_github)
    assert [p.state for p in await phases_of(workflow_app)] == ["merged", "failed", "planned"]
    assert "Waiting for it: phase 3" in shown(fake_github, number)
    [pull] = [p for p in app_pulls(fake_github) if p.head_ref.endswith("/phase-2")]
    await workflow_app.deliver(*fake_github.person_comments("writer", number, "/skip 2"))
    await run_until(workflow_app, fake_github, lambda: "Skipped by" in shown(fake_github, number))
    status = shown(fake_github, number)
    assert DEPENDS_ON_SKIPPED.format(phase=2) in status and "Waiting for it" not in status
    await workflow_app.settle(fake_github)
    assert pull.state == "closed" and not pull.merged
    assert [body_of(c) for c in fake_github.comments_on(pull.number)] == [
        SKIP_CLOSING.format(user="writer")
    ]
    expected = SKIPPED.format(
        user="writer",
        phase=2,
        pull=SKIP_CLOSED.format(pull=pull.number),
        dependents=DEPENDENTS.format(numbers="3"),
    )
    assert reply_to(fake_github, number, "/skip 2") == expected
    assert reactions(fake_github, number, "/skip 2") == ["eyes"]
    assert [p.state for p in await phases_of(workflow_app)] == ["merged", "skipped", "merged"]
    assert (await project_of(workflow_app)).status is ProjectStatus.DONE
    [row] = await audit_rows(workflow_app)
    assert (row.command, row.argument, row.outcome) == ("skip", "2", Outcome.DONE)


async def test_invalidate_cache_removes_one_key_and_its_dependents(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    set_options(fake_github, AUTO)
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    body = "/invalidate-cache phase-1-generated_code"
    await comment(workflow_app, fake_github, "maintainer", number, body)
    removed = ["final_integration_summary", "phase-1-generated_code", "phase-1-validation_report"]
    keys = ", ".join(f"`{key}`" for key in removed)
    expected = INVALIDATED.format(user="maintainer", key="`phase-1-generated_code`", keys=keys)
    assert reply_to(fake_github, number, body) == expected
    assert reactions(fake_github, number, body) == ["eyes"]
    async with workflow_app.runtime.sessions() as session:
        left = {entry.key for entry in (await session.exec(select(CacheEntry))).all()}
    assert left.isdisjoint(removed) and {"phase-2-generated_code", "brainstorming_features"} <= left
    await comment(workflow_app, fake_github, "maintainer", number, "/invalidate-cache nonsense")
    assert "unknown cache key 'nonsense'" in reply_to(
        fake_github, number, "/invalidate-cache nonsense"
    )
    outcomes = [(r.command, r.outcome) for r in await audit_rows(workflow_app)]
    assert outcomes == [("invalidate-cache", Outcome.DONE), ("invalidate-cache", Outcome.REFUSED)]


async def test_retry_after_a_refused_answer_asks_the_model_again_for_that_step_only(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    set_options(fake_github, AUTO)
    project = ScriptedProject(phases=2)
    bad = project.phase_files(1).model_copy(
        update={"files": [FileContent(path=".github/workflows/ci.yml", content="on: push\n")]}
    )
    scripted_model.script("developer.phase_files", bad, times=1)
    project.install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    [phase, _] = await phases_of(workflow_app)
    assert phase.state == "failed" and phase.failed_job is not None
    assert phase.failed_job["refused"] is True and app_pulls(fake_github) == []
    before = len(scripted_model.requests)
    await comment(workflow_app, fake_github, "writer", number, "/retry")
    calls = calls_by_phase(scripted_model, before)
    assert calls[:3] == [("developer.phase_files", 1), ("git.pr_text", 1), ("validator.review", 1)]
    assert "`phase-1-generated_code`" in reply_to(fake_github, number, "/retry")
    assert (await project_of(workflow_app)).status is ProjectStatus.DONE


async def test_retry_after_the_budget_stop_goes_on_once_the_budget_is_raised(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    set_options(fake_github, AUTO + "budget_usd: 0.02\n")
    ScriptedProject(phases=3).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    await comment(workflow_app, fake_github, "writer", number, "/approve")  # past the pause
    project = await project_of(workflow_app)
    assert project.paused and not project.pause_resumable  # stopped at the budget
    calls = len(scripted_model.requests)
    await comment(workflow_app, fake_github, "writer", number, "/retry")
    assert reply_to(fake_github, number, "/retry").startswith(
        STILL_STOPPED.format(user="writer", reason="Stopped: ")
    )
    assert len(scripted_model.requests) == calls
    set_options(fake_github, AUTO + "budget_usd: 5\n")
    await comment(workflow_app, fake_github, "writer", number, "/retry ")
    assert reply_to(fake_github, number, "/retry ") == RESTARTED.format(user="writer")
    project = await project_of(workflow_app)
    assert project.status is ProjectStatus.DONE and project.budget_nanousd == 5 * 10**9
    assert await job_errors(workflow_app) == []
    outcomes = [(r.command, r.outcome) for r in await audit_rows(workflow_app)]
    assert outcomes[1:] == [("retry", Outcome.REFUSED), ("retry", Outcome.DONE)]
