"""A phase's GitHub operations, end to end on the fake GitHub, counted.

Issue 4's benchmark allows at most 12 REST calls per phase (commit, pull request, review,
check run, merge) and the same count whatever the number of files.
"""

from __future__ import annotations

import pytest

from bot.github.checks import VALIDATOR_CHECK, Annotation, upsert_check_run
from bot.github.ci import Counting, ci_report
from bot.github.client import GitHubClient
from bot.github.comments import AppIdentity
from bot.github.git import commit_files
from bot.github.pulls import merge_pull, open_pull, pull_files
from bot.github.repo import Repo
from bot.github.reviews import InlineComment, post_review
from tests.fakegithub import FakeGitHub

REPO = Repo("octo-org", "hello-world")
INTEGRATION = "ai-orchestrator/issue-1"
BRANCH = "ai-orchestrator/issue-1/phase-1"
MARK = "<!-- ai-orchestrator:review:1-1-1 -->"


async def run_phase(gh: GitHubClient, fake: FakeGitHub, files: int, *, first_try: bool) -> None:
    parent = fake.branch_sha(INTEGRATION)
    assert parent is not None
    contents: dict[str, str | None] = {f"src/m{i}.py": f"X = {i}\n" for i in range(files)}
    commit = await commit_files(
        gh,
        REPO,
        branch=BRANCH,
        files=contents,
        message="Phase 1",
        parent=parent,
        branch_exists=False,
    )
    pull = await open_pull(gh, REPO, head=BRANCH, base=INTEGRATION, title="Phase 1", body="B")
    changed = await pull_files(gh, REPO, pull["number"])  # the validator's input too
    comments = [InlineComment("src/m0.py", 1, "Name it.")]
    await post_review(
        gh,
        REPO,
        pull["number"],
        commit_sha=commit.sha,
        body="Passes.",
        comments=comments,
        marker=MARK,
        app=AppIdentity(fake.app_id, fake.bot_login),
        files=changed,
        find_existing=not first_try,
    )
    await upsert_check_run(
        gh,
        REPO,
        name=VALIDATOR_CHECK,
        head_sha=commit.sha,
        conclusion="success",
        title="Passed",
        summary="All criteria met.",
        annotations=[Annotation("src/m0.py", 1, 1, "notice", "Fine.")],
        find_existing=not first_try,
    )
    report = await ci_report(gh, REPO, commit.sha, Counting(own_app_id=fake.app_id))
    assert report.verdict == "none"  # no CI on this repository
    outcome = await merge_pull(gh, REPO, pull["number"], sha=commit.sha)
    assert outcome.merged


@pytest.mark.parametrize(("first_try", "budget"), [(True, 12), (False, 14)])
@pytest.mark.parametrize("files", [1, 40])
async def test_a_phase_costs_the_same_whatever_its_size(
    fake_github: FakeGitHub, gh: GitHubClient, files: int, first_try: bool, budget: int
) -> None:
    fake_github.commit_files(fake_github.repo, INTEGRATION, {".keep": ""}, "Integration")
    mark = len(fake_github.requests)
    await run_phase(gh, fake_github, files, first_try=first_try)
    assert len(fake_github.requests) - mark == budget
    assert fake_github.file(f"src/m{files - 1}.py", INTEGRATION) == f"X = {files - 1}\n"
