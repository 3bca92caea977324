"""What CI says about a commit: the checks that count, read in one pass.

Which checks count (the rule the README documents):
- every check run of another App on the commit (an App that adds a run is CI), and every
  commit status;
- the contexts the branch's rulesets require (`required_status_checks`), and those the
  repository's options name (`ci.required_checks`): missing ones are pending;
- a check suite still without runs counts as pending only when its App is known to report CI
  on this repository (it has added runs here before), or it is GitHub Actions and the
  repository has a workflow for this branch. Other queued suites are ignored: GitHub queues
  one for every App with the checks permission, including Apps that never run.
The app's own check runs (the validator's) never count. When nothing counts at all, the caller
waits out a grace window after the push before reading that as "no CI".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.github.checks import COMBINED_STATUS_URL, PASSING_CONCLUSIONS, RUNS_FOR_REF_URL
from bot.github.client import GitHubClient
from bot.github.repo import REPO_URL, Repo

RULES_URL = REPO_URL + "/rules/branches/{branch}{?per_page}"
SUITES_URL = REPO_URL + "/commits/{sha}/check-suites{?per_page}"
ACTIONS_SLUG = "github-actions"
# Not the code's fault: GitHub's infrastructure, worth one re-run before asking for a fix.
INFRASTRUCTURE = frozenset({"timed_out", "cancelled", "startup_failure"})
NEEDS_PERSON = "action_required"
FAILED_STATUSES = frozenset({"failure", "error"})

Verdict = Literal["success", "pending", "failure", "none"]


@dataclass(frozen=True)
class Check:
    """One check that counts: a check run (`run_id`) or a commit status (no `run_id`)."""

    name: str
    status: str  # queued, in_progress, completed (a status: pending or completed)
    conclusion: str | None = None
    run_id: int | None = None
    app_id: int | None = None
    app_slug: str = ""
    details_url: str | None = None
    output: dict[str, Any] = field(default_factory=dict)
    suite_id: int | None = None  # a whole suite that ended without runs has no `run_id`

    @property
    def done(self) -> bool:
        return self.status == "completed"

    @property
    def passed(self) -> bool:
        return self.done and self.conclusion in PASSING_CONCLUSIONS


@dataclass(frozen=True)
class CIReport:
    verdict: Verdict
    checks: tuple[Check, ...] = ()
    waiting: tuple[str, ...] = ()  # required contexts and suites with nothing reported yet
    apps: tuple[tuple[int, str], ...] = ()  # (id, slug) of the Apps whose runs were seen

    @property
    def failing(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.done and not c.passed)

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.checks if not c.done) + self.waiting


@dataclass(frozen=True)
class Counting:
    """What decides which checks count, besides the commit itself."""

    own_app_id: int | None
    known_apps: Collection[int] = ()
    required: Collection[str] = ()
    # Whether the repository has a workflow for this branch: asked only when an Actions suite
    # waits without runs, since answering it reads the workflow files.
    actions_expected: Callable[[], Awaitable[bool]] | None = None


async def required_contexts(gh: GitHubClient, repo: Repo, branch: str) -> set[str]:
    """The status checks the branch's rulesets require (one GET; none without rulesets)."""
    rules = await gh.getitem(RULES_URL, repo.url_vars(branch=branch, per_page=100))
    contexts: set[str] = set()
    for rule in rules:
        if rule.get("type") == "required_status_checks":
            parameters = rule.get("parameters") or {}
            contexts |= {str(c["context"]) for c in parameters.get("required_status_checks", [])}
    return contexts


def _run(run: dict[str, Any]) -> Check:
    app = run.get("app") or {}
    return Check(
        name=str(run["name"]),
        status=str(run["status"]),
        conclusion=run.get("conclusion"),
        run_id=int(run["id"]),
        app_id=app.get("id"),
        app_slug=str(app.get("slug") or ""),
        details_url=run.get("details_url"),
        output=dict(run.get("output") or {}),
    )


def _status(status: dict[str, Any]) -> Check:
    done = status["state"] != "pending"
    conclusion = ("failure" if status["state"] in FAILED_STATUSES else "success") if done else None
    return Check(
        name=str(status["context"]),
        status="completed" if done else "pending",
        conclusion=conclusion,
        details_url=status.get("target_url"),
        output={"summary": status.get("description") or ""},
    )


async def _runs(gh: GitHubClient, repo: Repo, sha: str, own: int | None) -> list[Check]:
    url = repo.url_vars(sha=sha, per_page=100)
    runs = [_run(r) async for r in gh.getiter(RUNS_FOR_REF_URL, url, iterable_key="check_runs")]
    return [run for run in runs if run.app_id != own]


async def _statuses(gh: GitHubClient, repo: Repo, sha: str) -> list[Check]:
    # The combined `state` reads "pending" when a commit has no status at all, so each
    # status is looked at instead.
    combined = await gh.getitem(COMBINED_STATUS_URL, repo.url_vars(sha=sha, per_page=100))
    return [_status(status) for status in combined["statuses"]]


def _ended_without_runs(suite: dict[str, Any], slug: str) -> Check | None:
    """A suite that completed with no run at all: GitHub Actions ends a run this way when it
    cannot start (`startup_failure`) or waits for approval (`action_required`)."""
    if suite.get("status") != "completed" or suite.get("latest_check_runs_count"):
        return None
    conclusion = suite.get("conclusion")
    if conclusion in PASSING_CONCLUSIONS or conclusion is None:
        return None
    app = suite.get("app") or {}
    return Check(
        name=slug,
        status="completed",
        conclusion=str(conclusion),
        app_id=app.get("id"),
        app_slug=slug,
        suite_id=int(suite["id"]),
    )


async def _suites(
    gh: GitHubClient, repo: Repo, sha: str, counting: Counting, reporting: set[int]
) -> tuple[list[str], list[Check]]:
    """Suites that should report but have no run yet (by their App's slug), and suites that
    ended without any run (as checks)."""
    url = repo.url_vars(sha=sha, per_page=100)
    waiting, ended = [], []
    async for suite in gh.getiter(SUITES_URL, url, iterable_key="check_suites"):
        app = suite.get("app") or {}
        app_id, slug = app.get("id"), str(app.get("slug") or "")
        if app_id in (counting.own_app_id, None) or app_id in reporting:
            continue
        if (check := _ended_without_runs(suite, slug or str(app_id))) is not None:
            ended.append(check)
        elif suite.get("status") == "completed" or suite.get("latest_check_runs_count"):
            continue
        elif app_id in counting.known_apps or (
            slug == ACTIONS_SLUG
            and counting.actions_expected is not None
            and await counting.actions_expected()
        ):
            waiting.append(slug or str(app_id))
    return waiting, ended


async def ci_report(gh: GitHubClient, repo: Repo, sha: str, counting: Counting) -> CIReport:
    """The checks that count on `sha` and what they add up to (three or four GETs)."""
    runs = await _runs(gh, repo, sha, counting.own_app_id)
    checks = runs + await _statuses(gh, repo, sha)
    reporting = {run.app_id for run in runs if run.app_id is not None}
    waiting, ended = await _suites(gh, repo, sha, counting, reporting)
    checks += ended
    seen = {check.name for check in checks}
    waiting += sorted(set(counting.required) - seen)
    apps = tuple(sorted({(r.app_id, r.app_slug) for r in runs if r.app_id is not None}))
    return CIReport(_verdict(checks, waiting), tuple(checks), tuple(waiting), apps)


def _verdict(checks: Iterable[Check], waiting: list[str]) -> Verdict:
    """Pending until every check that counts is done: a red build is answered once, whole,
    rather than once per check as each one finishes."""
    checks = list(checks)
    if not checks and not waiting:
        return "none"
    if waiting or not all(check.done for check in checks):
        return "pending"
    return "success" if all(check.passed for check in checks) else "failure"
