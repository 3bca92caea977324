"""JSON shapes of check suites, GitHub Actions workflows, workflow runs and jobs, and rules.

Field for field what GitHub answers (checked against `rest-api.json` like every other answer);
the webhooks reuse them where GitHub's payloads carry the same object.
"""

from __future__ import annotations

from tests.fakegithub.ci_model import CheckSuite, CIConfig, Job, WorkflowRun
from tests.fakegithub.gitstore import Commit
from tests.fakegithub.model import Repo
from tests.fakegithub.shapes import JSONDict, Urls, app_json, node_id, repo_json, ts, user_json
from tests.fakegithub.shapes_git import pull_ref_json
from tests.fakegithub.suites import latest_runs, suite_runs, suite_state

RUNNER = {"id": 1000001, "name": "GitHub Actions 1000001", "group_id": 2, "group": "GitHub Actions"}


def _api(urls: Urls, repo: Repo) -> str:
    return f"{urls.api}/repos/{repo.full_name}"


def head_commit_json(commit: Commit) -> JSONDict:
    """GitHub's `simple-commit`: a suite's or a run's head commit."""
    return {
        "id": commit.sha,
        "tree_id": commit.tree,
        "message": commit.message,
        "timestamp": ts(commit.committer.date),
        "author": {"name": commit.author.name, "email": commit.author.email},
        "committer": {"name": commit.committer.name, "email": commit.committer.email},
    }


def open_pulls_at(urls: Urls, repo: Repo, sha: str) -> list[JSONDict]:
    return [
        pull_ref_json(urls, repo, number)
        for number, pull in sorted(repo.pulls.items())
        if pull.state == "open" and pull.head_sha == sha
    ]


def check_suite_json(urls: Urls, repo: Repo, suite: CheckSuite) -> JSONDict:
    status, conclusion = suite_state(repo, suite)
    url = f"{_api(urls, repo)}/check-suites/{suite.id}"
    return {
        "id": suite.id,
        "node_id": node_id("CheckSuite", suite.id),
        "head_branch": suite.head_branch,
        "head_sha": suite.head_sha,
        "status": status,
        "conclusion": conclusion,
        "url": url,
        "before": suite.before,
        "after": suite.head_sha,
        "pull_requests": open_pulls_at(urls, repo, suite.head_sha),
        "app": app_json(urls, suite.app),
        "repository": repo_json(urls, repo),
        "created_at": ts(suite.created_at),
        "updated_at": ts(suite.updated_at),
        "head_commit": head_commit_json(repo.git.commits[suite.head_sha]),
        "latest_check_runs_count": len(latest_runs(suite_runs(repo, suite))),
        "check_runs_url": f"{url}/check-runs",
        "rerequestable": True,
        "runs_rerequestable": True,
    }


def workflow_json(urls: Urls, repo: Repo, config: CIConfig) -> JSONDict:
    web = f"{urls.web}/{repo.full_name}"
    return {
        "id": config.workflow_id,
        "node_id": node_id("Workflow", config.workflow_id),
        "name": config.workflow_name,
        "path": config.workflow_path,
        "state": "active",
        "created_at": ts(config.created_at),
        "updated_at": ts(config.created_at),
        "url": f"{_api(urls, repo)}/actions/workflows/{config.workflow_id}",
        "html_url": f"{web}/blob/{repo.default_branch}/{config.workflow_path}",
        "badge_url": f"{web}/workflows/{config.workflow_name}/badge.svg",
    }


def workflow_run_json(urls: Urls, repo: Repo, run: WorkflowRun) -> JSONDict:
    api = f"{_api(urls, repo)}/actions/runs/{run.id}"
    commit = repo.git.commits[run.head_sha]
    title = repo.pulls[run.pulls[0]].title if run.pulls else commit.message.split("\n")[0]
    minimal = repo_json(urls, repo)
    return {
        "id": run.id,
        "name": run.config.workflow_name,
        "node_id": node_id("WorkflowRun", run.id),
        "check_suite_id": run.suite_id,
        "check_suite_node_id": node_id("CheckSuite", run.suite_id),
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "path": run.config.workflow_path,
        "display_title": title,
        "run_number": run.number,
        "run_attempt": run.attempt,
        "referenced_workflows": [],
        "event": run.event,
        "status": "queued" if run.stage == "waiting" else run.stage,
        "conclusion": run.conclusion,
        "workflow_id": run.config.workflow_id,
        "url": api,
        "html_url": f"{urls.web}/{repo.full_name}/actions/runs/{run.id}",
        "pull_requests": [pull_ref_json(urls, repo, number) for number in run.pulls],
        "created_at": ts(run.created_at),
        "updated_at": ts(run.updated_at),
        "actor": user_json(urls, run.actor),
        "triggering_actor": user_json(urls, run.triggering_actor or run.actor),
        "run_started_at": ts(run.run_started_at),
        "jobs_url": f"{api}/jobs",
        "logs_url": f"{api}/logs",
        "check_suite_url": f"{_api(urls, repo)}/check-suites/{run.suite_id}",
        "artifacts_url": f"{api}/artifacts",
        "cancel_url": f"{api}/cancel",
        "rerun_url": f"{api}/rerun",
        "previous_attempt_url": f"{api}/attempts/{run.attempt - 1}" if run.attempt > 1 else None,
        "workflow_url": f"{_api(urls, repo)}/actions/workflows/{run.config.workflow_id}",
        "head_commit": head_commit_json(commit),
        "repository": minimal,
        "head_repository": minimal,
        "head_repository_id": repo.id,
    }


def job_json(urls: Urls, repo: Repo, run: WorkflowRun, job: Job) -> JSONDict:
    check = repo.check_runs[job.id]
    started = check.status != "queued"
    return {
        "id": job.id,
        "run_id": run.id,
        "run_url": f"{_api(urls, repo)}/actions/runs/{run.id}",
        "run_attempt": job.attempt,
        "node_id": node_id("WorkflowJob", job.id),
        "head_sha": run.head_sha,
        "url": f"{_api(urls, repo)}/actions/jobs/{job.id}",
        "html_url": check.html_url,
        "status": check.status,
        "conclusion": check.conclusion,
        "created_at": ts(job.created_at),
        "started_at": ts(check.started_at or job.created_at),
        "completed_at": ts(check.completed_at),
        "name": job.name,
        "steps": _steps(job, check.status, check.conclusion) if started else [],
        "check_run_url": f"{_api(urls, repo)}/check-runs/{job.id}",
        "labels": ["ubuntu-latest"],
        "runner_id": RUNNER["id"] if started else None,
        "runner_name": RUNNER["name"] if started else None,
        "runner_group_id": RUNNER["group_id"] if started else None,
        "runner_group_name": RUNNER["group"] if started else None,
        "workflow_name": run.config.workflow_name,
        "head_branch": run.head_branch,
    }


def _steps(job: Job, status: str, conclusion: str | None) -> list[JSONDict]:
    check_at = ts(job.created_at)
    names = ["Set up job", f"Run {job.result.command}", "Complete job"]
    steps = []
    for number, name in enumerate(names, start=1):
        done = status == "completed" or number == 1
        main = number == 2
        steps.append(
            {
                "name": name,
                "status": "completed" if done else "in_progress" if main else "queued",
                "conclusion": (_step(conclusion) if main else "success") if done else None,
                "number": number,
                "started_at": check_at,
                "completed_at": check_at if done else None,
            }
        )
    return steps


def _step(conclusion: str | None) -> str | None:
    """A step's conclusion: a timed-out job's step was cancelled; steps know no neutral."""
    return {"timed_out": "cancelled", "neutral": "success", "action_required": "failure"}.get(
        conclusion or "", conclusion
    )


def required_checks_rule(
    ruleset_id: int, source: str, checks: list[tuple[str, int | None]]
) -> JSONDict:
    """A `required_status_checks` rule as `GET …/rules/branches/{branch}` lists it."""
    configured = []
    for context, integration_id in checks:
        item: JSONDict = {"context": context}
        if integration_id is not None:
            item["integration_id"] = integration_id
        configured.append(item)
    return {
        "type": "required_status_checks",
        "parameters": {
            "required_status_checks": configured,
            "strict_required_status_checks_policy": False,
            "do_not_enforce_on_create": False,
        },
        "ruleset_source_type": "Repository",
        "ruleset_source": source,
        "ruleset_id": ruleset_id,
    }
