"""Check runs (create, update, read, list for a ref, annotations) and commit statuses."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.fakegithub.base import FakeBase
from tests.fakegithub.model import App, CheckRun, Event, Repo, Status, User
from tests.fakegithub.router import ApiError, Call, Reply, Routes, counted, not_found, paginate
from tests.fakegithub.routes_git import commit_of, resolve
from tests.fakegithub.shapes import repo_json
from tests.fakegithub.shapes_git import check_run_json, status_json
from tests.fakegithub.suites import suite_for
from tests.fakegithub.webhooks import check_run_event, check_suite_completed

routes = Routes()
MAX_ANNOTATIONS = 50  # per request; PATCH again to add more
MAX_TEXT = 65_535
_STATE_ORDER = ("error", "failure", "pending", "success")


def _when(value: Any, default: datetime | None) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else default


def _check_output(output: dict[str, Any] | None) -> None:
    output = output or {}
    if len(output.get("annotations") or []) > MAX_ANNOTATIONS:
        raise ApiError(422, "Only 50 annotations may be sent per request", ["annotations"])
    for name in ("summary", "text"):
        if len(output.get(name) or "") > MAX_TEXT:
            raise ApiError(422, f"output.{name} is longer than {MAX_TEXT} characters")


def apply_run_fields(fake: FakeBase, run: CheckRun, fields: dict[str, Any]) -> None:
    """Updates a run from create/update fields, with GitHub's coupling of status and conclusion."""
    _check_output(fields.get("output"))
    for name in ("name", "details_url", "external_id"):
        if name in fields:
            setattr(run, name, fields[name])
    if "status" in fields:
        run.status = fields["status"]
    if fields.get("conclusion") is not None:
        run.conclusion = fields["conclusion"]
        run.status = "completed"  # giving a conclusion completes the run
    if run.status == "completed" and run.conclusion is None:
        raise ApiError(422, "Invalid request.\n\nNo conclusion given for a completed check run.")
    run.started_at = _when(fields.get("started_at"), run.started_at)
    if run.status == "completed":
        run.completed_at = _when(fields.get("completed_at"), run.completed_at or fake.now())
    output = fields.get("output") or {}
    run.output.update({k: output[k] for k in ("title", "summary", "text") if k in output})
    run.annotations.extend(output.get("annotations") or [])


def create_run(
    fake: FakeBase, repo: Repo, app: App, fields: dict[str, Any], sender: User
) -> tuple[CheckRun, list[Event]]:
    head_sha = str(fields.get("head_sha"))
    if head_sha not in repo.git.commits:
        raise ApiError(422, f"No commit found for SHA: {head_sha}")
    suite = suite_for(fake, repo, app, head_sha).id
    run = CheckRun(
        id=fake.state.next_id(),
        app=app,
        name=str(fields.get("name")),
        head_sha=head_sha,
        suite_id=suite,
        status="queued",
        conclusion=None,
        started_at=fake.now(),
        completed_at=None,
    )
    apply_run_fields(fake, run, fields)
    repo.check_runs[run.id] = run
    return run, _with_suite(
        fake, repo, run, [check_run_event(fake, repo, run, "created", sender)], sender
    )


def update_run(
    fake: FakeBase, repo: Repo, run: CheckRun, fields: dict[str, Any], sender: User
) -> list[Event]:
    was_completed = run.status == "completed"
    apply_run_fields(fake, run, fields)
    if run.status == "completed" and not was_completed:
        return _with_suite(
            fake, repo, run, [check_run_event(fake, repo, run, "completed", sender)], sender
        )
    return []


def _with_suite(
    fake: FakeBase, repo: Repo, run: CheckRun, events: list[Event], sender: User
) -> list[Event]:
    """GitHub follows the last run of a suite to complete with `check_suite.completed`."""
    suite = check_suite_completed(fake, repo, run, sender) if run.status == "completed" else None
    return events + ([suite] if suite else [])


def _own_run(call: Call, repo: Repo) -> CheckRun:
    run = repo.check_runs.get(call.number("check_run_id"))
    if run is None:
        raise not_found()
    if run.app.id != call.acting_app.id:
        message = (
            f"Invalid app_id `{call.acting_app.id}` - check run can only be modified by its creator"
        )
        raise ApiError(403, message)
    return run


@routes.post("/repos/{owner}/{repo}/check-runs")
def create_check_run(call: Call) -> Reply:
    repo = call.repo()
    run, events = create_run(call.fake, repo, call.acting_app, dict(call.body), call.actor)
    for event in events:
        call.fake.emit(event)
    return Reply(201, check_run_json(call.fake.urls, repo, run))


@routes.patch("/repos/{owner}/{repo}/check-runs/{check_run_id}")
def update_check_run(call: Call) -> Reply:
    repo = call.repo()
    run = _own_run(call, repo)
    for event in update_run(call.fake, repo, run, dict(call.body), call.actor):
        call.fake.emit(event)
    return Reply(200, check_run_json(call.fake.urls, repo, run))


@routes.get("/repos/{owner}/{repo}/check-runs/{check_run_id}")
def get_check_run(call: Call) -> Reply:
    repo = call.repo()
    run = repo.check_runs.get(call.number("check_run_id"))
    if run is None:
        raise not_found()
    return Reply(200, check_run_json(call.fake.urls, repo, run))


@routes.get("/repos/{owner}/{repo}/check-runs/{check_run_id}/annotations")
def list_annotations(call: Call) -> Reply:
    repo = call.repo()
    run = repo.check_runs.get(call.number("check_run_id"))
    if run is None:
        raise not_found()
    shaped = [
        {
            "path": a["path"],
            "start_line": a["start_line"],
            "end_line": a["end_line"],
            "start_column": a.get("start_column"),
            "end_column": a.get("end_column"),
            "annotation_level": a["annotation_level"],
            "title": a.get("title"),
            "message": a["message"],
            "raw_details": a.get("raw_details"),
            "blob_href": f"{call.fake.urls.web}/{repo.full_name}/blob/{run.head_sha}/{a['path']}",
        }
        for a in run.annotations
    ]
    return paginate(call, shaped)


@routes.get("/repos/{owner}/{repo}/commits/{ref}/check-runs")
def runs_for_ref(call: Call) -> Reply:
    repo = call.repo()
    sha = commit_of(call, repo)
    name, status = call.query.get("check_name"), call.query.get("status")
    app_id = call.query.get("app_id")
    runs = [
        run
        for run in sorted(repo.check_runs.values(), key=lambda r: r.id, reverse=True)
        if run.head_sha == sha
        and name in (None, run.name)
        and status in (None, run.status)
        and app_id in (None, str(run.app.id))
    ]
    if call.query.get("filter", "latest") == "latest":
        latest: dict[tuple[int, str], CheckRun] = {}
        for run in runs:
            latest.setdefault((run.app.id, run.name), run)
        runs = list(latest.values())
    return counted(call, "check_runs", [check_run_json(call.fake.urls, repo, r) for r in runs])


# ---- commit statuses ------------------------------------------------------------------------


def set_status(
    fake: FakeBase, repo: Repo, sha: str, fields: dict[str, Any], creator: User
) -> Status:
    if sha not in repo.git.commits:
        raise ApiError(422, f"No commit found for SHA: {sha}")
    status = Status(
        id=fake.state.next_id(),
        sha=sha,
        state=str(fields["state"]),
        context=str(fields.get("context") or "default"),
        creator=creator,
        created_at=fake.now(),
        description=fields.get("description"),
        target_url=fields.get("target_url"),
    )
    repo.statuses.append(status)
    return status


@routes.post("/repos/{owner}/{repo}/statuses/{sha}")
def create_status(call: Call) -> Reply:
    repo = call.repo()
    status = set_status(call.fake, repo, call.params["sha"], dict(call.body), call.actor)
    return Reply(201, status_json(call.fake.urls, repo, status))


def _statuses(call: Call, repo: Repo) -> list[Status]:
    sha = resolve(repo, call.params["ref"])
    if sha is None:
        raise not_found()
    return [s for s in reversed(repo.statuses) if s.sha == sha]


@routes.get("/repos/{owner}/{repo}/commits/{ref}/statuses")
def list_statuses(call: Call) -> Reply:
    repo = call.repo()
    return paginate(call, [status_json(call.fake.urls, repo, s) for s in _statuses(call, repo)])


@routes.get("/repos/{owner}/{repo}/commits/{ref}/status")
def combined_status(call: Call) -> Reply:
    repo = call.repo()
    latest: dict[str, Status] = {}
    for status in _statuses(call, repo):
        latest.setdefault(status.context, status)
    states = {s.state for s in latest.values()}
    combined = next((s for s in _STATE_ORDER if s in states), "pending")
    if combined == "error":
        combined = "failure"
    sha = resolve(repo, call.params["ref"])
    api = f"{call.fake.urls.api}/repos/{repo.full_name}"
    minimal = repo_json(call.fake.urls, repo)
    return Reply(
        200,
        {
            "state": combined,
            "sha": sha,
            "total_count": len(latest),
            "statuses": [status_json(call.fake.urls, repo, s) for s in latest.values()],
            "repository": minimal,
            "commit_url": f"{api}/commits/{sha}",
            "url": f"{api}/commits/{sha}/status",
        },
    )
