"""What happens to pull requests when branches move, or when they are closed or merged.

Shared by the REST handlers (refs, issues, pulls) and the person helpers; each function changes
state and returns the webhooks GitHub would send. `push_branch` is the one place a branch gets
a new head: it also lets GitHub react to the push (check suites, CI: `ci_push`).
"""

from __future__ import annotations

from tests.fakegithub.base import FakeBase
from tests.fakegithub.ci_push import pushed
from tests.fakegithub.model import Event, PullRequest, Repo, User
from tests.fakegithub.pullmath import base_commit, merge
from tests.fakegithub.webhooks import pull_request_event


def push_branch(
    fake: FakeBase, repo: Repo, branch: str, sha: str, sender: User, *, sync: bool = True
) -> list[Event]:
    """The branch now points at `sha` (a push): `synchronize` for its open pull requests
    (unless `sync` is off: a test's setup commit), then GitHub's own reaction to the push."""
    before = repo.branch_sha(branch)
    repo.refs[f"refs/heads/{branch}"] = sha
    events = branch_moved(fake, repo, branch, sender) if sync else []
    pushed(fake, repo, branch, before, sender)
    return events


def branch_moved(fake: FakeBase, repo: Repo, branch: str, sender: User) -> list[Event]:
    """`synchronize` for every open pull request whose head is that branch."""
    tip = repo.branch_sha(branch)
    events = []
    for pull in sorted(repo.pulls.values(), key=lambda p: p.number):
        if pull.state == "open" and pull.head_ref == branch and tip and pull.head_sha != tip:
            before = pull.head_sha
            pull.head_sha = tip
            pull.updated_at = fake.now()
            events.append(
                pull_request_event(fake, repo, pull, "synchronize", sender, before=before)
            )
    return events


def branch_deleted(fake: FakeBase, repo: Repo, branch: str, sender: User) -> list[Event]:
    """Deleting a head branch closes its open pull requests, as GitHub does."""
    return [
        set_state(fake, repo, pull, "closed", sender)
        for pull in sorted(repo.pulls.values(), key=lambda p: p.number)
        if pull.state == "open" and pull.head_ref == branch
    ]


def set_state(fake: FakeBase, repo: Repo, pull: PullRequest, state: str, sender: User) -> Event:
    """Closes or reopens (not merges) a pull request."""
    now = fake.now()
    issue = repo.issues[pull.number]
    if state == "closed":
        pull.frozen_base = base_commit(repo, pull)
    else:
        pull.frozen_base = None
    pull.state = issue.state = state
    pull.closed_at = issue.closed_at = now if state == "closed" else None
    pull.updated_at = issue.updated_at = now
    action = "closed" if state == "closed" else "reopened"
    return pull_request_event(fake, repo, pull, action, sender)


def merge_pull(
    fake: FakeBase,
    repo: Repo,
    pull: PullRequest,
    *,
    method: str,
    title: str,
    message: str,
    by: User,
) -> tuple[str, list[Event]]:
    """Merges (mergeability checked by the caller); the sha merged and the events sent."""
    frozen = base_commit(repo, pull)
    sha = merge(repo, pull, method=method, title=title, message=message, by=fake.signature(by))
    before = repo.branch_sha(pull.base_ref)
    repo.refs[f"refs/heads/{pull.base_ref}"] = sha
    now = fake.now()
    issue = repo.issues[pull.number]
    pull.frozen_base = frozen
    pull.state = issue.state = "closed"
    pull.merged, pull.merged_at, pull.merged_by = True, now, by
    pull.merge_commit_sha = sha
    pull.closed_at = issue.closed_at = pull.updated_at = issue.updated_at = now
    events = [pull_request_event(fake, repo, pull, "closed", by)]
    # The base branch moved: pull requests whose head is that branch are synchronized.
    events += branch_moved(fake, repo, pull.base_ref, by)
    pushed(fake, repo, pull.base_ref, before, by)
    return sha, events
