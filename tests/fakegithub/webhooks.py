"""Webhook payloads, shaped like GitHub's (and checked against its description when emitted)."""

from __future__ import annotations

from typing import Any

from tests.fakegithub.base import FakeBase
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
from tests.fakegithub.shapes import node_id, organization_json, repo_json, ts, user_json
from tests.fakegithub.shapes_git import check_run_json
from tests.fakegithub.shapes_issues import issue_comment_json, issue_json, label_json
from tests.fakegithub.shapes_pulls import pull_json, review_comment_json, review_json


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
    shape["check_suite"] = _check_suite(fake, repo, run)
    fields = {"action": action, "check_run": shape}
    return "check_run", envelope(fake, repo, sender, fields)


def check_suite_completed(fake: FakeBase, repo: Repo, run: CheckRun, sender: User) -> Event | None:
    """`check_suite.completed` once the last run of the run's suite has completed, else None."""
    suite = _check_suite(fake, repo, run)
    if suite["status"] != "completed":
        return None
    commit = repo.git.commits[run.head_sha]
    suite.update(
        latest_check_runs_count=sum(
            1 for r in repo.check_runs.values() if r.suite_id == run.suite_id
        ),
        check_runs_url=f"{suite['url']}/check-runs",
        pull_requests=check_run_json(fake.urls, repo, run)["pull_requests"],
        head_commit={
            "id": commit.sha,
            "tree_id": commit.tree,
            "message": commit.message,
            "timestamp": ts(commit.committer.date),
            "author": {"name": commit.author.name, "email": commit.author.email},
            "committer": {"name": commit.committer.name, "email": commit.committer.email},
        },
    )
    fields = {"action": "completed", "check_suite": suite}
    return "check_suite", envelope(fake, repo, sender, fields)


def _check_suite(fake: FakeBase, repo: Repo, run: CheckRun) -> dict[str, Any]:
    runs = [r for r in repo.check_runs.values() if r.suite_id == run.suite_id]
    done = all(r.status == "completed" for r in runs)
    return {
        "id": run.suite_id,
        "node_id": node_id("CheckSuite", run.suite_id),
        "head_branch": _branch_of(repo, run.head_sha),
        "head_sha": run.head_sha,
        "status": "completed" if done else "in_progress",
        "conclusion": _suite_conclusion(runs) if done else None,
        "url": f"{fake.urls.api}/repos/{repo.full_name}/check-suites/{run.suite_id}",
        "before": None,
        "after": run.head_sha,
        "pull_requests": [],
        "app": check_run_json(fake.urls, repo, run)["app"],
        "created_at": ts(run.started_at),
        "updated_at": ts(run.completed_at or run.started_at),
    }


def _branch_of(repo: Repo, sha: str) -> str | None:
    return next((ref[11:] for ref, tip in repo.refs.items() if tip == sha), None)


def _suite_conclusion(runs: list[CheckRun]) -> str | None:
    order = ["action_required", "failure", "timed_out", "cancelled", "neutral", "skipped"]
    conclusions = {r.conclusion for r in runs}
    return next((c for c in order if c in conclusions), "success")
