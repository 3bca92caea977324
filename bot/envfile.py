"""Writing settings into a `.env` file without disturbing the lines already there.

The file is parsed with python-dotenv (the parser pydantic-settings reads it with), our keys are
replaced in place or appended, every other line is kept byte for byte, and the result replaces
the old file atomically with mode 0600: it holds secrets.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from collections.abc import Collection, Mapping
from pathlib import Path

from dotenv.parser import parse_stream

_PLAIN_VALUE = re.compile(r"[A-Za-z0-9_./:@+,=-]*")


def quote(value: str) -> str:
    """The value as dotenv syntax: bare when safe, else single-quoted with `\\` and `\'`."""
    if "${" in value:
        # python-dotenv expands ${NAME} even in single quotes and has no escape for it.
        raise ValueError("a value containing '${' cannot be written to a .env file literally")
    if _PLAIN_VALUE.fullmatch(value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def merge_env(text: str, updates: Mapping[str, str], remove: Collection[str] = ()) -> str:
    """`text` with each key of `updates` set and each key in `remove` gone.

    Keys match case-insensitively, as pydantic-settings reads them. A key set more than once
    keeps its first line, rewritten; the later ones go, so the file has one value for it.
    """
    wanted = {key.upper(): key for key in updates}
    dropped = {key.upper() for key in remove} - wanted.keys()
    written: set[str] = set()
    lines: list[str] = []
    for binding in parse_stream(io.StringIO(text)):
        key = binding.key.upper() if binding.key is not None else None
        if key in dropped or key in written:
            continue
        if key in wanted:
            lines.append(_line(wanted[key], updates[wanted[key]]))
            written.add(key)
        else:
            lines.append(_terminated(binding.original.string))
    lines += [_line(name, updates[name]) for upper, name in wanted.items() if upper not in written]
    return "".join(lines)


def update_env_file(path: Path, updates: Mapping[str, str], remove: Collection[str] = ()) -> None:
    """Set `updates` and drop `remove` in the env file at `path` (created if missing)."""
    path = path.resolve()  # a symlinked .env is updated where it lives
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    write_private_file(path, merge_env(text, updates, remove))


def write_private_file(path: Path, text: str) -> None:
    """Replace `path` with `text` atomically; the file is mode 0600 from its first byte."""
    # mkstemp opens with O_CREAT | O_EXCL and mode 0600, so no reader ever sees it wider.
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def _line(key: str, value: str) -> str:
    try:
        return f"{key}={quote(value)}\n"
    except ValueError as exc:
        raise ValueError(f"{key}: {exc}") from None  # the key, never the value


def _terminated(original: str) -> str:
    """The original text, ending in a newline so a line appended after it stays separate."""
    return original if original.endswith("\n") or not original else original + "\n"
