"""Retention: what is old enough to delete, counted (`prunable`) or deleted (`prune`).

Three kinds of rows grow with use: webhook deliveries (their payloads are most of the database),
finished jobs, and the cost ledger. Each has an age past which it goes (`None`: kept for good);
expired sign-in sessions go as soon as they expire. What a project still in progress relies on
stays whatever its age: its finished jobs' dedupe keys keep a step from being queued twice, and
its budget is counted from its ledger rows.

Deletes go in batches of their own transactions, so that a first prune of a large database
never holds SQLite's one write lock (or PostgreSQL's row locks) for long.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, func, or_
from sqlmodel import SQLModel, col, select

from storage.db import SessionMaker, transaction
from storage.deliveries import Delivery
from storage.job_table import Job, JobStatus
from storage.ledger import LLMCall
from storage.plugin_deliveries import PluginDelivery
from storage.projects import Project, ProjectStatus
from storage.types import utcnow
from storage.web_sessions import WebSession

BATCH = 1000
FINISHED = (JobStatus.DONE, JobStatus.DEAD, JobStatus.CANCELLED)
IN_PROGRESS = (
    ProjectStatus.PLANNING,
    ProjectStatus.AWAITING_APPROVAL,
    ProjectStatus.RUNNING,
    ProjectStatus.PAUSED,
)


@dataclass(frozen=True)
class Retention:
    """How long each kind of row is kept; None keeps it for good."""

    deliveries: timedelta | None
    jobs: timedelta | None
    ledger: timedelta | None
    # Sign-in sessions go once they expire: a cookie cannot bring one back (not a setting).
    sessions: timedelta | None = timedelta(0)


@dataclass(frozen=True)
class Rule:
    kind: str  # the field of `Retention` that says how long these rows are kept
    name: str  # what an operator reads: "deliveries", "finished jobs", "ledger rows"
    model: type[SQLModel]
    key: Any  # the primary key column, for deleting in batches
    old: Callable[[datetime], ColumnElement[bool]]  # the rows past the cutoff

    def kept_for(self, retention: Retention) -> timedelta | None:
        age: timedelta | None = getattr(retention, self.kind)
        return age


@dataclass(frozen=True)
class Pruned:
    kind: str
    name: str
    kept_for: timedelta | None  # None: this kind is kept, nothing counted
    rows: int


def _of_project_in_progress(project_id: Any) -> ColumnElement[bool]:
    in_progress = select(Project.id).where(col(Project.status).in_(IN_PROGRESS))
    return col(project_id).in_(in_progress)


def _old_deliveries(cutoff: datetime) -> ColumnElement[bool]:
    return col(Delivery.received_at) < cutoff


def _old_jobs(cutoff: datetime) -> ColumnElement[bool]:
    ended = func.coalesce(col(Job.finished_at), col(Job.updated_at)) < cutoff
    free = or_(col(Job.project_id).is_(None), ~_of_project_in_progress(Job.project_id))
    return col(Job.status).in_(FINISHED) & ended & free


def _old_calls(cutoff: datetime) -> ColumnElement[bool]:
    free = or_(col(LLMCall.project_id).is_(None), ~_of_project_in_progress(LLMCall.project_id))
    return (col(LLMCall.created_at) < cutoff) & free


def _old_plugin_deliveries(cutoff: datetime) -> ColumnElement[bool]:
    # What a plugin was given of an event keeps its event job from notifying twice; it goes
    # with the finished jobs (the same retention), and stays while its project is in progress.
    free = or_(
        col(PluginDelivery.project_id).is_(None),
        ~_of_project_in_progress(PluginDelivery.project_id),
    )
    return (col(PluginDelivery.created_at) < cutoff) & free


def _expired_sessions(cutoff: datetime) -> ColumnElement[bool]:
    return col(WebSession.expires_at) <= cutoff


RULES = (
    Rule("deliveries", "deliveries", Delivery, Delivery.id, _old_deliveries),
    Rule("jobs", "finished jobs", Job, Job.id, _old_jobs),
    Rule("ledger", "ledger rows", LLMCall, LLMCall.id, _old_calls),
    Rule("jobs", "plugin deliveries", PluginDelivery, PluginDelivery.id, _old_plugin_deliveries),
    Rule("sessions", "expired sign-in sessions", WebSession, WebSession.key, _expired_sessions),
)


async def prunable(
    sessions: SessionMaker, retention: Retention, *, now: datetime | None = None
) -> list[Pruned]:
    """How many rows of each kind `prune` would delete now (a dry run)."""
    moment = now or utcnow()
    counted = []
    async with sessions() as session:
        for rule in RULES:
            age = rule.kept_for(retention)
            rows = 0
            if age is not None:
                old = rule.old(moment - age)
                statement = select(func.count()).select_from(rule.model).where(old)
                rows = int((await session.exec(statement)).one())
            counted.append(Pruned(rule.kind, rule.name, age, rows))
    return counted


async def prune(
    sessions: SessionMaker, retention: Retention, *, now: datetime | None = None
) -> list[Pruned]:
    """Deletes the rows past their retention; how many of each kind went."""
    moment = now or utcnow()
    done = []
    for rule in RULES:
        age = rule.kept_for(retention)
        rows = 0 if age is None else await _delete_all(sessions, rule, moment - age)
        done.append(Pruned(rule.kind, rule.name, age, rows))
    return done


async def _delete_all(sessions: SessionMaker, rule: Rule, cutoff: datetime) -> int:
    deleted = 0
    while True:
        batch = select(rule.key).where(rule.old(cutoff)).limit(BATCH).scalar_subquery()
        async with transaction(sessions) as session:
            result = await session.exec(delete(rule.model).where(col(rule.key).in_(batch)))
        deleted += result.rowcount
        if result.rowcount < BATCH:
            return deleted
