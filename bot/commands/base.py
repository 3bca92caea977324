"""What every slash command works with: the comment that gave it (`Context`), the answer it
gives (`Answer`), its entry in the command table (`Spec`), and naming a phase.

User-facing text is in UPPER_CASE constants that the tests compare against.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.commands.parse import Command, parse_phase
from bot.deps import Deps
from bot.status import markdown as md
from bot.workflow.context import Flow
from storage.audit import Outcome
from storage.projects import Project, ProjectStatus
from storage.workflow import Phase, get_phase, project_phases

RESULT_LIMIT = 2000  # the audit row's result, and so the longest answer a re-run repeats

NO_SUCH_PHASE = "@{user} this project has no phase {name}. Its phases: {phases}."
NO_PHASES_YET = "@{user} this project has no phases yet: its plan is not ready."
NAME_A_PHASE = "@{user} say which phase: `/{command} phase-<k>`. This project's phases: {phases}."
ABORTED = "@{user} this project was aborted: nothing more is done for it."


@dataclass
class Context:
    """One comment's commands, run in the project's line of jobs."""

    flow: Flow
    login: str
    comment_id: int
    number: int  # the issue or pull request the comment is on
    phase: int | None  # the phase whose pull request it is (implied by its commands)
    on_pull: bool = False  # on a pull request (a phase's, or the final one)
    # Not from a comment: the dashboard's or the API's action job (bot.commands.requested),
    # whose audit rows say `location` and whose `comment_id` is 0.
    location: str | None = None
    job_id: int | None = None

    @property
    def deps(self) -> Deps:
        return self.flow.deps

    @property
    def project(self) -> Project:
        return self.flow.project

    @property
    def where(self) -> str:
        if self.location is not None:
            return self.location
        return f"pull request #{self.number}" if self.on_pull else f"issue #{self.number}"

    @property
    def tag(self) -> str:
        """Unique to the comment (or action job) that gave the command: dedupes what it queues."""
        return f"job-{self.job_id}" if self.job_id is not None else str(self.comment_id)


@dataclass(frozen=True)
class Answer:
    text: str
    outcome: Outcome = Outcome.DONE
    changed: bool = False  # the project changed: its status comment is edited
    note: str | None = None  # the audit row's result when not `text` (a long answer)

    @property
    def result(self) -> str:
        return (self.note if self.note is not None else self.text)[:RESULT_LIMIT]


def refused(text: str) -> Answer:
    return Answer(text, Outcome.REFUSED)


CommandFn = Callable[[Context, Command], Awaitable[Answer]]


@dataclass(frozen=True)
class Spec:
    """A row of the command table: the function, who may run it, and its line in `/help`."""

    fn: CommandFn
    rows: tuple[tuple[str, str], ...]  # (usage, effect) lines of `/help`
    write: bool = True  # needs write, maintain or admin permission
    read_only: bool = False  # changes nothing, so a re-run job simply answers again


def aborted(ctx: Context) -> Answer | None:
    """The refusal for a command that would change an aborted project."""
    if ctx.project.status is ProjectStatus.ABORTED:
        return refused(ABORTED.format(user=ctx.login))
    return None


async def phases_of(ctx: Context) -> list[Phase]:
    async with ctx.deps.sessions() as session:
        return await project_phases(session, project_id=ctx.flow.id)


def phase_list(phases: list[Phase]) -> str:
    return ", ".join(f"{p.number} ({p.state})" for p in phases)


async def named_phase(ctx: Context, command: Command) -> Phase | Answer:
    """The phase the command names (`phase-3`, `phase 3`, `3`), or in a pull request with no
    argument, that pull request's phase; an answer saying which phases exist otherwise."""
    phases = await phases_of(ctx)
    if not phases:
        return refused(NO_PHASES_YET.format(user=ctx.login))
    known = phase_list(phases)
    if not command.argument and ctx.phase is None:
        text = NAME_A_PHASE.format(user=ctx.login, command=command.name, phases=known)
        return refused(text)
    number = parse_phase(command.argument) if command.argument else ctx.phase
    async with ctx.deps.sessions() as session:
        found = (
            None
            if number is None
            else await get_phase(session, project_id=ctx.flow.id, number=number)
        )
    if found is None:
        name = md.code(command.argument) if command.argument else str(number)
        return refused(NO_SUCH_PHASE.format(user=ctx.login, name=name, phases=known))
    return found
