"""GitHub Actions' REST endpoints: workflows, workflow runs, jobs, job logs, re-runs.

All need the `actions` permission (read; write to re-run): without it GitHub answers 403.
A job's logs answer 302 to a short-lived URL on another host (`LOGS_HOST`), which the
transport serves with `serve_log`: plain text, no credentials wanted (a request carrying an
Authorization header there is a violation: the app must not send its token off GitHub), and
the link expires after a minute, as GitHub's does.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

import httpx2

from tests.fakegithub.base import FakeBase
from tests.fakegithub.ci_model import Job, LogLink, RepoCI, WorkflowRun
from tests.fakegithub.ci_runs import rerun_failed
from tests.fakegithub.grants import require
from tests.fakegithub.model import Repo
from tests.fakegithub.router import Call, Reply, Routes, counted, not_found
from tests.fakegithub.shapes_ci import job_json, workflow_json, workflow_run_json
from tests.fakegithub.transport import RecordedRequest

routes = Routes()
LOGS_HOST = "productionresultssa0.blob.core.windows.test"
LOG_LINK_LIFETIME = timedelta(minutes=1)
_RUNS = "/repos/{owner}/{repo}/actions/runs"


def _actions(call: Call, level: str = "read") -> tuple[Repo, RepoCI]:
    repo = call.repo()
    require(call, "actions", level)
    return repo, repo.ci or RepoCI()


def _run(call: Call, ci: RepoCI) -> WorkflowRun:
    run = ci.runs.get(call.number("run_id"))
    if run is None or run.stage == "waiting":
        raise not_found()
    return run


def _job(call: Call, ci: RepoCI) -> tuple[WorkflowRun, Job]:
    job_id = call.number("job_id")
    for run in ci.runs.values():
        for job in run.jobs:
            if job.id == job_id:
                return run, job
    raise not_found()


@routes.get("/repos/{owner}/{repo}/actions/workflows")
def list_workflows(call: Call) -> Reply:
    repo, ci = _actions(call)
    config = ci.config
    head = repo.branch_sha(repo.default_branch)
    present = config is not None and head and repo.git.file_at(head, config.workflow_path)
    workflows = [workflow_json(call.fake.urls, repo, config)] if config and present else []
    return counted(call, "workflows", workflows)


@routes.get(_RUNS)
def list_runs(call: Call) -> Reply:
    repo, ci = _actions(call)
    wanted: dict[str, Callable[[WorkflowRun], object]] = {
        "head_sha": lambda run: run.head_sha,
        "branch": lambda run: run.head_branch,
        "event": lambda run: run.event,
        "status": lambda run: run.stage if run.stage != "completed" else "completed",
        "check_suite_id": lambda run: str(run.suite_id),
    }
    asked = {key: value for key, value in call.query.items() if key in wanted}
    runs = [
        run
        for run in sorted(ci.runs.values(), key=lambda r: r.id, reverse=True)
        if run.stage != "waiting" and all(str(wanted[k](run)) == v for k, v in asked.items())
    ]
    shaped = [workflow_run_json(call.fake.urls, repo, run) for run in runs]
    return counted(call, "workflow_runs", shaped)


@routes.get(_RUNS + "/{run_id}")
def get_run(call: Call) -> Reply:
    repo, ci = _actions(call)
    return Reply(200, workflow_run_json(call.fake.urls, repo, _run(call, ci)))


@routes.get(_RUNS + "/{run_id}/jobs")
def list_jobs(call: Call) -> Reply:
    repo, ci = _actions(call)
    run = _run(call, ci)
    jobs = run.jobs if call.query.get("filter") == "all" else run.latest_jobs()
    return counted(call, "jobs", [job_json(call.fake.urls, repo, run, job) for job in jobs])


@routes.get("/repos/{owner}/{repo}/actions/jobs/{job_id}")
def get_job(call: Call) -> Reply:
    repo, ci = _actions(call)
    run, job = _job(call, ci)
    return Reply(200, job_json(call.fake.urls, repo, run, job))


@routes.get("/repos/{owner}/{repo}/actions/jobs/{job_id}/logs")
def job_logs(call: Call) -> Reply:
    repo, ci = _actions(call)
    _, job = _job(call, ci)
    if repo.check_runs[job.id].status != "completed":
        raise not_found()  # no log file until the job is over
    signature = secrets.token_urlsafe(24)
    expires = call.fake.now() + LOG_LINK_LIFETIME
    ci.log_links[signature] = LogLink(job.id, expires)
    location = (
        f"https://{LOGS_HOST}/actions-results/{repo.id}/workflow-job-run-{job.id}/logs/job/"
        f"job-logs.txt?rsct=text%2Fplain&se={expires.strftime('%Y-%m-%dT%H%%3A%M%%3A%SZ')}"
        f"&sp=r&spr=https&sr=b&sv=2025-01-05&sig={signature}"
    )
    return Reply(302, None, {"location": location})


@routes.post(_RUNS + "/{run_id}/rerun-failed-jobs")
def rerun_failed_jobs(call: Call) -> Reply:
    repo, ci = _actions(call, "write")
    rerun_failed(call.fake, repo, _run(call, ci), call.actor)
    return Reply(201, {})


def serve_log(fake: FakeBase, request: RecordedRequest) -> httpx2.Response:
    """The log storage host: the job's log text for a live link, 403 otherwise."""
    if "authorization" in request.headers:
        fake.violation(f"an Authorization header was sent to {LOGS_HOST}, off GitHub")
    parts = request.path.split("/")  # /actions-results/{repo id}/workflow-job-run-{job}/…
    repo_id = parts[2] if len(parts) > 2 else ""
    repo = next((r for r in fake.state.repos.values() if str(r.id) == repo_id), None)
    ci = repo.ci if repo else None
    link = ci.log_links.get(request.query.get("sig", "")) if ci else None
    if ci is None or link is None or link.expires_at <= fake.now():
        denied = "<?xml version='1.0'?><Error><Code>AuthenticationFailed</Code></Error>"
        return httpx2.Response(403, headers={"content-type": "application/xml"}, text=denied)
    log = next(job.log for run in ci.runs.values() for job in run.jobs if job.id == link.job_id)
    return httpx2.Response(200, headers={"content-type": "text/plain; charset=utf-8"}, text=log)
