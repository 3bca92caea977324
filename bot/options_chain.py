"""A repository's options through inheritance: the owner's defaults, `_extends` chains, then the
repository's own file, each effective option remembering the file it came from.

The layers, weakest first:
1. the app's defaults (`RepoOptions()`);
2. the files the owner's defaults `_extends`, then those defaults: `.github/ai-orchestrator.yml`
   in the owner's `.github` repository (the organisation's, or a user's);
3. the files the repository's own file `_extends`, then that file.

A stronger file wins key by key. A mapping (`models`, `ci`) merges one level further, key by
key, so an organisation's `ci.required_checks` survive a repository that sets only
`ci.grace_seconds`; lists and plain values replace what is beneath them.

`_extends` follows Probot's syntax: `<repo>` (the same owner as the file naming it),
`<owner>/<repo>` (its `.github/ai-orchestrator.yml`), or either with `:<path>.yml`. Targets are
read from their default branch; files of the repository itself at the commit its own file is
read at. A target already in the chain is a cycle, refused with a notice; a chain stops after
`MAX_CHAIN_FILES` files. What any file gets wrong is reported with its origin
(`owner/repo:path`) and stops nothing: the bad keys fall to the layers beneath.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import gidgethub
from cachetools import TTLCache
from pydantic import BaseModel, ConfigDict, ValidationError

from bot.github.client import GitHubClient
from bot.github.git import read_file
from bot.github.repo import Repo, status_of
from bot.options import IN_CHAIN, OPTIONS_PATH, ParsedFile, RepoOptions, parse_file

ORG_REPO = ".github"  # the owner's repository of defaults, as in Probot and GitHub itself
MAX_CHAIN_FILES = 5  # files read for one chain: the first and the ones it extends
MISSING_TTL = 300.0  # seconds a missing file is remembered (trigger labels: the same five)
ORIGINS_KEY = "_origins"  # where the project's options snapshot keeps the origins

EXTENDS_INVALID = (
    "`{origin}`: `_extends: {value}` is not `repo`, `owner/repo` or `owner/repo:path.yml`, "
    "so it is not followed."
)
EXTENDS_CYCLE = (
    "`{origin}`: `_extends: {value}` leads back to `{target}`, already in this chain: "
    "a cycle, so it is not followed."
)
EXTENDS_TOO_LONG = (
    "`{origin}`: `_extends: {value}` is not followed: a chain of options files stops after "
    "{limit} files."
)
EXTENDS_MISSING = (
    "`{origin}`: `_extends: {value}` names `{target}`, which does not exist or which the app "
    "cannot read, so it is not followed."
)
UNREADABLE = "`{target}` could not be read (GitHub answered {status}); its options are not used."
INCONSISTENT = "The options files are not consistent together, so all defaults are used."

_OWNER = r"[a-z\d](?:[a-z\d]|-(?=[a-z\d])){0,38}"
EXTENDS_PATTERN = re.compile(
    rf"(?:(?P<owner>{_OWNER})/)?(?P<repo>[-_.\w]+)(?::(?P<path>[-_./\w]+\.ya?ml))?",
    re.IGNORECASE | re.ASCII,
)


class OriginKind(StrEnum):
    DEFAULT = "default"  # the app's own; never stored, the absence of an origin says it
    ORGANISATION = "organisation"  # the owner's `.github` repository
    EXTENDS = "extends"  # a file named by `_extends`
    REPOSITORY = "repository"  # the repository's own file


class Origin(BaseModel):
    """A file that set options: how it was reached, and `owner/repo:path`."""

    model_config = ConfigDict(frozen=True)

    kind: OriginKind
    file: str


class StoredOrigins(BaseModel):
    """The origins kept in a project's options snapshot."""

    options: dict[str, Origin]  # dotted option name (`ci.grace_seconds`) -> its file
    files: list[Origin]  # every file read, strongest first


@dataclass(frozen=True)
class Source:
    owner: str
    repo: str
    path: str = OPTIONS_PATH

    @property
    def label(self) -> str:
        return f"{self.owner}/{self.repo}:{self.path}"

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.owner.lower(), self.repo.lower(), self.path)  # GitHub's names ignore case

    def within(self, repo: Repo) -> bool:
        return (self.owner.lower(), self.repo.lower()) == (repo.owner.lower(), repo.name.lower())


def extends_target(value: object, base: Source) -> Source | None:
    """The file `_extends: value` names in `base`, or None when it names none."""
    if not isinstance(value, str):
        return None
    found = EXTENDS_PATTERN.fullmatch(value.strip())
    if found is None or found["repo"] in (".", ".."):
        return None
    path = found["path"] or OPTIONS_PATH
    if path.startswith("/") or ".." in path.split("/"):
        return None
    return Source(found["owner"] or base.owner, found["repo"], path)


class OptionsFiles:
    """Reads options files through the installation client, whose ETag cache makes a file
    read again a free 304; a missing file (the usual answer for a `.github` repository, and
    gidgethub caches no 404) is remembered for `ttl` seconds, so it costs one request."""

    def __init__(self, *, ttl: float = MISSING_TTL, maxsize: int = 4096) -> None:
        self._missing: TTLCache[tuple[int, tuple[str, str, str], str | None], bool] = TTLCache(
            maxsize=maxsize, ttl=ttl
        )

    async def read(
        self, gh: GitHubClient, installation_id: int, source: Source, ref: str | None
    ) -> str | None:
        key = (installation_id, source.key, ref)
        if key in self._missing:
            return None
        text = await read_file(gh, Repo(source.owner, source.repo), source.path, ref)
        if text is None:
            self._missing[key] = True
        return text


@dataclass(frozen=True)
class Layer:
    source: Source
    origin: Origin
    parsed: ParsedFile


@dataclass(frozen=True)
class ResolvedOptions:
    options: RepoOptions
    origins: dict[str, Origin]  # options set by a file; the others have their defaults
    files: tuple[Origin, ...]  # strongest first
    problems: tuple[str, ...]

    @property
    def problem(self) -> str | None:
        """The problems, one a line, as the project stores them (`options_problem`)."""
        return "\n".join(self.problems) or None

    def snapshot(self) -> dict[str, Any]:
        """The project's options snapshot: the values, and under `ORIGINS_KEY` their files."""
        stored = StoredOrigins(options=self.origins, files=list(self.files))
        return {**self.options.model_dump(mode="json"), ORIGINS_KEY: stored.model_dump()}


def options_from_snapshot(snapshot: dict[str, Any]) -> RepoOptions:
    return RepoOptions.model_validate({k: v for k, v in snapshot.items() if k != ORIGINS_KEY})


def origins_from_snapshot(snapshot: dict[str, Any]) -> StoredOrigins | None:
    """None for a snapshot kept before the origins were (or one not taken yet)."""
    stored = snapshot.get(ORIGINS_KEY)
    return StoredOrigins.model_validate(stored) if stored is not None else None


class _Unreadable(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass
class _Walk:
    """One resolution: the files read so far and what was wrong with them."""

    files: OptionsFiles
    gh: GitHubClient
    installation_id: int
    home: Repo
    ref: str
    read: set[tuple[str, str, str]] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    async def chain(self, start: Source, kind: OriginKind) -> list[Layer]:
        """`start` and the files it extends, strongest first; empty when `start` is missing."""
        layers: list[Layer] = []
        step: tuple[Source, OriginKind] | None = (start, kind)
        while step is not None:
            source, how = step
            parsed = await self._parsed(source, layers[-1] if layers else None)
            if parsed is None:
                break
            self.read.add(source.key)
            layers.append(Layer(source, Origin(kind=how, file=source.label), parsed))
            step = self._next(layers)
        return layers

    async def _parsed(self, source: Source, named_by: Layer | None) -> ParsedFile | None:
        try:
            text = await self._text(source)
        except _Unreadable as unreadable:
            self.problems.append(UNREADABLE.format(target=source.label, status=unreadable.status))
            return None
        if text is None:
            if named_by is not None:  # a missing `.github` file is normal, a missing target not
                self._refuse(EXTENDS_MISSING, named_by, target=source.label)
            return None
        parsed = parse_file(text, source.label, IN_CHAIN)
        if parsed.problem is not None:
            self.problems.append(parsed.problem)
        return parsed

    async def _text(self, source: Source) -> str | None:
        if source.within(self.home):
            # The repository's own files: read at its commit, and an error fails the job (to
            # be retried) as it always did, rather than planning with options it never read.
            return await self.files.read(self.gh, self.installation_id, source, self.ref)
        try:
            return await self.files.read(self.gh, self.installation_id, source, None)
        except gidgethub.RateLimitExceeded:
            raise
        except gidgethub.BadRequest as exc:  # 4xx: a file the installation may not read
            raise _Unreadable(status_of(exc)) from exc

    def _next(self, layers: list[Layer]) -> tuple[Source, OriginKind] | None:
        last = layers[-1]
        if last.parsed.extends is None:
            return None
        target = extends_target(last.parsed.extends, last.source)
        if target is None:
            self._refuse(EXTENDS_INVALID, last)
        elif any(layer.source.key == target.key for layer in layers):
            self._refuse(EXTENDS_CYCLE, last, target=target.label)
        elif target.key in self.read:
            pass  # in a stronger chain already (the repository's, seen from the organisation's)
        elif len(layers) >= MAX_CHAIN_FILES:
            self._refuse(EXTENDS_TOO_LONG, last, limit=MAX_CHAIN_FILES)
        else:
            return target, OriginKind.EXTENDS
        return None

    def _refuse(self, text: str, layer: Layer, **more: object) -> None:
        value = _shown(layer.parsed.extends)
        self.problems.append(text.format(origin=layer.source.label, value=value, **more))


def _shown(value: object) -> str:
    text = " ".join(str(value).split()).replace("`", "'")
    return text if len(text) <= 80 else text[:79] + "…"


async def resolve_options(
    files: OptionsFiles, gh: GitHubClient, installation_id: int, repo: Repo, ref: str
) -> ResolvedOptions:
    """The options of `repo`, its own file read at `ref` (a branch or commit)."""
    walk = _Walk(files, gh, installation_id, repo, ref)
    layers = await walk.chain(Source(repo.owner, repo.name), OriginKind.REPOSITORY)
    defaults = Source(repo.owner, ORG_REPO)
    if not defaults.within(repo) and defaults.key not in walk.read:
        layers += await walk.chain(defaults, OriginKind.ORGANISATION)
    return combine(layers, walk.problems)


def combine(layers: Sequence[Layer], problems: Sequence[str]) -> ResolvedOptions:
    """The options of `layers` (strongest first) over the app's defaults."""
    merged, origins = merge_layers(reversed(layers))
    files = tuple(layer.origin for layer in layers)
    try:
        options = RepoOptions.model_validate(merged)
    except ValidationError:  # each file was valid alone; kept for safety, never seen so far
        return ResolvedOptions(RepoOptions(), {}, files, (*problems, INCONSISTENT))
    return ResolvedOptions(options, origins, files, tuple(problems))


def merge_layers(layers: Iterable[Layer]) -> tuple[dict[str, Any], dict[str, Origin]]:
    """The layers (weakest first) merged, and the file each value came from."""
    merged: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    for layer in layers:
        _merge(merged, layer.parsed.data, layer.origin, origins, "")
    return merged, origins


def _merge(
    into: dict[str, Any],
    data: dict[str, Any],
    origin: Origin,
    origins: dict[str, Origin],
    prefix: str,
) -> None:
    for key, value in data.items():
        name = prefix + key
        if isinstance(value, dict):
            below = into.get(key)
            into[key] = dict(below) if isinstance(below, dict) else {}  # a copy: files unchanged
            _merge(into[key], value, origin, origins, name + ".")
        else:
            into[key] = value
            origins[name] = origin
