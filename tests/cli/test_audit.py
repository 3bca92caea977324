"""The audit trail of slash commands and `ai-orchestrator audit`."""

from __future__ import annotations

import pytest

from bot.cli.main import main
from storage.audit import AuditEntryCreate, Outcome, audit_entries, record_command
from storage.db import SessionMaker, transaction


def entry(project_id: int, actor: str, command: str, outcome: Outcome) -> AuditEntryCreate:
    return AuditEntryCreate(
        project_id=project_id,
        repository="octo-org/hello-world",
        actor=actor,
        command=command,
        argument="phase-2" if command == "retry" else "",
        location="issue #7",
        comment_id=99,
        outcome=outcome,
        result="regenerating phase 2" if outcome is Outcome.DONE else "needs write permission",
    )


async def test_entries_newest_first_and_by_project(sessions: SessionMaker) -> None:
    async with transaction(sessions) as session:
        await record_command(session, entry(1, "writer", "retry", Outcome.DONE))
        await record_command(session, entry(2, "octocat", "pause", Outcome.DONE))
        await record_command(session, entry(1, "reader", "abort", Outcome.REFUSED))
    async with sessions() as session:
        everything = await audit_entries(session)
        first = await audit_entries(session, project_id=1)
    assert [e.command for e in everything] == ["abort", "pause", "retry"]
    assert [(e.actor, e.outcome) for e in first] == [
        ("reader", Outcome.REFUSED),
        ("writer", Outcome.DONE),
    ]


async def test_cli_prints_the_trail(
    sessions: SessionMaker,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with transaction(sessions) as session:
        await record_command(session, entry(1, "writer", "retry", Outcome.DONE))
        await record_command(session, entry(2, "octocat", "pause", Outcome.DONE))
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ENV_FILE_PATH", "/nonexistent/.env")
    import asyncio

    assert await asyncio.to_thread(main, ["audit", "--project", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "writer" in lines[1] and "/retry phase-2" in lines[1]
    assert "done: regenerating phase 2" in lines[1]
