"""What a failed check shows: its annotations, and for GitHub Actions the job's log and a
re-run of the failed jobs.

Logs and re-runs need the `actions` permission (read, write); an installation without it
answers 403, which surfaces as `NoActionsAccess` so the caller can work from the check run's
own output and say so once.
"""

from __future__ import annotations

import re
from typing import Any

from gidgethub import BadRequest, RedirectionException

from bot.github.client import GitHubClient
from bot.github.repo import REPO_URL, Repo

ANNOTATIONS_URL = REPO_URL + "/check-runs/{check_run_id}/annotations{?per_page}"
JOB_URL = REPO_URL + "/actions/jobs/{job_id}"
JOB_LOGS_URL = REPO_URL + "/actions/jobs/{job_id}/logs"
RERUN_FAILED_URL = REPO_URL + "/actions/runs/{run_id}/rerun-failed-jobs"
WORKFLOWS_URL = REPO_URL + "/actions/workflows{?per_page}"
SUITE_RUNS_URL = REPO_URL + "/actions/runs{?check_suite_id,per_page}"
# An Actions job's check run links `…/actions/runs/<run id>/job/<job id>`.
_RUN_IN_URL = re.compile(r"/actions/runs/(?P<run>[0-9]+)/job/(?P<job>[0-9]+)")


class NoActionsAccess(Exception):
    """The installation may not read logs or re-run jobs (no `actions` permission)."""


def _forbidden(exc: BadRequest) -> bool:
    return int(exc.status_code) in (403, 404)


async def run_annotations(
    gh: GitHubClient, repo: Repo, check_run_id: int, *, limit: int
) -> list[dict[str, Any]]:
    """Up to `limit` of the run's annotations (path, line, message), in GitHub's order."""
    found: list[dict[str, Any]] = []
    url = repo.url_vars(check_run_id=check_run_id, per_page=min(limit, 100))
    async for item in gh.getiter(ANNOTATIONS_URL, url):
        found.append(dict(item))
        if len(found) >= limit:
            break
    return found


async def workflow_run_id(gh: GitHubClient, repo: Repo, job_id: int, details: str | None) -> int:
    """The workflow run an Actions job belongs to (its check run's id is the job's id)."""
    match = _RUN_IN_URL.search(details or "")
    if match is not None and int(match["job"]) == job_id:
        return int(match["run"])
    job = await gh.getitem(JOB_URL, repo.url_vars(job_id=job_id))
    return int(job["run_id"])


async def run_of_suite(gh: GitHubClient, repo: Repo, suite_id: int) -> tuple[int, str] | None:
    """The workflow run (id, web address) of an Actions check suite that has no job to ask."""
    found = await gh.getitem(SUITE_RUNS_URL, repo.url_vars(check_suite_id=suite_id, per_page=1))
    runs = found.get("workflow_runs") or []
    return (int(runs[0]["id"]), str(runs[0]["html_url"])) if runs else None


async def job_log(gh: GitHubClient, repo: Repo, job_id: int) -> str:
    """The job's whole log. GitHub answers with a redirect to a short-lived download URL,
    which is fetched without the token (it must not travel to another host)."""
    try:
        body = await gh.getitem(JOB_LOGS_URL, repo.url_vars(job_id=job_id))
    except RedirectionException as exc:
        location = (exc.headers or {}).get("location")
        if not location:
            raise
        return await gh.download(location)
    except BadRequest as exc:
        if _forbidden(exc):
            raise NoActionsAccess(str(exc)) from exc
        raise
    return body if isinstance(body, str) else str(body)


async def rerun_failed_jobs(gh: GitHubClient, repo: Repo, run_id: int) -> None:
    try:
        await gh.post(RERUN_FAILED_URL, repo.url_vars(run_id=run_id), data={})
    except BadRequest as exc:
        if _forbidden(exc):
            raise NoActionsAccess(str(exc)) from exc
        raise


async def workflow_paths(gh: GitHubClient, repo: Repo) -> list[str]:
    """The paths of the repository's active workflows (one GET; [] without `actions`)."""
    try:
        found = await gh.getitem(WORKFLOWS_URL, repo.url_vars(per_page=100))
    except BadRequest as exc:
        if _forbidden(exc):
            return []
        raise
    return [str(w["path"]) for w in found.get("workflows", []) if w.get("state") == "active"]
