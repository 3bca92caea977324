"""The transition table, exhaustively: every state, event and options either moves as the
expectations below say (written out per state, independently of the table's rows) or is
refused; the table's shape (reachability, one row per pair, known jobs); the README's diagram
drawn from it; and the typed columns that hold states, steps and markers."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, StatementError

from bot.options import MergePolicy
from bot.workflow import diagram
from bot.workflow.runner import STEPS
from bot.workflow.states import (
    TABLE,
    Event,
    Move,
    Refused,
    Rules,
    can,
    queued_by,
    review_event,
    transition,
)
from bot.workflow.steps import (
    PHASE_CI_FIX,
    PHASE_MERGE,
    PHASE_RECOVER,
    PHASE_REVIEW,
    PHASE_REVISE,
    PHASE_SYNC,
)
from storage.db import SessionMaker, transaction
from storage.projects import Project
from storage.states import FINISHED, UNFINISHED, Marker, MarkerKind, PhaseState, ProjectStep
from storage.workflow import Phase
from tests.workflow_helpers import bare_project

S, E = PhaseState, Event
ROOT = Path(__file__).resolve().parents[2]
AUTO = Rules()
HUMAN = Rules(merge_policy=MergePolicy.HUMAN)
LEGACY = Rules(legacy=True)
SAME = "same"  # the state does not change
BEFORE = S.WAITING_CI  # the state a failed phase failed in, for `/retry`

# What every unfinished phase accepts, whatever its state.
ANYWHERE = {
    E.MERGED_ON_GITHUB: (S.MERGED, None),
    E.PUSHED: (SAME, PHASE_SYNC),
    E.SKIP: (S.SKIPPED, None),
    E.RETRY_PHASE: (S.PLANNED, None),
    E.STEP_FAILED: (S.FAILED, None),
}
SYNCS = {E.SYNCED: (S.IN_REVIEW, PHASE_REVIEW)}
FEEDBACK = {E.FEEDBACK: (SAME, PHASE_REVISE)}
REVISES = {E.REVISE: (S.REVISING, None)}
DECIDES = {
    E.FAILED: (S.REVISING, PHASE_REVISE),
    E.LIMIT: (S.REVISING, PHASE_RECOVER),
}
# A passed review depends on the options: (auto, human, legacy).
PASSES = ((S.WAITING_CI, PHASE_MERGE), (S.WAITING_HUMAN, None), (S.WAITING_HUMAN, None))

EXPECTED: dict[PhaseState, dict[Event, tuple[PhaseState | str, str | None]]] = {
    S.PLANNED: {E.CODE: (S.CODING, None), **ANYWHERE, **FEEDBACK},
    S.CODING: {E.OPENED: (S.IN_REVIEW, PHASE_REVIEW), **ANYWHERE, **SYNCS, **FEEDBACK},
    S.IN_REVIEW: {**DECIDES, **REVISES, **ANYWHERE, **SYNCS, **FEEDBACK},
    S.REVISING: {
        **DECIDES,
        **REVISES,
        E.REVISED: (S.IN_REVIEW, PHASE_REVIEW),
        E.GUIDED: (S.REVISING, PHASE_REVISE),
        E.SPLIT: (S.SKIPPED, None),
        E.GIVE_UP: (S.SKIPPED, None),
        E.ASK: (S.WAITING_HUMAN, None),
        **ANYWHERE,
        **SYNCS,
        **FEEDBACK,
    },
    S.WAITING_CI: {
        **REVISES,
        E.CI_REPORTED: (SAME, PHASE_MERGE),
        E.CI_PENDING: (SAME, None),
        E.CI_GRACE: (SAME, PHASE_MERGE),
        E.CI_FAILED: (S.CI_FIXING, PHASE_CI_FIX),
        E.CI_FIX_LIMIT: (S.CI_FIXING, PHASE_RECOVER),
        E.CI_RERUN: (SAME, None),
        E.CI_NEEDS_PERSON: (S.WAITING_HUMAN, None),
        E.BEHIND: (SAME, PHASE_SYNC),
        E.CONFLICT: (S.WAITING_HUMAN, None),
        E.MERGED: (S.MERGED, None),
        **ANYWHERE,
        **SYNCS,
        **FEEDBACK,
    },
    S.CI_FIXING: {
        **REVISES,
        E.REVISED: (S.IN_REVIEW, PHASE_REVIEW),
        E.GUIDED: (S.CI_FIXING, PHASE_CI_FIX),
        E.CI_FIX_LIMIT: (S.CI_FIXING, PHASE_RECOVER),
        E.CI_RECOVERED: (S.WAITING_CI, PHASE_MERGE),
        E.SPLIT: (S.SKIPPED, None),
        E.GIVE_UP: (S.SKIPPED, None),
        E.ASK: (S.WAITING_HUMAN, None),
        **ANYWHERE,
        **SYNCS,
        **FEEDBACK,
    },
    S.WAITING_HUMAN: {**REVISES, E.MERGED: (S.MERGED, None), **ANYWHERE, **SYNCS, **FEEDBACK},
    S.FAILED: {E.RETRY_STEP: (BEFORE, None), **ANYWHERE, **SYNCS},
    S.MERGED: {},
    S.SKIPPED: {},
}
ADVANCES = {E.MERGED, E.MERGED_ON_GITHUB, E.SKIP, E.SPLIT, E.GIVE_UP, E.RETRY_PHASE}
ADVANCES |= {E.RETRY_STEP, E.STEP_FAILED}


def expected(state: PhaseState, event: Event, rules: Rules) -> Move | None:
    if event is E.PASSED and state in (S.IN_REVIEW, S.REVISING):
        target, job = PASSES[(AUTO, HUMAN, LEGACY).index(rules)]
        return Move(target, job, False)
    found = EXPECTED[state].get(event)
    if found is None:
        return None
    target, job = found
    return Move(state if target == SAME else PhaseState(target), job, event in ADVANCES)


@pytest.mark.parametrize("rules", [AUTO, HUMAN, LEGACY], ids=["auto", "human", "legacy"])
@pytest.mark.parametrize("state", list(PhaseState))
def test_every_event_in_every_state_moves_as_expected_or_is_refused(
    state: PhaseState, rules: Rules
) -> None:
    for event in Event:
        want = expected(state, event, rules)
        if want is None:
            with pytest.raises(Refused, match=state.value):
                transition(state, event, rules, before=BEFORE)
            assert not can(state, event)
        else:
            assert transition(state, event, rules, before=BEFORE) == want, event
            assert can(state, event)


def test_finished_phases_never_move() -> None:
    for state in FINISHED:
        assert not [event for event in Event if can(state, event)]


def test_every_state_is_reachable_from_planned() -> None:
    reached, frontier = {S.PLANNED}, {S.PLANNED}
    while frontier:
        moves = {
            transition(state, event, rules, before=S.IN_REVIEW).state
            for state in frontier
            for event in Event
            for rules in (AUTO, HUMAN, LEGACY)
            if can(state, event) and (event is not E.PASSED or state in (S.IN_REVIEW, S.REVISING))
        }
        frontier = moves - reached
        reached |= moves
    assert reached == set(PhaseState)


def test_a_phase_can_always_finish_from_where_it_is() -> None:
    for state in UNFINISHED:
        assert transition(state, E.SKIP, AUTO).state is S.SKIPPED
        assert transition(state, E.MERGED_ON_GITHUB, AUTO).state is S.MERGED


def test_every_event_is_used_and_every_job_is_a_workflow_step() -> None:
    assert {row.event for row in TABLE} == set(Event)
    jobs = {row.job for row in TABLE if row.job is not None}
    assert jobs <= set(STEPS)


def test_retry_of_a_failed_step_needs_the_state_it_failed_in() -> None:
    with pytest.raises(Refused, match="no state to go back to"):
        transition(S.FAILED, E.RETRY_STEP, AUTO)
    assert transition(S.FAILED, E.RETRY_STEP, AUTO, before=S.CODING).state is S.CODING


def test_the_events_of_webhooks_queue_one_job_whatever_the_options() -> None:
    assert queued_by(S.WAITING_CI, E.CI_REPORTED) == PHASE_MERGE
    assert queued_by(S.IN_REVIEW, E.CI_REPORTED) is None
    assert queued_by(S.FAILED, E.PUSHED) == PHASE_SYNC
    assert queued_by(S.MERGED, E.PUSHED) is None
    assert queued_by(S.FAILED, E.FEEDBACK) is None
    assert queued_by(S.WAITING_HUMAN, E.FEEDBACK) == PHASE_REVISE


@pytest.mark.parametrize(
    ("passed", "revisions", "limit", "event"),
    [(True, 5, 3, E.PASSED), (False, 2, 3, E.FAILED), (False, 3, 3, E.LIMIT)],
)
def test_a_verdict_is_an_event(passed: bool, revisions: int, limit: int, event: Event) -> None:
    assert review_event(passed, revisions, limit) is event


def test_the_readme_diagram_is_drawn_from_the_table() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert diagram.replaced(readme) == readme, "run: python -m bot.workflow.diagram README.md"
    drawn = diagram.mermaid()
    for row in TABLE:
        assert row.event.value in drawn


def test_markers_read_back_as_they_were_written() -> None:
    for marker in (Marker(MarkerKind.REVIEW, "abc123"), Marker(MarkerKind.COMMIT)):
        assert Marker.parse(str(marker)) == marker
    assert str(Marker(MarkerKind.REVISE, "2")) == "revise:2"
    with pytest.raises(ValueError, match="not a kind"):
        Marker.parse("not a kind:1")


async def _project(sessions: SessionMaker) -> Project:
    async with transaction(sessions) as session:
        project = bare_project()
        session.add(project)
        await session.flush()
        return project


async def test_a_marker_and_the_enums_come_back_typed(sessions: SessionMaker) -> None:
    project = await _project(sessions)
    async with transaction(sessions) as session:
        phase = Phase(project_id=project.id or 0, number=1, name="p")
        phase.began = Marker(MarkerKind.CHECK, "f00")
        session.add(phase)
    async with sessions() as session:
        stored = await session.get(Phase, phase.id)
        stored_project = await session.get(Project, project.id)
    assert stored is not None and stored_project is not None
    assert stored.began == Marker(MarkerKind.CHECK, "f00")
    assert stored.state is S.PLANNED
    assert stored_project.step is ProjectStep.PLANNING


async def test_a_string_marker_is_refused_before_it_is_written(sessions: SessionMaker) -> None:
    project = await _project(sessions)
    with pytest.raises(StatementError, match="began takes a Marker"):
        async with transaction(sessions) as session:
            phase = Phase(project_id=project.id or 0, number=1, name="p")
            phase.began = "review:abc"  # type: ignore[assignment]
            session.add(phase)


@pytest.mark.parametrize(
    ("table", "column"), [("phases", "state"), ("projects", "step")], ids=["state", "step"]
)
async def test_the_database_refuses_an_unknown_state(
    sessions: SessionMaker, table: str, column: str
) -> None:
    project = await _project(sessions)
    async with transaction(sessions) as session:
        session.add(Phase(project_id=project.id or 0, number=1, name="p"))
    row = "(SELECT MIN(id) FROM phases)" if table == "phases" else str(project.id)
    with pytest.raises(IntegrityError):
        async with transaction(sessions) as session:
            await session.exec(  # type: ignore[call-overload]
                text(f"UPDATE {table} SET {column} = 'lost' WHERE id = {row}")
            )
