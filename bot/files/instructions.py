"""The repository's instructions for agents on its default branch: which files they are, and
the setup and test commands they name (preferred over the plan's for the app's CI workflow).

Which files: every `AGENTS.md`, at the root and in any directory; only when there is none,
every `CLAUDE.md`; only when there is none either, `.github/copilot-instructions.md`. Files
under `node_modules/` or `vendor/` belong to dependencies, not to the repository.

Which commands: only files that apply to the whole repository (at the root) name them, since
CI runs from the root. Under a heading about setup (setup, install, getting started,
dependencies, environment) or tests (test, tests, testing), or a general one (commands, build,
development, scripts), the commands are the lines of its shell code blocks (only the `$ `
lines of a console transcript) and its inline code spans that start with a known tool. A
command is a test command when it starts a test runner (`pytest`, `npm test`, `go test`,
`cargo test`, `tox`, `make test`, …), a setup command when it installs (`install`, `sync`,
`ci`, `download`, …), and otherwise what its heading says (a general heading drops it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from posixpath import basename
from typing import Literal

from agents.instructions import order_key, scope_of
from agents.markdown import Section, code_blocks, inline_code, sections, title_key
from bot.files.plan_file import APP_DIR

AGENTS = "AGENTS.md"
CLAUDE = "CLAUDE.md"
COPILOT = ".github/copilot-instructions.md"
MAX_INSTRUCTION_FILES = 20
MAX_INSTRUCTION_BYTES = 64 * 1024
_DEPENDENCY_DIRS = frozenset({"node_modules", "vendor", "third_party"})

Kind = Literal["setup", "test", "general"]
_SETUP_TITLE = re.compile(
    r"\b(setup|set up|install|installation|installing|getting started|bootstrap|"
    r"dependencies|environment)\b"
)
_TEST_TITLE = re.compile(r"\b(test|tests|testing)\b")
_GENERAL_TITLE = re.compile(r"\b(commands?|build|building|development|scripts?)\b")
_SHELL = frozenset({"", "sh", "bash", "shell", "console", "zsh", "terminal", "shell-session"})
_TOOLS = frozenset(
    {
        *("python", "python3", "pip", "pip3", "pytest", "uv", "poetry", "pdm", "hatch"),
        *("tox", "nox", "pipenv", "npm", "npx", "yarn", "pnpm", "node", "go", "cargo"),
        *("rustup", "make", "just"),
    }
)
_RUNS = r"(?:(?:uv|poetry|pdm|hatch|pipenv) run\s+)?(?:python3?\s+-m\s+)?"
_TEST_COMMAND = re.compile(
    rf"^{_RUNS}(?:pytest|tox|nox|unittest)\b|^(?:npm|yarn|pnpm)\s+(?:run\s+)?test\b"
    r"|^go\s+test\b|^cargo\s+test\b|^make\s+(?:test|check)\b|^(?:npx\s+)?(?:jest|vitest)\b"
)
_SETUP_COMMAND = re.compile(r"\b(install|sync|ci|download|fetch|restore|venv|virtualenv)\b")


@dataclass(frozen=True)
class NamedCommands:
    setup: tuple[str, ...] = ()
    test: tuple[str, ...] = ()


def _family(path: str) -> int | None:
    """0 for AGENTS.md, 1 for CLAUDE.md, 2 for Copilot's file; None for any other path."""
    if path.startswith(APP_DIR + "/") or set(path.split("/")[:-1]) & _DEPENDENCY_DIRS:
        return None
    if path == COPILOT:
        return 2
    return {AGENTS: 0, CLAUDE: 1}.get(basename(path))


def instruction_paths(paths: Iterable[str]) -> list[str]:
    """The instruction files among the tree's `paths`, root first (at most
    `MAX_INSTRUCTION_FILES`): the first family that has any."""
    found: dict[int, list[str]] = {}
    for path in paths:
        family = _family(path)
        if family is not None:
            found.setdefault(family, []).append(path)
    if not found:
        return []
    return sorted(found[min(found)], key=order_key)[:MAX_INSTRUCTION_FILES]


def _kind(section: Section) -> Kind | None:
    title = title_key(section.title)
    setup, test = bool(_SETUP_TITLE.search(title)), bool(_TEST_TITLE.search(title))
    if setup != test:
        return "setup" if setup else "test"
    return "general" if setup or _GENERAL_TITLE.search(title) else None


def _shell_lines(lines: tuple[str, ...]) -> list[str]:
    """A code block's commands: its `$ ` lines when it is a transcript, else every line that
    is not a comment; a line ending in a backslash continues on the next."""
    transcript = any(line.strip().startswith("$ ") for line in lines)
    commands: list[str] = []
    continuing = False
    for line in (raw.strip() for raw in lines):
        took = True
        if continuing:
            commands[-1] = commands[-1][:-1].rstrip() + " " + line
        elif transcript and line.startswith("$ "):
            commands.append(line[2:].strip())
        elif not transcript and line and not line.startswith("#"):
            commands.append(line)
        else:
            took = False
        continuing = took and commands[-1].endswith("\\")
    return commands


def _commands_of(section: Section) -> list[str]:
    found = [
        command
        for block in code_blocks(section.body)
        if block.language in _SHELL
        for command in _shell_lines(block.lines)
    ]
    spans = [span for span in inline_code(section.body) if span.split()[0] in _TOOLS]
    return found + spans


def _classify(command: str, kind: Kind) -> Kind | None:
    if _TEST_COMMAND.search(command):
        return "test"
    if _SETUP_COMMAND.search(command):
        return "setup"
    return kind if kind != "general" else None


def commands_in(text: str) -> NamedCommands:
    """The setup and test commands one instruction file names, in order, each once."""
    named: dict[str, Kind] = {}
    for section in sections(text):
        kind = _kind(section)
        if kind is None:
            continue
        for command in _commands_of(section):
            chosen = _classify(command, kind)
            if chosen is not None:
                named.setdefault(command, chosen)
    setup = tuple(command for command, kind in named.items() if kind == "setup")
    return NamedCommands(setup, tuple(command for command, kind in named.items() if kind == "test"))


def instruction_commands(files: Mapping[str, str]) -> NamedCommands:
    """The commands of the repository-wide instruction files: each list from the first file
    (in prompt order) that names any."""
    setup: tuple[str, ...] = ()
    test: tuple[str, ...] = ()
    for path in sorted(files, key=order_key):
        if scope_of(path) == "":
            named = commands_in(files[path])
            setup, test = setup or named.setup, test or named.test
    return NamedCommands(setup, test)
