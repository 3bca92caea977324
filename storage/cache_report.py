"""The response cache by stage (`storage.cache_keys.Stage`, phases folded together): requests,
hits and hit rate from the ledger, entries and savings from the live entries; over the visible
projects or one (see `storage.reports`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Integer, cast, func
from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.analytics import visible
from storage.cache import CacheEntry
from storage.cache_keys import Stage, parse_key
from storage.ledger import LLMCall
from storage.projects import Project
from storage.query import of_project, rows, total

_HIT = cast(col(LLMCall.cache_hit), Integer)


class StageStats(BaseModel):
    """Requests of one cache stage (`storage.cache_keys.Stage`, phases folded together). Hits
    and misses come from the ledger (every request is a row); savings from the live entries."""

    stage: str
    requests: int
    hits: int
    misses: int
    hit_rate: float
    entries: int
    tokens_saved: int
    nanousd_saved: int


class CacheStats(BaseModel):
    overall: StageStats  # stage "all"
    stages: list[StageStats]  # in the stages' pipeline order


def _stage(key: str) -> Stage | None:
    try:
        return parse_key(key).stage
    except ValueError:  # a key of an older release: not a stage this one reports
        return None


async def _requests_by_key(
    session: AsyncSession, repo_ids: Collection[int] | None, project_id: int | None
) -> list[Sequence[Any]]:
    statement = (
        sa_select(col(LLMCall.cache_key), func.count(), total(_HIT))
        .select_from(LLMCall)
        .join(Project, col(Project.id) == col(LLMCall.project_id))
        .where(
            col(LLMCall.cache_key).is_not(None),
            *visible(repo_ids),
            *of_project(LLMCall.project_id, project_id),
        )
        .group_by(col(LLMCall.cache_key))
    )
    return await rows(session, statement)


async def _entries_by_key(
    session: AsyncSession, repo_ids: Collection[int] | None, project_id: int | None
) -> list[Sequence[Any]]:
    statement = (
        sa_select(
            col(CacheEntry.key),
            func.count(),
            total(CacheEntry.tokens_saved),
            total(CacheEntry.nanousd_saved),
        )
        .select_from(CacheEntry)
        .join(Project, col(Project.id) == col(CacheEntry.project_id))
        .where(*visible(repo_ids), *of_project(CacheEntry.project_id, project_id))
        .group_by(col(CacheEntry.key))
    )
    return await rows(session, statement)


def _stats(stage: str, figures: Sequence[int]) -> StageStats:
    requests, hits, entries, tokens, nanousd = figures
    return StageStats(
        stage=stage,
        requests=requests,
        hits=hits,
        misses=requests - hits,
        hit_rate=hits / requests if requests else 0.0,
        entries=entries,
        tokens_saved=tokens,
        nanousd_saved=nanousd,
    )


async def cache_stats(
    session: AsyncSession, *, repo_ids: Collection[int] | None, project_id: int | None = None
) -> CacheStats:
    """Hit rate and savings by stage, over the visible projects (or one). Hits and misses are
    the ledger's requests (it keeps them when an entry is replaced or invalidated); savings
    are the live entries' (what their hits saved)."""
    sums: dict[Stage, list[int]] = {stage: [0, 0, 0, 0, 0] for stage in Stage}
    for key, requests, hits in await _requests_by_key(session, repo_ids, project_id):
        if (stage := _stage(key)) is not None:
            sums[stage][0] += requests
            sums[stage][1] += hits
    for key, entries, tokens, nanousd in await _entries_by_key(session, repo_ids, project_id):
        if (stage := _stage(key)) is not None:
            for i, value in enumerate((entries, tokens, nanousd), start=2):
                sums[stage][i] += value
    used = [_stats(stage.value, sums[stage]) for stage in Stage if any(sums[stage])]
    overall = [sum(figures[i] for figures in sums.values()) for i in range(5)]
    return CacheStats(overall=_stats("all", overall), stages=used)
