"""Whether a GitHub Actions workflow runs for a phase's pull request, read from its `on:`.

A workflow runs for the phase when it triggers on `pull_request` (or `pull_request_target`)
into the phase's base branch, or on `push` to the phase's branch, with GitHub's branch filters
(`branches`, `branches-ignore`; `*` within a path segment, `**` across them, `!` to exclude).
The file is the repository's, so anything unreadable simply does not count.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache
from typing import Any

import yaml

PULL_EVENTS = ("pull_request", "pull_request_target")


@cache
def _pattern(glob: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*|\*|\?)", glob)
    wild = {"**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wild.get(part, re.escape(part)) for part in parts))


def branch_matches(branch: str, patterns: Sequence[str]) -> bool:
    """GitHub's filter: the last pattern that matches decides; `!pattern` excludes."""
    included = False
    for raw in patterns:
        negated, glob = raw.startswith("!"), raw.removeprefix("!")
        if _pattern(glob).fullmatch(branch):
            included = not negated
    return included


def _filtered(config: Any, branch: str) -> bool:
    if not isinstance(config, dict):
        return True  # `pull_request:` with no filter, or a list of activity types only
    if "branches" in config:
        return branch_matches(branch, [str(p) for p in config["branches"] or []])
    if "branches-ignore" in config:
        return not branch_matches(branch, [str(p) for p in config["branches-ignore"] or []])
    return True


def _events(workflow: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(workflow)
    except yaml.YAMLError:
        return {}
    if not isinstance(data, dict):
        return {}
    # YAML 1.1 reads the bare key `on` as the boolean True.
    on = data.get("on", data.get(True))
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {str(event): None for event in on}
    return {str(k): v for k, v in on.items()} if isinstance(on, dict) else {}


def runs_for_pull(workflow: str, *, base: str, head: str) -> bool:
    """Whether the workflow file's triggers cover a pull request from `head` into `base`."""
    events = _events(workflow)
    if any(name in events and _filtered(events[name], base) for name in PULL_EVENTS):
        return True
    return "push" in events and _filtered(events["push"], head)
