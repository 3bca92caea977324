"""The `jobs` table: one row per unit of slow work, with its lease and retry state."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum as SAEnum
from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.types import JSONType, UTCDateTime, utcnow

ERROR_LIMIT = 4000


class Retry(StrEnum):
    """How the queue treats a failed attempt."""

    COUNTED = "counted"  # uses an attempt: requeued with backoff, `dead` after `max_attempts`
    TRANSIENT = "transient"  # requeued with backoff until the time budget is spent
    NEVER = "never"  # `dead` at once: trying again would get the same answer


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    DEAD = "dead"
    CANCELLED = "cancelled"


# The values ("queued"), not the member names, in a plain VARCHAR: no PostgreSQL enum type.
_STATUS_TYPE = SAEnum(
    JobStatus,
    native_enum=False,
    length=16,
    values_callable=lambda members: [member.value for member in members],
)


class Job(SQLModel, table=True):
    __tablename__ = "jobs"
    # The claim walks one status in run_after order (storage/job_claim.py); the counts by
    # status (/health, /metrics) and the pruning of finished jobs use its first column.
    __table_args__ = (Index("ix_jobs_status_run_after", "status", "run_after"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=64, index=True)
    args: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)
    status: JobStatus = Field(default=JobStatus.QUEUED, sa_type=_STATUS_TYPE)
    attempts: int = 0  # claims so far, each one an attempt
    max_attempts: int = 5  # counted attempts (those not ended by a transient error) allowed
    # Attempts that ended on a transient error (GitHub's 5xx, a dropped connection, a rate
    # limit): they do not count against `max_attempts`; `transient_since` bounds them in time.
    transient_attempts: int = 0
    # When this job's current run of transient failures began (None: it is in none). The queue
    # retries such a job until the run has lasted the transient budget (JOB_TRANSIENT_BUDGET_
    # SECONDS), and the status comment and /health say it waits on GitHub meanwhile.
    transient_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    run_after: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    lease_owner: str | None = Field(default=None, max_length=255)
    lease_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=ERROR_LIMIT)
    # UNIQUE lets many NULLs through on both backends: only keyed jobs are deduplicated.
    dedupe_key: str | None = Field(default=None, max_length=255, unique=True)
    # No foreign key: the queue sits below the project tables and outlives deleted projects.
    project_id: int | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
