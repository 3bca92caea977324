"""PROJECT arguments: a project id (`12`) or its issue (`owner/repo#7`), found or refused in one
line that says what to run instead."""

from __future__ import annotations

import sys

from sqlmodel.ext.asyncio.session import AsyncSession

from storage import reports

UNKNOWN = "ai-orchestrator: no project {ref} (`ai-orchestrator projects` lists them)"
# Exit codes as bot.cli.main's: 1 nothing found, 2 a malformed argument.
EXIT_UNKNOWN = 1
EXIT_USAGE = 2


class ProjectNotFound(Exception):
    """The PROJECT argument names no project, or is no project reference at all."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code

    def report(self) -> int:
        print(self, file=sys.stderr)
        return self.code


async def project_detail(session: AsyncSession, ref: str) -> reports.ProjectDetail:
    """The project `ref` names; ProjectNotFound otherwise."""
    try:
        project_id = await reports.find_project_ref(session, ref)
    except ValueError as exc:
        raise ProjectNotFound(f"ai-orchestrator: {exc}", EXIT_USAGE) from None
    detail = None if project_id is None else await reports.project_detail(session, project_id)
    if detail is None:
        raise ProjectNotFound(UNKNOWN.format(ref=ref), EXIT_UNKNOWN)
    return detail
