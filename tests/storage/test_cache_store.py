"""The response cache store: hits, misses, expiry, cascading invalidation and analytics."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import cache, costs, ledger
from storage.cache import CacheEntry
from storage.cache_keys import (
    ARCHITECTURE,
    BRAINSTORMING,
    DEFAULT_TTL,
    INTEGRATION,
    MICRO_PHASES,
    Stage,
    StageKey,
    default_dependencies,
    parse_key,
    phase_code_key,
    phase_review_key,
)
from storage.db import SessionMaker, transaction

NOW = datetime(2025, 7, 2, 10, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)
PHASES = (1, 2, 3)


async def put(
    session: AsyncSession,
    key: str,
    *,
    project_id: int = 1,
    step: str = "step",
    input_hash: str = "h1",
    ttl: timedelta = 72 * HOUR,
    value: dict[str, object] | None = None,
    cost_nanousd: int = 1_000,
    now: datetime = NOW,
) -> CacheEntry:
    return await cache.store(
        session,
        project_id=project_id,
        key=key,
        step=step,
        input_hash=input_hash,
        value=value if value is not None else {"answer": key},
        depends_on=default_dependencies(key, phases=PHASES),
        ttl=ttl,
        input_tokens=100,
        output_tokens=20,
        cost_nanousd=cost_nanousd,
        now=now,
    )


async def put_project(session: AsyncSession, project_id: int) -> None:
    """Every stage of a three-phase project; brainstorming has three steps, as in the app."""
    for step in ("manager.brainstorm", "developer.brainstorm", "manager.synthesis"):
        await put(session, BRAINSTORMING, project_id=project_id, step=step)
    for key in (ARCHITECTURE, MICRO_PHASES):
        await put(session, key, project_id=project_id)
    for phase in PHASES:
        await put(session, phase_code_key(phase), project_id=project_id)
        await put(session, phase_review_key(phase), project_id=project_id)
    await put(session, INTEGRATION, project_id=project_id)


async def keys_of(session: AsyncSession, project_id: int) -> set[str]:
    statement = select(CacheEntry.key).where(CacheEntry.project_id == project_id)
    return set(await session.exec(statement))


async def find(session: AsyncSession, **overrides: object) -> CacheEntry | None:
    query: dict[str, object] = {
        "project_id": 1,
        "key": ARCHITECTURE,
        "step": "step",
        "input_hash": "h1",
        "now": NOW + HOUR,
    }
    query.update(overrides)
    return await cache.lookup(session, **query)  # type: ignore[arg-type]


ALL_KEYS = {
    BRAINSTORMING,
    ARCHITECTURE,
    MICRO_PHASES,
    INTEGRATION,
    *(phase_code_key(p) for p in PHASES),
    *(phase_review_key(p) for p in PHASES),
}


async def test_same_inputs_hit_and_changed_inputs_miss(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        await put(session, ARCHITECTURE, value={"overview": "three services"})
    async with transaction(sessions) as session:
        hit = await find(session)
        assert hit is not None and hit.value == {"overview": "three services"}
        assert await find(session, input_hash="h2") is None
        assert await find(session, step="other.step") is None
        assert await find(session, project_id=2) is None


async def test_entry_misses_once_expired(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        await put(session, ARCHITECTURE, ttl=72 * HOUR)
    async with transaction(sessions) as session:
        assert await find(session, now=NOW + 72 * HOUR - timedelta(seconds=1)) is not None
        assert await find(session, now=NOW + 72 * HOUR) is None
        # A miss does not delete: the periodic purge does.
        assert await keys_of(session, 1) == {ARCHITECTURE}


async def test_hits_accumulate_counts_and_savings(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        await put(session, ARCHITECTURE, cost_nanousd=2_500_000)
    for _ in range(3):
        async with transaction(sessions) as session:
            assert await find(session) is not None
    async with transaction(sessions) as session:
        await find(session, input_hash="changed")  # a miss counts nothing
        entry = (await session.exec(select(CacheEntry))).one()
    assert (entry.hit_count, entry.tokens_saved, entry.nanousd_saved) == (3, 360, 7_500_000)


async def test_store_replaces_and_resets_statistics(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        await put(session, ARCHITECTURE)
        await find(session)
        await put(session, ARCHITECTURE, input_hash="h2", value={"v": 2}, now=NOW + HOUR)
    async with transaction(sessions) as session:
        entries = list(await session.exec(select(CacheEntry)))
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.input_hash, entry.value, entry.hit_count, entry.nanousd_saved) == (
        "h2",
        {"v": 2},
        0,
        0,
    )
    assert entry.created_at == NOW + HOUR and entry.expires_at == NOW + 73 * HOUR
    assert entry.depends_on == [BRAINSTORMING]
    assert entry.size_bytes == len('{"v":2}')


async def test_invalidating_micro_phases_keeps_planning_and_other_projects(
    sessions: SessionMaker,
) -> None:
    async with transaction(sessions) as session:
        await put_project(session, 1)
        await put_project(session, 2)
    async with transaction(sessions) as session:
        removed = await cache.invalidate(session, project_id=1, key=MICRO_PHASES)
    assert removed == sorted(ALL_KEYS - {BRAINSTORMING, ARCHITECTURE})
    async with transaction(sessions) as session:
        assert await keys_of(session, 1) == {BRAINSTORMING, ARCHITECTURE}
        assert await keys_of(session, 2) == ALL_KEYS
        brainstorm_steps = await session.exec(
            select(CacheEntry.step).where(
                CacheEntry.project_id == 1, CacheEntry.key == BRAINSTORMING
            )
        )
        assert len(list(brainstorm_steps)) == 3


async def test_invalidating_one_phase_removes_its_review_and_the_summary(
    sessions: SessionMaker,
) -> None:
    async with transaction(sessions) as session:
        await put_project(session, 1)
    async with transaction(sessions) as session:
        removed = await cache.invalidate(session, project_id=1, key=phase_code_key(2))
    assert removed == sorted([phase_code_key(2), phase_review_key(2), INTEGRATION])
    async with transaction(sessions) as session:
        assert await keys_of(session, 1) == ALL_KEYS - set(removed)


async def test_invalidate_without_cascade_and_with_nothing_cached(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        await put_project(session, 1)
        assert await cache.invalidate(session, project_id=1, key=MICRO_PHASES, cascade=False) == [
            MICRO_PHASES
        ]
        assert await keys_of(session, 1) == ALL_KEYS - {MICRO_PHASES}
        assert await cache.invalidate(session, project_id=9, key=BRAINSTORMING) == []


async def test_unknown_keys_are_refused(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        with pytest.raises(ValueError, match="unknown cache key 'phase-x-code'"):
            await cache.invalidate(session, project_id=1, key="phase-x-code")
        with pytest.raises(ValueError, match="unknown cache key"):
            await put(session, "architecture")


async def test_purge_expired_and_clear(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        await put(session, BRAINSTORMING, ttl=DEFAULT_TTL[Stage.BRAINSTORMING])
        await put(session, INTEGRATION, ttl=DEFAULT_TTL[Stage.INTEGRATION])
        await put(session, ARCHITECTURE, project_id=2)
        await put(session, MICRO_PHASES, project_id=3)
    async with transaction(sessions) as session:
        assert await cache.purge_expired(session, now=NOW + 24 * HOUR) == 1
        assert await keys_of(session, 1) == {BRAINSTORMING}
        assert await cache.clear(session, project_id=2) == 1
        assert await keys_of(session, 3) == {MICRO_PHASES}
        assert await cache.clear(session) == 2
        assert list(await session.exec(select(CacheEntry))) == []


async def record(session: AsyncSession, project_id: int, *, cache_hit: bool) -> None:
    await ledger.record_call(
        session,
        project_id=project_id,
        phase=None,
        role="developer",
        step="developer.architecture",
        cache_key=ARCHITECTURE,
        provider="anthropic",
        model="claude-sonnet",
        input_tokens=0 if cache_hit else 100,
        output_tokens=0 if cache_hit else 20,
        cached_input_tokens=0,
        cache_write_tokens=0,
        cost_nanousd=0 if cache_hit else 1_000,
        provider_cache_saved_nanousd=0,
        latency_ms=5,
        cache_hit=cache_hit,
        now=NOW,
    )


async def hit_times(session: AsyncSession, times: int, **query: object) -> None:
    for _ in range(times):
        assert await find(session, **query) is not None


async def test_analytics_match_the_calls_made(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        await put(session, ARCHITECTURE, project_id=1, value={"a": 1}, cost_nanousd=4_000)
        await put(session, MICRO_PHASES, project_id=1, value={"b": 22}, cost_nanousd=6_000)
        await put(session, ARCHITECTURE, project_id=2, value={}, cost_nanousd=10_000)
        for project_id, misses in ((1, 2), (2, 1)):
            for _ in range(misses):
                await record(session, project_id, cache_hit=False)
        await hit_times(session, 3, project_id=1)
        await hit_times(session, 1, project_id=1, key=MICRO_PHASES)
        await hit_times(session, 1, project_id=2)
    async with transaction(sessions) as session:
        one = await costs.cache_analytics(session, project_id=1)
        overall = await costs.cache_analytics(session)
        projects = await costs.project_ids(session)
    assert one == costs.CacheAnalytics(
        entries=2,
        size_bytes=len('{"a":1}') + len('{"b":22}'),
        hits=4,
        misses=2,
        hit_rate=4 / 6,
        calls_saved=4,
        tokens_saved=4 * 120,
        nanousd_saved=3 * 4_000 + 6_000,
    )
    assert (overall.entries, overall.hits, overall.misses) == (3, 5, 3)
    assert overall.hit_rate == 5 / 8 and overall.nanousd_saved == 28_000
    assert projects == [1, 2]


async def test_analytics_of_an_empty_cache(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        stats = await costs.cache_analytics(session)
    assert stats.entries == stats.hits == stats.misses == 0 and stats.hit_rate == 0.0


def test_input_hash_is_canonical() -> None:
    assert cache.hash_inputs({"a": 1, "b": [1, "é"]}) == cache.hash_inputs({"b": [1, "é"], "a": 1})
    assert cache.hash_inputs({"a": 1}) != cache.hash_inputs({"a": 2})
    assert len(cache.hash_inputs({})) == 64


@pytest.mark.parametrize(
    ("key", "parsed"),
    [
        (BRAINSTORMING, StageKey(Stage.BRAINSTORMING)),
        (INTEGRATION, StageKey(Stage.INTEGRATION)),
        ("phase-12-generated_code", StageKey(Stage.PHASE_CODE, 12)),
        ("phase-3-validation_report", StageKey(Stage.PHASE_REVIEW, 3)),
    ],
)
def test_parse_key(key: str, parsed: StageKey) -> None:
    assert parse_key(key) == parsed


@pytest.mark.parametrize(
    "key", ["", "phase-0-generated_code", "phase-3-code", "phase-03-generated_code", "brainstorm"]
)
def test_parse_key_refuses(key: str) -> None:
    with pytest.raises(ValueError, match="unknown cache key"):
        parse_key(key)


def _deps(key: str, phases: Iterable[int] = ()) -> list[str]:
    return default_dependencies(key, phases=phases)


def test_dependency_table_is_the_seed_reports() -> None:
    assert _deps(BRAINSTORMING) == []
    assert _deps(ARCHITECTURE) == [BRAINSTORMING]
    assert _deps(MICRO_PHASES) == [ARCHITECTURE]
    assert _deps(phase_code_key(4)) == [MICRO_PHASES]
    assert _deps(phase_review_key(4)) == ["phase-4-generated_code"]
    assert _deps(INTEGRATION, [2, 1, 2]) == [
        "phase-1-validation_report",
        "phase-2-validation_report",
    ]
    assert [DEFAULT_TTL[stage] // HOUR for stage in Stage] == [168, 72, 72, 72, 72, 24]
