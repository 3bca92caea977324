"""What the workflow reads from GitHub once, when planning begins: the default branch, the
repository's options file, the issue's labels (for a template), the files the agents start
from, the repository's instructions for agents (AGENTS.md and its fallbacks), and whether
work for the issue is already under way (its integration branch exists)."""

from __future__ import annotations

import logging
from pathlib import PurePosixPath

from bot.files.instructions import MAX_INSTRUCTION_BYTES, instruction_paths
from bot.files.project_templates import pick_template
from bot.github.git import branch_head, default_branch, list_paths, read_file
from bot.options import OPTIONS_PATH, RepoOptions, parse_options
from bot.workflow.context import Flow, integration_branch, runtime_for

log = logging.getLogger(__name__)

ISSUE_URL = "/repos/{owner}/{repo}/issues/{number}"
# The default branch's files read in full for the prompts; the rest are named by path only.
MAX_BASE_FILES = 40
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
        ".env.example",
        ".dockerfile",
    }
)
TEXT_NAMES = frozenset({"Dockerfile", "Makefile", "Procfile", "LICENSE", ".gitignore"})


def readable(path: str) -> bool:
    name = PurePosixPath(path).name
    return name in TEXT_NAMES or PurePosixPath(path).suffix.lower() in TEXT_SUFFIXES


async def issue_labels(flow: Flow) -> list[str]:
    """The issue's labels now (only their names: the brief stays as stored at the start)."""
    url_vars = flow.repo.url_vars(number=flow.issue)
    issue = await flow.gh.getitem(ISSUE_URL, url_vars)
    return [str(label["name"]) for label in issue.get("labels") or []]


async def base_files(
    flow: Flow, sha: str, paths: list[str], options: RepoOptions
) -> dict[str, str]:
    """The default branch's text files, the first `MAX_BASE_FILES` in full, the rest empty."""
    files: dict[str, str] = {}
    for path in sorted(paths):
        if path.startswith(".ai-orchestrator/"):
            continue
        content = ""
        if readable(path) and sum(1 for text in files.values() if text) < MAX_BASE_FILES:
            content = await read_file(flow.gh, flow.repo, path, sha) or ""
        files[path] = content if len(content.encode()) <= options.max_file_bytes else ""
    return files


async def instruction_files(
    flow: Flow, sha: str, paths: list[str], files: dict[str, str]
) -> dict[str, str]:
    """The instruction files' text (path -> text), from what `base_files` read or else one
    read each; a file over `MAX_INSTRUCTION_BYTES` is cut there (the prompts cut it anyway)."""
    found: dict[str, str] = {}
    for path in instruction_paths(paths):
        text = files.get(path) or await read_file(flow.gh, flow.repo, path, sha) or ""
        found[path] = text.encode()[:MAX_INSTRUCTION_BYTES].decode(errors="ignore")
    return found


async def load_facts(flow: Flow) -> None:
    """Reads and stores the facts, unless an earlier run of the plan job stored them."""
    if flow.project.default_branch is not None:
        return
    branch = await default_branch(flow.gh, flow.repo)
    loaded = parse_options(await read_file(flow.gh, flow.repo, OPTIONS_PATH, branch.sha))
    options = loaded.options
    template = pick_template(options, await issue_labels(flow))
    paths = await list_paths(flow.gh, flow.repo, branch.sha)
    files = await base_files(flow, branch.sha, paths, options)
    instructions = await instruction_files(flow, branch.sha, paths, files)
    name = integration_branch(flow.issue)
    under_way = await branch_head(flow.gh, flow.repo, name)
    if under_way is not None:
        log.info("work for issue #%s is under way on %s: continuing it", flow.issue, name)
    await flow.save(
        options=options.model_dump(mode="json"),
        options_problem=loaded.problem,
        template=template.name if template else None,
        default_branch=branch.name,
        base_sha=branch.sha,
        base_files=files,
        instructions=instructions,
        integration_branch=name,
        budget_nanousd=options.budget_nanousd,
        lookup_first=under_way is not None,
    )
    flow.options = options
    assert flow.deps.agents is not None
    flow.rt = runtime_for(flow.deps.agents, options.models)
