"""The phase state machine in one table: from each state, on each event, the next state and
the job to queue.

`transition()` is pure (no I/O, in the spirit of gidgethub's `sansio`): a step asks it what
an event means for its phase, then does the writes itself (`bot.workflow.phase.enter`). A pair
the table does not list is refused on purpose (`Refused`): a job that arrives after its phase
moved on does nothing. The README's state diagram is drawn from this table
(`bot.workflow.diagram`), and a test fails when the two differ.

The states, project steps and write-ahead markers themselves are `storage.states`, beside the
columns that hold them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.options import MergePolicy
from bot.workflow.steps import (
    PHASE_CI_FIX,
    PHASE_MERGE,
    PHASE_RECOVER,
    PHASE_REVIEW,
    PHASE_REVISE,
    PHASE_SYNC,
)
from storage.states import ACTIVE, UNFINISHED, PhaseState

S = PhaseState


class Event(StrEnum):
    CODE = "code job starts"
    OPENED = "pull request opened"  # a first commit and its PR, an adopted PR, a regeneration
    PASSED = "review passed"
    FAILED = "review failed"
    LIMIT = "revision limit reached"  # the review failed and no revision is left
    REVISE = "revision begins"
    REVISED = "new head to review"  # a revision's or a CI fix's commit, or an unreviewed head
    GUIDED = "manager retries with guidance"
    SPLIT = "manager splits it"
    GIVE_UP = "manager skips it"
    ASK = "manager asks a person"
    CI_REPORTED = "CI reported"
    CI_PENDING = "CI pending"
    CI_GRACE = "no CI yet, within the grace window"
    CI_FAILED = "CI failed"
    CI_FIX_LIMIT = "CI failed, no fix left"
    CI_RERUN = "CI infrastructure failed, re-run"
    CI_NEEDS_PERSON = "CI needs a person"
    CI_RECOVERED = "CI no longer failing"
    BEHIND = "branch behind, updated"
    CONFLICT = "branch conflicts"
    MERGED = "app merged"  # after CI (policy auto), or a person's `/approve` (policy human)
    MERGED_ON_GITHUB = "merged on GitHub"  # by a person, or found merged when work is adopted
    PUSHED = "a person pushed"
    SYNCED = "branch moved"
    FEEDBACK = "a person reviewed"
    SKIP = "/skip"
    RETRY_PHASE = "/retry phase-k"
    RETRY_STEP = "/retry"
    STEP_FAILED = "step failed"


class When(StrEnum):
    """The one choice the repository's options make in the table: what a passed review does."""

    ALWAYS = "always"
    AUTO_MERGE = "merge policy auto"
    HUMAN_MERGE = "merge policy human"
    LEGACY = "legacy workflow"


class Target(StrEnum):
    """A row's next state when it is not a fixed one."""

    SAME = "same"  # the event queues a job and leaves the state as it is
    BEFORE = "before"  # the state the phase failed in (`/retry` of a failed step)


@dataclass(frozen=True)
class Row:
    sources: frozenset[PhaseState]
    event: Event
    target: PhaseState | Target
    job: str | None = None
    advance: bool = False  # the schedule moves on: the next phase, or the integration
    when: When = When.ALWAYS


@dataclass(frozen=True)
class Rules:
    """What of the repository's options and workflow the table looks at."""

    merge_policy: MergePolicy = MergePolicy.AUTO
    legacy: bool = False

    @property
    def passed(self) -> When:
        if self.legacy:
            return When.LEGACY
        return When.HUMAN_MERGE if self.merge_policy is MergePolicy.HUMAN else When.AUTO_MERGE


@dataclass(frozen=True)
class Move:
    state: PhaseState
    job: str | None = None
    advance: bool = False


class Refused(ValueError):
    """The table has no move for this event in this state."""


def _row(
    sources: PhaseState | frozenset[PhaseState],
    event: Event,
    target: PhaseState | Target,
    job: str | None = None,
    *,
    advance: bool = False,
    when: When = When.ALWAYS,
) -> Row:
    group = frozenset({sources}) if isinstance(sources, PhaseState) else sources
    return Row(group, event, target, job, advance, when)


REVIEWED = frozenset({S.IN_REVIEW, S.REVISING})  # a decision on a review comes from these
RECOVERING = frozenset({S.REVISING, S.CI_FIXING})  # where the manager's recovery decides
FIXABLE = frozenset({S.WAITING_CI, S.CI_FIXING})  # a red build's fixes run out from these
MERGEABLE = frozenset({S.WAITING_CI, S.WAITING_HUMAN})
E, T = Event, Target

TABLE: tuple[Row, ...] = (
    _row(S.PLANNED, E.CODE, S.CODING),
    _row(S.CODING, E.OPENED, S.IN_REVIEW, PHASE_REVIEW),
    _row(REVIEWED, E.PASSED, S.WAITING_CI, PHASE_MERGE, when=When.AUTO_MERGE),
    _row(REVIEWED, E.PASSED, S.WAITING_HUMAN, when=When.HUMAN_MERGE),
    _row(REVIEWED, E.PASSED, S.WAITING_HUMAN, when=When.LEGACY),
    _row(REVIEWED, E.FAILED, S.REVISING, PHASE_REVISE),
    _row(REVIEWED, E.LIMIT, S.REVISING, PHASE_RECOVER),
    _row(ACTIVE - {S.CODING}, E.REVISE, S.REVISING),
    _row(RECOVERING, E.REVISED, S.IN_REVIEW, PHASE_REVIEW),
    _row(S.REVISING, E.GUIDED, S.REVISING, PHASE_REVISE),
    _row(S.CI_FIXING, E.GUIDED, S.CI_FIXING, PHASE_CI_FIX),
    _row(RECOVERING, E.SPLIT, S.SKIPPED, advance=True),
    _row(RECOVERING, E.GIVE_UP, S.SKIPPED, advance=True),
    _row(RECOVERING, E.ASK, S.WAITING_HUMAN),
    _row(S.WAITING_CI, E.CI_REPORTED, T.SAME, PHASE_MERGE),
    _row(S.WAITING_CI, E.CI_PENDING, T.SAME),
    _row(S.WAITING_CI, E.CI_GRACE, T.SAME, PHASE_MERGE),
    _row(S.WAITING_CI, E.CI_FAILED, S.CI_FIXING, PHASE_CI_FIX),
    _row(FIXABLE, E.CI_FIX_LIMIT, S.CI_FIXING, PHASE_RECOVER),
    _row(S.CI_FIXING, E.CI_RECOVERED, S.WAITING_CI, PHASE_MERGE),
    _row(S.WAITING_CI, E.CI_RERUN, T.SAME),
    _row(S.WAITING_CI, E.CI_NEEDS_PERSON, S.WAITING_HUMAN),
    _row(S.WAITING_CI, E.BEHIND, T.SAME, PHASE_SYNC),
    _row(S.WAITING_CI, E.CONFLICT, S.WAITING_HUMAN),
    _row(MERGEABLE, E.MERGED, S.MERGED, advance=True),
    _row(UNFINISHED, E.MERGED_ON_GITHUB, S.MERGED, advance=True),
    _row(UNFINISHED, E.PUSHED, T.SAME, PHASE_SYNC),
    _row(UNFINISHED - {S.PLANNED}, E.SYNCED, S.IN_REVIEW, PHASE_REVIEW),
    _row(UNFINISHED - {S.FAILED}, E.FEEDBACK, T.SAME, PHASE_REVISE),
    _row(UNFINISHED, E.SKIP, S.SKIPPED, advance=True),
    _row(UNFINISHED, E.RETRY_PHASE, S.PLANNED, advance=True),
    _row(S.FAILED, E.RETRY_STEP, T.BEFORE, advance=True),
    _row(UNFINISHED, E.STEP_FAILED, S.FAILED, advance=True),
)


def rows_for(state: PhaseState, event: Event) -> list[Row]:
    return [row for row in TABLE if row.event is event and state in row.sources]


def can(state: PhaseState, event: Event) -> bool:
    """Whether the event moves a phase in `state` (under some options)."""
    return bool(rows_for(state, event))


def transition(
    state: PhaseState, event: Event, rules: Rules, *, before: PhaseState | None = None
) -> Move:
    """The move `event` makes from `state`; `before` is the state a failed phase failed in,
    which `/retry` of its step goes back to. Raises `Refused` for a pair the table lacks."""
    rows = [row for row in rows_for(state, event) if row.when in (When.ALWAYS, rules.passed)]
    if not rows:
        raise Refused(f"no move from {state.value!r} on {event.value!r}")
    (row,) = rows  # the table test holds each (state, event, options) to one row
    return Move(_target(row.target, state, before), row.job, row.advance)


def queued_by(state: PhaseState, event: Event) -> str | None:
    """The job an event of the webhooks queues for a phase in `state` (None: refused). The
    handlers write nothing else: the phase moves in the project's own line of jobs."""
    jobs = {row.job for row in rows_for(state, event)}
    if len(jobs) > 1:  # pragma: no cover - the table test holds these events to one row
        raise Refused(f"{event.value!r} depends on the options: ask transition()")
    return next(iter(jobs), None)


def _target(target: PhaseState | Target, state: PhaseState, before: PhaseState | None) -> S:
    if target is Target.SAME:
        return state
    if target is Target.BEFORE:
        if before is None:
            raise Refused(f"{state.value!r} has no state to go back to")
        return before
    assert isinstance(target, PhaseState)
    return target


def review_event(passed: bool, revisions: int, max_revisions: int) -> Event:
    """What a review's verdict means: passed, or failed with revisions left or none."""
    if passed:
        return Event.PASSED
    return Event.FAILED if revisions < max_revisions else Event.LIMIT
