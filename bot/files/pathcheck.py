"""The check every file the agents write must pass before anything is committed.

Paths come from a model that read untrusted issue text, so each is treated as hostile: it must
be a plain relative POSIX path inside the repository, outside git's own directory, outside the
app's own files (its CI workflow included), outside GitHub Actions workflows unless the
repository allows them, and outside the repository's `forbidden_paths`; the phase must keep to
the count and size limits.

Deliberately accepted: non-ASCII letters, including look-alikes such as the fullwidth full stop
(`\\uff0e\\uff0e/x` names a directory literally called that, which git and GitHub treat as
an ordinary name, not as `..`).
Refused: every control and invisible formatting character (`\\0`, newlines, bidi overrides,
zero-width joiners), because they can hide what a path really is from a reviewer and because
macOS ignores some of them, which would turn `.g\\u200cit` into `.git` on checkout.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

from bot.files.ci_workflow import WORKFLOW_PATH
from bot.options import RepoOptions

APP_DIR = ".ai-orchestrator"
WORKFLOWS_DIR = ".github/workflows"

EMPTY = "{path}: the path is empty"
CONTROL = "{path}: the path contains a control or invisible formatting character"
BACKSLASH = "{path}: use `/` to separate directories, not a backslash"
ABSOLUTE = "{path}: the path must be relative to the repository root"
DRIVE = "{path}: the path must not start with a drive letter"
DOT_DOT = "{path}: the path must not contain a `..` segment"
BAD_SEGMENT = "{path}: the path must not contain empty or `.` segments, or end in `/`"
GIT_DIR = "{path}: nothing may be written in git's `.git` directory"
APP_FILES = "{path}: `.ai-orchestrator/` holds the app's own files; agents may not write there"
APP_WORKFLOW = (
    "{path}: `" + WORKFLOW_PATH + "` is the app's own CI workflow, made from its template; "
    "agents may not write it"
)
WORKFLOW = (
    "{path}: files under `.github/workflows/` are not allowed "
    "(set `allow_workflow_files: true` in `.github/ai-orchestrator.yml` to allow them)"
)
FORBIDDEN = "{path}: the path matches the forbidden pattern {pattern}"
DUPLICATE = "{path}: the same file is given twice"
NOT_TEXT = "{path}: the content is not valid UTF-8 text"
TOO_BIG = "{path}: {size:,} bytes is over the limit of {limit:,} bytes per file"
TOO_MANY = "{count} files in one phase is over the limit of {limit}"

_DRIVE = re.compile(r"^[A-Za-z]:")
# Unicode categories of control, format (bidi, zero-width), surrogate, unassigned and private
# use characters, plus line and paragraph separators.
_INVISIBLE = {"Cc", "Cf", "Cs", "Cn", "Co", "Zl", "Zp"}


def normalize(path: str) -> str:
    """`path` without leading `./` segments: `./src/a.py` and `src/a.py` are one file."""
    while path.startswith("./"):
        path = path[2:]
    return path


def check_files(files: Mapping[str, str | None], options: RepoOptions) -> list[str]:
    """Problems with a phase's files (path → new content, None to delete), one line each;
    empty when all may be committed. Each path reports its first problem only."""
    problems: list[str] = []
    if len(files) > options.max_files_per_phase:
        problems.append(TOO_MANY.format(count=len(files), limit=options.max_files_per_phase))
    seen: set[str] = set()
    for path, content in files.items():
        problem = path_problem(path, options) or _content_problem(path, content, options)
        if problem is None and normalize(path) in seen:
            problem = DUPLICATE.format(path=_shown(path))
        seen.add(normalize(path))
        if problem is not None:
            problems.append(problem)
    return problems


def path_problem(path: str, options: RepoOptions) -> str | None:
    """The first reason `path` may not be written, or None."""
    shown = _shown(path)
    problem = _syntax_problem(path)
    if problem is not None:
        return problem.format(path=shown)
    clean = normalize(path)
    segments = clean.split("/")
    if any(_is_git_dir(segment) for segment in segments):
        return GIT_DIR.format(path=shown)
    if _under(clean, APP_DIR):
        return APP_FILES.format(path=shown)
    if clean.lower() == WORKFLOW_PATH:
        return APP_WORKFLOW.format(path=shown)
    if not options.allow_workflow_files and _under(clean, WORKFLOWS_DIR):
        return WORKFLOW.format(path=shown)
    for pattern in options.forbidden_paths:
        if matches_pattern(clean, pattern):
            return FORBIDDEN.format(path=shown, pattern=_shown(pattern))
    return None


def _syntax_problem(path: str) -> str | None:
    if not path:
        return EMPTY
    if any(unicodedata.category(char) in _INVISIBLE for char in path):
        return CONTROL
    if "\\" in path:
        return BACKSLASH
    if path.startswith(("/", "~")):
        return ABSOLUTE
    if _DRIVE.match(path):
        return DRIVE
    segments = normalize(path).split("/")
    if ".." in segments:
        return DOT_DOT
    if any(segment in ("", ".") for segment in segments):
        return BAD_SEGMENT
    return None


def _is_git_dir(segment: str) -> bool:
    # Windows drops trailing dots and spaces and knows `.git` by its 8.3 name `GIT~1`.
    name = segment.rstrip(". ").lower()
    return name in (".git", "git~1")


def _under(path: str, directory: str) -> bool:
    lowered = path.lower()
    return lowered == directory or lowered.startswith(directory + "/")


def _content_problem(path: str, content: str | None, options: RepoOptions) -> str | None:
    if content is None:
        return None
    try:
        size = len(content.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate, which no file on GitHub can hold
        return NOT_TEXT.format(path=_shown(path))
    if size > options.max_file_bytes:
        return TOO_BIG.format(path=_shown(path), size=size, limit=options.max_file_bytes)
    return None


def _shown(text: str, limit: int = 200) -> str:
    """A path as a quoted literal that shows its hidden characters, cut to a sane length."""
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def matches_pattern(path: str, pattern: str) -> bool:
    """Whether `path` or one of its parent directories matches the glob `pattern`.

    `*` and `?` match within one segment, `[abc]` / `[!abc]` one character of a set, and a
    `**` segment any number of segments. A pattern without `/` matches a file or directory
    name at any depth (`*.pem`, `secrets`); a leading `/` anchors it at the root. Matching a
    directory forbids everything under it. Case-sensitive, as git is.
    """
    regex = _compile(pattern)
    segments = path.split("/")
    return any(regex.fullmatch("/".join(segments[:end])) for end in range(1, len(segments) + 1))


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    anchored = pattern.startswith("/")
    pattern = pattern.strip("/")
    if not anchored and "/" not in pattern:
        pattern = "**/" + pattern
    segments = pattern.split("/")
    parts: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "**":
            parts.append(".*" if last else "(?:[^/]+/)*")
        else:
            parts.append(_segment_regex(segment) + ("" if last else "/"))
    return re.compile("".join(parts))


def _segment_regex(segment: str) -> str:
    out: list[str] = []
    index = 0
    while index < len(segment):
        char = segment[index]
        index += 1
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[":
            end = _class_end(segment, index)
            if end < 0:
                out.append(re.escape(char))
            else:
                out.append(_class_regex(segment[index:end]))
                index = end + 1
        else:
            out.append(re.escape(char))
    return "".join(out)


def _class_regex(body: str) -> str:
    negate = body.startswith("!")
    chars = body[1:] if negate else body
    members = "".join(char if char == "-" else re.escape(char) for char in chars)
    # A negated class still never matches the separator: `*` and `?` do not either.
    return f"[^/{members}]" if negate else f"[{members}]"


def _class_end(segment: str, start: int) -> int:
    """Index of the `]` closing a class opened before `start`, or -1. A `]` first in the class
    (after an optional `!`) is a member, as in fnmatch."""
    index = start + 1 if segment[start : start + 1] == "!" else start
    index += 1 if segment[index : index + 1] == "]" else 0
    return segment.find("]", index)
