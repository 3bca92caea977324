"""A review check's side of the hooks: what a plugin is given (`ReviewCheck`) and what it
answers (`Finding`s), which join the validator's review and check run."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from bot.plugins.events import Payload, PhaseRef, ProjectRef

MAX_MESSAGE = 2000


class Level(StrEnum):
    ERROR = "error"  # fails the phase's review
    WARNING = "warning"
    NOTICE = "notice"


class ReviewCheck(Payload):
    """A phase's head as the validator reviews it: the files the phase wrote, in full."""

    project: ProjectRef
    phase: PhaseRef
    head_sha: str
    files: dict[str, str]  # path -> content at `head_sha`


class Finding(Payload):
    message: str = Field(min_length=1, max_length=MAX_MESSAGE)
    level: Level = Level.WARNING
    path: str | None = None  # one of the phase's files; None: about the phase as a whole
    line: int | None = Field(default=None, ge=1)
    end_line: int | None = Field(default=None, ge=1)
    title: str | None = Field(default=None, max_length=255)  # the rule, e.g. `E501`
    check: str = ""  # the plugin that found it: set by the app, whatever the plugin says
