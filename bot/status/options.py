"""Where each effective option came from, read from the project's options snapshot: the rows
the project page shows, and the section `/status` adds below the status comment's text."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict

from bot.options_chain import OriginKind, options_from_snapshot, origins_from_snapshot
from bot.status import markdown as md
from bot.status.render import fits

OPTIONS_HEADING = "#### Options"
NOT_READ = "The options are read when planning begins."
NOT_RECORDED = "Where each option came from was not recorded: the project is older than that."
ALL_DEFAULT = "Every option has the app's default: no options file sets one."
OTHERS_DEFAULT = "Every other option has the app's default."
FILES_READ = "Files read, strongest first: {files}."
OMITTED = "Where each option came from is on the project's page: it does not fit here."
ROW = "- {name} = {value} from {source}: {file}"
SOURCES: dict[OriginKind, str] = {
    OriginKind.DEFAULT: "default",
    OriginKind.ORGANISATION: "organisation defaults",
    OriginKind.EXTENDS: "an _extends target",
    OriginKind.REPOSITORY: "this repository",
}


class OptionRow(BaseModel):
    """One effective option (`ci.grace_seconds` for a key of a block), its value as text, and
    the file it came from (None: the app's default)."""

    model_config = ConfigDict(frozen=True)

    name: str
    value: str
    kind: OriginKind
    file: str | None

    @property
    def source(self) -> str:
        return SOURCES[self.kind]


def option_rows(snapshot: dict[str, Any]) -> list[OptionRow]:
    """Every effective option, in the options' own order; empty when no origins are kept."""
    stored = origins_from_snapshot(snapshot)
    if stored is None:
        return []
    values = options_from_snapshot(snapshot).model_dump(mode="json")
    rows = []
    for name, value in _leaves(values):
        origin = stored.options.get(name)
        kind, file = (origin.kind, origin.file) if origin else (OriginKind.DEFAULT, None)
        rows.append(OptionRow(name=name, value=_text(value), kind=kind, file=file))
    return rows


def missing_note(snapshot: dict[str, Any]) -> str | None:
    """Why a project shows no origins, or None when it has them."""
    if not snapshot:
        return NOT_READ
    return NOT_RECORDED if origins_from_snapshot(snapshot) is None else None


def _leaves(values: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Each option, and each key of a block (`ci`, `models`) that has keys, by dotted name."""
    for key, value in values.items():
        if isinstance(value, dict) and value:
            yield from ((f"{key}.{inner}", item) for inner, item in value.items())
        else:
            yield key, value


def _text(value: Any) -> str:
    if value is None:
        return "none"
    return value if isinstance(value, str) else json.dumps(value)


def options_markdown(snapshot: dict[str, Any]) -> str:
    """The options set by a file, each with its file, and the files read."""
    stored = origins_from_snapshot(snapshot)
    note = missing_note(snapshot)
    if stored is None or note is not None:
        return f"{OPTIONS_HEADING}\n\n{note}"
    rows = [row for row in option_rows(snapshot) if row.file is not None]
    blocks = [OPTIONS_HEADING]
    if rows:
        blocks.append("\n".join(_row_line(row) for row in rows))
    blocks.append(OTHERS_DEFAULT if rows else ALL_DEFAULT)
    if stored.files:
        named = (f"{md.code(f.file, 200)} ({md.inline(SOURCES[f.kind])})" for f in stored.files)
        blocks.append(FILES_READ.format(files=", ".join(named)))
    return "\n\n".join(blocks)


def _row_line(row: OptionRow) -> str:
    return ROW.format(
        name=md.code(row.name),
        value=md.code(row.value, 80),
        source=md.inline(row.source),
        file=md.code(row.file or "", 200),
    )


def with_options(status: str, snapshot: dict[str, Any]) -> str:
    """`/status`: the status comment's text, then where its options came from (a line
    pointing to the project page instead, when both would not fit in one comment)."""
    status = status.rstrip()
    both = f"{status}\n\n{options_markdown(snapshot)}"
    return both if fits(both) else f"{status}\n\n{OPTIONS_HEADING}\n\n{OMITTED}"
