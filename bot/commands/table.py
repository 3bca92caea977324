"""Slash commands in a project's issue or one of its pull requests: one small function per
command and one table mapping names (and aliases) to them.

How a comment's commands run (`bot.commands.intake`, then `bot.commands.job`):
- when the comment arrives, its commands are read; anyone may run `/help`, `/status`, `/plan`
  and `/cost`, the others need write, maintain or admin permission (asked of GitHub, cached);
- a comment with commands the app accepts gets 👀 and one job in the project's line of jobs
  (so it waits for the job running now, and runs next); `/pause` and `/abort` also act at once;
- the job runs the commands in order, writes each accepted one to the audit table, and answers
  all of them in one reply comment (found again by a marker: a re-run edits it).
"""

from __future__ import annotations

from bot.commands.base import Answer, Context, Spec
from bot.commands.control import abort, approve_command, pause, resume_project
from bot.commands.info import cost, plan, status
from bot.commands.parse import Command
from bot.commands.phases import invalidate_cache, retry, skip
from bot.status import markdown as md

NOT_ALLOWED = (
    "@{user} only people with write, maintain or admin permission on this repository can "
    "give AI Orchestrator commands."
)
UNKNOWN = "@{user} I do not know the command `/{name}`. Commands I know: {known}."
HELP_INTRO = (
    "AI Orchestrator takes these commands, each on a line of its own, in the project's issue "
    "and in its pull requests (there the phase is implied). Anyone may use `/help`, `/status`, "
    "`/plan` and `/cost`; the others need write, maintain or admin permission."
)


async def help_command(ctx: Context, command: Command) -> Answer:
    rows = [
        f"| `{usage}` | {effect} |" for spec in COMMANDS.values() for usage, effect in spec.rows
    ]
    table = "\n".join(["| command | effect |", "| --- | --- |", *rows])
    return Answer(f"{HELP_INTRO}\n\n{table}", note="answered with the commands")


COMMANDS: dict[str, Spec] = {
    "retry": Spec(
        retry,
        rows=(
            (
                "/retry phase-<k>",
                "invalidate phase k's cached code and review (and what depends on them) and "
                "write it again: a new commit on the same branch and pull request, reviewed "
                "again. Refused for a merged phase.",
            ),
            (
                "/retry",
                "run again the step that failed last (in a pull request: that phase's), "
                "with the cache for everything that did not fail",
            ),
        ),
    ),
    "status": Spec(
        status,
        rows=(("/status", "the project's current state, and the file each option came from"),),
        write=False,
        read_only=True,
    ),
    "plan": Spec(
        plan,
        rows=(("/plan", "the plan, with a link to the plan file"),),
        write=False,
        read_only=True,
    ),
    "cost": Spec(
        cost,
        rows=(
            (
                "/cost",
                "tokens and dollars by agent and phase, cache hits and savings, "
                "provider-cached tokens",
            ),
        ),
        write=False,
        read_only=True,
    ),
    "approve": Spec(
        approve_command,
        rows=(
            (
                "/approve",
                "approve the plan, or going on past the budget's pause point; in a phase's "
                "pull request under merge policy `human`, approve and merge it",
            ),
        ),
    ),
    "skip": Spec(
        skip,
        rows=(
            (
                "/skip phase-<k>",
                "mark the phase skipped (its pull request closed) and go on; phases that "
                "depend on it are flagged in the status comment",
            ),
        ),
    ),
    "pause": Spec(pause, rows=(("/pause", "start no new job for this project"),)),
    "resume": Spec(resume_project, rows=(("/resume", "go on where the project was paused"),)),
    "abort": Spec(
        abort,
        rows=(
            (
                "/abort",
                "stop the project now: the job in flight stops at its next step, open pull "
                "requests are closed, nothing is deleted",
            ),
        ),
    ),
    "invalidate-cache": Spec(
        invalidate_cache,
        rows=(
            (
                "/invalidate-cache <key>",
                "invalidate one cache key of this project and what depends on it",
            ),
        ),
    ),
    "help": Spec(help_command, rows=(("/help", "this table"),), write=False, read_only=True),
}
ALIASES: dict[str, str] = {
    "lgtm": "approve",
    "invalidate": "invalidate-cache",
    "invalidate_cache": "invalidate-cache",
}


def canonical(name: str) -> str:
    return ALIASES.get(name, name)


def spec_for(command: Command) -> Spec | None:
    return COMMANDS.get(canonical(command.name))


def may_run(spec: Spec, allowed: bool) -> bool:
    return allowed or not spec.write


def refusal(command: Command, login: str) -> str:
    """The answer to a command that is not run: unknown, or not allowed to this person."""
    if spec_for(command) is None:
        known = ", ".join(f"`/{name}`" for name in COMMANDS)
        return UNKNOWN.format(user=login, name=command.name, known=known)
    return NOT_ALLOWED.format(user=login)


def reply_body(commands: list[Command], answers: list[str]) -> str:
    """One reply for the comment: the answer alone, or each under its command."""
    if len(answers) == 1:
        return answers[0]
    parts = []
    for command, answer in zip(commands, answers, strict=True):
        line = f"/{command.name} {command.argument}".strip()
        parts.append(f"**{md.inline(line, 200)}**\n\n{answer}")
    return "\n\n---\n\n".join(parts)
