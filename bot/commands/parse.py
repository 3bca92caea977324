"""Slash commands in a comment: which lines are commands, and what they name.

A command is a line starting with `/` and a command name; several in one comment run in
order. Lines inside fenced code blocks and quoted lines (`> /retry`, as in a reply quoting an
earlier comment) are not commands. Names are case-insensitive; `phase-3`, `phase 3` and `3`
all name phase 3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_COMMAND = re.compile(r"^/(?P<name>[A-Za-z][A-Za-z0-9_-]*)(?:[ \t]+(?P<argument>.*?))?[ \t]*$")
_PHASE = re.compile(r"^(?:phase[ \t]*-?[ \t]*)?#?(?P<number>\d{1,4})$", re.IGNORECASE)
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


@dataclass(frozen=True)
class Command:
    name: str  # lower case, as typed (aliases are resolved by the command table)
    argument: str  # the rest of the line, stripped ("" when none)
    line: str  # the line as written, for replies and the audit


def _command_lines(body: str) -> list[str]:
    lines: list[str] = []
    fence: str | None = None
    for raw in body.splitlines():
        marker = _FENCE.match(raw)
        if marker:
            token = marker.group(1)[0]
            fence = None if fence == token else (fence or token)
            continue
        if fence is None and raw.startswith("/"):
            lines.append(raw.rstrip())
    return lines


def parse_commands(body: str | None) -> list[Command]:
    """The commands in a comment body, in order."""
    commands = []
    for line in _command_lines(body or ""):
        match = _COMMAND.match(line)
        if match:
            name = match.group("name").lower()
            commands.append(Command(name, (match.group("argument") or "").strip(), line))
    return commands


def parse_phase(text: str) -> int | None:
    """The phase number `text` names (`phase-3`, `phase 3`, `Phase3`, `3`), or None."""
    match = _PHASE.match(text.strip())
    return int(match.group("number")) if match else None
