"""A populated database for the read models and the CLI: three projects in three repositories,
with phases, ledger rows at known times, cache entries and their hits, phase docs, an audit
row and jobs. Every figure the report tests assert is written here, in plain numbers.

- acme/widgets#7 (repo 101): running, budget $5, three phases; phase 1 merged after two
  validator revisions and a CI fix, phase 2 in review, phase 3 planned.
- acme/gadgets#3 (repo 102): done, no budget; its architecture was asked five times and
  answered from the cache once (a low hit rate on repeats).
- other/private#1 (repo 201): failed in planning, nothing spent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import cache, ledger
from storage.audit import AuditEntryCreate, Outcome, record_command
from storage.cache_keys import ARCHITECTURE, BRAINSTORMING, phase_code_key, phase_review_key
from storage.db import SessionMaker, transaction
from storage.job_table import Job, JobStatus
from storage.money import usd_to_nano
from storage.phase_docs import PhaseDocCreate, save_phase_doc
from storage.projects import Project, ProjectStatus
from storage.states import PhaseState, ProjectStep
from storage.workflow import Phase

T0 = datetime(2025, 7, 2, 9, 0, tzinfo=UTC)
WIDGETS, GADGETS, PRIVATE = 101, 102, 201
CLAUDE, GPT, MINI = "claude-sonnet-4", "gpt-4o", "gpt-4o-mini"
PROVIDERS = {CLAUDE: "anthropic", GPT: "openai", MINI: "openai"}


@dataclass(frozen=True)
class Seeded:
    widgets: int
    gadgets: int
    private: int


def usd(amount: str) -> int:
    return usd_to_nano(amount)


ARCH_STEP, FILES = "developer.architecture", "developer.phase_files"
ARCH = {
    "system_overview": "A widget service",
    "technology_stack": [{"area": "backend", "choice": "Python"}],
    "components": [{"name": "api", "type": "backend", "responsibilities": ["serve widgets"]}],
    "coding_standards": ["type hints"],
    "commands": {"setup": ["pip install -e ."], "test": ["pytest"]},
}


def micro_phase(number: int, name: str, depends: list[int]) -> dict[str, Any]:
    return {
        "id": number,
        "name": name,
        "description": f"{name} for widgets",
        "phase_type": "feature",
        "files_to_create": [f"src/p{number}.py"],
        "tests_to_write": [f"tests/test_p{number}.py"],
        "dependencies": depends,
        "priority": 2,
        "acceptance_criteria": [f"{name} works"],
        "implementation_approach": "small functions",
    }


WIDGET_PHASES = [(1, "Models", []), (2, "API", [1]), (3, "CLI", [1, 2])]


def project(repo_id: int, owner: str, repo: str, issue: int, **values: Any) -> Project:
    return Project(
        installation_id=11,
        repo_id=repo_id,
        owner=owner,
        repo=repo,
        issue_number=issue,
        issue_title=f"{repo} issue {issue}",
        started_by="octocat",
        created_at=T0,
        updated_at=T0 + timedelta(minutes=5),
        **values,
    )


async def add(session: AsyncSession, row: Any) -> int:
    session.add(row)
    await session.flush()
    assert row.id is not None
    return int(row.id)


async def projects(session: AsyncSession) -> Seeded:
    plan = {
        "architecture": ARCH,
        "phases": [micro_phase(*spec) for spec in WIDGET_PHASES],
        "features": ["widgets"],
    }
    running = dict(status=ProjectStatus.RUNNING, step=ProjectStep.PHASES, workflow="micro_phase")
    widgets = project(WIDGETS, "acme", "widgets", 7, budget_nanousd=usd("5"), plan=plan, **running)
    done = dict(status=ProjectStatus.DONE, step=ProjectStep.DONE, final_pr_number=40)
    failed = dict(status=ProjectStatus.FAILED, step=ProjectStep.FAILED, error="no plan")
    return Seeded(
        widgets=await add(session, widgets),
        gadgets=await add(session, project(GADGETS, "acme", "gadgets", 3, **done)),
        private=await add(session, project(PRIVATE, "other", "private", 1, **failed)),
    )


async def phases(session: AsyncSession, seeded: Seeded) -> None:
    merged = dict(state=PhaseState.MERGED, pr_number=21, revisions=2, ci_fixes=1)
    rounds = [{"sha": "a", "conclusion": "failure"}, {"sha": "b", "conclusion": "success"}]
    states: dict[int, dict[str, Any]] = {
        1: {**merged, "ci_rounds": rounds, "updated_at": T0 + timedelta(hours=2)},
        2: {"state": PhaseState.IN_REVIEW, "pr_number": 22, "updated_at": T0 + timedelta(hours=3)},
        3: {"state": PhaseState.PLANNED, "updated_at": T0},
    }
    for number, name, depends in WIDGET_PHASES:
        row = Phase(project_id=seeded.widgets, number=number, name=name, depends_on=depends)
        await add(session, row.sqlmodel_update(states[number]))
    gadget = Phase(project_id=seeded.gadgets, number=1, name="All", state=PhaseState.MERGED)
    gadget.updated_at = T0 + timedelta(hours=4)
    await add(session, gadget)


CODE1, CODE2 = phase_code_key(1), phase_code_key(2)
REVIEW1, REVIEW2 = phase_review_key(1), phase_review_key(2)
# (project, phase, role, model, key, step, dollars, minutes after T0, cache hit)
Call = tuple[str, int | None, str, str, str, str, str, int, bool]
CALLS: list[Call] = [
    ("widgets", None, "manager", GPT, BRAINSTORMING, "manager.brainstorm", "0.10", 0, False),
    (
        "widgets",
        None,
        "developer",
        CLAUDE,
        ARCHITECTURE,
        ARCH_STEP,
        "0.40",
        1,
        False,
    ),
    (
        "widgets",
        1,
        "developer",
        CLAUDE,
        CODE1,
        FILES,
        "0.30",
        10,
        False,
    ),
    ("widgets", 1, "validator", GPT, REVIEW1, "validator.review", "0.05", 12, False),
    ("widgets", 1, "developer", CLAUDE, CODE1, "developer.revise.1", "0.35", 20, False),
    ("widgets", 1, "validator", GPT, REVIEW1, "validator.review.1", "0.05", 22, False),
    (
        "widgets",
        1,
        "developer",
        CLAUDE,
        CODE1,
        "developer.fix_ci.abc",
        "0.25",
        70,
        False,
    ),
    (
        "widgets",
        2,
        "developer",
        CLAUDE,
        CODE2,
        FILES,
        "0.30",
        130,
        False,
    ),
    ("widgets", 2, "developer", CLAUDE, CODE2, FILES, "0", 131, True),
    ("widgets", 2, "validator", GPT, REVIEW2, "validator.review", "0.05", 140, False),
    # The architecture asked four times, an hour apart, then answered from the cache.
    *(
        ("gadgets", None, "developer", CLAUDE, ARCHITECTURE, ARCH_STEP, "0.10", minutes, False)
        for minutes in (0, 60, 120, 180)
    ),
    ("gadgets", None, "developer", CLAUDE, ARCHITECTURE, ARCH_STEP, "0", 181, True),
    ("gadgets", 1, "git", MINI, CODE1, "git.pr_text", "0.001", 200, False),
    ("gadgets", 1, "git", MINI, REVIEW1, "git.pr_text", "0.001", 201, False),
]
TOKENS = (1_000, 200)  # input and output tokens of every model call


async def calls(session: AsyncSession, seeded: Seeded) -> None:
    ids = {"widgets": seeded.widgets, "gadgets": seeded.gadgets}
    for name, phase, role, model, key, step, dollars, minutes, hit in CALLS:
        await ledger.record_call(
            session,
            project_id=ids[name],
            phase=phase,
            role=role,
            step=step,
            cache_key=key,
            provider=PROVIDERS[model],
            model=model,
            input_tokens=0 if hit else TOKENS[0],
            output_tokens=0 if hit else TOKENS[1],
            cached_input_tokens=0 if hit else 400,
            cache_write_tokens=0,
            cost_nanousd=usd(dollars),
            provider_cache_saved_nanousd=0,
            latency_ms=900,
            cache_hit=hit,
            now=T0 + timedelta(minutes=minutes),
        )


async def entries(session: AsyncSession, seeded: Seeded) -> None:
    """The cache entries the calls left, each hit once (the hits the ledger records)."""
    stored = [
        (seeded.widgets, CODE2, FILES, "0.30"),
        (seeded.gadgets, ARCHITECTURE, ARCH_STEP, "0.10"),
    ]
    for project_id, key, step, dollars in stored:
        await cache.store(
            session,
            project_id=project_id,
            key=key,
            step=step,
            input_hash="h",
            value={"answer": key},
            depends_on=[],
            ttl=timedelta(days=3650),
            input_tokens=TOKENS[0],
            output_tokens=TOKENS[1],
            cost_nanousd=usd(dollars),
            now=T0,
        )
        hit = await cache.lookup(
            session, project_id=project_id, key=key, step=step, input_hash="h", now=T0
        )
        assert hit is not None


async def records(session: AsyncSession, seeded: Seeded) -> None:
    doc = PhaseDocCreate(
        project_id=seeded.widgets,
        phase=1,
        phase_name="Models",
        phase_type="feature",
        summary="The widget models.",
        status="merged",
        agent_used="developer",
        duration_seconds=42.0,
    )
    await save_phase_doc(session, doc, now=T0 + timedelta(hours=2))
    entry = AuditEntryCreate(
        project_id=seeded.widgets,
        repository="acme/widgets",
        actor="octocat",
        command="retry",
        argument="phase-1",
        location="issue #7",
        outcome=Outcome.DONE,
        result="phase 1 queued again",
    )
    await record_command(session, entry, now=T0 + timedelta(minutes=65))
    for kind, status, error in [
        ("phase.code", JobStatus.QUEUED, None),
        ("phase.review", JobStatus.DEAD, "GitHub said 422: Validation Failed"),
        ("phase.code", JobStatus.DONE, None),
    ]:
        job = Job(kind=kind, status=status, last_error=error, project_id=seeded.widgets)
        await add(session, job)


async def seed(sessions: SessionMaker) -> Seeded:
    async with transaction(sessions) as session:
        seeded = await projects(session)
        await phases(session, seeded)
        await calls(session, seeded)
        await entries(session, seeded)
        await records(session, seeded)
    return seeded
