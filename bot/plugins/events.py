"""What the workflow tells plugins: one frozen payload per hook.

A payload carries ids, names, URLs and figures, never a secret or a token: it is stored in the
job that delivers it and handed to code the app does not own. Text a model wrote stays out too;
the error of a failure is the app's own reason, as the status comment shows it.

`key` names the occurrence (`phase_merged:7:2`): the same event queued twice, or delivered again
by a job that ran after a crash, has the same key, so a receiver can drop a repeat.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict


class Payload(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ProjectRef(Payload):
    id: int
    repository: str  # owner/name
    issue_number: int
    issue_title: str
    issue_url: str
    spent_usd: float
    budget_usd: float


class PhaseRef(Payload):
    number: int
    name: str
    pr_number: int | None = None
    pr_url: str | None = None


class Event(Payload):
    hook: ClassVar[str]
    key: str
    project: ProjectRef
    occurred_at: datetime


class ProjectStarted(Event):
    hook: ClassVar[str] = "project_started"
    started_by: str


class PlanReady(Event):
    hook: ClassVar[str] = "plan_ready"
    phases: int
    plan_url: str
    approval_required: bool


class PlanApproved(Event):
    hook: ClassVar[str] = "plan_approved"
    approved_by: str  # a login, or "auto" (plan approval `auto`)


class PhaseEvent(Event):
    phase: PhaseRef


class PhaseOpened(PhaseEvent):
    hook: ClassVar[str] = "phase_opened"
    head_sha: str


class PhaseReviewed(PhaseEvent):
    hook: ClassVar[str] = "phase_reviewed"
    head_sha: str
    verdict: str  # PASS, PASS_WITH_MINOR_ISSUES or FAIL, review checks included
    passed: bool
    compliance_score: float
    findings: int  # of the plugins' review checks
    errors: int  # of those, error-level ones


class PhaseMerged(PhaseEvent):
    hook: ClassVar[str] = "phase_merged"
    merged_sha: str | None
    merged_by: str | None  # None: found merged, by someone the app cannot name


class PhaseFailed(PhaseEvent):
    hook: ClassVar[str] = "phase_failed"
    error: str


class CIFailed(PhaseEvent):
    hook: ClassVar[str] = "ci_failed"
    head_sha: str
    checks: tuple[str, ...]
    fixing: bool  # False: no fix left, the manager decides


class BudgetPaused(Event):
    hook: ClassVar[str] = "budget_paused"
    reason: str
    resumable: bool  # True: `/approve` goes on; False: the budget or a cap must be raised


class ProjectDone(Event):
    hook: ClassVar[str] = "project_done"
    final_pr_number: int | None
    final_pr_url: str | None
    phases_merged: int
    phases_skipped: int


class ProjectFailed(Event):
    hook: ClassVar[str] = "project_failed"
    error: str


class ProjectAborted(Event):
    hook: ClassVar[str] = "project_aborted"
    aborted_by: str


EVENTS: Mapping[str, type[Event]] = MappingProxyType(
    {
        kind.hook: kind
        for kind in (
            ProjectStarted,
            PlanReady,
            PlanApproved,
            PhaseOpened,
            PhaseReviewed,
            PhaseMerged,
            PhaseFailed,
            CIFailed,
            BudgetPaused,
            ProjectDone,
            ProjectFailed,
            ProjectAborted,
        )
    }
)


def event_from(hook: str, data: Mapping[str, Any]) -> Event:
    """The payload of `hook` back from its JSON (a job's arguments)."""
    return EVENTS[hook].model_validate(dict(data))
