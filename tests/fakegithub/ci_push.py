"""What GitHub does by itself after a push, on a repository with simulated checks.

One hook, `pushed`, is called wherever a branch gets a new head (a person's push or a test's
`commit_files`, the Git refs API, a merge moving the base, update-branch), and `pull_opened`
when a pull request opens. GitHub then queues a check suite for every App installed with the
checks permission (sending `check_suite.requested` to that App only: here, to the app under
test for its own suite), and GitHub Actions starts the repository's workflow (`ci_runs`).
Their webhooks reach `outbox` after the request's own (`ci_apps.deliver`).
"""

from __future__ import annotations

from tests.fakegithub.base import FakeBase
from tests.fakegithub.ci_apps import deliver, installed_apps
from tests.fakegithub.ci_runs import start_run
from tests.fakegithub.grants import allows, installation_permissions
from tests.fakegithub.model import PullRequest, Repo, User
from tests.fakegithub.suites import ACTIONS_APP_ID, new_suite
from tests.fakegithub.webhooks import check_suite_event


def open_pulls_on(repo: Repo, branch: str) -> tuple[int, ...]:
    return tuple(
        number
        for number, pull in sorted(repo.pulls.items())
        if pull.state == "open" and pull.head_ref == branch
    )


def pushed(fake: FakeBase, repo: Repo, branch: str, before: str | None, sender: User) -> None:
    """A new head on `branch` (already moved): check suites, then the workflow if enabled."""
    ci, sha = repo.ci, repo.branch_sha(branch)
    if ci is None or sha is None or sha == before:
        return
    queue_app_suites(fake, repo, sha, branch, before, sender)
    if ci.config is None:
        return
    pulls = open_pulls_on(repo, branch)
    if "push" in ci.config.on:
        start_run(fake, repo, sha, branch, "push", pulls, sender, before)
    if "pull_request" in ci.config.on and pulls:
        start_run(fake, repo, sha, branch, "pull_request", pulls, sender, before)


def pull_opened(fake: FakeBase, repo: Repo, pull: PullRequest, sender: User) -> None:
    """A pull request opened: a workflow `on: pull_request` runs on its head."""
    config = repo.ci.config if repo.ci else None
    if config is not None and "pull_request" in config.on:
        numbers = (pull.number,)
        start_run(fake, repo, pull.head_sha, pull.head_ref, "pull_request", numbers, sender, None)


def queue_app_suites(
    fake: FakeBase,
    repo: Repo,
    sha: str,
    branch: str,
    before: str | None,
    sender: User,
) -> None:
    """GitHub queues a suite for every App installed with the checks permission, whether or
    not it will ever add runs; only the App itself hears of it (`check_suite.requested`)."""
    for app, installation in installed_apps(fake, repo):
        if app.id == ACTIONS_APP_ID or (app.id, sha) in repo.check_suites:
            continue
        if not allows(installation_permissions(fake, installation), "checks"):
            continue
        suite = new_suite(fake, repo, app, sha, branch=branch, before=before)
        repo.check_suites[(app.id, sha)] = suite.id
        primary = fake._primary
        if primary is not None and primary[0].id == app.id:
            deliver(fake, repo, check_suite_event(fake, repo, suite, "requested", sender))
