"""What the workflow reads from GitHub once, when planning begins: the default branch, the
repository's options file, the issue's labels (for a template), the paths of its files, the
repository's instructions for agents (AGENTS.md and its fallbacks), and whether work for the
issue is already under way (its integration branch exists).

Which files the agents see in full is chosen once the plan is known (`plan_files`): those the
plan names, what they import, the project's manifests, then the files nearest the plan's
directories, up to `MAX_BASE_FILES`. A file that usually holds secrets (`bot.files.sensitive`)
is never read: its path alone is known."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from pathlib import PurePosixPath

from agents.context import mentioned_paths
from agents.filemap import python_imports
from agents.schemas import Architecture, MicroPhase
from bot.files.instructions import MAX_INSTRUCTION_BYTES, instruction_paths
from bot.files.project_templates import pick_template
from bot.files.sensitive import holds_secrets, is_example_env
from bot.github.git import branch_head, default_branch, list_paths, read_file
from bot.options_chain import ResolvedOptions, resolve_options
from bot.workflow.context import Flow, integration_branch, runtime_for

log = logging.getLogger(__name__)

ISSUE_URL = "/repos/{owner}/{repo}/issues/{number}"
# The default branch's files read in full for the prompts; the rest are named by path only.
MAX_BASE_FILES = 40
# How a project is built and run: worth reading for any plan, after the files it names.
MANIFESTS = (
    "README.md",
    "pyproject.toml",
    "setup.cfg",
    "setup.py",
    "requirements.txt",
    "package.json",
    "tsconfig.json",
    "go.mod",
    "Cargo.toml",
    "Gemfile",
    "pom.xml",
    "build.gradle",
)
TEXT_SUFFIXES = frozenset(
    {
        ".py",
        ".pyi",
        ".js",
        ".jsx",
        ".ts",
        ".tsx",
        ".mjs",
        ".cjs",
        ".json",
        ".toml",
        ".yaml",
        ".yml",
        ".ini",
        ".cfg",
        ".md",
        ".rst",
        ".txt",
        ".html",
        ".css",
        ".scss",
        ".sql",
        ".sh",
        ".go",
        ".rs",
        ".java",
        ".kt",
        ".rb",
        ".php",
        ".c",
        ".h",
        ".cpp",
        ".hpp",
        ".cs",
        ".swift",
        ".vue",
        ".svelte",
        ".graphql",
        ".proto",
        ".dockerfile",
    }
)
TEXT_NAMES = frozenset({"Dockerfile", "Makefile", "Procfile", "LICENSE", ".gitignore"})


def readable(path: str) -> bool:
    """A text file the agents may read: never one that usually holds secrets."""
    if holds_secrets(path):
        return False
    name = PurePosixPath(path).name
    return (
        name in TEXT_NAMES
        or PurePosixPath(path).suffix.lower() in TEXT_SUFFIXES
        or (
            is_example_env(path)  # `.env.example`: its suffix is `.example`
        )
    )


async def issue_labels(flow: Flow) -> list[str]:
    """The issue's labels now (only their names: the brief stays as stored at the start)."""
    url_vars = flow.repo.url_vars(number=flow.issue)
    issue = await flow.gh.getitem(ISSUE_URL, url_vars)
    return [str(label["name"]) for label in issue.get("labels") or []]


def repository_paths(paths: Iterable[str]) -> dict[str, str]:
    """The default branch's paths, named only until the plan says which to read."""
    return {path: "" for path in sorted(paths) if not path.startswith(".ai-orchestrator/")}


def plan_words(architecture: Architecture, phases: Sequence[MicroPhase]) -> str:
    """Everything the plan says, where it may name a repository's file."""
    parts = [architecture.system_overview, *architecture.coding_standards]
    parts += [" ".join(c.responsibilities) for c in architecture.components]
    for phase in phases:
        parts += [phase.description, phase.implementation_approach, *phase.acceptance_criteria]
        parts += [*phase.tests_to_write, *phase.files_to_create]
    return "\n".join(parts)


def _directories(paths: Iterable[str]) -> set[tuple[str, ...]]:
    return {PurePosixPath(path).parent.parts for path in paths}


def _nearness(path: str, near: set[tuple[str, ...]]) -> tuple[int, int, str]:
    """Most directories shared with one the plan works in first, then the shallowest."""
    where = PurePosixPath(path).parent.parts
    shared = max((_shared(where, other) for other in near), default=0)
    return -shared, len(where), path


def _shared(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """How many leading directories `a` and `b` have in common."""
    differ = (n for n, (x, y) in enumerate(zip(a, b, strict=False)) if x != y)
    return next(differ, min(len(a), len(b)))


def reading_order(
    known: set[str], architecture: Architecture, phases: Sequence[MicroPhase]
) -> tuple[list[str], list[str]]:
    """(the files the plan names, in plan order; the rest, most useful first)."""
    direct = [path for phase in phases for path in phase.files_to_create if path in known]
    direct += mentioned_paths(plan_words(architecture, phases), known)
    named = list(dict.fromkeys(direct))
    near = _directories([path for phase in phases for path in phase.files_to_create] + named)
    manifests = [path for path in MANIFESTS if path in known and path not in named]
    rest = sorted(known - set(named) - set(manifests), key=lambda p: _nearness(p, near))
    return named, manifests + rest


async def plan_files(
    flow: Flow, architecture: Architecture, phases: Sequence[MicroPhase]
) -> dict[str, str]:
    """The default branch's files with `MAX_BASE_FILES` of them read in full: the files the
    plan names and what they import (transitively) first, then the rest in `reading_order`."""
    files = dict(flow.project.base_files)
    known = {path for path in files if readable(path)}
    named, others = reading_order(known, architecture, phases)
    first, rest, done = deque(named), deque(others), set[str]()
    while (first or rest) and len(done) < MAX_BASE_FILES:
        from_plan = bool(first)
        path = first.popleft() if from_plan else rest.popleft()
        if path in done:
            continue
        done.add(path)
        files[path] = await _read(flow, path)
        if from_plan:  # what the plan's files import is the plan's too
            first += [p for p in python_imports(path, files[path], known) if p not in done]
    return files


async def _read(flow: Flow, path: str) -> str:
    assert flow.project.base_sha is not None
    content = await read_file(flow.gh, flow.repo, path, flow.project.base_sha) or ""
    return content if len(content.encode()) <= flow.options.max_file_bytes else ""


async def instruction_files(flow: Flow, sha: str, paths: list[str]) -> dict[str, str]:
    """The instruction files' text (path -> text), one read each; a file over
    `MAX_INSTRUCTION_BYTES` is cut there (the prompts cut it anyway)."""
    found: dict[str, str] = {}
    for path in instruction_paths(paths):
        text = await read_file(flow.gh, flow.repo, path, sha) or ""
        found[path] = text.encode()[:MAX_INSTRUCTION_BYTES].decode(errors="ignore")
    return found


async def read_options(flow: Flow, sha: str) -> ResolvedOptions:
    """The repository's options at `sha`, with what it inherits (`bot.options_chain`)."""
    files, installation = flow.deps.options_files, flow.project.installation_id
    return await resolve_options(files, flow.gh, installation, flow.repo, sha)


def _with_unknown_template(
    problem: str | None, name: str | None, templates: Mapping[str, object]
) -> str | None:
    """The options' notices, and one more when `template` names no template here."""
    if name is None or name in templates:
        return problem
    known = ", ".join(f"`{known}`" for known in sorted(templates))
    note = f"`template: {name}` names no template here (known: {known}): none is used"
    return "\n".join(line for line in (problem, note) if line)


async def load_facts(flow: Flow) -> None:
    """Reads and stores the facts, unless an earlier run of the plan job stored them."""
    if flow.project.default_branch is not None:
        return
    branch = await default_branch(flow.gh, flow.repo)
    loaded = await read_options(flow, branch.sha)
    options = loaded.options
    templates = flow.deps.plugins.templates
    template = pick_template(options, await issue_labels(flow), templates)
    problem = _with_unknown_template(loaded.problem, options.template, templates)
    paths = await list_paths(flow.gh, flow.repo, branch.sha)
    instructions = await instruction_files(flow, branch.sha, paths)
    name = integration_branch(flow.issue)
    under_way = await branch_head(flow.gh, flow.repo, name)
    if under_way is not None:
        log.info("work for issue #%s is under way on %s: continuing it", flow.issue, name)
    await flow.save(
        options=loaded.snapshot(),
        options_problem=problem,
        template=template.name if template else None,
        default_branch=branch.name,
        base_sha=branch.sha,
        base_files=repository_paths(paths),
        instructions=instructions,
        integration_branch=name,
        budget_nanousd=options.budget_nanousd,
        lookup_first=under_way is not None,
    )
    flow.options = options
    assert flow.deps.agents is not None
    flow.rt = runtime_for(flow.deps.agents, options.models)
