"""Which lines of a comment are commands, and which phase an argument names."""

from __future__ import annotations

import pytest

from bot.commands.parse import Command, parse_commands, parse_phase


def test_several_commands_in_order_case_insensitive() -> None:
    body = "Thanks!\n/RETRY phase-3\nsome text\n/cost\n  /pause\n/Skip Phase 2  \n"
    assert parse_commands(body) == [
        Command("retry", "phase-3", "/RETRY phase-3"),
        Command("cost", "", "/cost"),
        Command("skip", "Phase 2", "/Skip Phase 2"),
    ]


def test_code_blocks_and_quotes_are_not_commands() -> None:
    body = (
        "> /abort\n"
        "```\n/abort\n```\n"
        "~~~text\n/pause\n~~~\n"
        "`/retry` inline is not a line start\n"
        "/status\n"
    )
    assert [c.name for c in parse_commands(body)] == ["status"]


def test_an_unclosed_fence_hides_the_rest() -> None:
    assert parse_commands("```\n/abort\n") == []


def test_not_commands() -> None:
    assert parse_commands(None) == []
    assert parse_commands("/ retry\n//retry\n/3d\nhttp://x/retry\n") == []


@pytest.mark.parametrize(
    ("text", "phase"),
    [("phase-3", 3), ("phase 3", 3), ("3", 3), ("Phase3", 3), ("PHASE - 12", 12), ("#4", 4)],
)
def test_phase_names(text: str, phase: int) -> None:
    assert parse_phase(text) == phase


@pytest.mark.parametrize("text", ["", "phase", "three", "3.5", "-1", "phase-3 now", "12345"])
def test_not_phase_names(text: str) -> None:
    assert parse_phase(text) is None
