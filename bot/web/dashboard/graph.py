"""The phase dependency graph as SVG: phases in columns by depth, edges from each dependency
to its dependant, each node coloured by its phase's state (the status comment's colours).

Depth is the longest chain of known dependencies below a phase, so every edge points right.
A dependency on an unknown phase is left out, as in the status comment's Mermaid graph; a
cycle (which the plan check refuses, but the graph must not hang on) is cut where it closes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from bot.status.graph import STATE_COLOURS

NODE_WIDTH = 170
NODE_HEIGHT = 42
COLUMN_GAP = 60
ROW_GAP = 16
MARGIN = 10
NAME_CHARS = 22


@dataclass(frozen=True)
class Node:
    number: int
    name: str
    state: str
    depends_on: tuple[int, ...]


def depths(nodes: Sequence[Node]) -> dict[int, int]:
    """Phase number → its column: 0 without known dependencies, else one past the deepest."""
    known = {node.number: node for node in nodes}
    found: dict[int, int] = {}

    def depth(number: int, seen: frozenset[int]) -> int:
        if number in found:
            return found[number]
        below = [d for d in known[number].depends_on if d in known and d not in seen]
        value = 1 + max((depth(d, seen | {d}) for d in below), default=-1)
        found[number] = value
        return value

    for node in nodes:
        depth(node.number, frozenset({node.number}))
    return found


def _positions(nodes: Sequence[Node]) -> dict[int, tuple[float, float]]:
    """Phase number → the top-left corner of its box."""
    column_of = depths(nodes)
    rows: dict[int, int] = {}
    placed: dict[int, tuple[float, float]] = {}
    for node in nodes:
        column = column_of[node.number]
        row = rows.get(column, 0)
        rows[column] = row + 1
        x = MARGIN + column * (NODE_WIDTH + COLUMN_GAP)
        placed[node.number] = (x, MARGIN + row * (NODE_HEIGHT + ROW_GAP))
    return placed


def _edge(start: tuple[float, float], end: tuple[float, float]) -> str:
    x1, y1 = start[0] + NODE_WIDTH, start[1] + NODE_HEIGHT / 2
    x2, y2 = end[0], end[1] + NODE_HEIGHT / 2
    middle = (x1 + x2) / 2
    return (
        f'<path class="edge" d="M{x1:.1f},{y1:.1f} C{middle:.1f},{y1:.1f} {middle:.1f},{y2:.1f} '
        f'{x2 - 4:.1f},{y2:.1f}" fill="none" stroke="#8c959f" stroke-width="1.5" '
        f'marker-end="url(#arrow)"/>'
    )


def _node(node: Node, corner: tuple[float, float]) -> str:
    fill, stroke, text = STATE_COLOURS.get(node.state, STATE_COLOURS["planned"])
    x, y = corner
    name = node.name if len(node.name) <= NAME_CHARS else node.name[: NAME_CHARS - 1] + "…"
    tip = f"Phase {node.number}: {node.name} ({node.state.replace('_', ' ')})"
    return (
        f'<g class="node" data-phase="{node.number}" data-state="{escape(node.state)}">'
        f"<title>{escape(tip)}</title>"
        f'<rect x="{x}" y="{y}" width="{NODE_WIDTH}" height="{NODE_HEIGHT}" rx="6" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
        f'<text x="{x + 8}" y="{y + 17}" fill="{text}" class="node-name">'
        f"{node.number} · {escape(name)}</text>"
        f'<text x="{x + 8}" y="{y + 33}" fill="{text}" class="node-state">'
        f"{escape(node.state.replace('_', ' '))}</text></g>"
    )


ARROW = (
    '<defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="8" '
    'markerHeight="8" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#8c959f"/></marker></defs>'
)


def dependency_graph(nodes: Sequence[Node]) -> Markup:
    """The graph of `nodes`; an empty Markup when there are no phases yet."""
    if not nodes:
        return Markup("")
    corners = _positions(nodes)
    width = max(x for x, _ in corners.values()) + NODE_WIDTH + MARGIN
    height = max(y for _, y in corners.values()) + NODE_HEIGHT + MARGIN
    edges = [
        _edge(corners[dep], corners[node.number])
        for node in nodes
        for dep in node.depends_on
        if dep in corners and dep != node.number
    ]
    boxes = [_node(node, corners[node.number]) for node in nodes]
    head = (
        f'<svg class="graph" viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" '
        f'height="{height:.0f}" role="img" aria-label="Phase dependency graph" '
        f'xmlns="http://www.w3.org/2000/svg"><title>Phase dependency graph</title>'
    )
    return Markup(head + ARROW + "".join(edges) + "".join(boxes) + "</svg>")
