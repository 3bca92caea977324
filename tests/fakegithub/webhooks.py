"""Webhook payloads, shaped like GitHub's (and checked against its description when emitted)."""

from __future__ import annotations

from typing import Any

from tests.fakegithub.base import FakeBase
from tests.fakegithub.ci_model import CheckSuite
from tests.fakegithub.model import (
    CheckRun,
    Event,
    Issue,
    IssueComment,
    Label,
    PullRequest,
    Repo,
    Review,
    ReviewComment,
    User,
)
from tests.fakegithub.shapes import node_id, organization_json, repo_json, user_json
from tests.fakegithub.shapes_ci import check_suite_json
from tests.fakegithub.shapes_git import check_run_json
from tests.fakegithub.shapes_issues import issue_comment_json, issue_json, label_json
from tests.fakegithub.shapes_pulls import pull_json, review_comment_json, review_json
from tests.fakegithub.suites import suite_state


def envelope(fake: FakeBase, repo: Repo, sender: User, fields: dict[str, Any]) -> dict[str, Any]:
    """The fields every repository event carries around its own."""
    payload = dict(fields)
    payload["repository"] = repo_json(fake.urls, repo)
    if repo.owner.type == "Organization":
        payload["organization"] = organization_json(fake.urls, repo.owner)
    payload["sender"] = user_json(fake.urls, sender)
    installation = fake.installation_for(repo)
    if installation is not None:
        payload["installation"] = {
            "id": installation.id,
            "node_id": node_id("Installation", installation.id),
        }
    return payload


def issues_event(
    fake: FakeBase,
    repo: Repo,
    issue: Issue,
    action: str,
    sender: User,
    *,
    label: Label | None = None,
    changes: dict[str, Any] | None = None,
) -> Event:
    fields: dict[str, Any] = {"action": action, "issue": issue_json(fake.urls, repo, issue)}
    if label is not None:
        fields["label"] = label_json(fake.urls, repo, label)
    if changes is not None:
        fields["changes"] = changes
    return "issues", envelope(fake, repo, sender, fields)


def issue_comment_event(
    fake: FakeBase,
    repo: Repo,
    comment: IssueComment,
    action: str,
    sender: User,
    *,
    changes: dict[str, Any] | None = None,
) -> Event:
    fields: dict[str, Any] = {
        "action": action,
        "issue": issue_json(fake.urls, repo, repo.issues[comment.issue_number]),
        "comment": issue_comment_json(fake.urls, repo, comment),
    }
    if changes is not None:
        fields["changes"] = changes
    return "issue_comment", envelope(fake, repo, sender, fields)


def pull_request_event(
    fake: FakeBase,
    repo: Repo,
    pull: PullRequest,
    action: str,
    sender: User,
    *,
    before: str | None = None,
) -> Event:
    fields: dict[str, Any] = {
        "action": action,
        "number": pull.number,
        "pull_request": pull_json(fake.urls, repo, pull),
    }
    if action == "synchronize":
        fields["before"] = before
        fields["after"] = pull.head_sha
    return "pull_request", envelope(fake, repo, sender, fields)


def review_event(fake: FakeBase, repo: Repo, review: Review, sender: User) -> Event:
    pull = repo.pulls[review.pull_number]
    shape = review_json(fake.urls, repo, review)
    shape["state"] = review.state.lower()  # webhooks say "approved" where REST says "APPROVED"
    fields = {
        "action": "submitted",
        "review": shape,
        "pull_request": pull_json(fake.urls, repo, pull, full=False),
    }
    return "pull_request_review", envelope(fake, repo, sender, fields)


def review_comment_event(
    fake: FakeBase, repo: Repo, comment: ReviewComment, action: str, sender: User
) -> Event:
    pull = repo.pulls[comment.pull_number]
    fields = {
        "action": action,
        "comment": review_comment_json(fake.urls, repo, comment),
        "pull_request": pull_json(fake.urls, repo, pull, full=False),
    }
    return "pull_request_review_comment", envelope(fake, repo, sender, fields)


def check_run_event(fake: FakeBase, repo: Repo, run: CheckRun, action: str, sender: User) -> Event:
    shape = check_run_json(fake.urls, repo, run)
    shape["check_suite"] = check_suite_json(fake.urls, repo, repo.suites[run.suite_id])
    fields = {"action": action, "check_run": shape}
    return "check_run", envelope(fake, repo, sender, fields)


def check_suite_event(
    fake: FakeBase, repo: Repo, suite: CheckSuite, action: str, sender: User
) -> Event:
    shape = check_suite_json(fake.urls, repo, suite)
    del shape["repository"]  # the envelope carries it
    return "check_suite", envelope(fake, repo, sender, {"action": action, "check_suite": shape})


def check_suite_completed(fake: FakeBase, repo: Repo, run: CheckRun, sender: User) -> Event | None:
    """`check_suite.completed` once the last run of the run's suite has completed, else None."""
    suite = repo.suites[run.suite_id]
    if suite_state(repo, suite)[0] != "completed":
        return None
    return check_suite_event(fake, repo, suite, "completed", sender)
