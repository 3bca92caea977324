"""bot.gitops on the fake GitHub: branches, files, commits and pull requests.

Each test counts the REST requests an operation makes: the workflow's budget per phase is
fixed, and must not grow with the number of files.
"""

from __future__ import annotations

import pytest

from bot.github.client import GitHubClient
from bot.github.comments import AppIdentity
from bot.github.git import (
    Branch,
    branch_head,
    commit_files,
    default_branch,
    list_paths,
    read_file,
)
from bot.github.pulls import (
    close_pull,
    edit_pull,
    find_pull,
    merge_pull,
    open_pull,
    pull_files,
    update_branch,
)
from bot.github.repo import BranchMoved, NoCommitsBetween, Repo
from tests.fakegithub import FakeGitHub, RecordedRequest, since

REPO = Repo("octo-org", "hello-world")
R = "/repos/{owner}/{repo}"
BRANCH = "ai-orchestrator/issue-1/phase-1"
INTEGRATION = "ai-orchestrator/issue-1"


def main_head(fake: FakeGitHub) -> tuple[str, str]:
    sha = fake.branch_sha("main")
    assert sha is not None
    return sha, fake.repo.git.commits[sha].tree


async def create_branch(gh: GitHubClient, branch: str, sha: str) -> None:
    await gh.post(
        R + "/git/refs", REPO.url_vars(), data={"ref": f"refs/heads/{branch}", "sha": sha}
    )


def last(fake: FakeGitHub, method: str, template: str) -> RecordedRequest:
    return fake.requests_to(method, template)[-1]


# ---- branches and files ---------------------------------------------------------------------


async def test_default_branch_and_heads(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    sha, _ = main_head(fake_github)
    mark = len(fake_github.requests)
    assert await default_branch(gh, REPO) == Branch("main", sha)
    assert since(fake_github, mark) == [("GET", R), ("GET", R + "/git/ref/{ref}")]
    assert await branch_head(gh, REPO, "main") == sha
    assert await branch_head(gh, REPO, "no/such-branch") is None


async def test_read_file_and_list_paths(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    files = {"src/app/main.py": "print('hi')\n", "docs/a b.md": "# A, b\n"}
    fake_github.commit_files(fake_github.repo, INTEGRATION, files, "Add files")
    assert await read_file(gh, REPO, "src/app/main.py", INTEGRATION) == "print('hi')\n"
    assert await read_file(gh, REPO, "docs/a b.md", INTEGRATION) == "# A, b\n"
    assert await read_file(gh, REPO, "src/app/main.py", "main") is None
    assert await read_file(gh, REPO, "src/app", INTEGRATION) is None  # a directory
    mark = len(fake_github.requests)
    paths = await list_paths(gh, REPO, INTEGRATION)
    assert sorted(paths) == ["README.md", "docs/a b.md", "src/app/main.py"]
    assert since(fake_github, mark) == [("GET", R + "/git/trees/{tree_sha}")]


# ---- commits --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 25])
async def test_any_number_of_files_is_three_writes(
    fake_github: FakeGitHub, gh: GitHubClient, count: int
) -> None:
    parent, tree = main_head(fake_github)
    files: dict[str, str | None] = {f"src/m{i}.py": f"X = {i}\n" for i in range(count)}
    mark = len(fake_github.requests)
    commit = await commit_files(
        gh,
        REPO,
        branch=BRANCH,
        files=files,
        message="Phase 1",
        parent=parent,
        parent_tree=tree,
        branch_exists=False,
    )
    assert since(fake_github, mark) == [
        ("POST", R + "/git/trees"),
        ("POST", R + "/git/commits"),
        ("POST", R + "/git/refs"),
    ]
    assert commit.created and fake_github.branch_sha(BRANCH) == commit.sha
    on_branch = fake_github.files(BRANCH)
    assert on_branch == {"README.md": "# Hello, world\n", **files}  # base_tree kept README
    made = fake_github.repo.git.commits[commit.sha]
    assert (made.tree, made.parents, made.message) == (commit.tree, (parent,), "Phase 1")
    assert made.verified  # GitHub signed it: no custom author or committer
    assert set(last(fake_github, "POST", R + "/git/commits").json) == {
        "message",
        "tree",
        "parents",
    }


async def test_parent_tree_read_only_when_not_given(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    parent, _ = main_head(fake_github)
    mark = len(fake_github.requests)
    await commit_files(
        gh,
        REPO,
        branch=BRANCH,
        files={"a.py": "A = 1\n"},
        message="Phase 1",
        parent=parent,
        branch_exists=False,
    )
    assert since(fake_github, mark)[0] == ("GET", R + "/git/commits/{commit_sha}")
    assert len(since(fake_github, mark)) == 4


async def test_existing_branch_moves_and_none_deletes(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    files = {"keep.py": "K = 1\n", "old.py": "O = 1\n"}
    head = fake_github.commit_files(fake_github.repo, BRANCH, files, "Earlier")
    mark = len(fake_github.requests)
    commit = await commit_files(
        gh,
        REPO,
        branch=BRANCH,
        files={"old.py": None, "new.py": "N = 1\n"},
        message="Revision",
        parent=head,
        parent_tree=fake_github.repo.git.commits[head].tree,
    )
    assert since(fake_github, mark) == [
        ("POST", R + "/git/trees"),
        ("POST", R + "/git/commits"),
        ("PATCH", R + "/git/refs/{ref}"),
    ]
    assert last(fake_github, "PATCH", R + "/git/refs/{ref}").json == {
        "sha": commit.sha,
        "force": False,
    }
    assert fake_github.files(BRANCH) == {
        "README.md": "# Hello, world\n",
        "keep.py": "K = 1\n",
        "new.py": "N = 1\n",
    }


async def test_a_new_branch_not_declared_is_created_after_the_patch(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    parent, tree = main_head(fake_github)
    commit = await commit_files(
        gh,
        REPO,
        branch=BRANCH,
        files={"a.py": "A = 1\n"},
        message="Phase 1",
        parent=parent,
        parent_tree=tree,
    )
    assert fake_github.branch_sha(BRANCH) == commit.sha
    statuses = [r.status for r in fake_github.requests_to("PATCH", R + "/git/refs/{ref}")]
    assert statuses == [422]
    assert fake_github.calls("POST", R + "/git/refs") == 1


async def test_a_branch_said_new_but_made_meanwhile_is_fast_forwarded(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    parent, tree = main_head(fake_github)
    await create_branch(gh, BRANCH, parent)  # e.g. by an earlier run of the job
    commit = await commit_files(
        gh,
        REPO,
        branch=BRANCH,
        files={"a.py": "A = 1\n"},
        message="Phase 1",
        parent=parent,
        parent_tree=tree,
        branch_exists=False,
    )
    assert fake_github.branch_sha(BRANCH) == commit.sha
    assert [r.status for r in fake_github.requests_to("POST", R + "/git/refs")] == [201, 422]
    assert [r.status for r in fake_github.requests_to("PATCH", R + "/git/refs/{ref}")] == [200]


async def test_rerun_after_the_commit_landed_makes_no_commit(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    parent, tree = main_head(fake_github)
    files: dict[str, str | None] = {"a.py": "A = 1\n", "gone.md": None}
    first = await commit_files(
        gh,
        REPO,
        branch=BRANCH,
        files=files,
        message="Phase 1",
        parent=parent,
        parent_tree=tree,
        branch_exists=False,
    )
    commits_before = len(fake_github.repo.git.commits)
    mark = len(fake_github.requests)
    again = await commit_files(
        gh,
        REPO,
        branch=BRANCH,
        files=files,
        message="Phase 1",
        parent=first.sha,
        parent_tree=first.tree,
        branch_exists=True,
    )
    assert (again.sha, again.tree, again.created) == (first.sha, first.tree, False)
    assert since(fake_github, mark) == [("POST", R + "/git/trees")]
    assert len(fake_github.repo.git.commits) == commits_before
    assert fake_github.branch_sha(BRANCH) == first.sha


async def test_a_persons_push_in_between_raises_branch_moved(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    parent, tree = main_head(fake_github)
    ours = await commit_files(
        gh,
        REPO,
        branch=BRANCH,
        files={"a.py": "A = 1\n"},
        message="Phase 1",
        parent=parent,
        parent_tree=tree,
        branch_exists=False,
    )
    fake_github.person_pushes("writer", BRANCH, {"b.py": "B = 2\n"}, "A fix")
    theirs = fake_github.branch_sha(BRANCH)
    with pytest.raises(BranchMoved) as raised:
        await commit_files(
            gh,
            REPO,
            branch=BRANCH,
            files={"a.py": "A = 3\n"},
            message="Revision",
            parent=ours.sha,
            parent_tree=ours.tree,
            branch_exists=True,
        )
    assert raised.value.branch == BRANCH
    assert fake_github.branch_sha(BRANCH) == theirs  # the person's commit is kept
    assert fake_github.file("b.py", BRANCH) == "B = 2\n"


# ---- pull requests --------------------------------------------------------------------------


async def phase_branch(fake: FakeGitHub, files: dict[str, str | None] | None = None) -> str:
    """An integration branch from main, and a phase branch on it with one commit."""
    fake.commit_files(fake.repo, INTEGRATION, {".keep": ""}, "Integration")
    return fake.commit_files(
        fake.repo,
        BRANCH,
        files or {"src/a.py": "A = 1\n"},
        "Phase 1",
        start_from=INTEGRATION,
    )


async def test_open_pull_twice_is_one_pull(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    await phase_branch(fake_github)
    first = await open_pull(gh, REPO, head=BRANCH, base=INTEGRATION, title="Phase 1", body="B")
    second = await open_pull(gh, REPO, head=BRANCH, base=INTEGRATION, title="Phase 1", body="B")
    assert second["number"] == first["number"]
    assert len(fake_github.repo.pulls) == 1
    assert [r.status for r in fake_github.requests_to("POST", R + "/pulls")] == [201, 422]
    found = await find_pull(gh, REPO, head=BRANCH, base=INTEGRATION)
    assert found is not None and found["number"] == first["number"]
    assert last(fake_github, "GET", R + "/pulls").query["head"] == f"octo-org:{BRANCH}"
    assert await find_pull(gh, REPO, head=BRANCH, base="main") is None
    assert await find_pull(gh, REPO, head=BRANCH, state="closed") is None


async def test_open_pull_without_commits_says_so(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    sha, _ = main_head(fake_github)
    await create_branch(gh, BRANCH, sha)
    with pytest.raises(NoCommitsBetween):
        await open_pull(gh, REPO, head=BRANCH, base="main", title="Nothing", body="")


async def test_edit_pull_and_its_files(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    fake_github.commit_files(fake_github.repo, "main", {"old.md": "x\n"}, "Old")
    await phase_branch(fake_github, {"src/a.py": "A = 1\nB = 2\n", "old.md": None})
    pull = await open_pull(gh, REPO, head=BRANCH, base=INTEGRATION, title="T", body="B")
    edited = await edit_pull(gh, REPO, pull["number"], title="Phase 1: models")
    assert edited["title"] == fake_github.pull(pull["number"]).title == "Phase 1: models"
    assert fake_github.pull(pull["number"]).body == "B"  # only what was given changes
    files = {f.path: f for f in await pull_files(gh, REPO, pull["number"])}
    assert set(files) == {"src/a.py", "old.md"}
    added, removed = files["src/a.py"], files["old.md"]
    assert (added.status, added.additions, added.deletions) == ("added", 2, 0)
    assert added.patch is not None and "+B = 2" in added.patch
    assert (removed.status, removed.deletions) == ("removed", 1)


async def test_merge_with_the_head_guard(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    head = await phase_branch(fake_github)
    pull = await open_pull(gh, REPO, head=BRANCH, base=INTEGRATION, title="Phase 1", body="B")
    stale = await merge_pull(gh, REPO, pull["number"], sha=fake_github.branch_sha("main") or "")
    assert (stale.merged, stale.reason) == (False, "stale_head")
    merged = await merge_pull(gh, REPO, pull["number"], sha=head, title="Phase 1 (#1)")
    assert merged.merged and merged.reason is None
    assert merged.sha == fake_github.branch_sha(INTEGRATION)
    assert fake_github.pull(pull["number"]).merged
    assert last(fake_github, "PUT", R + "/pulls/{pull_number}/merge").json == {
        "sha": head,
        "merge_method": "squash",
        "commit_title": "Phase 1 (#1)",
    }
    # A re-run of the job finds it merged.
    again = await merge_pull(gh, REPO, pull["number"], sha=head)
    assert (again.merged, again.sha) == (True, merged.sha)


async def test_a_conflict_is_not_mergeable_and_update_branch_refuses(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    head = await phase_branch(fake_github, {"README.md": "# Ours\n"})
    pull = await open_pull(gh, REPO, head=BRANCH, base=INTEGRATION, title="Phase 1", body="B")
    fake_github.commit_files(fake_github.repo, INTEGRATION, {"README.md": "# Theirs\n"}, "Other")
    outcome = await merge_pull(gh, REPO, pull["number"], sha=head)
    assert (outcome.merged, outcome.sha, outcome.reason) == (False, None, "not_mergeable")
    assert not await update_branch(gh, REPO, pull["number"], expected_head=head)
    assert fake_github.branch_sha(BRANCH) == head


async def test_update_branch_brings_the_base_in(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    head = await phase_branch(fake_github)
    pull = await open_pull(gh, REPO, head=BRANCH, base=INTEGRATION, title="Phase 1", body="B")
    fake_github.commit_files(fake_github.repo, INTEGRATION, {"other.py": "O = 1\n"}, "Phase 0")
    assert not await update_branch(gh, REPO, pull["number"], expected_head="0" * 40)
    assert await update_branch(gh, REPO, pull["number"], expected_head=head)
    assert fake_github.file("other.py", BRANCH) == "O = 1\n"
    assert fake_github.pull(pull["number"]).head_sha != head


async def test_close_pull_twice_closes_once_with_one_comment(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    await phase_branch(fake_github)
    pull = await open_pull(gh, REPO, head=BRANCH, base=INTEGRATION, title="Phase 1", body="B")
    for _ in range(2):
        app = AppIdentity(fake_github.app_id, fake_github.bot_login)
        await close_pull(gh, REPO, pull["number"], app=app, comment="Superseded by a split.")
    assert fake_github.pull(pull["number"]).state == "closed"
    comments = fake_github.comments_on(pull["number"])
    assert len(comments) == 1 and comments[0].body.startswith("Superseded by a split.")
    assert fake_github.calls("PATCH", R + "/pulls/{pull_number}") == 1
    closed = [e for e in fake_github.outbox if e[1].get("action") == "closed"]
    assert len(closed) == 1
