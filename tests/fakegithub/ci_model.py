"""The simulated CI's state: what a test configures and what GitHub keeps about checks.

A test configures a repository's CI with `CIConfig` (through `fake.enable_ci`), whose
`conclude(files, job, attempt)` answers a `CIResult` (or just a conclusion string) for each
job from the files at the head. GitHub's side is kept here too: check suites (every App's, not
only CI's), GitHub Actions workflow runs with their jobs and attempts, and the rulesets that
make checks required.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from tests.fakegithub.model import App, User

Mode = Literal["instant", "manual"]
Stage = Literal["waiting", "queued", "in_progress", "completed"]
CONCLUSIONS = frozenset(
    {
        "success",
        "failure",
        "timed_out",
        "cancelled",
        "startup_failure",
        "action_required",
        "neutral",
        "skipped",
    }
)
# A workflow run that ends before any job starts: it has no jobs (so no check runs) at all.
RUN_LEVEL = frozenset({"startup_failure", "action_required"})
# What `rerun-failed-jobs` runs again.
FAILED = frozenset({"failure", "timed_out", "cancelled", "startup_failure"})
PASSING = frozenset({"success", "neutral", "skipped"})


@dataclass(frozen=True)
class Annotation:
    """A check-run annotation (GitHub's `annotation_level`: notice, warning or failure)."""

    path: str
    line: int
    message: str
    level: str = "failure"
    title: str | None = None
    end_line: int | None = None


@dataclass(frozen=True)
class CIResult:
    """How one job ends. `log` is what its main step printed (ANSI colours welcome); the fake
    wraps it in a whole GitHub Actions log (BOM, timestamps, groups, `##[error]`), unless
    `raw_log` gives the log file's exact text. GitHub adds its own `.github` annotation for
    failed, timed-out and cancelled jobs after `annotations`."""

    conclusion: str = "success"
    title: str | None = None
    summary: str | None = None
    text: str | None = None
    annotations: tuple[Annotation, ...] = ()
    log: str = ""
    raw_log: str | None = None
    command: str = "pytest -q"

    def __post_init__(self) -> None:
        if self.conclusion not in CONCLUSIONS:
            raise ValueError(f"{self.conclusion!r} is not a check conclusion: {CONCLUSIONS}")


Conclude = Callable[[Mapping[str, str], str, int], "CIResult | str"]


def always_passes(files: Mapping[str, str], job: str, attempt: int) -> CIResult:
    return CIResult()


@dataclass
class CIConfig:
    """One repository's GitHub Actions workflow, as `fake.enable_ci` set it up."""

    conclude: Conclude
    jobs: tuple[str, ...]
    workflow_path: str
    workflow_name: str
    workflow_id: int
    mode: Mode
    late: bool  # manual mode: nothing shows until the first `ci_advance`
    on: frozenset[str]  # "pull_request", "push"
    created_at: datetime


@dataclass
class CheckSuite:
    id: int
    app: App
    head_sha: str
    head_branch: str | None
    before: str | None
    created_at: datetime
    updated_at: datetime
    status: str = "queued"  # Actions' suites follow their run; others' follow their runs
    conclusion: str | None = None


@dataclass
class Job:
    """One attempt of one job; its check run has the same id and holds status and output."""

    id: int
    run_id: int
    name: str
    attempt: int
    result: CIResult
    created_at: datetime
    log: str = ""


@dataclass
class WorkflowRun:
    id: int
    number: int
    config: CIConfig
    suite_id: int
    head_sha: str
    head_branch: str | None
    event: str  # "pull_request" or "push"
    actor: User
    pulls: tuple[int, ...]
    created_at: datetime
    updated_at: datetime
    run_started_at: datetime
    before: str | None = None  # the branch's previous head
    attempt_jobs: tuple[str, ...] = ()  # the jobs the current attempt runs
    triggering_actor: User | None = None  # who asked for the current attempt
    attempt: int = 1
    stage: Stage = "waiting"
    conclusion: str | None = None
    run_result: CIResult | None = None  # startup_failure or action_required: no jobs
    jobs: list[Job] = field(default_factory=list)  # every attempt's

    def latest_jobs(self) -> list[Job]:
        """Each job's latest attempt (what `filter=latest` lists), in the workflow's order."""
        latest: dict[str, Job] = {}
        for job in self.jobs:
            if job.name not in latest or job.attempt > latest[job.name].attempt:
                latest[job.name] = job
        return list(latest.values())


@dataclass(frozen=True)
class Ruleset:
    """A ruleset's `required_status_checks` rule on the branches matching `pattern`."""

    id: int
    name: str
    pattern: str  # fnmatch on the branch name; "~DEFAULT_BRANCH" for the default branch
    checks: tuple[tuple[str, int | None], ...]  # (context, integration_id)


@dataclass
class LogLink:
    job_id: int
    expires_at: datetime


@dataclass
class RepoCI:
    """A repository whose pushes GitHub reacts to: check suites for every App with the checks
    permission, GitHub Actions when `config` is set."""

    config: CIConfig | None = None
    runs: dict[int, WorkflowRun] = field(default_factory=dict)
    log_links: dict[str, LogLink] = field(default_factory=dict)  # signature -> link
    run_numbers: int = 0
