"""Whether a workflow file runs for a phase's pull request, from its `on:` triggers."""

from __future__ import annotations

import pytest

from bot.files.triggers import branch_matches, runs_for_pull

BASE, HEAD = "ai-orchestrator/issue-7", "ai-orchestrator/issue-7/phase-2"


@pytest.mark.parametrize(
    ("workflow", "runs"),
    [
        ("on: [push, pull_request]\n", True),
        ("on: pull_request\n", True),
        ("on:\n  pull_request:\n    types: [opened]\n", True),
        ("on:\n  pull_request:\n    branches: [main]\n", False),
        ("on:\n  pull_request:\n    branches: ['ai-orchestrator/**']\n", True),
        ("on:\n  pull_request:\n    branches: ['ai-orchestrator/*']\n", True),
        ("on:\n  pull_request:\n    branches-ignore: ['ai-orchestrator/**']\n", False),
        ("on:\n  push:\n    branches: [main]\n", False),
        ("on:\n  push:\n    branches: ['**/phase-*']\n", True),
        ("on:\n  schedule:\n    - cron: '0 0 * * *'\n", False),
        ("on: workflow_dispatch\n", False),
        ("not: [valid\n", False),
        ("- just a list\n", False),
    ],
)
def test_a_workflow_runs_for_the_pull_request_when_its_triggers_cover_it(
    workflow: str, runs: bool
) -> None:
    assert runs_for_pull(workflow, base=BASE, head=HEAD) is runs


def test_the_last_matching_pattern_decides_and_a_star_stays_in_its_segment() -> None:
    assert branch_matches("release/v1", ["release/*", "!release/v1"]) is False
    assert branch_matches("release/v1", ["!release/v1", "release/*"]) is True
    assert branch_matches("a/b/c", ["a/*"]) is False
    assert branch_matches("a/b/c", ["a/**"]) is True
