"""The response cache: validated model answers per project, stage key and step.

An entry is valid for the same inputs (its `input_hash`) until it expires. Entries name the
stage keys they depend on (`storage.cache_keys`), and invalidating a key removes everything
that depends on it, transitively, and nothing else. The caller owns the transaction. Hit
rates and savings are in `storage.costs`.

`value` is stored as given: the caller must not put secrets in it (answers are model output,
and prompts never carry secrets, so neither should their answers).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, UniqueConstraint
from sqlmodel import Field, SQLModel, col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.cache_keys import parse_key
from storage.query import of_project
from storage.types import JSONType, UTCDateTime, utcnow


class CacheEntry(SQLModel, table=True):
    __tablename__ = "cache_entries"
    __table_args__ = (UniqueConstraint("project_id", "key", "step"),)

    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(index=True)
    key: str  # stage key, e.g. "phase-3-generated_code"
    step: str  # agent step under the key, e.g. "developer.phase_files"
    input_hash: str  # sha256 hex of the canonical inputs
    depends_on: list[str] = Field(default_factory=list, sa_type=JSONType)
    value: dict[str, Any] = Field(default_factory=dict, sa_type=JSONType)  # never secrets
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    hit_count: int = 0
    input_tokens: int = Field(default=0, sa_type=BigInteger)  # of the original call
    output_tokens: int = Field(default=0, sa_type=BigInteger)
    cost_nanousd: int = Field(default=0, sa_type=BigInteger)
    tokens_saved: int = Field(default=0, sa_type=BigInteger)  # accumulated over hits
    nanousd_saved: int = Field(default=0, sa_type=BigInteger)
    size_bytes: int = 0


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hash_inputs(inputs: Any) -> str:
    """sha256 hex of the canonical JSON of `inputs` (a convenience for callers)."""
    return hashlib.sha256(canonical_json(inputs).encode()).hexdigest()


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("`now` must be timezone-aware (UTC)")
    return now


async def _entry(session: AsyncSession, project_id: int, key: str, step: str) -> CacheEntry | None:
    statement = select(CacheEntry).where(
        CacheEntry.project_id == project_id, CacheEntry.key == key, CacheEntry.step == step
    )
    return (await session.exec(statement)).one_or_none()


async def lookup(
    session: AsyncSession, *, project_id: int, key: str, step: str, input_hash: str, now: datetime
) -> CacheEntry | None:
    """The entry for the same inputs that has not expired, counting the hit; None on a miss."""
    entry = await _entry(session, project_id, key, step)
    if entry is None or entry.input_hash != input_hash or entry.expires_at <= _aware(now):
        return None
    # Increment in SQL so concurrent hits are all counted.
    await session.exec(
        update(CacheEntry)
        .where(col(CacheEntry.id) == entry.id)
        .values(
            hit_count=col(CacheEntry.hit_count) + 1,
            tokens_saved=col(CacheEntry.tokens_saved) + entry.input_tokens + entry.output_tokens,
            nanousd_saved=col(CacheEntry.nanousd_saved) + entry.cost_nanousd,
        )
    )
    await session.refresh(entry)
    return entry


async def store(
    session: AsyncSession,
    *,
    project_id: int,
    key: str,
    step: str,
    input_hash: str,
    value: dict[str, Any],
    depends_on: Sequence[str],
    ttl: timedelta,
    input_tokens: int,
    output_tokens: int,
    cost_nanousd: int,
    now: datetime,
) -> CacheEntry:
    """Inserts or replaces the entry of (project, key, step); a replacement starts its hit
    statistics afresh. `value` must hold no secrets."""
    for name in (key, *depends_on):
        parse_key(name)
    _aware(now)
    entry = await _entry(session, project_id, key, step)
    if entry is None:
        entry = CacheEntry(
            project_id=project_id, key=key, step=step, input_hash=input_hash, expires_at=now + ttl
        )
    entry.sqlmodel_update(
        {
            "input_hash": input_hash,
            "depends_on": sorted(set(depends_on)),
            "value": value,
            "created_at": now,
            "expires_at": now + ttl,
            "hit_count": 0,
            "input_tokens": input_tokens,
            "output_tokens": output_tokens,
            "cost_nanousd": cost_nanousd,
            "tokens_saved": 0,
            "nanousd_saved": 0,
            "size_bytes": len(canonical_json(value).encode()),
        }
    )
    session.add(entry)
    await session.flush()
    return entry


def _dependents(graph: list[tuple[str, list[str]]], start: str) -> set[str]:
    """`start` and every key whose entries depend on it, transitively."""
    removed = {start}
    frontier = {start}
    while frontier:
        frontier = {key for key, deps in graph if key not in removed and frontier & set(deps)}
        removed |= frontier
    return removed


async def invalidate(
    session: AsyncSession, *, project_id: int, key: str, cascade: bool = True
) -> list[str]:
    """Deletes the project's entries of `key` (every step) and, with `cascade`, the entries
    depending on it, transitively. Returns the sorted keys whose entries were removed.
    An unknown key raises ValueError."""
    parse_key(key)
    statement = select(CacheEntry.key, CacheEntry.depends_on).where(
        *of_project(CacheEntry.project_id, project_id)
    )
    graph = [(entry_key, list(deps)) for entry_key, deps in await session.exec(statement)]
    doomed = _dependents(graph, key) if cascade else {key}
    present = sorted({entry_key for entry_key, _ in graph} & doomed)
    if present:
        await session.exec(
            delete(CacheEntry).where(
                *of_project(CacheEntry.project_id, project_id), col(CacheEntry.key).in_(present)
            )
        )
    return present


async def clear(session: AsyncSession, *, project_id: int | None = None) -> int:
    """Deletes every entry (of one project, or all); returns how many."""
    result = await session.exec(
        delete(CacheEntry).where(*of_project(CacheEntry.project_id, project_id))
    )
    return result.rowcount


async def purge_expired(session: AsyncSession, *, now: datetime) -> int:
    """Deletes the entries expired at `now`; returns how many."""
    result = await session.exec(delete(CacheEntry).where(col(CacheEntry.expires_at) <= now))
    return result.rowcount
