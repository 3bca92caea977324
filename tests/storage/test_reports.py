"""The read models of the dashboard, the API and the CLI, on the seeded database
(`tests/reportseed.py`) and on an empty one; every figure is worked out by hand there."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from storage import reports
from storage.db import SessionMaker
from storage.job_table import JobStatus
from storage.projects import ProjectStatus
from storage.states import PhaseState
from tests.reportseed import CLAUDE, GADGETS, GPT, MINI, PRIVATE, T0, WIDGETS, Seeded, seed, usd


@pytest.fixture
async def seeded(sessions: SessionMaker) -> Seeded:
    return await seed(sessions)


async def test_project_page_lists_newest_first_with_spend_and_progress(
    sessions: SessionMaker, seeded: Seeded
) -> None:
    async with sessions() as session:
        page = await reports.project_page(session, repo_ids=None)
    assert page.total == 3 and page.pages == 1
    assert [row.id for row in page.rows] == [seeded.private, seeded.gadgets, seeded.widgets]
    widgets = page.rows[2]
    assert (widgets.repository, widgets.issue_number) == ("acme/widgets", 7)
    assert (widgets.status, widgets.phases_done, widgets.phases_total) == ("running", 1, 3)
    assert (widgets.spend_nanousd, widgets.budget_nanousd) == (usd("1.85"), usd("5"))
    assert widgets.last_activity == T0 + timedelta(hours=3)  # phase 2's change, the latest
    private = page.rows[0]
    assert (private.phases_total, private.spend_nanousd) == (0, 0)
    assert private.last_activity == T0 + timedelta(minutes=5)


async def test_project_page_filters_and_paginates(sessions: SessionMaker, seeded: Seeded) -> None:
    async with sessions() as session:
        by_name = await reports.project_page(session, repo_ids=None, repository="ACME/Widgets")
        by_owner = await reports.project_page(session, repo_ids=None, repository="acme")
        done = await reports.project_page(session, repo_ids=None, status="done")
        visible = await reports.project_page(session, repo_ids={WIDGETS, PRIVATE})
        nothing = await reports.project_page(session, repo_ids=set())
        second = await reports.project_page(session, repo_ids=None, page=2, per_page=2)
        with pytest.raises(ValueError, match="unknown status 'bogus'"):
            await reports.project_page(session, repo_ids=None, status="bogus")
        with pytest.raises(ValueError):
            await reports.project_page(session, repo_ids=None, page=0)
    assert [row.id for row in by_name.rows] == [seeded.widgets]
    assert [row.id for row in by_owner.rows] == [seeded.gadgets, seeded.widgets]
    assert [row.status for row in done.rows] == [ProjectStatus.DONE]
    assert [row.id for row in visible.rows] == [seeded.private, seeded.widgets]
    assert (nothing.total, nothing.rows) == (0, [])
    assert ([row.id for row in second.rows], second.total, second.pages) == ([seeded.widgets], 3, 2)


async def test_project_refs(sessions: SessionMaker, seeded: Seeded) -> None:
    async with sessions() as session:
        assert await reports.find_project_ref(session, "acme/widgets#7") == seeded.widgets
        assert await reports.find_project_ref(session, "ACME/WIDGETS#7") == seeded.widgets
        assert await reports.find_project_ref(session, str(seeded.gadgets)) == seeded.gadgets
        assert await reports.find_project_ref(session, "acme/widgets#8") is None
        assert await reports.find_project_ref(session, "999") is None
        with pytest.raises(ValueError, match="give its id, or owner/repo#issue"):
            await reports.find_project_ref(session, "widgets")
        with pytest.raises(ValueError, match="give its id"):  # a digit to isdigit(), not int()
            await reports.find_project_ref(session, "\u00b9")


async def test_project_detail(sessions: SessionMaker, seeded: Seeded) -> None:
    async with sessions() as session:
        detail = await reports.project_detail(session, seeded.widgets)
        hidden = await reports.project_detail(session, seeded.widgets, repo_ids={GADGETS})
        missing = await reports.project_detail(session, 999)
    assert hidden is None and missing is None
    assert detail is not None
    assert detail.project.spend_nanousd == usd("1.85")
    first, second, third = detail.phases
    assert (first.state, first.pr_number, first.revisions) == (PhaseState.MERGED, 21, 2)
    assert (first.ci_rounds, first.ci_fixes, first.spend_nanousd) == (2, 1, usd("1.00"))
    assert (second.spend_nanousd, third.spend_nanousd) == (usd("0.35"), 0)
    edges = [(edge.phase, edge.needs) for edge in detail.dependencies]
    assert edges == [(2, 1), (3, 1), (3, 2)]
    assert [doc.phase_name for doc in detail.docs] == ["Models"]
    assert [(row.command, row.argument) for row in detail.audit] == [("retry", "phase-1")]
    assert [job.status for job in detail.jobs] == [JobStatus.DEAD, JobStatus.QUEUED]
    assert detail.jobs[0].last_error == "GitHub said 422: Validation Failed"
    assert detail.plan["architecture"]["system_overview"] == "A widget service"


async def test_cost_breakdown(sessions: SessionMaker, seeded: Seeded) -> None:
    async with sessions() as session:
        costs = await reports.cost_breakdown(session, seeded.widgets)
        assert await reports.cost_breakdown(session, 999) is None
    assert costs is not None
    assert (costs.spend_nanousd, costs.budget_nanousd) == (usd("1.85"), usd("5"))
    roles = [(r.role, r.model, r.calls, r.cache_hits, r.nanousd) for r in costs.by_role]
    assert roles == [
        ("developer", CLAUDE, 5, 1, usd("1.60")),
        ("manager", GPT, 1, 0, usd("0.10")),
        ("validator", GPT, 3, 0, usd("0.15")),
    ]
    phases = [(p.phase, p.name, p.calls, p.nanousd, p.revision_nanousd) for p in costs.by_phase]
    assert phases == [
        (None, "planning and integration", 2, usd("0.50"), 0),
        (1, "Models", 5, usd("1.00"), usd("0.65")),  # revise.1, review.1 and the CI fix
        (2, "API", 2, usd("0.35"), 0),
    ]
    assert costs.response_cache_saved_nanousd == usd("0.30")


async def test_usage_over_time(sessions: SessionMaker, seeded: Seeded) -> None:
    async with sessions() as session:
        hourly = await reports.usage_over_time(session, seeded.widgets)
        daily = await reports.usage_over_time(session, seeded.widgets, bucket="day")
        none = await reports.usage_over_time(session, seeded.private)
    assert hourly.bucket == "hour"  # 140 minutes of calls
    points = [(p.start, p.model_calls, p.cache_hits, p.nanousd) for p in hourly.points]
    assert points == [
        (T0, 6, 0, usd("1.25")),
        (T0 + timedelta(hours=1), 1, 0, usd("0.25")),
        (T0 + timedelta(hours=2), 2, 1, usd("0.35")),
    ]
    assert (hourly.points[0].input_tokens, hourly.points[0].cached_input_tokens) == (6000, 2400)
    assert [(p.start, p.model_calls) for p in daily.points] == [
        (datetime(2025, 7, 2, tzinfo=UTC), 9)
    ]
    assert (none.bucket, none.points) == ("minute", [])


async def test_daily_spend(sessions: SessionMaker, seeded: Seeded) -> None:
    now = T0 + timedelta(hours=12)
    async with sessions() as session:
        spend = await reports.daily_spend(session, repo_ids=None, days=1, now=now)
        gadgets = await reports.daily_spend(session, repo_ids={GADGETS}, days=7, now=now)
        later = await reports.daily_spend(session, repo_ids=None, days=1, now=now + timedelta(2))
    lines = [(r.day, r.repository, r.model, r.role, r.calls, r.nanousd) for r in spend.rows]
    day = date(2025, 7, 2)
    assert lines == [
        (day, "acme/gadgets", CLAUDE, "developer", 4, usd("0.40")),
        (day, "acme/gadgets", MINI, "git", 2, usd("0.002")),
        (day, "acme/widgets", CLAUDE, "developer", 5, usd("1.60")),
        (day, "acme/widgets", GPT, "manager", 1, usd("0.10")),
        (day, "acme/widgets", GPT, "validator", 3, usd("0.15")),
    ]
    assert (spend.since, spend.total_nanousd) == (day, usd("2.252"))
    assert {row.repository for row in gadgets.rows} == {"acme/gadgets"}
    assert gadgets.since == date(2025, 6, 26)
    assert (later.rows, later.total_nanousd) == ([], 0)


async def test_cache_stats_by_stage(sessions: SessionMaker, seeded: Seeded) -> None:
    async with sessions() as session:
        every = await reports.cache_stats(session, repo_ids=None)
        widgets = await reports.cache_stats(session, repo_ids={WIDGETS})
        gadgets = await reports.cache_stats(session, repo_ids=None, project_id=seeded.gadgets)
    stages = [(s.stage, s.requests, s.hits, s.entries, s.nanousd_saved) for s in every.stages]
    assert stages == [
        ("brainstorming", 1, 0, 0, 0),
        ("architecture", 6, 1, 1, usd("0.10")),
        ("phase_code", 6, 1, 1, usd("0.30")),
        ("phase_review", 4, 0, 0, 0),
    ]
    overall = every.overall
    assert (overall.requests, overall.hits, overall.misses, overall.tokens_saved) == (
        17,
        2,
        15,
        2400,
    )
    assert overall.hit_rate == pytest.approx(2 / 17)
    assert [(s.stage, s.requests, s.hits) for s in widgets.stages] == [
        ("brainstorming", 1, 0),
        ("architecture", 1, 0),
        ("phase_code", 5, 1),
        ("phase_review", 3, 0),
    ]
    assert [(s.stage, s.requests, s.hits) for s in gadgets.stages] == [
        ("architecture", 5, 1),
        ("phase_code", 1, 0),
        ("phase_review", 1, 0),
    ]


async def test_recommendations_carry_their_figures(sessions: SessionMaker, seeded: Seeded) -> None:
    async with sessions() as session:
        found = await reports.recommendations(session, repo_ids=None)
        widgets = await reports.recommendations(session, repo_ids={WIDGETS})
        private = await reports.recommendations(session, repo_ids={PRIVATE})
    assert [advice.kind for advice in found] == ["model_per_answer", "revisions", "retry_cache"]
    model, revisions, retry = found
    assert model.figures == {
        "role": "developer",
        "model": CLAUDE,
        "answers": 6,
        "nanousd": usd("2.00"),
        "nanousd_per_answer": 333_333_333,
        "cheapest_role": "git",
        "cheapest_model": MINI,
        "cheapest_nanousd_per_answer": usd("0.001"),
        "ratio": 333.33,
    }
    assert model.title.startswith("the developer on claude-sonnet-4 costs $0.33 per answer")
    assert (revisions.project_id, revisions.phase) == (seeded.widgets, 1)
    assert revisions.figures["revision_nanousd"] == usd("0.65")
    assert revisions.figures["revision_share"] == 0.65
    assert "$0.65 of its $1.00 (65%)" in revisions.title
    assert retry.figures == {
        "stage": "architecture",
        "repeats": 4,
        "hits": 1,
        "hit_rate": 0.25,
        "threshold": 0.5,
        "model_calls": 4,
        "nanousd": usd("0.40"),
    }
    assert retry.nanousd_at_stake == usd("0.30")
    assert [advice.kind for advice in widgets] == ["model_per_answer", "revisions"]
    assert widgets[0].figures["cheapest_role"] == "validator"
    assert private == []


async def test_an_empty_database_reports_nothing(sessions: SessionMaker) -> None:
    async with sessions() as session:
        page = await reports.project_page(session, repo_ids=None)
        stats = await reports.cache_stats(session, repo_ids=None)
        spend = await reports.daily_spend(session, repo_ids=None, days=30)
        advice = await reports.recommendations(session, repo_ids=None)
    assert (page.total, page.rows, page.pages) == (0, [], 1)
    assert (stats.stages, stats.overall.requests, stats.overall.hit_rate) == ([], 0, 0.0)
    assert (spend.rows, advice) == ([], [])
