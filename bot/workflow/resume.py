"""Work already under way for an issue: a plan file on its integration branch is read back
instead of planning again (the project's database rows were lost, or the issue was
re-labelled after the app's data was reset)."""

from __future__ import annotations

import logging
from typing import Any

import yaml
from pydantic import ValidationError

from agents.schemas import Architecture, Commands, Component, MicroPhase, StackItem
from bot.files.plan_file import plan_path
from bot.github.git import branch_head, read_file
from bot.workflow.context import Flow, integration_branch

log = logging.getLogger(__name__)

Found = tuple[tuple[Architecture, list[MicroPhase], list[str]], str]


def parse_plan(text: str) -> tuple[Architecture, list[MicroPhase], list[str]] | None:
    """The plan file's architecture, phases and features; None when it does not read back."""
    try:
        data: Any = yaml.safe_load(text)
        stack = data.get("technology_stack") or {}
        architecture = Architecture(
            system_overview=str(data["system_overview"]),
            technology_stack=[StackItem(area=str(a), choice=str(c)) for a, c in stack.items()],
            components=[Component.model_validate(c) for c in data.get("components") or []],
            coding_standards=[str(rule) for rule in data.get("coding_standards") or []],
            commands=Commands.model_validate(data.get("commands") or {"setup": [], "test": []}),
        )
        phases = [MicroPhase.model_validate(p) for p in data["micro_phase_plans"]]
        features = [str(feature) for feature in data.get("features") or []]
    except (yaml.YAMLError, ValidationError, KeyError, TypeError, AttributeError) as exc:
        log.warning("the plan file on GitHub does not read back: %s", exc)
        return None
    return architecture, phases, features


async def plan_on_github(flow: Flow) -> Found | None:
    """The plan committed on the issue's integration branch, with the branch's head."""
    branch = integration_branch(flow.issue)
    head = await branch_head(flow.gh, flow.repo, branch)
    if head is None:
        return None
    text = await read_file(flow.gh, flow.repo, plan_path(flow.issue), head)
    parsed = parse_plan(text) if text else None
    return None if parsed is None else (parsed, head)
