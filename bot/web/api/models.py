"""The API's own bodies and answers (the read models come from `storage.reports`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from storage.phase_docs import PhaseDocPublic
from storage.reports import CacheStats, UsageSeries

REPOSITORY_PATTERN = r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$"
MAX_ID = 2**31 - 1  # project ids are INTEGER columns (PostgreSQL refuses a larger value)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FieldError(BaseModel):
    field: str
    message: str


class Error(BaseModel):
    """Every error answer, whatever the status."""

    status: int
    code: str  # unauthorized, forbidden, not_found, invalid, conflict, unavailable...
    message: str
    errors: list[FieldError] = Field(default_factory=list)  # the fields at fault (422)


class StartProject(Body):
    repository: str = Field(pattern=REPOSITORY_PATTERN, description="owner/name")
    issue_number: int = Field(ge=1, le=2**31 - 1)


class Started(BaseModel):
    repository: str
    issue_number: int
    label: str  # the trigger label put on the issue, in the caller's name


class Retry(Body):
    phase: int | None = Field(default=None, ge=1, le=10_000, description="the phase to retry")


class NoArguments(Body):
    pass


class Invalidate(Body):
    project_id: int = Field(ge=1, le=MAX_ID)
    key: str = Field(min_length=1, max_length=200, pattern=r"^[^\r\n]+$")


class Export(Body):
    format: Literal["md", "json"] = "md"


class Queued(BaseModel):
    """An action queued in the project's line of jobs; its result goes to the audit log."""

    job_id: int
    project_id: int
    action: str
    argument: str
    status: Literal["queued"] = "queued"


class Plan(BaseModel):
    project_id: int
    plan: dict[str, Any]
    plan_sha: str | None
    approved: bool


class Documentation(BaseModel):
    project_id: int
    plan: dict[str, Any]
    plan_sha: str | None
    phases: list[PhaseDocPublic]


class CacheAnalytics(BaseModel):
    """Cache figures of all visible projects, or of one with its usage over time."""

    project_id: int | None
    stats: CacheStats
    usage: UsageSeries | None = None  # one project's tokens and cache hits over time
