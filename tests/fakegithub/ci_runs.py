"""GitHub Actions, simulated: workflow runs and their jobs, stage by stage, and re-runs.

A run goes `waiting` (only with `late`: GitHub has not shown it yet) → `queued` (its check
suite, the run and one queued check run per job exist) → `in_progress` → `completed`, each
step sending the webhooks GitHub sends. "instant" CI takes every step during the push;
"manual" CI waits in `queued` for `fake.ci_advance` (one step) or `fake.ci_finish`. Each job's
`CIResult` comes from the test's `conclude(files at the head, job, attempt)` when its attempt
is queued; a `startup_failure` or `action_required` ends the whole run without jobs.
"""

from __future__ import annotations

from tests.fakegithub.base import FakeBase
from tests.fakegithub.ci_apps import actions_app, deliver
from tests.fakegithub.ci_logs import github_annotation, job_log
from tests.fakegithub.ci_model import FAILED, RUN_LEVEL, CIResult, Job, RepoCI, WorkflowRun
from tests.fakegithub.model import CheckRun, Repo, User
from tests.fakegithub.router import ApiError
from tests.fakegithub.suites import new_suite, worst
from tests.fakegithub.webhooks import check_run_event, check_suite_event
from tests.fakegithub.webhooks_ci import workflow_job_event, workflow_run_event

NOT_COMPLETED = "This workflow run is not completed, so it cannot be re-run."
NOTHING_FAILED = "This workflow run has no failed jobs to re-run."


def _ci(repo: Repo) -> RepoCI:
    assert repo.ci is not None and repo.ci.config is not None, "CI is not enabled here"
    return repo.ci


def start_run(
    fake: FakeBase,
    repo: Repo,
    sha: str,
    branch: str,
    event: str,
    pulls: tuple[int, ...],
    actor: User,
    before: str | None,
) -> WorkflowRun | None:
    """A workflow run for the push or pull request, if the head has the workflow file."""
    ci = _ci(repo)
    config = ci.config
    assert config is not None
    if repo.git.file_at(sha, config.workflow_path) is None:
        return None
    now = fake.now()
    ci.run_numbers += 1
    run = WorkflowRun(
        id=fake.state.next_id(),
        number=ci.run_numbers,
        config=config,
        suite_id=0,  # made when the run shows
        head_sha=sha,
        head_branch=branch,
        event=event,
        actor=actor,
        pulls=pulls,
        created_at=now,
        updated_at=now,
        run_started_at=now,
        before=before,
        attempt_jobs=config.jobs,
    )
    ci.runs[run.id] = run
    _begin(fake, repo, run)
    return run


def _begin(fake: FakeBase, repo: Repo, run: WorkflowRun) -> None:
    if run.config.mode == "instant":
        finish(fake, repo, run)
    elif not run.config.late or run.attempt > 1:
        advance(fake, repo, run)


def advance(fake: FakeBase, repo: Repo, run: WorkflowRun) -> None:
    """One step of the run (nothing once completed)."""
    run.updated_at = fake.now()
    if run.stage == "waiting":
        _queue(fake, repo, run)
    elif run.stage == "queued" and run.run_result is not None:
        _complete(fake, repo, run)  # ends before any job starts
    elif run.stage == "queued":
        _start(fake, repo, run)
    elif run.stage == "in_progress":
        _complete(fake, repo, run)


def finish(fake: FakeBase, repo: Repo, run: WorkflowRun) -> None:
    while run.stage != "completed":
        advance(fake, repo, run)


def _results(fake: FakeBase, repo: Repo, run: WorkflowRun) -> dict[str, CIResult]:
    files = fake_files(repo, run.head_sha)
    results = {}
    for name in run.attempt_jobs:
        answer = run.config.conclude(files, name, run.attempt)
        results[name] = CIResult(conclusion=answer) if isinstance(answer, str) else answer
    return results


def fake_files(repo: Repo, sha: str) -> dict[str, str]:
    flat = repo.git.flatten(repo.git.commits[sha].tree)
    return {
        path: repo.git.blobs[entry.sha].decode("utf-8", errors="replace")
        for path, entry in sorted(flat.items())
    }


def _queue(fake: FakeBase, repo: Repo, run: WorkflowRun) -> None:
    actions = actions_app(fake)
    if run.suite_id == 0:
        branch, sha = run.head_branch, run.head_sha
        run.suite_id = new_suite(fake, repo, actions, sha, branch=branch, before=run.before).id
    suite = repo.suites[run.suite_id]
    suite.status, suite.conclusion, suite.updated_at = "queued", None, fake.now()
    run.stage, run.conclusion, run.run_result = "queued", None, None
    results = _results(fake, repo, run)
    run_level = [r for r in results.values() if r.conclusion in RUN_LEVEL]
    if run_level:
        run.run_result = run_level[0]
    deliver(fake, repo, workflow_run_event(fake, repo, run, "requested", run.actor))
    if run.run_result is not None:
        return
    for name, result in results.items():
        job = Job(fake.state.next_id(), run.id, name, run.attempt, result, fake.now())
        run.jobs.append(job)
        details = f"{fake.urls.web}/{repo.full_name}/actions/runs/{run.id}/job/{job.id}"
        repo.check_runs[job.id] = CheckRun(
            id=job.id,
            app=actions,
            name=name,
            head_sha=run.head_sha,
            suite_id=run.suite_id,
            status="queued",
            conclusion=None,
            started_at=job.created_at,  # GitHub fills it in at once; the job's own waits
            completed_at=None,
            details_url=details,
            html_url=details,
        )
        check = repo.check_runs[job.id]
        deliver(fake, repo, check_run_event(fake, repo, check, "created", actions.bot))
        deliver(fake, repo, workflow_job_event(fake, repo, run, job, "queued", run.actor))


def _attempt_jobs(run: WorkflowRun) -> list[Job]:
    return [job for job in run.jobs if job.attempt == run.attempt]


def _start(fake: FakeBase, repo: Repo, run: WorkflowRun) -> None:
    now = fake.now()
    run.stage = "in_progress"
    if run.attempt == 1:
        run.run_started_at = now
    repo.suites[run.suite_id].status = "in_progress"
    deliver(fake, repo, workflow_run_event(fake, repo, run, "in_progress", run.actor))
    for job in _attempt_jobs(run):
        check = repo.check_runs[job.id]
        check.status, check.started_at = "in_progress", now
        deliver(fake, repo, workflow_job_event(fake, repo, run, job, "in_progress", run.actor))


def _complete(fake: FakeBase, repo: Repo, run: WorkflowRun) -> None:
    now = fake.now()
    actions = actions_app(fake)
    for job in _attempt_jobs(run):
        check = repo.check_runs[job.id]
        result = job.result
        check.status, check.conclusion, check.completed_at = "completed", result.conclusion, now
        check.output = {"title": result.title, "summary": result.summary, "text": result.text}
        annotations = list(result.annotations)
        own = github_annotation(result.conclusion)
        annotations += [own] if own is not None else []
        check.annotations = [
            {
                "path": a.path,
                "start_line": a.line,
                "end_line": a.end_line or a.line,
                "annotation_level": a.level,
                "message": a.message,
                "title": a.title,
            }
            for a in annotations
        ]
        job.log = job_log(job.name, result, check.started_at or now)
        deliver(fake, repo, workflow_job_event(fake, repo, run, job, "completed", run.actor))
        deliver(fake, repo, check_run_event(fake, repo, check, "completed", actions.bot))
    if run.run_result is not None:
        run.conclusion = run.run_result.conclusion
    else:
        run.conclusion = worst({repo.check_runs[j.id].conclusion for j in run.latest_jobs()})
    run.stage = "completed"
    suite = repo.suites[run.suite_id]
    suite.status, suite.conclusion, suite.updated_at = "completed", run.conclusion, now
    deliver(fake, repo, check_suite_event(fake, repo, suite, "completed", actions.bot))
    deliver(fake, repo, workflow_run_event(fake, repo, run, "completed", run.actor))


def rerun_failed(fake: FakeBase, repo: Repo, run: WorkflowRun, actor: User) -> None:
    """A new attempt of the failed, timed-out and cancelled jobs (new job and check run ids);
    the others keep their results. A run that failed to start runs again whole."""
    if run.stage != "completed":
        raise ApiError(403, NOT_COMPLETED)
    if run.run_result is not None:
        again = run.config.jobs if run.run_result.conclusion in FAILED else ()
    else:
        again = tuple(
            job.name for job in run.latest_jobs() if repo.check_runs[job.id].conclusion in FAILED
        )
    if not again:
        raise ApiError(403, NOTHING_FAILED)
    run.attempt += 1
    run.attempt_jobs = again
    run.triggering_actor = actor
    run.stage = "waiting"
    _begin(fake, repo, run)
