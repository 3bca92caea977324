"""Markdown that models wrote (plans, phase documentation, pull request text) as safe HTML.

Two layers, because either alone is one bug away from script in the page: markdown-it-py
renders with raw HTML off (a `<script>` in the text comes out as literal text), then nh3
(Ammonia) keeps only an allow-list of tags and attributes, only http, https and mailto links,
and adds `rel="noopener noreferrer nofollow"` to every link. The CSP refuses inline script on
top of both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from storage.phase_docs import PhaseDocBase, render_phase_markdown

TAGS = frozenset(
    {
        "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6",
        "hr", "li", "ol", "p", "pre", "strong", "table", "tbody", "td", "th", "thead", "tr",
        "ul",
    }
)  # fmt: skip
ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "code": {"class"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})

_PARSER = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_PARSER.enable("strikethrough")


def sanitise(html: str) -> Markup:
    """HTML from anywhere, reduced to the allow-list (Ammonia's parser, not a regex)."""
    cleaned = nh3.clean(
        html,
        tags=set(TAGS),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    return Markup(cleaned)  # sanitised just above


def render_markdown(text: str) -> Markup:
    """Markdown to sanitised HTML."""
    return sanitise(_PARSER.render(text or ""))


def _bullets(items: Sequence[Any]) -> list[str]:
    return [f"- {' '.join(str(item).split())}" for item in items] or ["- (none)"]


def _architecture_lines(architecture: Mapping[str, Any]) -> list[str]:
    lines = ["## Overview", "", str(architecture.get("system_overview", "")), ""]
    lines += ["## Technology stack", ""]
    lines += [
        f"- **{item.get('area', '')}**: {item.get('choice', '')}"
        for item in architecture.get("technology_stack", [])
    ] or ["- (none)"]
    lines += ["", "## Components", ""]
    for component in architecture.get("components", []):
        lines.append(f"- **{component.get('name', '')}** ({component.get('type', '')})")
        lines += [f"  - {r}" for r in component.get("responsibilities", [])]
    lines += ["", "## Coding standards", "", *_bullets(architecture.get("coding_standards", []))]
    return lines


def _phase_lines(phase: Mapping[str, Any]) -> list[str]:
    depends = ", ".join(str(d) for d in phase.get("dependencies", [])) or "none"
    return [
        "",
        f"### {phase.get('id', '?')}. {phase.get('name', '')}",
        "",
        str(phase.get("description", "")),
        "",
        f"Type: {phase.get('phase_type', '')} · priority {phase.get('priority', '')} · "
        f"depends on: {depends}",
        "",
        "**Files to create**",
        "",
        *_bullets(phase.get("files_to_create", [])),
        "",
        "**Acceptance criteria**",
        "",
        *_bullets(phase.get("acceptance_criteria", [])),
    ]


def plan_markdown(plan: Mapping[str, Any]) -> str:
    """The stored plan (`Project.plan`: architecture, phases, features) as Markdown."""
    if not plan:
        return ""
    lines = _architecture_lines(plan.get("architecture") or {})
    features = plan.get("features") or []
    if features:
        lines += ["", "## Features", "", *_bullets(features)]
    lines += ["", "## Micro-phases"]
    for phase in plan.get("phases") or []:
        lines += _phase_lines(phase)
    return "\n".join(lines) + "\n"


def render_plan(plan: Mapping[str, Any]) -> Markup:
    return render_markdown(plan_markdown(plan))


def render_doc(doc: PhaseDocBase) -> Markup:
    """A phase's documentation, as the Markdown file committed beside the plan renders."""
    return render_markdown(render_phase_markdown(doc))
