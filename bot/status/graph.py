"""The phase dependency graph as a Mermaid flowchart, each node coloured by its phase's state.

GitHub renders a ```mermaid block in a comment as a diagram. Labels are untrusted phase names,
so each is entity-encoded by `bot.status.markdown.mermaid_label`; node ids are ours (`P<number>`).
A label reads `1 · Name`, not `1. Name`: recent Mermaid reads labels as Markdown, and `1. `
would start a list, which it refuses to draw.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.status.markdown import mermaid_label
from bot.status.model import PhaseView
from storage.states import PhaseState

# fill, stroke, text colour per state value; readable in GitHub's light and dark themes.
STATE_COLOURS: Mapping[str, tuple[str, str, str]] = {
    "planned": ("#f6f8fa", "#8c959f", "#24292f"),
    "coding": ("#fff8c5", "#d4a72c", "#3b2300"),
    "in_review": ("#ddf4ff", "#0969da", "#0a3069"),
    "revising": ("#fff1e5", "#bc4c00", "#4c1d00"),
    "waiting_ci": ("#fbefff", "#8250df", "#3e1f79"),
    "ci_fixing": ("#fff1e5", "#bc4c00", "#4c1d00"),
    "waiting_human": ("#ffeff7", "#bf3989", "#4d0336"),
    "merged": ("#dafbe1", "#1a7f37", "#044f1e"),
    "skipped": ("#eaeef2", "#6e7781", "#424a53"),
    "failed": ("#ffebe9", "#cf222e", "#82071e"),
}
LABEL_CHARS = 60


def node_id(number: int) -> str:
    return f"P{number}" if number >= 0 else f"Pm{-number}"


def mermaid_graph(phases: Sequence[PhaseView]) -> str:
    """A fenced ```mermaid block: one node per phase, an edge from each dependency to its
    dependant (dependencies on unknown phases are left out), then one class line per state."""
    known = {phase.number for phase in phases}
    lines = ["```mermaid", "flowchart TD"]
    for phase in phases:
        label = mermaid_label(phase.name, LABEL_CHARS)
        lines.append(f'  {node_id(phase.number)}["{phase.number} · {label}"]')
    for phase in phases:
        for dependency in sorted(set(phase.depends_on) & known):
            lines.append(f"  {node_id(dependency)} --> {node_id(phase.number)}")
    lines += _classes(phases)
    lines.append("```")
    return "\n".join(lines)


def _classes(phases: Sequence[PhaseView]) -> list[str]:
    by_state: dict[PhaseState, list[str]] = {}
    for phase in phases:
        by_state.setdefault(phase.state, []).append(node_id(phase.number))
    lines: list[str] = []
    for state in sorted(by_state, key=list(STATE_COLOURS).index):
        fill, stroke, colour = STATE_COLOURS[state.value]
        dash = ",stroke-dasharray:4 3" if state.value == "skipped" else ""
        lines.append(f"  classDef {state.value} fill:{fill},stroke:{stroke},color:{colour}{dash}")
        lines.append(f"  class {','.join(by_state[state])} {state.value}")
    return lines
