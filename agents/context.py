"""Which repository files a prompt shows in full, which as signatures, and which not at all.

A phase sees the interfaces of everything already on the integration branch (the file map:
paths with public signatures) and the full text of only the files it modifies, imports or
names, so its prompt grows with the number of files, not with the amount of code. Everything is
cut to a token budget; the manifest says what the model was given.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

from agents.filemap import python_imports, signatures

CHARS_PER_TOKEN = 4
_PATH_LIKE = re.compile(r"[\w./-]+\.\w+")


def estimate_tokens(text: str) -> int:
    """About four characters a token for English and code; no tokenizer needed offline."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def _code_list(paths: Iterable[str]) -> str:
    return ", ".join(f"`{path}`" for path in paths) or "none"


@dataclass(frozen=True)
class InstructionUse:
    """The repository's instruction files (AGENTS.md and the like) a prompt showed, the one
    nearest to the phase's files, and those left out for their token budget."""

    files: tuple[str, ...] = ()
    nearest: str | None = None
    left_out: tuple[str, ...] = ()

    def markdown(self) -> str:
        line = f"- Repository instructions: {_code_list(self.files)}"
        if self.nearest is not None:
            line += f" (nearest to this phase: `{self.nearest}`)"
        if self.left_out:
            line += f"; left out for the token budget: {_code_list(self.left_out)}"
        return line


@dataclass(frozen=True)
class PromptManifest:
    full: tuple[str, ...] = ()
    signatures: tuple[str, ...] = ()
    omitted: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()  # named without signatures: not relevant to the task
    instructions: InstructionUse = InstructionUse()

    def markdown(self) -> str:
        """The list a PR body ends with: what the model was given."""
        parts = [
            ("Files in full", self.full),
            ("Files as signatures only", self.signatures),
            ("Files left out for the token budget", self.omitted),
        ]
        if self.paths:
            parts.insert(2, ("Files named by path only", self.paths))
        lines = [f"- {title}: {_code_list(paths)}" for title, paths in parts]
        return "\n".join([*lines, self.instructions.markdown()])


@dataclass(frozen=True)
class FileContext:
    full: dict[str, str] = field(default_factory=dict)
    signatures: dict[str, list[str]] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)
    manifest: PromptManifest = PromptManifest()


def mentioned_paths(text: str, known: Iterable[str]) -> list[str]:
    """Repository paths named in `text` (a phase's description or a review comment)."""
    words = set(_PATH_LIKE.findall(text))
    return sorted(path for path in known if path in words)


def imported_by(repo: Mapping[str, str], paths: Iterable[str]) -> set[str]:
    """The repository files that the Python files among `paths` import."""
    known = set(repo)
    return {
        imported
        for path in paths
        if path in repo
        for imported in python_imports(path, repo[path], known)
    }


def focus_files(repo: Mapping[str, str], direct: Iterable[str], text: str) -> list[str]:
    """The files to show in full, most important first: those named directly (the phase
    modifies them), then what they import, then files the task text mentions."""
    known = set(repo)
    ordered: list[str] = []
    for path in direct:
        if path in known and path not in ordered:
            ordered.append(path)
    for path in list(ordered):
        for imported in python_imports(path, repo[path], known):
            if imported not in ordered:
                ordered.append(imported)
    ordered += [path for path in mentioned_paths(text, known) if path not in ordered]
    return ordered


# The section headings and notes around the files in a template.
_SECTION_TOKENS = 80


def _path_tokens(path: str) -> int:
    return estimate_tokens(f"- {path}, ")


def _content_tokens(content: str) -> int:
    return estimate_tokens(content) + 4  # the code fence around it


def _signature_tokens(lines: list[str]) -> int:
    return sum(estimate_tokens(f"    {line}\n") for line in lines)


def select_files(
    repo: Mapping[str, str],
    *,
    focus: list[str],
    budget_tokens: int,
    always: Iterable[str] = (),
    relevant: Collection[str] | None = None,
) -> FileContext:
    """Fills the budget: `always` in full whatever it costs (the files under review), then
    `focus` in full while it fits, then every other file's signatures in path order — only
    those in `relevant` when it is given, the rest by path alone. Every path is named
    somewhere (in full, in the map, or in the list of files left out), so each path's own
    cost is reserved first."""
    full: dict[str, str] = {}
    left = budget_tokens - _SECTION_TOKENS - sum(_path_tokens(path) for path in repo)
    for path in (path for path in always if path in repo):
        full[path] = repo[path]
        left -= _content_tokens(repo[path])
    for path in focus:
        cost = _content_tokens(repo[path])
        if path not in full and cost <= left:
            full[path] = repo[path]
            left -= cost
    sigs: dict[str, list[str]] = {}
    omitted: list[str] = []
    named: list[str] = []
    for path in sorted(set(repo) - set(full)):
        if relevant is not None and path not in relevant:
            named.append(path)
            continue
        lines = signatures(path, repo[path])
        cost = _signature_tokens(lines)
        if cost <= left:
            sigs[path] = lines
            left -= cost
        else:
            omitted.append(path)
    manifest = PromptManifest(
        full=tuple(sorted(full)),
        signatures=tuple(sorted(sigs)),
        omitted=tuple(omitted),
        paths=tuple(named),
    )
    return FileContext(
        full=dict(sorted(full.items())), signatures=sigs, paths=named, manifest=manifest
    )
