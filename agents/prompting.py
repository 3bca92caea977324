"""Prompt templates (`agents/prompts/<step>.md.j2`) rendered into a stable and a changing part.

Each template has two blocks. `stable` holds what is the same for every call of the step in a
project (role instructions, the plan, coding standards); it must render to identical bytes
each time — no timestamps, lists in plan order, mappings sorted — because it is the prefix the
providers cache. `changing` holds the task: the phase, the files, the brief. Untrusted text
(the issue, people's comments) appears only in `changing`, inside `<data>` tags that the
stable part tells the model never to obey.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import jinja2

from agents.context import (
    FileContext,
    InstructionUse,
    PromptManifest,
    estimate_tokens,
    select_files,
)
from agents.errors import UnknownTemplate

STEP_MARKER = "[step: {step}]"


@dataclass(frozen=True)
class Prompt:
    step: str
    stable: str
    changing: str
    manifest: PromptManifest = field(default_factory=PromptManifest)


def data(text: str, label: str) -> str:
    """Untrusted text, delimited; a closing tag inside it cannot end the block early."""
    safe = re.sub(r"</(data)", r"<\\/\1", text.strip("\n"), flags=re.IGNORECASE)
    return f'<data name="{label}">\n{safe}\n</data>'


def fence(content: str, path: str = "") -> str:
    """A Markdown code block longer than any backtick run inside `content`."""
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{path}\n{content.rstrip()}\n{ticks}"


def numbered(content: str) -> str:
    """Lines prefixed with their numbers, so review comments can name a line exactly."""
    lines = content.splitlines() or [""]
    width = len(str(len(lines)))
    return "\n".join(f"{number:>{width}} | {line}" for number, line in enumerate(lines, 1))


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("agents", "prompts"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(data=data, fence=fence, numbered=numbered)
    return env


class PromptBuilder:
    """Renders steps' templates; `context_tokens` bounds the changing part."""

    def __init__(self, *, context_tokens: int) -> None:
        self.context_tokens = context_tokens
        self._env = _environment()

    def _block(self, step: str, block: str, variables: Mapping[str, Any]) -> str:
        try:
            template = self._env.get_template(f"{step}.md.j2")
        except jinja2.TemplateNotFound:
            raise UnknownTemplate(f"no prompt template for step {step}") from None
        context = template.new_context(dict(variables))
        return "".join(template.blocks[block](context)).strip() + "\n"

    def render(
        self,
        step: str,
        variables: Mapping[str, Any],
        *,
        repo: Mapping[str, str] | None = None,
        focus: list[str] | None = None,
        always: list[str] | None = None,
        relevant: set[str] | None = None,
        instructions: InstructionUse | None = None,
    ) -> Prompt:
        """The prompt of `step`. With `repo`, the changing part also gets the file context:
        `always` and then `focus` in full, the rest as signatures, within the token budget
        left after the rest of the changing part; with `relevant`, only those files get
        signatures and the others are named by path. `instructions` names, in the manifest,
        the repository's instruction files the template showed."""
        stable = self._block(step, "stable", variables)
        files = FileContext()
        if repo is not None:
            bare = self._block(step, "changing", {**variables, "files": files})
            budget = self.context_tokens - estimate_tokens(bare)
            files = select_files(
                repo,
                focus=focus or [],
                always=always or [],
                budget_tokens=budget,
                relevant=relevant,
            )
        changing = self._block(step, "changing", {**variables, "files": files})
        marker = STEP_MARKER.format(step=step)
        manifest = replace(files.manifest, instructions=instructions or InstructionUse())
        return Prompt(step, stable, f"{marker}\n{changing}", manifest)
