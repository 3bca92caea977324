"""The fake GitHub's checks around CI: the suites GitHub queues for every App, the
permissions CI endpoints and workflow pushes need, rulesets, commit statuses, and which CI
webhooks reach the app under test. (The runs themselves: `test_fakegithub_ci`.)

Every request, answer and webhook is checked against GitHub's description.
"""

from __future__ import annotations

import gidgethub
import pytest

from bot.github.client import GitHubApp, GitHubClient
from tests.fakegithub import FakeGitHub
from tests.fakegithub.fixtures import ci_world
from tests.test_fakegithub import REPO, R, commit_on_branch
from tests.test_fakegithub_ci import RERUN, actions_runs, names, phase_pull, suites

__all__ = ["ci_world"]  # the fixture, for this module (conftest does not import it yet)


# ---- check suites without CI ----------------------------------------------------------------


async def test_no_ci_at_all_means_no_suites(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    head, _ = await phase_pull(gh, {"app.py": "x = 1\n"})
    assert await suites(gh, head) == []
    assert names(fake_github) == ["pull_request.opened"]


async def test_a_silent_apps_suite_stays_queued(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    silent = fake_github.add_silent_checks_app()
    head, _ = await phase_pull(gh, {"app.py": "x = 1\n"})
    [suite] = await suites(gh, head, silent.id)
    assert (suite["status"], suite["conclusion"], suite["latest_check_runs_count"]) == (
        "queued",
        None,
        0,
    )
    own = await suites(gh, head, fake_github.app_id)
    assert [s["status"] for s in own] == ["queued"]  # the app's own, until it adds a run
    assert names(fake_github) == ["check_suite.requested", "pull_request.opened"]


# ---- permissions ------------------------------------------------------------------------------


async def test_without_actions_permission_logs_and_reruns_are_403(
    fake_github: FakeGitHub, github_app: GitHubApp
) -> None:
    fake_github.enable_ci(conclude=lambda files, job, attempt: "failure")
    fake_github.set_permissions(actions=None)
    gh = await github_app.installation_client(fake_github.installation_id)
    installation = await github_app.app_client().getitem(
        f"/app/installations/{fake_github.installation_id}"
    )
    assert "actions" not in installation["permissions"]
    head, _ = await phase_pull(gh, {"app.py": "x = 1\n"})
    [check] = await actions_runs(gh, head)  # check runs need only `checks`
    [run] = fake_github.ci_runs()
    for url, url_vars in [
        (f"{R}/actions/jobs/{{job_id}}/logs", {"job_id": check["id"]}),
        (f"{R}/actions/runs/{{run_id}}", {"run_id": run.id}),
        (f"{R}/actions/workflows", {}),
    ]:
        with pytest.raises(gidgethub.BadRequest) as caught:
            await gh.getitem(url, {**REPO, **url_vars})
        assert caught.value.status_code == 403
        assert str(caught.value) == "Resource not accessible by integration"
    with pytest.raises(gidgethub.BadRequest) as caught:
        await gh.post(RERUN, {**REPO, "run_id": run.id}, data={})
    assert caught.value.status_code == 403


async def test_tokens_report_and_cannot_exceed_the_installations_permissions(
    fake_github: FakeGitHub, github_app: GitHubApp
) -> None:
    fake_github.set_permissions(actions="read")
    jwt_client = github_app.app_client()
    url = f"/app/installations/{fake_github.installation_id}/access_tokens"
    token = await jwt_client.post(url, data={})
    assert token["permissions"]["actions"] == "read" and "workflows" not in token["permissions"]
    narrowed = await jwt_client.post(url, data={"permissions": {"checks": "read"}})
    assert narrowed["permissions"] == {"checks": "read"}
    with pytest.raises(gidgethub.BadRequest) as caught:
        await jwt_client.post(url, data={"permissions": {"actions": "write"}})
    assert caught.value.status_code == 422


async def test_a_push_changing_a_workflow_needs_the_workflows_permission(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    workflow: dict[str, str | None] = {".github/workflows/x.yml": "on: push\n"}
    with pytest.raises(gidgethub.BadRequest) as caught:
        await commit_on_branch(gh, "phase-1", workflow)
    assert caught.value.status_code == 422
    assert str(caught.value) == (
        "refusing to allow a GitHub App to create or update workflow "
        "`.github/workflows/x.yml` without `workflows` permission"
    )
    assert fake_github.branch_sha("phase-1") is None
    head = await commit_on_branch(gh, "phase-1", {"app.py": "x = 1\n"})  # other files: fine
    assert fake_github.branch_sha("phase-1") == head
    fake_github.set_permissions(workflows="write")
    await commit_on_branch(gh, "phase-2", workflow)
    assert fake_github.file(".github/workflows/x.yml", "phase-2") == "on: push\n"


async def test_merging_a_workflow_change_needs_the_workflows_permission(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    fake_github.person_pushes("writer", "by-hand", {".github/workflows/x.yml": "on: push\n"})
    pull = fake_github.person_opens_pull("writer", "by-hand", "main", "Workflow")
    number = pull[1]["number"]
    with pytest.raises(gidgethub.BadRequest) as caught:
        await gh.put(f"{R}/pulls/{{n}}/merge", {**REPO, "n": number}, data={})
    assert caught.value.status_code == 403
    assert "without `workflows` permission" in str(caught.value)


# ---- rulesets, statuses, subscriptions ------------------------------------------------------


async def test_required_checks_are_listed_and_hold_the_merge(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    fake_github.enable_ci(mode="manual")
    fake_github.require_checks(fake_github.repo, "main", ["test", ("lint", 99)])
    rules = await gh.getitem(f"{R}/rules/branches/{{branch}}", {**REPO, "branch": "main"})
    assert [r["type"] for r in rules] == ["required_status_checks"]
    assert rules[0]["parameters"]["required_status_checks"] == [
        {"context": "test"},
        {"context": "lint", "integration_id": 99},
    ]
    other = await gh.getitem(f"{R}/rules/branches/{{branch}}", {**REPO, "branch": "dev"})
    assert other == []
    _, number = await phase_pull(gh, {"app.py": "x = 1\n"})
    got = await gh.getitem(f"{R}/pulls/{{n}}", {**REPO, "n": number})
    assert (got["mergeable"], got["mergeable_state"]) == (True, "blocked")
    with pytest.raises(gidgethub.BadRequest) as caught:
        await gh.put(f"{R}/pulls/{{n}}/merge", {**REPO, "n": number}, data={})
    assert caught.value.status_code == 405 and 'Required status check "test"' in str(caught.value)
    fake_github.require_checks(fake_github.repo, "main", ["test"], name="only test")
    fake_github.repo.rulesets.pop(0)
    fake_github.ci_finish()
    merged = await gh.put(f"{R}/pulls/{{n}}/merge", {**REPO, "n": number}, data={})
    assert merged["merged"] is True


async def test_ci_statuses_reach_the_outbox(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    sha = fake_github.branch_sha("main") or ""
    fake_github.ci_status(sha, "ci/jenkins", "failure", description="2 tests failed")
    [(event, payload)] = fake_github.outbox
    assert (event, payload["state"], payload["context"]) == ("status", "failure", "ci/jenkins")
    assert payload["sender"]["login"] == "external-ci[bot]"
    assert [b["name"] for b in payload["branches"]] == ["main"]
    combined = await gh.getitem(f"{R}/commits/{{ref}}/status", {**REPO, "ref": sha})
    assert combined["state"] == "failure"


async def test_ci_events_follow_the_apps_subscriptions(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    fake_github.enable_ci()
    fake_github.app.events.extend(["workflow_run", "workflow_job"])
    await phase_pull(gh, {"app.py": "x = 1\n"})
    got = names(fake_github)
    assert got.count("workflow_run.requested") == got.count("workflow_run.completed") == 1
    assert got.count("workflow_job.queued") == got.count("workflow_job.completed") == 1
    fake_github.set_permissions(actions=None)  # no permission: GitHub sends none of them
    fake_github.person_pushes("writer", "phase-1", {"app.py": "x = 2\n"})
    assert not [n for n in names(fake_github) if n.startswith("workflow_")]


async def test_the_ci_world_passes_at_once(ci_world: FakeGitHub, gh: GitHubClient) -> None:
    head, _ = await phase_pull(gh, {"app.py": "x = 1\n"})
    assert [c["conclusion"] for c in await actions_runs(gh, head)] == ["success"]
