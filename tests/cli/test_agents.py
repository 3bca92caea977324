"""`ai-orchestrator cache|cost|docs` against a real database, through `bot.cli.main.main`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.cli.agents import format_table
from bot.cli.main import main
from storage import cache, ledger
from storage.cache import CacheEntry
from storage.cache_keys import (
    ARCHITECTURE,
    BRAINSTORMING,
    INTEGRATION,
    MICRO_PHASES,
    default_dependencies,
    phase_code_key,
    phase_review_key,
)
from storage.db import make_engine, make_sessionmaker, transaction
from storage.phase_docs import PhaseDocCreate, save_phase_doc
from storage.types import utcnow

T = TypeVar("T")
KEYS = [
    BRAINSTORMING,
    ARCHITECTURE,
    MICRO_PHASES,
    phase_code_key(1),
    phase_review_key(1),
    INTEGRATION,
]


@pytest.fixture
def cli_env(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


def run(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    async def go() -> T:
        engine = make_engine(url)
        try:
            async with transaction(make_sessionmaker(engine)) as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(go())


async def seed(session: AsyncSession) -> None:
    now = utcnow()
    for project_id in (1, 2):
        for key in KEYS:
            await cache.store(
                session,
                project_id=project_id,
                key=key,
                step="step",
                input_hash="h",
                value={"key": key},
                depends_on=default_dependencies(key, phases=[1]),
                ttl=timedelta(hours=1),
                input_tokens=1_000,
                output_tokens=500,
                cost_nanousd=12_500_000,
                now=now,
            )
            await ledger.record_call(
                session,
                project_id=project_id,
                phase=1 if key.startswith("phase-") else None,
                role="developer",
                step="step",
                cache_key=key,
                provider="anthropic",
                model="claude-sonnet",
                input_tokens=1_000,
                output_tokens=500,
                cached_input_tokens=200,
                cache_write_tokens=0,
                cost_nanousd=12_500_000,
                provider_cache_saved_nanousd=4_200_000,
                latency_ms=900,
                cache_hit=False,
                now=now,
            )
    hit = await cache.lookup(
        session, project_id=1, key=ARCHITECTURE, step="step", input_hash="h", now=now
    )
    assert hit is not None
    await ledger.record_call(
        session, project_id=1, phase=None, role="developer", step="step", cache_key=ARCHITECTURE,
        provider="anthropic", model="claude-sonnet", input_tokens=0, output_tokens=0,
        cached_input_tokens=0, cache_write_tokens=0, cost_nanousd=0,
        provider_cache_saved_nanousd=0, latency_ms=1, cache_hit=True, now=now,
    )  # fmt: skip


async def remaining(session: AsyncSession) -> set[tuple[int, str]]:
    return {(e.project_id, e.key) for e in await session.exec(select(CacheEntry))}


def test_cache_info_shows_each_project_and_the_total(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(cli_env, seed)
    assert main(["cache", "info"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "project", "hit", "rate", "hits", "misses", "entries", "size", "calls", "saved",
        "tokens", "saved", "dollars", "saved",
    ]  # fmt: skip
    # Project 1: one hit against six model calls, saving 1,500 tokens and $0.0125 (~$0.01).
    assert lines[2].split()[:5] == ["1", "14.3%", "1", "6", "6"]
    assert lines[2].split()[-3:] == ["1", "1,500", "$0.01"]
    assert lines[3].split()[:5] == ["2", "0.0%", "0", "6", "6"]
    assert lines[4].split()[:5] == ["all", "7.7%", "1", "12", "12"]


def test_cache_info_for_one_project(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(cli_env, seed)
    assert main(["cache", "info", "--project", "2"]) == 0
    rows = capsys.readouterr().out.splitlines()[2:]
    assert [row.split()[0] for row in rows] == ["2"]


def test_cache_clear_needs_confirm(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(cli_env, seed)
    assert main(["cache", "clear"]) == 2
    captured = capsys.readouterr()
    assert captured.err == "ai-orchestrator: refusing to clear the cache without --confirm\n"
    assert len(run(cli_env, remaining)) == 12
    assert main(["cache", "clear", "--confirm"]) == 0
    assert capsys.readouterr().out == "removed 12 cache entries\n"
    assert run(cli_env, remaining) == set()


def test_cache_invalidate_cascades_in_every_project(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(cli_env, seed)
    assert main(["cache", "invalidate", MICRO_PHASES]) == 2
    assert "without --confirm" in capsys.readouterr().err
    assert main(["cache", "invalidate", MICRO_PHASES, "--confirm"]) == 0
    removed = f"{INTEGRATION}, phase-1-generated_code, phase-1-validation_report, {MICRO_PHASES}"
    assert capsys.readouterr().out == f"project 1: {removed}\nproject 2: {removed}\n"
    kept = {(p, k) for p in (1, 2) for k in (BRAINSTORMING, ARCHITECTURE)}
    assert run(cli_env, remaining) == kept


def test_cache_invalidate_one_project(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    run(cli_env, seed)
    args = ["cache", "invalidate", phase_review_key(1), "--project", "2", "--confirm"]
    assert main(args) == 0
    assert capsys.readouterr().out == (f"project 2: {INTEGRATION}, phase-1-validation_report\n")
    assert len(run(cli_env, remaining)) == 10
    assert main([*args[:3], "--project", "7", "--confirm"]) == 0
    assert capsys.readouterr().out == "nothing to invalidate: no cached entries matched\n"


def test_cache_invalidate_unknown_key(cli_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["cache", "invalidate", "architecture", "--confirm"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ai-orchestrator: unknown cache key 'architecture'")
    assert err.count("\n") == 1


def test_cost_shows_lines_totals_and_savings(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    run(cli_env, seed)
    assert main(["cost", "--project", "1"]) == 0
    out = capsys.readouterr().out
    table, phases, summary = out.split("\n\n")
    assert table.splitlines()[2].split() == [
        "developer", "anthropic", "claude-sonnet", "6", "1", "6,000", "3,000", "1,200", "0",
        "$0.08",
    ]  # fmt: skip
    assert [row.split() for row in phases.splitlines()[2:]] == [
        ["plan", "$0.05"],
        ["1", "$0.03"],
    ]
    assert summary.splitlines() == [
        "total: $0.08 for 6,000 input and 3,000 output tokens",
        "saved by the response cache: $0.01 (1 requests answered from the cache)",
        "saved by provider prompt caching: $0.03 (1,200 cached input tokens)",
    ]


async def seed_docs(session: AsyncSession) -> None:
    for phase, name in ((1, "Models"), (None, "Architecture")):
        await save_phase_doc(
            session,
            PhaseDocCreate(
                project_id=5,
                phase=phase,
                phase_name=name,
                phase_type="implementation",
                summary=f"{name} summary",
                status="completed",
                agent_used="developer",
            ),
        )


def test_docs_export_markdown_and_json(
    cli_env: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    run(cli_env, seed_docs)
    assert main(["docs", "export", "5", "--format", "md"]) == 0
    out = capsys.readouterr().out
    assert out.index("## Plan: Architecture") < out.index("## Phase 1: Models")
    target = tmp_path / "docs.json"
    assert main(["docs", "export", "5", "--format", "json", "--output", str(target)]) == 0
    assert capsys.readouterr().out == f"wrote 2 documents to {target}\n"
    exported = json.loads(target.read_text())
    assert [d["phase_name"] for d in exported] == ["Architecture", "Models"]


def test_docs_export_of_an_unknown_project(
    cli_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["docs", "export", "9", "--format", "md"]) == 1
    assert capsys.readouterr().err == "ai-orchestrator: no phase documentation for project 9\n"


def test_format_table_aligns_text_left_and_numbers_right() -> None:
    text = format_table(["name", "n"], [["a", "1,000"], ["bbb", "$2.50"]])
    assert text.splitlines() == ["name      n", "----  -----", "a     1,000", "bbb   $2.50"]
