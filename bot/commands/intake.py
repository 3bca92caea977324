"""A comment with slash commands arrives (`issue_comment.created`): which project it is about,
who may run what, and one job to run them; `/pause` and `/abort` take effect at once.

Comments by bots (the app's own replies included) are ignored, and so are edited and deleted
comments (only `created` is routed here). The job's dedupe key is the comment's id, so the same
comment delivered twice runs its commands once.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.commands.control import abort_now, pause_now
from bot.commands.parse import Command, parse_commands
from bot.commands.table import canonical, may_run, refusal, reply_body, spec_for
from bot.deps import Deps
from bot.github.client import GitHubClient
from bot.github.comments import AppIdentity, app_identity, marker, upsert_comment
from bot.github.permissions import can_write, is_bot
from bot.github.repo import Repo
from bot.github.reviews import add_reaction
from storage.db import transaction
from storage.jobs import NewJob, enqueue
from storage.projects import Project, find_project, get_project, project_for_final_pull
from storage.types import utcnow
from storage.workflow import phase_for_pull

log = logging.getLogger(__name__)

COMMAND_JOB = "command"
MAX_COMMANDS = 10  # per comment; the rest are not read
# A command job sorts before the project's queued work: it runs next, after the job running.
AHEAD = timedelta(hours=1)
AT_ONCE = {"pause": pause_now, "abort": abort_now}


async def post_reply(
    gh: GitHubClient,
    project: Project,
    *,
    number: int,
    comment_id: int,
    body: str,
    app: AppIdentity,
) -> None:
    """The one reply to a comment's commands, found again by its marker (a re-run edits it)."""
    await upsert_comment(
        gh,
        Repo(project.owner, project.repo),
        number,
        body=body,
        mark=marker("command", comment_id),
        comment_id=None,
        app=app,
    )


def from_bot(payload: dict[str, Any]) -> bool:
    """The comment's author is a bot, or an app posted it in a person's name (the sender
    check in `bot.queue.dispatch` has already dropped deliveries sent by bots)."""
    comment = payload["comment"]
    return is_bot(comment.get("user") or {}) or bool(comment.get("performed_via_github_app"))


async def project_for(deps: Deps, payload: dict[str, Any]) -> tuple[Project, int | None] | None:
    """The project the comment is about (in its issue, a phase's pull request or the final
    one), and the phase when it is on a phase's pull request."""
    repo_id, issue = int(payload["repository"]["id"]), payload["issue"]
    number = int(issue["number"])
    async with deps.sessions() as session:
        if not issue.get("pull_request"):
            project = await find_project(session, repo_id=repo_id, issue_number=number)
            return None if project is None else (project, None)
        found = await phase_for_pull(session, repo_id=repo_id, pr_number=number)
        if found is not None:
            return found[0], found[1].number
        final = await project_for_final_pull(session, repo_id=repo_id, pr_number=number)
        return None if final is None else (final, None)


async def _allowed(deps: Deps, gh: GitHubClient, project: Project, login: str) -> bool:
    return await can_write(
        gh,
        owner=project.owner,
        repo=project.repo,
        username=login,
        cache=deps.permissions,
        installation_id=project.installation_id,
    )


async def _queue(
    session: AsyncSession, project: Project, args: dict[str, Any], accepted: list[Command]
) -> bool:
    """Queues the comment's job (once per comment) and, the first time, takes `/pause` and
    `/abort` into effect; True when the job is new."""
    assert project.id is not None
    job = await enqueue(
        session,
        NewJob(
            kind=COMMAND_JOB,
            args=args,
            project_id=project.id,
            dedupe_key=f"{COMMAND_JOB}:{args['comment_id']}",
            run_after=utcnow() - AHEAD,
        ),
    )
    if job is None:
        return False
    for command in accepted:
        act = AT_ONCE.get(canonical(command.name))
        if act is None:
            continue
        current = await get_project(session, project.id)  # as the last command left it
        if current is not None:
            await act(session, current, str(args["login"]))
    return True


async def _refuse_all(
    deps: Deps, gh: GitHubClient, project: Project, args: dict[str, Any], commands: list[Command]
) -> None:
    """No command is run: the answer says why, at once (nothing to wait for)."""
    login = str(args["login"])
    body = reply_body(commands, [refusal(command, login) for command in commands])
    number, comment_id = int(args["number"]), int(args["comment_id"])
    app = await app_identity(deps.github)
    await post_reply(gh, project, number=number, comment_id=comment_id, body=body, app=app)


async def handle_comment(deps: Deps, payload: dict[str, Any]) -> None:
    if from_bot(payload):
        return
    comment = payload["comment"]
    commands = parse_commands(comment.get("body"))[:MAX_COMMANDS]
    found = await project_for(deps, payload) if commands else None
    if found is None:
        return  # no command, or not about a project: none of the app's business
    project, phase = found
    login = str(comment["user"]["login"])
    gh = await deps.github.installation_client(int(payload["installation"]["id"]))
    specs = [spec_for(command) for command in commands]
    needs_write = any(spec is not None and spec.write for spec in specs)
    allowed = needs_write and await _allowed(deps, gh, project, login)
    accepted = [c for c, s in zip(commands, specs, strict=True) if s and may_run(s, allowed)]
    args: dict[str, Any] = {
        "project_id": project.id,
        "comment_id": int(comment["id"]),
        "number": int(payload["issue"]["number"]),
        "login": login,
        "phase": phase,
        "pull": bool(payload["issue"].get("pull_request")),
        "allowed": allowed,
        "commands": [asdict(command) for command in commands],
    }
    if not accepted:
        await _refuse_all(deps, gh, project, args, commands)
        return
    async with transaction(deps.sessions) as session:
        new = await _queue(session, project, args, accepted)
    log.info("commands from %s on #%s (new: %s)", login, args["number"], new)
    await add_reaction(gh, Repo(project.owner, project.repo), int(comment["id"]))
