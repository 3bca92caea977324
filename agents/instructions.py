"""The repository's own instructions for agents (AGENTS.md, or CLAUDE.md and
`.github/copilot-instructions.md` as fallbacks), as the prompts show them.

They are read once from the default branch when planning begins and stored with the project,
so a phase branch can never change the rules it is judged by. Every phase prompt shows all of
them in its stable part (the same bytes for every call of a step: root first, then by depth
and path, cut to one token budget); a file applies to its own directory and everything below
it, and for a phase the file nearest to most of its files wins. A "Code review rules" section
(any heading level, any case) of the winning file, or else of the nearest file above it that
has one, is the validator's checklist.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from posixpath import dirname

from pydantic import BaseModel, ConfigDict

from agents.context import CHARS_PER_TOKEN, InstructionUse, estimate_tokens
from agents.markdown import list_items, sections, title_key
from agents.schemas import MicroPhase

# What all the instruction files may take of a stable part, together.
INSTRUCTION_TOKENS = 4000
# Below this much budget left, a file is left out rather than cut to a stub.
MIN_FILE_TOKENS = 100
MAX_REVIEW_RULES = 40
MAX_RULE_CHARS = 500
REVIEW_RULES = "code review rules"
# A repository-wide file kept under `.github/`: it applies from the root.
ROOT_SCOPED = frozenset({".github/copilot-instructions.md"})
CUT = (
    "[…the rest of this file is left out: the repository's instructions get about "
    "{tokens} tokens of the prompt]"
)


def scope_of(path: str) -> str:
    """The directory an instruction file applies to ("" for the whole repository)."""
    return "" if path in ROOT_SCOPED else dirname(path)


def _depth(scope: str) -> int:
    return 0 if not scope else scope.count("/") + 1


def _covers(scope: str, path: str) -> bool:
    return not scope or path.startswith(scope + "/")


def order_key(path: str) -> tuple[int, str]:
    """Root first, then shallower before deeper, then by path."""
    return _depth(scope_of(path)), path


def review_rules(text: str) -> list[str]:
    """The list items of the file's first "Code review rules" section."""
    for section in sections(text):
        if title_key(section.title) == REVIEW_RULES:
            items = list_items(section.body)[:MAX_REVIEW_RULES]
            return [item[:MAX_RULE_CHARS] for item in items]
    return []


class InstructionFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    text: str  # as the prompt shows it, cut to the budget
    review_rules: list[str] = []  # from the whole file, even where the text was cut

    @property
    def scope(self) -> str:
        return scope_of(self.path)


class Instructions(BaseModel):
    """The instruction files of a project, in prompt order; untrusted, rendered as data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    files: list[InstructionFile] = []
    left_out: list[str] = []  # over the token budget

    def nearest_to(self, path: str) -> InstructionFile | None:
        """The file in the deepest directory above `path`."""
        covering = [file for file in self.files if _covers(file.scope, path)]
        return max(covering, key=lambda file: _depth(file.scope), default=None)

    def nearest(self, phase: MicroPhase) -> InstructionFile | None:
        """The file nearest to most of the phase's files (a tie goes to the deeper one, then
        to the first path); the root file for a phase that names no files."""
        if not phase.files_to_create:
            return self.nearest_to("")
        votes = Counter(
            found.path
            for path in phase.files_to_create
            if (found := self.nearest_to(path)) is not None
        )
        if not votes:
            return None
        winner = min(votes, key=lambda path: (-votes[path], -_depth(scope_of(path)), path))
        return next(file for file in self.files if file.path == winner)

    def checklist(self, phase: MicroPhase) -> tuple[str | None, list[str]]:
        """(the file it comes from, the rules) of the phase's code review rules: the winning
        file's, else those of the nearest file above it that has any."""
        winner = self.nearest(phase)
        if winner is None:
            return None, []
        above = [f for f in self.files if f.review_rules and _covers(f.scope, winner.path)]
        source = max(above, key=lambda file: _depth(file.scope), default=None)
        return (source.path, source.review_rules) if source else (None, [])

    def use(self, phase: MicroPhase | None = None) -> InstructionUse:
        nearest = self.nearest(phase) if phase is not None else None
        return InstructionUse(
            files=tuple(file.path for file in self.files),
            nearest=nearest.path if nearest is not None and len(self.files) > 1 else None,
            left_out=tuple(self.left_out),
        )


def fit_instructions(
    files: Mapping[str, str], budget_tokens: int = INSTRUCTION_TOKENS
) -> Instructions:
    """The files (path -> text) in prompt order within `budget_tokens`: a file that does not
    fit is cut with a note, and once too little is left the rest are only named."""
    kept: list[InstructionFile] = []
    left_out: list[str] = []
    left = budget_tokens
    for path in sorted(files, key=order_key):
        text = files[path].strip()
        if not text:
            continue
        if left < MIN_FILE_TOKENS:
            left_out.append(path)
            continue
        shown = _cut(text, left, budget_tokens)
        kept.append(InstructionFile(path=path, text=shown, review_rules=review_rules(text)))
        left -= estimate_tokens(shown)
    return Instructions(files=kept, left_out=left_out)


def _cut(text: str, tokens: int, budget: int) -> str:
    if estimate_tokens(text) <= tokens:
        return text
    note = CUT.format(tokens=budget)
    room = max(0, (tokens - estimate_tokens(note) - 1) * CHARS_PER_TOKEN)
    return text[:room].rstrip() + "\n" + note
