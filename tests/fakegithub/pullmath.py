"""What GitHub computes about a pull request: its files, commits, mergeability, its merge."""

from __future__ import annotations

from tests.fakegithub.gitstore import FileChange, Person
from tests.fakegithub.model import PullRequest, Repo
from tests.fakegithub.suites import missing_checks

MERGE_METHODS = ("merge", "squash", "rebase")


def base_commit(repo: Repo, pull: PullRequest) -> str | None:
    """Where the pull request's changes start: the merge base of base and head."""
    if pull.frozen_base is not None:
        return pull.frozen_base
    tip = repo.branch_sha(pull.base_ref)
    return repo.git.merge_base(pull.head_sha, tip) if tip else None


def pull_changes(repo: Repo, pull: PullRequest) -> list[FileChange]:
    return repo.git.diff(base_commit(repo, pull), pull.head_sha)


def pull_commits(repo: Repo, pull: PullRequest) -> list[str]:
    """Commits on head that base does not have, oldest first."""
    start = base_commit(repo, pull)
    known = set(repo.git.ancestors(start)) if start else set()
    return [sha for sha in reversed(repo.git.ancestors(pull.head_sha)) if sha not in known]


def mergeability(repo: Repo, pull: PullRequest) -> tuple[bool | None, str]:
    """(mergeable, mergeable_state) as the single-PR answer reports them."""
    if pull.state != "open":
        return None, "unknown"
    if pull.mergeable_override is not None:
        return pull.mergeable_override
    if merged_files(repo, pull) is None:
        return False, "dirty"
    return True, "blocked" if missing_checks(repo, pull.base_ref, pull.head_sha) else "clean"


def merged_files(repo: Repo, pull: PullRequest) -> dict[str, object] | None:
    tip = repo.branch_sha(pull.base_ref)
    if tip is None:
        return None
    merged = repo.git.merge_trees(base_commit(repo, pull), tip, pull.head_sha)
    return dict(merged) if merged is not None else None


def merge(
    repo: Repo, pull: PullRequest, *, method: str, title: str, message: str, by: Person
) -> str:
    """Merges head into base as GitHub would; returns the sha the base branch now points at."""
    tip = repo.branch_sha(pull.base_ref)
    assert tip is not None
    files = repo.git.merge_trees(base_commit(repo, pull), tip, pull.head_sha)
    assert files is not None, "caller checks mergeability first"
    tree = repo.git.build(files)
    text = f"{title}\n\n{message}".strip()
    if method == "merge":
        parents: tuple[str, ...] = (tip, pull.head_sha)
    else:  # squash, and rebase (replayed here as one commit on top of base)
        parents = (tip,)
    commit = repo.git.put_commit(
        tree=tree, parents=parents, message=text, author=by, committer=by, verified=True
    )
    return commit.sha
