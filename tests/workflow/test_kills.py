"""A worker killed at one GitHub write (`fake.kill_at`), or a write applied whose answer was
lost (`fake.inject(..., applied=True)`): once the lease runs out the job runs again and finds
what it did on GitHub, so the project goes on as if nothing had happened, with one of each
artefact and its status comment true."""

from __future__ import annotations

from agents.schemas import Edit, Revision
from tests.apphelpers import RunningApp
from tests.commands.test_retry import failed_phase_two
from tests.fakegithub import FakeGitHub
from tests.fakegithub.router import Call
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow.test_people import ASK, human_merge_project
from tests.workflow.test_revisions import FIRST_LINE, SERVICE, failing
from tests.workflow_helpers import (
    REPO,
    app_pulls,
    check_runs_on,
    job_errors,
    phases_of,
    project_of,
    reviews_on,
    settle_through_a_kill,
    settle_with_retries,
    start_project,
    status_text,
)

ISSUE_COMMENT = "/repos/{owner}/{repo}/issues/comments/{comment_id}"
REF = "/repos/{owner}/{repo}/git/refs/{ref}"
TREES = "/repos/{owner}/{repo}/git/trees"
REPLIES = "/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies"
SORTED = Edit(path=SERVICE, search=FIRST_LINE, replace=FIRST_LINE + "\n# Results sorted by id.")
REVISION = Revision(summary="Sorted.", edits=[SORTED], new_files=[], replies=[])


def on_phase_one(call: Call) -> bool:
    return call.path.endswith("/phase-1")


def deletes_a_file(call: Call) -> bool:
    return any(item.get("sha", "") is None for item in call.body["tree"])


def asks_for_approval(call: Call) -> bool:
    return "/approve" in str((call.body or {}).get("body"))


async def test_a_plan_file_killed_before_its_status_edit_still_asks_for_approval(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    """Killed after saving `awaiting_approval`, before the status comment said so: the re-run
    finds the step done but still shows it, or nobody would be asked to /approve."""
    ScriptedProject(phases=2).install(scripted_model)
    fake_github.kill_at("PATCH", ISSUE_COMMENT, applied=False, where=asks_for_approval)
    _, opened = fake_github.person_opens_issue("octocat", "Orders", "Orders back office.")
    number = int(opened["issue"]["number"])
    labelled = fake_github.person_labels_issue("writer", number, "ai-orchestrator")
    await workflow_app.deliver(*labelled)
    await settle_through_a_kill(workflow_app, fake_github)
    assert await job_errors(workflow_app) == []
    assert (await project_of(workflow_app)).step == "awaiting_approval"
    assert "Comment /approve to start" in status_text(fake_github, number)


async def revise_once(app: RunningApp, fake: FakeGitHub, model: ScriptedModel) -> int:
    """A two-phase project whose first review of phase 1 fails, waiting for /approve."""
    model.script("validator.review", failing(1), times=1)
    model.script("developer.revise", REVISION)
    ScriptedProject(phases=2).install(model)
    return await start_project(app, fake)


async def assert_revision_reviewed_once(
    app: RunningApp, fake: FakeGitHub, model: ScriptedModel
) -> None:
    """One revision, one model call for it, its head reviewed and merged: not the old head
    decided on again (a merge of a stale sha, or a second revision of a fixed branch)."""
    assert [e for e in await job_errors(app) if e[1] != "done"] == []
    first = app_pulls(fake)[0]
    assert first.merged and "# Results sorted by id." in (fake.file(SERVICE, first.head_sha) or "")
    assert len(model.calls("developer.revise")) == 1
    assert reviews_on(fake, first.number) == ["COMMENTED", "COMMENTED"]
    assert check_runs_on(fake, first.head_sha) == ["success"]
    phase, _ = await phases_of(app)
    assert (phase.revisions, phase.head_sha, phase.state) == (1, first.head_sha, "merged")
    assert (await project_of(app)).final_pr_number is not None


async def test_a_revision_killed_after_moving_its_branch_has_its_new_head_reviewed(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    """Killed once the revision's ref update is applied: the re-run finds its commit at the
    branch's head and records it, rather than deciding again on the reviewed head."""
    number = await revise_once(workflow_app, fake_github, scripted_model)
    fake_github.kill_at("PATCH", REF, where=on_phase_one)
    await workflow_app.deliver(*fake_github.person_comments("writer", number, "/approve"))
    await settle_through_a_kill(workflow_app, fake_github)
    await assert_revision_reviewed_once(workflow_app, fake_github, scripted_model)


async def test_a_revision_whose_branch_move_answered_502_has_its_new_head_reviewed(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    """GitHub moved the branch but answered 502: the job fails, and its retry finds the
    revision at the branch's head."""
    number = await revise_once(workflow_app, fake_github, scripted_model)
    fake_github.inject(
        "PATCH", REF, 502, json={"message": "Bad Gateway"}, applied=True, where=on_phase_one
    )
    await workflow_app.deliver(*fake_github.person_comments("writer", number, "/approve"))
    await settle_with_retries(workflow_app, fake_github)
    assert fake_github.requests_to("PATCH", REF)[0].status == 502  # the fault did happen
    await assert_revision_reviewed_once(workflow_app, fake_github, scripted_model)


async def test_a_retry_killed_before_its_commit_still_deletes_the_files_it_no_longer_writes(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    """`/retry phase-2` renames a file; the worker dies after recording that the commit
    began, before GitHub saw it: the re-run's commit deletes the old file all the same."""
    number = await failed_phase_two(workflow_app, fake_github, scripted_model)
    fake_github.kill_at("POST", TREES, applied=False, where=deletes_a_file)
    await workflow_app.deliver(*fake_github.person_comments("writer", number, "/retry phase-2"))
    await settle_through_a_kill(workflow_app, fake_github)
    assert await job_errors(workflow_app) == []
    [pull] = [p for p in app_pulls(fake_github) if p.head_ref.endswith("/phase-2")]
    assert pull.merged
    tree = fake_github.files(pull.head_sha)
    assert "app/feature2/records.py" in tree and "app/feature2/models.py" not in tree
    assert (await project_of(workflow_app)).final_pr_number is not None


async def test_a_revision_killed_after_its_thread_reply_replies_once(
    workflow_app: RunningApp,
    fake_github: FakeGitHub,
    scripted_model: ScriptedModel,
) -> None:
    """The reply is posted, the worker dies before it is recorded: the re-run finds the
    app's reply in the thread and posts no second one."""
    answer = REVISION.model_copy(update={"replies": ["All changed.", "Done: said so."]})
    scripted_model.script("developer.revise", answer)
    await human_merge_project(workflow_app, fake_github, scripted_model)
    [pull] = app_pulls(fake_github)
    comments = [{"path": SERVICE, "line": 1, "body": ASK}]
    fake_github.kill_at("POST", REPLIES)
    reviewed = fake_github.person_reviews(
        "writer", pull.number, "REQUEST_CHANGES", "A few changes.", comments=comments
    )
    await workflow_app.deliver_all(reviewed)
    await settle_through_a_kill(workflow_app, fake_github)
    assert await job_errors(workflow_app) == []
    repo = fake_github.get_repo(REPO)
    [asked] = [c for c in repo.review_comments.values() if c.body == ASK]
    replies = [c for c in repo.review_comments.values() if c.in_reply_to_id == asked.id]
    assert [c.body.split("\n")[0] for c in replies] == ["Done: said so."]
    assert len([c for c in fake_github.comments_on(pull.number) if "All changed." in c.body]) == 1
