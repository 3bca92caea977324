"""The app's CI workflow for a repository that has none: rendered from a template in
`bot/files/ci_templates/` (never written by a model), committed with the plan.

Which stack: the first test command's tool decides (`pytest` is Python, `npm test` Node,
`go test` Go, `cargo test` Rust); failing that, the first item of the plan's technology stack
that names a known language. Which commands: those the repository's instruction files name,
else the plan's, else the stack's defaults. Commands are untrusted (a model or the
repository wrote them), so each goes in as one YAML string written by the YAML emitter, and a
command holding `${{` (an Actions expression, evaluated before the shell sees it) or a
control character is dropped.

Writing under `.github/workflows/` needs the installation's `workflows` permission, which the
default manifest does not ask for; without it the file goes to
`.ai-orchestrator/issue-<n>/ci.yml`, where it does not run, and the status comment says how to
turn it on.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files as package_files

import yaml

from agents.schemas import Architecture
from bot.files.instructions import instruction_commands
from bot.files.plan_file import issue_dir

WORKFLOW_PATH = ".github/workflows/ai-orchestrator-ci.yml"
WORKFLOWS_DIR = ".github/workflows/"
# The job's name, so the check run's: what the app waits for on a phase's head.
CHECK_NAME = "ai-orchestrator/ci"
# Every integration branch, so the file still serves later projects once it is merged (a
# filter's `*` does not match `/`, so phase branches are not bases it runs for).
INTEGRATION_BRANCHES = "ai-orchestrator/issue-*"
MAX_COMMANDS = 10
MAX_COMMAND_CHARS = 1000
MAX_STEP_NAME = 80
NOT_RUNNING = (
    "The app made a CI workflow for this project but may not write under "
    "`.github/workflows/` (the installation lacks the `workflows` permission), so it is at "
    "`{path}`, where it does not run. To run it on the phases' pull requests, copy it to "
    f"`{WORKFLOW_PATH}` on `{{branch}}`, or grant the App Workflows (read and write) for "
    "the next project. `ci.generate: false` turns this off."
)


@dataclass(frozen=True)
class Stack:
    name: str  # also the template's file name
    words: frozenset[str]  # naming it in the plan's technology stack
    runners: frozenset[str]  # the first word of its test commands
    setup: tuple[str, ...]  # when nothing names setup commands
    test: tuple[str, ...]  # when nothing names test commands
    version: str  # the toolchain's version when the stack does not name one
    version_pattern: str | None = None


STACKS = (
    Stack(
        "python",
        frozenset({"python", "python3", "pytest", "django", "flask", "fastapi"}),
        frozenset({"pytest", "python", "python3", "tox", "nox", "uv", "poetry", "pdm", "hatch"}),
        (
            "python -m pip install --upgrade pip",
            "if [ -f requirements.txt ]; then python -m pip install -r requirements.txt; fi",
            "python -m pip install pytest",
        ),
        ("python -m pytest",),
        "3.12",
        r"python\s*(3\.\d{1,2})\b",
    ),
    Stack(
        "node",
        frozenset(
            {
                *("node", "node.js", "nodejs", "javascript", "typescript", "npm", "express"),
                *("react", "vue", "next.js", "svelte", "angular"),
            }
        ),
        frozenset({"npm", "npx", "yarn", "pnpm", "node", "jest", "vitest"}),
        ("if [ -f package-lock.json ]; then npm ci; else npm install; fi",),
        ("npm test",),
        "lts/*",
        r"node(?:\.?js)?\s*v?(\d{2})\b",
    ),
    Stack(
        "go",
        frozenset({"go", "golang"}),
        frozenset({"go"}),
        (),
        ("go test ./...",),
        "stable",
        r"\bgo(?:lang)?\s*(1\.\d{1,2})\b",
    ),
    Stack("rust", frozenset({"rust", "cargo"}), frozenset({"cargo"}), (), ("cargo test",), ""),
)


@dataclass(frozen=True)
class CIPlan:
    stack: Stack
    setup: tuple[str, ...]
    test: tuple[str, ...]
    version: str


def has_workflows(paths: Iterable[str]) -> bool:
    """Whether the tree has a workflow GitHub would run (a YAML file directly in the folder)."""
    return any(
        path.startswith(WORKFLOWS_DIR)
        and "/" not in path[len(WORKFLOWS_DIR) :]
        and path.endswith((".yml", ".yaml"))
        for path in paths
    )


def can_write_workflows(permissions: Mapping[str, str]) -> bool:
    return permissions.get("workflows") == "write"


def workflow_path(issue_number: int, *, may_write: bool) -> str:
    return WORKFLOW_PATH if may_write else f"{issue_dir(issue_number)}/ci.yml"


def not_running_notice(path: str | None, branch: str | None) -> str | None:
    """The status comment's notice for a workflow that went where it does not run."""
    if path is None or path == WORKFLOW_PATH:
        return None
    return NOT_RUNNING.format(path=path, branch=branch or "the integration branch")


def safe_commands(commands: Iterable[str]) -> tuple[str, ...]:
    """One line each, at most `MAX_COMMANDS`; none holding `${{` or a control character."""
    lines = [line.strip() for command in commands for line in command.splitlines()]
    kept = [line for line in lines if line and _harmless(line)]
    return tuple(dict.fromkeys(kept))[:MAX_COMMANDS]


def _harmless(command: str) -> bool:
    controls = any(unicodedata.category(c) in ("Cc", "Cf") and c != "\t" for c in command)
    return "${{" not in command and not controls and len(command) <= MAX_COMMAND_CHARS


def detect_stack(architecture: Architecture, test: Sequence[str]) -> Stack | None:
    for command in test:
        first = command.split()[0]
        found = next((stack for stack in STACKS if first in stack.runners), None)
        if found is not None:
            return found
    for item in architecture.technology_stack:
        words = set(re.findall(r"[a-z0-9.+#]+", f"{item.area} {item.choice}".lower()))
        found = next((stack for stack in STACKS if words & stack.words), None)
        if found is not None:
            return found
    return None


def _version(stack: Stack, architecture: Architecture) -> str:
    if stack.version_pattern is not None:
        text = " ".join(item.choice for item in architecture.technology_stack).lower()
        found = re.search(stack.version_pattern, text)
        if found:
            return found[1]
    return stack.version


def ci_plan(architecture: Architecture, instructions: Mapping[str, str]) -> CIPlan | None:
    """What the workflow runs; None when the stack is not one the app has a template for."""
    named = instruction_commands(instructions)
    setup = safe_commands(named.setup) or safe_commands(architecture.commands.setup)
    test = safe_commands(named.test) or safe_commands(architecture.commands.test)
    stack = detect_stack(architecture, test)
    if stack is None:
        return None
    return CIPlan(stack, setup or stack.setup, test or stack.test, _version(stack, architecture))


def render_workflow(plan: CIPlan, *, project_ref: str, branches: Sequence[str]) -> str:
    """The workflow's text: a pure function of its inputs, so a re-run commits nothing new."""
    template = package_files("bot.files").joinpath("ci_templates", f"{plan.stack.name}.yml")
    text = template.read_text(encoding="utf-8")
    values = {
        "__PROJECT__": " ".join(project_ref.split()),
        "__BRANCHES__": json.dumps(list(dict.fromkeys(branches))),
        "__CHECK__": json.dumps(CHECK_NAME),
        "__VERSION__": json.dumps(plan.version),
        "__STEPS__": _steps(plan).rstrip("\n"),
    }
    # One pass, so a value that holds a marker (a repository named `__STEPS__`) stays text.
    return re.sub("|".join(values), lambda found: values[found[0]], text)


def _steps(plan: CIPlan) -> str:
    steps = [_step("Set up", command) for command in plan.setup]
    steps += [_step("Test", command) for command in plan.test]
    dumped = yaml.safe_dump(steps, sort_keys=False, allow_unicode=True, width=1_000_000)
    return "".join(f"      {line}\n" for line in dumped.splitlines())


def _step(kind: str, command: str) -> dict[str, str]:
    name = f"{kind}: {command}"
    short = name if len(name) <= MAX_STEP_NAME else name[: MAX_STEP_NAME - 1] + "…"
    return {"name": short, "run": command}
