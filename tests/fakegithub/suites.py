"""Check suites and required checks: what a commit's checks add up to.

Every check run belongs to a suite. An App's runs on a commit share one suite (made on its
first run, or queued by GitHub at the push); each GitHub Actions workflow run has its own,
whose status follows the run. A suite nobody adds runs to stays `queued` for good.
Rulesets (`fake.require_checks`) name contexts that must pass before a pull request merges.
"""

from __future__ import annotations

import fnmatch

from tests.fakegithub.base import FakeBase
from tests.fakegithub.ci_model import PASSING, CheckSuite
from tests.fakegithub.model import App, CheckRun, Repo

ACTIONS_APP_ID = 15368  # GitHub Actions' App id on github.com
_WORST_FIRST = ("action_required", "startup_failure", "failure", "timed_out", "cancelled")


def branch_of(repo: Repo, sha: str) -> str | None:
    return next((ref[11:] for ref, tip in repo.refs.items() if tip == sha), None)


def new_suite(
    fake: FakeBase, repo: Repo, app: App, sha: str, *, branch: str | None, before: str | None
) -> CheckSuite:
    now = fake.now()
    suite = CheckSuite(fake.state.next_id(), app, sha, branch, before, now, now)
    repo.suites[suite.id] = suite
    return suite


def suite_for(fake: FakeBase, repo: Repo, app: App, sha: str) -> CheckSuite:
    """The App's suite on the commit (not for Actions, whose runs have one each)."""
    suite_id = repo.check_suites.get((app.id, sha))
    if suite_id is None:
        suite = new_suite(fake, repo, app, sha, branch=branch_of(repo, sha), before=None)
        repo.check_suites[(app.id, sha)] = suite.id
        return suite
    return repo.suites[suite_id]


def suite_runs(repo: Repo, suite: CheckSuite) -> list[CheckRun]:
    return [run for run in repo.check_runs.values() if run.suite_id == suite.id]


def latest_runs(runs: list[CheckRun]) -> list[CheckRun]:
    """The newest run of each name (a re-run replaces its predecessor)."""
    latest: dict[str, CheckRun] = {}
    for run in sorted(runs, key=lambda r: r.id):
        latest[run.name] = run
    return list(latest.values())


def worst(conclusions: set[str | None]) -> str:
    """A suite's conclusion from its runs': the worst, success beside neutral or skipped."""
    order = (*_WORST_FIRST, "success", "neutral", "skipped")
    return next((c for c in order if c in conclusions), "success")


def suite_state(repo: Repo, suite: CheckSuite) -> tuple[str, str | None]:
    """(status, conclusion): Actions' from its workflow run; others' from their latest runs."""
    runs = latest_runs(suite_runs(repo, suite))
    if suite.app.id == ACTIONS_APP_ID or not runs:
        return suite.status, suite.conclusion
    if all(run.status == "completed" for run in runs):
        return "completed", worst({run.conclusion for run in runs})
    started = any(run.status != "queued" for run in runs)
    return ("in_progress" if started else "queued"), None


# ---- rulesets -------------------------------------------------------------------------------


def rules_for(repo: Repo, branch: str) -> list[tuple[int, str, list[tuple[str, int | None]]]]:
    """(ruleset id, name, required checks) of every ruleset applying to the branch."""
    found = []
    for ruleset in repo.rulesets:
        pattern = repo.default_branch if ruleset.pattern == "~DEFAULT_BRANCH" else ruleset.pattern
        if fnmatch.fnmatchcase(branch, pattern):
            found.append((ruleset.id, ruleset.name, list(ruleset.checks)))
    return found


def missing_checks(repo: Repo, branch: str, sha: str) -> list[str]:
    """Required contexts without a passing check run (of the required App) or status on sha."""
    runs = latest_runs([run for run in repo.check_runs.values() if run.head_sha == sha])
    statuses = {}
    for status in repo.statuses:
        if status.sha == sha:
            statuses[status.context] = status.state
    missing = []
    for _, _, checks in rules_for(repo, branch):
        for context, app_id in checks:
            passed = any(
                run.name == context and run.conclusion in PASSING and app_id in (None, run.app.id)
                for run in runs
            ) or (app_id is None and statuses.get(context) == "success")
            if not passed and context not in missing:
                missing.append(context)
    return missing
