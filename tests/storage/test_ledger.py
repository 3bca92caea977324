"""The cost ledger and money: exact sums in nano-dollars, by role and model and by phase."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import cache, costs, ledger
from storage.cache_keys import ARCHITECTURE
from storage.costs import CostLine
from storage.db import SessionMaker, transaction
from storage.money import NANO, format_usd, nano_to_usd, usd_to_nano

NOW = datetime(2025, 7, 2, tzinfo=UTC)


async def call(
    session: AsyncSession,
    *,
    project_id: int | None = 1,
    phase: int | None = None,
    role: str = "developer",
    model: str = "claude-sonnet",
    provider: str = "anthropic",
    tokens: tuple[int, int, int, int] = (1_000, 200, 0, 0),
    cost: int = 0,
    saved: int = 0,
    cache_hit: bool = False,
) -> None:
    input_tokens, output_tokens, cached, written = tokens
    await ledger.record_call(
        session,
        project_id=project_id,
        phase=phase,
        role=role,
        step=f"{role}.step",
        cache_key=None,
        provider=provider,
        model=model,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cached_input_tokens=cached,
        cache_write_tokens=written,
        cost_nanousd=cost,
        provider_cache_saved_nanousd=saved,
        latency_ms=1_200,
        cache_hit=cache_hit,
        now=NOW,
    )


async def seed_calls(session: AsyncSession) -> None:
    # Costs chosen so a float sum would drift: 0.1 + 0.2 dollars, and sub-cent amounts.
    await call(session, tokens=(5_000, 900, 0, 4_000), cost=usd_to_nano("0.1"))
    await call(session, phase=1, tokens=(6_000, 1_500, 4_000, 0), cost=usd_to_nano("0.2"), saved=9)
    await call(session, phase=1, cost=0, tokens=(0, 0, 0, 0), cache_hit=True)
    await call(session, phase=2, role="validator", model="gpt-4o", provider="openai", cost=333)
    await call(session, phase=2, role="validator", model="gpt-4o-mini", provider="openai", cost=7)
    await call(session, project_id=2, phase=1, cost=usd_to_nano("5"))
    # A single call of a few dollars overflows a 32-bit column of nano-dollars.
    await call(session, project_id=2, phase=1, cost=usd_to_nano("3.5"))


async def test_cost_report_groups_and_sums_exactly(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        await seed_calls(session)
        await cache.store(
            session,
            project_id=1,
            key=ARCHITECTURE,
            step="developer.architecture",
            input_hash="h",
            value={},
            depends_on=[],
            ttl=timedelta(hours=1),
            input_tokens=10,
            output_tokens=5,
            cost_nanousd=40,
            now=NOW,
        )
        await cache.lookup(
            session, project_id=1, key=ARCHITECTURE, step="developer.architecture",
            input_hash="h", now=NOW,
        )  # fmt: skip
    async with transaction(sessions) as session:
        report = await costs.cost_report(session, project_id=1)
    assert report.lines == [
        CostLine(
            role="developer",
            model="claude-sonnet",
            provider="anthropic",
            calls=2,
            cache_hits=1,
            input_tokens=11_000,
            output_tokens=2_400,
            cached_input_tokens=4_000,
            cache_write_tokens=4_000,
            nanousd=300_000_000,
        ),
        CostLine(
            role="validator",
            model="gpt-4o",
            provider="openai",
            calls=1,
            cache_hits=0,
            input_tokens=1_000,
            output_tokens=200,
            cached_input_tokens=0,
            cache_write_tokens=0,
            nanousd=333,
        ),
        CostLine(
            role="validator",
            model="gpt-4o-mini",
            provider="openai",
            calls=1,
            cache_hits=0,
            input_tokens=1_000,
            output_tokens=200,
            cached_input_tokens=0,
            cache_write_tokens=0,
            nanousd=7,
        ),
    ]
    assert report.by_phase == {"plan": 100_000_000, "1": 200_000_000, "2": 340}
    assert list(report.by_phase) == ["plan", "1", "2"]
    assert report.total_nanousd == 300_000_340
    assert (report.total_input_tokens, report.total_output_tokens) == (13_000, 2_800)
    assert report.cache_hits == 1
    assert report.response_cache_saved_nanousd == 40
    assert report.provider_cache_saved_nanousd == 9
    assert report.provider_cached_tokens == 4_000


async def test_overall_report_and_project_spend(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        await seed_calls(session)
        await call(session, project_id=None, role="manager", model="gpt-4o", cost=1)
    async with transaction(sessions) as session:
        overall = await costs.cost_report(session)
        spend_one = await ledger.project_spend_nanousd(session, project_id=1)
        spend_two = await ledger.project_spend_nanousd(session, project_id=2)
        spend_none = await ledger.project_spend_nanousd(session, project_id=3)
        calls = await ledger.model_calls(session), await ledger.model_calls(session, project_id=1)
        projects = await costs.project_ids(session)
    assert (spend_one, spend_two, spend_none) == (300_000_340, 8_500_000_000, 0)
    assert overall.total_nanousd == 8_800_000_341
    assert overall.by_phase == {"plan": 100_000_001, "1": 8_700_000_000, "2": 340}
    assert [line.role for line in overall.lines] == [
        "developer",
        "manager",
        "validator",
        "validator",
    ]
    assert calls == (7, 4)
    assert projects == [1, 2]


async def test_empty_ledger_reports_zeroes(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        report = await costs.cost_report(session, project_id=1)
    assert report.lines == [] and report.by_phase == {}
    assert report.total_nanousd == report.response_cache_saved_nanousd == 0


@pytest.mark.parametrize(
    ("dollars", "nano"),
    [
        ("1.23", 1_230_000_000),
        (Decimal("0.000000001"), 1),
        (3, 3 * NANO),
        ("0.0000000015", 2),  # half-even below a nano-dollar
        ("0.0000000025", 2),
        ("-0.5", -500_000_000),
    ],
)
def test_usd_to_nano(dollars: Decimal | str | int, nano: int) -> None:
    assert usd_to_nano(dollars) == nano


def test_usd_to_nano_refuses_floats_and_nonsense() -> None:
    with pytest.raises(TypeError):
        usd_to_nano(0.1)  # type: ignore[arg-type]
    for bad in ("ten", "NaN", "Infinity"):
        with pytest.raises(ValueError):
            usd_to_nano(bad)


def test_nano_to_usd_is_exact() -> None:
    assert nano_to_usd(300_000_340) == Decimal("0.300000340")
    assert nano_to_usd(usd_to_nano("0.1") + usd_to_nano("0.2")) == Decimal("0.3")


@pytest.mark.parametrize(
    ("nano", "text"),
    [
        (0, "$0.00"),
        (1_230_000_000, "$1.23"),
        (1_234_567_890_000, "$1,234.57"),
        (4_200_000, "$0.0042"),
        (4_249_000, "$0.0042"),
        (10_000_000, "$0.01"),
        (123_000, "$0.00012"),
        (4_000, "$0.000004"),
        (400, "<$0.000001"),
        (-500_000_000, "-$0.50"),
    ],
)
def test_format_usd(nano: int, text: str) -> None:
    assert format_usd(nano) == text
