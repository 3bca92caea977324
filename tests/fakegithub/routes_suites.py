"""Check suites (of a commit, one by id, its runs) and the rules that apply to a branch.

A commit's suites include the queued ones GitHub makes for every App with the checks
permission (`ci_push`), Actions' one per workflow run, and those made by an App's first run.
`GET …/rules/branches/{branch}` lists the `required_status_checks` rules a test configured
(`fake.require_checks`): an empty list where none applies, as GitHub answers.
"""

from __future__ import annotations

from tests.fakegithub.ci_model import CheckSuite
from tests.fakegithub.model import Repo
from tests.fakegithub.router import Call, Reply, Routes, counted, not_found, paginate
from tests.fakegithub.routes_git import commit_of
from tests.fakegithub.shapes_ci import check_suite_json, required_checks_rule
from tests.fakegithub.shapes_git import check_run_json
from tests.fakegithub.suites import latest_runs, rules_for, suite_runs

routes = Routes()


def _suite(call: Call, repo: Repo) -> CheckSuite:
    suite = repo.suites.get(call.number("check_suite_id"))
    if suite is None:
        raise not_found()
    return suite


@routes.get("/repos/{owner}/{repo}/commits/{ref}/check-suites")
def suites_for_ref(call: Call) -> Reply:
    repo = call.repo()
    sha = commit_of(call, repo)
    app_id, name = call.query.get("app_id"), call.query.get("check_name")
    suites = [
        suite
        for suite in sorted(repo.suites.values(), key=lambda s: s.id)
        if suite.head_sha == sha
        and app_id in (None, str(suite.app.id))
        and (name is None or any(run.name == name for run in suite_runs(repo, suite)))
    ]
    shaped = [check_suite_json(call.fake.urls, repo, suite) for suite in suites]
    return counted(call, "check_suites", shaped)


@routes.get("/repos/{owner}/{repo}/check-suites/{check_suite_id}")
def get_suite(call: Call) -> Reply:
    repo = call.repo()
    return Reply(200, check_suite_json(call.fake.urls, repo, _suite(call, repo)))


@routes.get("/repos/{owner}/{repo}/check-suites/{check_suite_id}/check-runs")
def runs_in_suite(call: Call) -> Reply:
    repo = call.repo()
    runs = sorted(suite_runs(repo, _suite(call, repo)), key=lambda r: r.id, reverse=True)
    if call.query.get("filter", "latest") == "latest":
        runs = sorted(latest_runs(runs), key=lambda r: r.id, reverse=True)
    name, status = call.query.get("check_name"), call.query.get("status")
    runs = [r for r in runs if name in (None, r.name) and status in (None, r.status)]
    return counted(call, "check_runs", [check_run_json(call.fake.urls, repo, r) for r in runs])


@routes.get("/repos/{owner}/{repo}/rules/branches/{branch}")
def branch_rules(call: Call) -> Reply:
    repo = call.repo()
    rules = [
        required_checks_rule(ruleset_id, repo.full_name, checks)
        for ruleset_id, _, checks in rules_for(repo, call.params["branch"])
    ]
    return paginate(call, rules)
