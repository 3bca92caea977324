"""Cost recommendations computed from the ledger and the cache: each names what it found, the
figures it found it from, and what to do. Nothing here is canned: no rule fires on an empty or
healthy database.

The rules:
- `revisions`: the phases whose revisions and CI fixes cost most (at least REVISION_SHARE of
  the phase's spend went to them);
- `model_per_answer`: the role and model whose cost per answer is highest, when it is at least
  ANSWER_RATIO times the cheapest role's (an answer is one distinct request, a step under a cache
  key in a project, that reached a model: the re-ask after an invalid answer and a re-run
  that missed the cache are part of its cost);
- `retry_cache`: a low response-cache hit rate on repeated requests (a step asked again in the
  same project after its first request: a retry, a re-run job, a revision round asked twice),
  below RETRY_HIT_RATE over at least MIN_REPEATS repeats.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import Integer, case, cast, func
from sqlalchemy import select as sa_select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.analytics import is_revision, visible
from storage.cache_keys import Stage, parse_key
from storage.ledger import LLMCall
from storage.money import format_usd
from storage.projects import Project
from storage.query import rows, total
from storage.workflow import Phase

REVISION_SHARE = 0.25
TOP_PHASES = 3
ANSWER_RATIO = 2.0
RETRY_HIT_RATE = 0.5
MIN_REPEATS = 3

Kind = Literal["revisions", "model_per_answer", "retry_cache"]
Figure = int | float | str


class Recommendation(BaseModel):
    kind: Kind
    title: str  # one line: what was found, with its figures
    advice: str  # what to do about it
    project_id: int | None = None
    phase: int | None = None
    # What following the advice could save at most, for ordering (the figures say how).
    nanousd_at_stake: int
    figures: dict[str, Figure]  # what it was computed from (nano-dollars as *_nanousd)


async def _revision_rows(
    session: AsyncSession, repo_ids: Collection[int] | None
) -> list[Sequence[Any]]:
    """Per phase: its project's repository and issue, its revision counts, its spend and the
    part spent on revisions."""
    revision = case((is_revision(), col(LLMCall.cost_nanousd)), else_=0)
    group = (
        col(Project.id),
        col(Project.owner),
        col(Project.repo),
        col(Project.issue_number),
        col(LLMCall.phase),
        col(Phase.name),
        col(Phase.revisions),
        col(Phase.people_revisions),
        col(Phase.ci_fixes),
    )
    statement = (
        sa_select(*group, total(LLMCall.cost_nanousd), total(revision))
        .select_from(LLMCall)
        .join(Project, col(Project.id) == col(LLMCall.project_id))
        .join(
            Phase,
            (col(Phase.project_id) == col(LLMCall.project_id))
            & (col(Phase.number) == col(LLMCall.phase)),
        )
        .where(*visible(repo_ids))
        .group_by(*group)
    )
    return await rows(session, statement)


def _revision_advice(row: Sequence[Any]) -> Recommendation:
    project_id, owner, repo, issue, phase, name, revisions, people, fixes, spent, on_revisions = row
    share = on_revisions / spent
    ref = f"{owner}/{repo}#{issue}"
    return Recommendation(
        kind="revisions",
        title=(
            f"{ref} phase {phase} ({name}): {format_usd(on_revisions)} of its "
            f"{format_usd(spent)} ({share:.0%}) went to {revisions} validator revisions, "
            f"{people} review revisions and {fixes} CI fixes"
        ),
        advice=(
            "Sharpen this phase's acceptance criteria or split it: the first answer kept "
            "missing them, and each round re-sends the phase's files."
        ),
        project_id=project_id,
        phase=phase,
        nanousd_at_stake=on_revisions,
        figures={
            "repository": f"{owner}/{repo}",
            "issue_number": issue,
            "revisions": revisions,
            "people_revisions": people,
            "ci_fixes": fixes,
            "phase_nanousd": spent,
            "revision_nanousd": on_revisions,
            "revision_share": round(share, 4),
        },
    )


async def _revisions(
    session: AsyncSession, repo_ids: Collection[int] | None
) -> list[Recommendation]:
    found = [
        row
        for row in await _revision_rows(session, repo_ids)
        if row[-1] > 0 and row[-1] >= REVISION_SHARE * row[-2]
    ]
    found.sort(key=lambda row: (-row[-1], row[0], row[4]))
    return [_revision_advice(row) for row in found[:TOP_PHASES]]


async def _answer_rows(
    session: AsyncSession, repo_ids: Collection[int] | None
) -> list[Sequence[Any]]:
    """Per role and model: answers (distinct project, key and step that reached a model) and
    their cost. Two levels of GROUP BY: SQLite has no COUNT(DISTINCT a, b)."""
    per_answer = (
        sa_select(
            col(LLMCall.role).label("role"),
            col(LLMCall.model).label("model"),
            total(LLMCall.cost_nanousd).label("nanousd"),
        )
        .select_from(LLMCall)
        .join(Project, col(Project.id) == col(LLMCall.project_id))
        .where(col(LLMCall.cache_hit).is_(False), *visible(repo_ids))
        .group_by(
            col(LLMCall.role),
            col(LLMCall.model),
            col(LLMCall.project_id),
            col(LLMCall.cache_key),
            col(LLMCall.step),
        )
        .subquery()
    )
    statement = (
        sa_select(per_answer.c.role, per_answer.c.model, func.count(), total(per_answer.c.nanousd))
        .group_by(per_answer.c.role, per_answer.c.model)
        .order_by(per_answer.c.role, per_answer.c.model)
    )
    return await rows(session, statement)


async def _model_per_answer(
    session: AsyncSession, repo_ids: Collection[int] | None
) -> list[Recommendation]:
    found = [
        (role, model, n, cost, cost / n)
        for role, model, n, cost in await _answer_rows(session, repo_ids)
        if n
    ]
    if len(found) < 2:
        return []
    dearest = max(found, key=lambda line: line[4])
    cheapest = min(found, key=lambda line: line[4])
    if cheapest[4] <= 0 or dearest[4] < ANSWER_RATIO * cheapest[4]:
        return []
    role, model, answers, cost, each = dearest
    ratio = each / cheapest[4]
    return [
        Recommendation(
            kind="model_per_answer",
            title=(
                f"the {role} on {model} costs {format_usd(round(each))} per answer over "
                f"{answers} answers ({format_usd(cost)}), {ratio:.1f}x the {cheapest[0]} on "
                f"{cheapest[1]} ({format_usd(round(cheapest[4]))} per answer)"
            ),
            advice=(
                f"Try a cheaper model for the {role} (AGENT_{role.upper()}_MODEL, or the "
                "repository's models option), or a shorter prompt: fewer files in focus."
            ),
            nanousd_at_stake=round((each - cheapest[4]) * answers),
            figures={
                "role": role,
                "model": model,
                "answers": answers,
                "nanousd": cost,
                "nanousd_per_answer": round(each),
                "cheapest_role": cheapest[0],
                "cheapest_model": cheapest[1],
                "cheapest_nanousd_per_answer": round(cheapest[4]),
                "ratio": round(ratio, 2),
            },
        )
    ]


async def _repeat_rows(
    session: AsyncSession, repo_ids: Collection[int] | None
) -> list[Sequence[Any]]:
    """Per cache key: requests of a step asked more than once in a project, beyond the first
    (the repeats), the cache hits among them, and what their model calls cost."""
    hit = cast(col(LLMCall.cache_hit), Integer)
    asked = (
        sa_select(
            col(LLMCall.cache_key).label("key"),
            func.count().label("requests"),
            total(hit).label("hits"),
            total(LLMCall.cost_nanousd).label("nanousd"),
        )
        .select_from(LLMCall)
        .join(Project, col(Project.id) == col(LLMCall.project_id))
        .where(col(LLMCall.cache_key).is_not(None), *visible(repo_ids))
        .group_by(col(LLMCall.project_id), col(LLMCall.cache_key), col(LLMCall.step))
        .having(func.count() > 1)
        .subquery()
    )
    # The first request of a step can only be a hit when its ledger row was pruned: cap hits.
    hits = case((asked.c.hits > asked.c.requests - 1, asked.c.requests - 1), else_=asked.c.hits)
    statement = sa_select(
        asked.c.key,
        total(asked.c.requests - 1),
        total(hits),
        total(asked.c.requests - asked.c.hits),
        total(asked.c.nanousd),
    ).group_by(asked.c.key)
    return await rows(session, statement)


def _retry_advice(stage: Stage, figures: Sequence[int]) -> Recommendation:
    repeats, hits, calls, nanousd = figures
    rate = hits / repeats
    missed = repeats - hits
    at_stake = round(nanousd / calls * missed) if calls else 0
    return Recommendation(
        kind="retry_cache",
        title=(
            f"the {stage.value} stage: {hits} of {repeats} repeated requests ({rate:.0%}) were "
            f"answered from the cache; {missed} went to the model again"
        ),
        advice=(
            "A repeat misses when its inputs changed or its entry expired or was "
            f"invalidated: raise CACHE_TTL_{stage.value.upper()}_HOURS if retries come late, "
            "and retry a phase (/retry phase-<k>) rather than the whole project."
        ),
        nanousd_at_stake=at_stake,
        figures={
            "stage": stage.value,
            "repeats": repeats,
            "hits": hits,
            "hit_rate": round(rate, 4),
            "threshold": RETRY_HIT_RATE,
            "model_calls": calls,
            "nanousd": nanousd,
        },
    )


async def _retry_cache(
    session: AsyncSession, repo_ids: Collection[int] | None
) -> list[Recommendation]:
    sums: dict[Stage, list[int]] = {}
    for key, *figures in await _repeat_rows(session, repo_ids):
        try:
            stage = parse_key(key).stage
        except ValueError:  # a key of an older release
            continue
        line = sums.setdefault(stage, [0, 0, 0, 0])
        for i, value in enumerate(figures):
            line[i] += int(value)
    return [
        _retry_advice(stage, figures)
        for stage, figures in sums.items()
        if figures[0] >= MIN_REPEATS and figures[1] / figures[0] < RETRY_HIT_RATE
    ]


async def recommendations(
    session: AsyncSession, *, repo_ids: Collection[int] | None
) -> list[Recommendation]:
    """Every rule over the visible projects (`repo_ids` None: all), the most money at stake
    first."""
    found = [
        *await _revisions(session, repo_ids),
        *await _model_per_answer(session, repo_ids),
        *await _retry_cache(session, repo_ids),
    ]
    return sorted(found, key=lambda advice: -advice.nanousd_at_stake)
