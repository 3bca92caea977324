"""The fake GitHub's in-memory state: apps, installations, repositories and what they hold."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tests.fakegithub.gitstore import GitStore
from tests.fakegithub.keys import KeyPair

if TYPE_CHECKING:
    from tests.fakegithub.ci_model import CheckSuite, RepoCI, Ruleset

Event = tuple[str, dict[str, Any]]


@dataclass
class User:
    login: str
    id: int
    type: str = "User"  # "User", "Organization" or "Bot"
    site_admin: bool = False


@dataclass
class App:
    id: int
    slug: str
    name: str
    owner: User
    keys: KeyPair
    client_id: str
    client_secret: str
    webhook_secret: str
    bot: User
    created_at: datetime
    description: str = ""
    permissions: dict[str, str] = field(default_factory=dict)
    events: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"App(id={self.id}, slug={self.slug!r})"


@dataclass
class Installation:
    id: int
    app_id: int
    account: User
    created_at: datetime
    repository_selection: str = "all"  # or "selected"
    repository_ids: set[int] = field(default_factory=set)  # when "selected"
    suspended_at: datetime | None = None
    permissions: dict[str, str] | None = None  # granted; None: the App's own (all accepted)


@dataclass
class Token:
    token: str
    installation_id: int
    expires_at: datetime
    repository_ids: frozenset[int] | None = None  # narrowed when the App asked for it
    permissions: dict[str, str] | None = None  # narrowed when the App asked for it

    def __repr__(self) -> str:
        return f"Token(installation_id={self.installation_id})"


@dataclass
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None
    default: bool = False


@dataclass
class Reaction:
    id: int
    content: str
    user: User
    created_at: datetime


@dataclass
class Issue:
    id: int
    number: int
    title: str
    body: str | None
    user: User
    created_at: datetime
    updated_at: datetime
    labels: list[str] = field(default_factory=list)  # label names, in the order added
    state: str = "open"
    state_reason: str | None = None
    closed_at: datetime | None = None
    is_pull: bool = False
    reactions: list[Reaction] = field(default_factory=list)
    via_app: App | None = None


@dataclass
class IssueComment:
    id: int
    issue_number: int
    body: str
    user: User
    created_at: datetime
    updated_at: datetime
    via_app: App | None = None
    reactions: list[Reaction] = field(default_factory=list)


@dataclass
class PullRequest:
    id: int
    number: int
    title: str
    body: str | None
    user: User
    head_ref: str  # branch name
    head_sha: str
    base_ref: str
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    draft: bool = False
    merged: bool = False
    merged_at: datetime | None = None
    merged_by: User | None = None
    merge_commit_sha: str | None = None
    closed_at: datetime | None = None
    maintainer_can_modify: bool = False
    frozen_base: str | None = None  # base commit kept when merged, for its files and diff
    mergeable_override: tuple[bool, str] | None = None  # a test's (mergeable, state)


@dataclass
class Review:
    id: int
    pull_number: int
    user: User
    body: str
    state: str  # APPROVED, CHANGES_REQUESTED, COMMENTED, PENDING, DISMISSED
    commit_id: str
    submitted_at: datetime | None


@dataclass
class ReviewComment:
    id: int
    pull_number: int
    review_id: int
    user: User
    body: str
    path: str
    line: int | None
    side: str
    commit_id: str
    diff_hunk: str
    created_at: datetime
    updated_at: datetime
    start_line: int | None = None
    start_side: str | None = None
    in_reply_to_id: int | None = None
    subject_type: str = "line"
    position: int = 1  # GitHub's legacy diff position of the line
    reactions: list[Reaction] = field(default_factory=list)


@dataclass
class CheckRun:
    id: int
    app: App
    name: str
    head_sha: str
    suite_id: int
    status: str
    conclusion: str | None
    started_at: datetime | None
    completed_at: datetime | None
    details_url: str | None = None
    html_url: str | None = None  # GitHub's page for the run (an Actions job's page for CI)
    external_id: str | None = None
    output: dict[str, Any] = field(default_factory=dict)  # title, summary, text
    annotations: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Status:
    id: int
    sha: str
    state: str
    context: str
    creator: User
    created_at: datetime
    description: str | None = None
    target_url: str | None = None


@dataclass
class Repo:
    id: int
    owner: User
    name: str
    created_at: datetime
    private: bool = False
    default_branch: str = "main"
    description: str | None = None
    git: GitStore = field(default_factory=GitStore)
    refs: dict[str, str] = field(default_factory=dict)  # "refs/heads/main" -> commit sha
    # commit sha -> `refs` as they were when the Git Database API made that commit: what a
    # test compares a commit's parents with ("made on the branch's head of the time")
    refs_when_made: dict[str, dict[str, str]] = field(default_factory=dict)
    collaborators: dict[str, str] = field(default_factory=dict)  # login -> role_name
    labels: dict[str, Label] = field(default_factory=dict)  # lower-cased name -> label
    issues: dict[int, Issue] = field(default_factory=dict)  # pull requests included
    comments: dict[int, IssueComment] = field(default_factory=dict)
    pulls: dict[int, PullRequest] = field(default_factory=dict)
    reviews: dict[int, Review] = field(default_factory=dict)
    review_comments: dict[int, ReviewComment] = field(default_factory=dict)
    check_runs: dict[int, CheckRun] = field(default_factory=dict)
    check_suites: dict[tuple[int, str], int] = field(default_factory=dict)  # (app, sha) -> id
    suites: dict[int, CheckSuite] = field(default_factory=dict)  # every check suite, by id
    ci: RepoCI | None = None  # the simulated checks and CI (`fake.enable_ci`); None: neither
    rulesets: list[Ruleset] = field(default_factory=list)  # `fake.require_checks`
    statuses: list[Status] = field(default_factory=list)
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    def branch_sha(self, branch: str) -> str | None:
        return self.refs.get(f"refs/heads/{branch}")


@dataclass
class ManifestCode:
    code: str
    manifest: dict[str, Any]
    owner: str  # login of who registers the App
    expires_at: datetime


@dataclass
class State:
    """Everything the fake knows. Ids come from one counter, like GitHub's database ids."""

    apps: dict[int, App] = field(default_factory=dict)
    installations: dict[int, Installation] = field(default_factory=dict)
    repos: dict[str, Repo] = field(default_factory=dict)  # lower-cased "owner/name" -> repo
    users: dict[str, User] = field(default_factory=dict)  # lower-cased login -> user
    tokens: dict[str, Token] = field(default_factory=dict)
    manifest_codes: dict[str, ManifestCode] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_000_001))

    def next_id(self) -> int:
        return next(self.ids)

    def user(self, login: str) -> User | None:
        return self.users.get(login.lower())

    def repo(self, owner: str, name: str) -> Repo | None:
        return self.repos.get(f"{owner}/{name}".lower())
