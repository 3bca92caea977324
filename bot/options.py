"""A repository's options, from `.github/ai-orchestrator.yml` on its default branch.

The file is untrusted input: it is parsed with `yaml.safe_load` (no tags executed), every key is
validated, and a mistake never stops the app. A file that is not YAML, or not a mapping, gives
the defaults; an unknown key or a bad value is dropped and that key keeps its default, so a typo
in one key never throws away the others (a budget or forbidden paths set beside it still hold).
Either way `LoadedOptions.problem` says what was wrong, in one line for the status comment.

`parse_file` reads one file of a chain (`bot.options_chain`): its valid keys as written, for
merging with the files it inherits from, and its `_extends` value, which names the next file.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from agents.settings import Role
from storage.money import usd_to_nano

OPTIONS_PATH = ".github/ai-orchestrator.yml"
# Far above any sensible options file; a bigger one is refused before YAML parses it.
MAX_OPTIONS_BYTES = 64 * 1024
# GitHub's own limit on a label's name.
MAX_LABEL_CHARS = 50

# The key naming the file this one inherits from (Probot's convention); not an option itself.
EXTENDS_KEY = "_extends"

NOT_YAML = "`{path}` is not valid YAML ({error}); {instead}."
NOT_MAPPING = "`{path}` must be a mapping of option names to values; {instead}."
TOO_BIG = "`{path}` is larger than {limit} bytes; {instead}."
PROBLEMS = "`{path}`: {details}"
UNKNOWN_KEY = "unknown option `{key}`{hint} is ignored."
DID_YOU_MEAN = " (did you mean `{match}`?)"
BAD_VALUE = "`{key}`: {message}, so {instead}."


@dataclass(frozen=True)
class Wording:
    """How a problem ends: what is used instead of the file, or of one bad key in it."""

    whole_file: str
    bad_key: str
    inconsistent: str


# One file on its own: what it gets wrong falls back to the app's defaults.
ALONE = Wording(
    whole_file="using the default options",
    bad_key="the default is used",
    inconsistent=" The options are not consistent, so all defaults are used.",
)
# One file of a chain: what it gets wrong falls back to the files beneath it, then the defaults.
IN_CHAIN = Wording(
    whole_file="none of its options are used",
    bad_key="it is ignored (an inherited value or the default holds)",
    inconsistent=" The options are not consistent, so none of this file's options are used.",
)


class Workflow(StrEnum):
    MICRO_PHASE = "micro_phase"
    LEGACY = "legacy"
    AUTO = "auto"


class PlanApproval(StrEnum):
    REQUIRED = "required"
    AUTO = "auto"


class MergePolicy(StrEnum):
    AUTO = "auto"
    HUMAN = "human"


class CIOptions(BaseModel):
    """The `ci:` block: which checks count beside the branch's own rules, how long to wait for
    CI to show up after a push, how many red builds the developer fixes, and whether a
    repository without CI gets the app's templated workflow."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    required_checks: list[str] = Field(default_factory=list)
    grace_seconds: int = Field(default=60, ge=0, le=3600, strict=True)
    max_fixes: int = Field(default=3, ge=0, le=10, strict=True)
    generate: bool = Field(default=True, strict=True)

    @field_validator("required_checks", mode="before")
    @classmethod
    def _name_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class RepoOptions(BaseModel):
    """Every key of `.github/ai-orchestrator.yml`. Integers are strict so `true` is no count."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trigger_label: str | None = Field(default=None, min_length=1, max_length=MAX_LABEL_CHARS)
    workflow: Workflow = Workflow.MICRO_PHASE
    # A template's name: a built-in one (`web_app`, `api_service`, `data_pipeline`) or one a
    # plugin adds. Which names exist is known only where the plugins are loaded, so the plan
    # step says when the name is none of them (`bot/workflow/facts.py`).
    template: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]{0,63}$")
    models: dict[str, str] = Field(default_factory=dict)
    plan_approval: PlanApproval = PlanApproval.REQUIRED
    merge_policy: MergePolicy = MergePolicy.AUTO
    merge_method: Literal["squash", "merge", "rebase"] = "squash"
    max_phases: int = Field(default=12, ge=1, le=50, strict=True)
    max_revisions: int = Field(default=2, ge=0, le=10, strict=True)
    budget_usd: Decimal = Field(default=Decimal("10.00"), gt=0, le=100_000)
    pause_at_fraction: Decimal = Field(default=Decimal("0.8"), gt=0, le=1)
    forbidden_paths: list[str] = Field(default_factory=list)
    allow_workflow_files: bool = Field(default=False, strict=True)
    max_files_per_phase: int = Field(default=30, ge=1, le=500, strict=True)
    max_file_bytes: int = Field(default=200_000, ge=1, le=10_000_000, strict=True)
    max_jobs_per_hour: int = Field(default=120, ge=1, le=100_000, strict=True)
    max_model_calls: int = Field(default=400, ge=1, le=1_000_000, strict=True)
    ci: CIOptions = Field(default_factory=CIOptions)

    @field_validator("budget_usd", "pause_at_fraction", mode="before")
    @classmethod
    def _exact_decimal(cls, value: Any) -> Any:
        # YAML reads `10.10` as a float; its shortest repr is the text the person wrote.
        if isinstance(value, bool):
            raise ValueError("must be a number, not true/false")
        return repr(value) if isinstance(value, float) else value

    @field_validator("trigger_label")
    @classmethod
    def _label_text(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or not value.isprintable()):
            raise ValueError("must be a printable, non-blank label name")
        return value

    @field_validator("models")
    @classmethod
    def _known_roles(cls, value: dict[str, str]) -> dict[str, str]:
        roles = sorted(role.value for role in Role)
        for role, model in value.items():
            if role not in roles:
                raise ValueError(f"unknown role {role!r}; the roles are {', '.join(roles)}")
            if not model.strip():
                raise ValueError(f"the model for {role!r} is empty")
        return value

    @field_validator("forbidden_paths", mode="before")
    @classmethod
    def _pattern_list(cls, value: Any) -> Any:
        # One pattern written without a list still forbids.
        return [value] if isinstance(value, str) else value

    @field_validator("forbidden_paths")
    @classmethod
    def _drop_blank(cls, value: list[str]) -> list[str]:
        return [pattern.strip() for pattern in value if pattern.strip()]

    @property
    def budget_nanousd(self) -> int:
        return usd_to_nano(self.budget_usd)

    @property
    def pause_at_nanousd(self) -> int:
        """The spend at which the project pauses for `/approve`, rounded down to a nano-dollar
        so the pause never comes later than the fraction says."""
        exact = Decimal(self.budget_nanousd) * self.pause_at_fraction
        return int(exact.to_integral_value(rounding=ROUND_FLOOR))


@dataclass(frozen=True)
class LoadedOptions:
    options: RepoOptions
    problem: str | None


@dataclass(frozen=True)
class ParsedFile:
    """One options file: its valid keys as written (bad ones dropped), the raw `_extends` value
    (None when absent), and what was wrong in one line."""

    data: dict[str, Any]
    extends: object | None
    problem: str | None


NO_FILE = ParsedFile({}, None, None)


def parse_options(text: str | None) -> LoadedOptions:
    """The options in `text` (the file's content; None when the file does not exist)."""
    parsed = parse_file(text, OPTIONS_PATH)
    return LoadedOptions(RepoOptions.model_validate(parsed.data), parsed.problem)


def parse_file(text: str | None, origin: str, wording: Wording = ALONE) -> ParsedFile:
    """The file `text` (None: it does not exist), named `origin` in its problems."""
    if text is None:
        return NO_FILE
    if len(text.encode("utf-8", "surrogatepass")) > MAX_OPTIONS_BYTES:
        limit = MAX_OPTIONS_BYTES
        return _unusable(TOO_BIG.format(path=origin, limit=limit, instead=wording.whole_file))
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        reason = _yaml_error(error)
        return _unusable(NOT_YAML.format(path=origin, error=reason, instead=wording.whole_file))
    if data is None:  # an empty file, or only comments
        return NO_FILE
    if not isinstance(data, dict) or not all(isinstance(key, str) for key in data):
        return _unusable(NOT_MAPPING.format(path=origin, instead=wording.whole_file))
    extends = data.pop(EXTENDS_KEY, None)
    kept, details = _valid_keys(data, wording)
    problem = _one_line(PROBLEMS.format(path=origin, details=details)) if details else None
    return ParsedFile(kept, extends, problem)


def _unusable(problem: str) -> ParsedFile:
    return ParsedFile({}, None, problem)


def _valid_keys(data: dict[str, Any], wording: Wording) -> tuple[dict[str, Any], str]:
    """The keys of `data` that validate, as written, and what was wrong with the others."""
    try:
        RepoOptions.model_validate(data)
        return data, ""
    except ValidationError as error:
        errors = error.errors(include_url=False, include_input=False)
    first_error: dict[str, ErrorDetails] = {}
    for item in errors:
        first_error.setdefault(str(item["loc"][0]) if item["loc"] else "", item)
    described = (_describe(key, item, wording) for key, item in sorted(first_error.items()))
    details = " ".join(described)
    kept = {key: value for key, value in data.items() if key not in first_error}
    try:
        RepoOptions.model_validate(kept)
    except ValidationError:  # a key that fails only beside others: give up on the file
        return {}, details + wording.inconsistent
    return kept, details


def _describe(key: str, item: ErrorDetails, wording: Wording) -> str:
    if item["type"] == "extra_forbidden":
        matches = difflib.get_close_matches(key, list(RepoOptions.model_fields), n=1)
        hint = DID_YOU_MEAN.format(match=matches[0]) if matches else ""
        return UNKNOWN_KEY.format(key=_short(key), hint=hint)
    where = ".".join(str(part) for part in item["loc"]) or key
    message = item["msg"].removeprefix("Value error, ")
    message = message[:1].lower() + message[1:]
    return BAD_VALUE.format(key=_short(where), message=message, instead=wording.bad_key)


def _yaml_error(error: yaml.YAMLError) -> str:
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or type(error).__name__
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    return f"{problem}{where}"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _one_line(text: str) -> str:
    return " ".join(text.split())
