"""Slash commands in a project's issue or one of its pull requests, from people with write
permission: one small function per command and one table mapping names (and aliases) to them.

An accepted command gets 👀 and its answer in a comment; a comment by someone without write
permission, or an unknown command, gets a short reply that says why. Comments on issues that
are not projects are none of the app's business and get nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bot.command_parse import Command, parse_commands
from bot.comments import marker, post_once
from bot.context import Deps
from bot.github import GitHubClient
from bot.gitops import Repo, add_reaction
from bot.permissions import can_write
from bot.workflow_steps import APPROVE, queue
from storage.db import transaction
from storage.projects import Project, find_project
from storage.workflow import phase_for_pull

MAX_COMMANDS = 5  # per comment

NOT_ALLOWED = (
    "@{user} only people with write, maintain or admin permission on this repository can "
    "give AI Orchestrator commands."
)
UNKNOWN = "@{user} I do not know the command `/{name}`. Commands I know: {known}."


@dataclass(frozen=True)
class Context:
    deps: Deps
    gh: GitHubClient
    repo: Repo
    project: Project
    login: str
    comment_id: int
    number: int  # the issue or pull request the comment is on


CommandFn = Callable[[Context, Command], Awaitable[str | None]]  # the reply, or None


async def approve(ctx: Context, command: Command) -> str | None:
    """Queued as a job of the project, which answers when it has acted."""
    assert ctx.project.id is not None
    args: dict[str, Any] = {"by": ctx.login, "comment_id": ctx.comment_id, "number": ctx.number}
    async with transaction(ctx.deps.sessions) as session:
        await queue(session, APPROVE, ctx.project.id, ctx.comment_id, **args)
    return None


COMMANDS: dict[str, CommandFn] = {"approve": approve}
ALIASES: dict[str, str] = {"lgtm": "approve"}


async def project_for(deps: Deps, payload: dict[str, Any]) -> Project | None:
    repo_id, issue = int(payload["repository"]["id"]), payload["issue"]
    async with deps.sessions() as session:
        if issue.get("pull_request"):
            found = await phase_for_pull(session, repo_id=repo_id, pr_number=int(issue["number"]))
            return None if found is None else found[0]
        return await find_project(session, repo_id=repo_id, issue_number=int(issue["number"]))


async def reply(ctx: Context, text: str, key: str) -> None:
    await post_once(
        ctx.gh,
        owner=ctx.repo.owner,
        repo=ctx.repo.name,
        number=ctx.number,
        body=text,
        mark=marker("command", f"{ctx.comment_id}-{key}"),
    )


async def run(ctx: Context, command: Command) -> None:
    fn = COMMANDS.get(ALIASES.get(command.name, command.name))
    if fn is None:
        known = ", ".join(f"`/{name}`" for name in sorted(COMMANDS))
        await reply(
            ctx, UNKNOWN.format(user=ctx.login, name=command.name, known=known), command.name
        )
        return
    await add_reaction(ctx.gh, ctx.repo, ctx.comment_id)
    answer = await fn(ctx, command)
    if answer:
        await reply(ctx, answer, command.name)


async def handle_comment(deps: Deps, payload: dict[str, Any]) -> None:
    commands = parse_commands(payload["comment"].get("body"))[:MAX_COMMANDS]
    project = await project_for(deps, payload) if commands else None
    if project is None:
        return
    gh = await deps.github.installation_client(int(payload["installation"]["id"]))
    login = str(payload["comment"]["user"]["login"])
    ctx = Context(
        deps,
        gh,
        Repo(project.owner, project.repo),
        project,
        login,
        int(payload["comment"]["id"]),
        int(payload["issue"]["number"]),
    )
    allowed = await can_write(
        gh,
        owner=project.owner,
        repo=project.repo,
        username=login,
        cache=deps.permissions,
        installation_id=project.installation_id,
    )
    if not allowed:
        await reply(ctx, NOT_ALLOWED.format(user=login), "not-allowed")
        return
    for command in commands:
        await run(ctx, command)
