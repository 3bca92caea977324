"""Which files are the repository's instructions for agents, and which setup and test commands
they name for the app's CI workflow."""

from __future__ import annotations

import pytest

from bot.files.instructions import NamedCommands, commands_in, instruction_commands
from bot.files.instructions import instruction_paths as paths_of

TREE = [
    "README.md",
    "app/AGENTS.md",
    "AGENTS.md",
    "app/api/AGENTS.md",
    "CLAUDE.md",
    ".github/copilot-instructions.md",
    "node_modules/left-pad/AGENTS.md",
    ".ai-orchestrator/issue-1/AGENTS.md",
    "docs/agents.md",
]


def test_every_agents_md_root_first_and_not_those_of_dependencies() -> None:
    assert paths_of(TREE) == ["AGENTS.md", "app/AGENTS.md", "app/api/AGENTS.md"]


COPILOT = ".github/copilot-instructions.md"


@pytest.mark.parametrize(
    ("tree", "expected"),
    [
        (["CLAUDE.md", "src/CLAUDE.md", COPILOT], ["CLAUDE.md", "src/CLAUDE.md"]),
        ([COPILOT, "README.md"], [COPILOT]),
        (["README.md", "docs/AGENTS.txt"], []),
    ],
    ids=["claude-md", "copilot", "none"],
)
def test_the_fallbacks_only_when_there_is_no_agents_md(
    tree: list[str], expected: list[str]
) -> None:
    assert paths_of(tree) == expected


GUIDE = """\
# Contributing

Use `ruff` and keep `src/` tidy.

## Getting started
```console
$ python -m venv .venv
created virtual environment
$ python -m pip install -e '.[test]' \\
    --no-cache-dir
```

## Testing
```bash
# fast tests first
pytest -q tests/unit
```
Then `python -m pytest -q tests` for the whole suite; `npm run lint` too.

## Commands
- `make test`
- `make docs`
- `uv sync`

```python
pytest.main()
```
"""


def test_commands_from_setup_testing_and_command_sections() -> None:
    assert commands_in(GUIDE) == NamedCommands(
        setup=(
            "python -m venv .venv",
            "python -m pip install -e '.[test]' --no-cache-dir",
            "uv sync",
        ),
        test=("pytest -q tests/unit", "python -m pytest -q tests", "npm run lint", "make test"),
    )


def test_a_file_without_such_sections_names_no_commands() -> None:
    assert commands_in("# Style\nRun `pytest` often.\n## Naming\n```\nnpm test\n```\n") == (
        NamedCommands()
    )


def test_only_repository_wide_files_name_commands_each_list_from_the_first() -> None:
    files = {
        "AGENTS.md": "## Testing\n```\npytest\n```\n",
        "app/AGENTS.md": "## Setup\n```\nnpm ci\n```\n",
        ".github/copilot-instructions.md": "## Setup\n```\npip install -r requirements.txt\n```\n",
    }
    assert instruction_commands(files) == NamedCommands(
        setup=("pip install -r requirements.txt",), test=("pytest",)
    )
