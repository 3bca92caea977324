"""`.github/ai-orchestrator.yml`: defaults, every key, and every way the file can be wrong."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.options import (
    MAX_OPTIONS_BYTES,
    MergePolicy,
    PlanApproval,
    RepoOptions,
    Workflow,
    parse_options,
)

DEFAULTS = RepoOptions()

FULL = """
trigger_label: build-me
workflow: legacy
template: api_service
models:
  developer: claude-sonnet-4-6
  validator: gpt-4.1-mini
plan_approval: auto
merge_policy: human
merge_method: rebase
max_phases: 20
max_revisions: 0
budget_usd: 25.50
pause_at_fraction: 0.9
forbidden_paths: ["secrets/**", "*.pem"]
allow_workflow_files: true
max_files_per_phase: 10
max_file_bytes: 5000
max_jobs_per_hour: 60
max_model_calls: 100
"""


def test_defaults() -> None:
    assert DEFAULTS.trigger_label is None
    assert DEFAULTS.workflow is Workflow.MICRO_PHASE
    assert DEFAULTS.template is None
    assert DEFAULTS.models == {}
    assert DEFAULTS.plan_approval is PlanApproval.REQUIRED
    assert DEFAULTS.merge_policy is MergePolicy.AUTO
    assert DEFAULTS.merge_method == "squash"
    assert (DEFAULTS.max_phases, DEFAULTS.max_revisions) == (12, 2)
    assert DEFAULTS.budget_usd == Decimal("10.00")
    assert DEFAULTS.pause_at_fraction == Decimal("0.8")
    assert DEFAULTS.forbidden_paths == []
    assert DEFAULTS.allow_workflow_files is False
    assert (DEFAULTS.max_files_per_phase, DEFAULTS.max_file_bytes) == (30, 200_000)
    assert (DEFAULTS.max_jobs_per_hour, DEFAULTS.max_model_calls) == (120, 400)


@pytest.mark.parametrize("text", [None, "", "\n", "# only a comment\n", "---\n"])
def test_no_options_give_defaults_without_problem(text: str | None) -> None:
    loaded = parse_options(text)
    assert loaded.options == DEFAULTS
    assert loaded.problem is None


def test_every_key_is_read() -> None:
    loaded = parse_options(FULL)
    assert loaded.problem is None
    assert loaded.options == RepoOptions(
        trigger_label="build-me",
        workflow=Workflow.LEGACY,
        template="api_service",
        models={"developer": "claude-sonnet-4-6", "validator": "gpt-4.1-mini"},
        plan_approval=PlanApproval.AUTO,
        merge_policy=MergePolicy.HUMAN,
        merge_method="rebase",
        max_phases=20,
        max_revisions=0,
        budget_usd=Decimal("25.50"),
        pause_at_fraction=Decimal("0.9"),
        forbidden_paths=["secrets/**", "*.pem"],
        allow_workflow_files=True,
        max_files_per_phase=10,
        max_file_bytes=5000,
        max_jobs_per_hour=60,
        max_model_calls=100,
    )


def test_dollars_are_exact_although_yaml_reads_floats() -> None:
    options = parse_options("budget_usd: 10.10\npause_at_fraction: 0.75\n").options
    assert options.budget_usd == Decimal("10.10")
    assert options.budget_nanousd == 10_100_000_000
    assert options.pause_at_nanousd == 7_575_000_000


def test_pause_point_rounds_down_to_the_nano_dollar() -> None:
    options = RepoOptions(budget_usd=Decimal("0.000000007"), pause_at_fraction=Decimal("0.5"))
    assert options.budget_nanousd == 7
    assert options.pause_at_nanousd == 3


def test_budget_as_quoted_text() -> None:
    assert parse_options('budget_usd: "3.33"').options.budget_usd == Decimal("3.33")


def test_one_pattern_without_a_list_still_forbids() -> None:
    loaded = parse_options("forbidden_paths: secrets/**\n")
    assert loaded.problem is None
    assert loaded.options.forbidden_paths == ["secrets/**"]


def test_blank_patterns_are_dropped() -> None:
    assert parse_options('forbidden_paths: [" a/* ", ""]').options.forbidden_paths == ["a/*"]


def test_invalid_yaml_gives_defaults_and_says_where() -> None:
    loaded = parse_options("budget_usd: 5\nmodels: [developer\n")
    assert loaded.options == DEFAULTS
    assert loaded.problem is not None
    assert "`.github/ai-orchestrator.yml` is not valid YAML" in loaded.problem
    assert "line 3" in loaded.problem
    assert "using the default options" in loaded.problem


def test_tags_are_never_executed(tmp_path: Path) -> None:
    target = tmp_path / "pwned"
    loaded = parse_options(f'budget_usd: !!python/object/apply:os.system ["touch {target}"]\n')
    assert not target.exists()
    assert loaded.options == DEFAULTS
    assert loaded.problem is not None and "could not determine a constructor" in loaded.problem


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", "42\n", "1: 2\n"])
def test_not_a_mapping_gives_defaults(text: str) -> None:
    loaded = parse_options(text)
    assert loaded.options == DEFAULTS
    assert loaded.problem == (
        "`.github/ai-orchestrator.yml` must be a mapping of option names to values; "
        "using the default options."
    )


def test_too_big_a_file_is_not_parsed() -> None:
    loaded = parse_options("# " + "x" * MAX_OPTIONS_BYTES + "\nbudget_usd: 1\n")
    assert loaded.options == DEFAULTS
    assert loaded.problem is not None and "larger than 65536 bytes" in loaded.problem


def test_unknown_key_is_ignored_and_the_rest_kept() -> None:
    loaded = parse_options("budget_usd: 5\nforbiden_paths: [secrets/**]\nforbidden_paths: [x]\n")
    assert loaded.options.budget_usd == Decimal("5")
    assert loaded.options.forbidden_paths == ["x"]
    assert loaded.problem == (
        "`.github/ai-orchestrator.yml`: unknown option `forbiden_paths` "
        "(did you mean `forbidden_paths`?) is ignored."
    )


def test_bad_value_falls_back_for_that_key_only() -> None:
    loaded = parse_options("budget_usd: 5\nforbidden_paths: [secrets/**]\nmax_phases: 99\n")
    assert loaded.options.max_phases == 12
    assert loaded.options.budget_usd == Decimal("5")
    assert loaded.options.forbidden_paths == ["secrets/**"]
    assert loaded.problem == (
        "`.github/ai-orchestrator.yml`: `max_phases`: input should be less than or equal to 50, "
        "so the default is used."
    )


def test_several_problems_in_one_line_in_key_order() -> None:
    problem = parse_options("workflow: fast\nbogus: 1\nmax_revisions: -1\n").problem
    assert problem is not None
    assert "\n" not in problem
    assert problem.index("`bogus`") < problem.index("`max_revisions`") < problem.index("`workflow`")


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("max_phases: 0", "max_phases", "greater than or equal to 1"),
        ("max_phases: true", "max_phases", "valid integer"),
        ("max_phases: '12'", "max_phases", "valid integer"),
        ("max_phases: 2.5", "max_phases", "valid integer"),
        ("max_revisions: 11", "max_revisions", "less than or equal to 10"),
        ("budget_usd: 0", "budget_usd", "greater than 0"),
        ("budget_usd: -3", "budget_usd", "greater than 0"),
        ("budget_usd: true", "budget_usd", "not true/false"),
        ("budget_usd: ten", "budget_usd", "valid decimal"),
        ("pause_at_fraction: 1.5", "pause_at_fraction", "less than or equal to 1"),
        ("workflow: fast", "workflow", "'micro_phase', 'legacy' or 'auto'"),
        ("template: Desktop App", "template", "should match pattern"),
        ("plan_approval: maybe", "plan_approval", "'required' or 'auto'"),
        ("merge_policy: robot", "merge_policy", "'auto' or 'human'"),
        ("merge_method: ff", "merge_method", "'squash', 'merge' or 'rebase'"),
        ("models: {boss: gpt-4.1}", "models", "unknown role 'boss'"),
        ("models: {developer: ' '}", "models", "the model for 'developer' is empty"),
        ("models: {git: 3}", "models.git", "valid string"),
        ("models: [developer]", "models", "valid dictionary"),
        ("trigger_label: ''", "trigger_label", "at least 1 character"),
        ('trigger_label: "a\\tb"', "trigger_label", "printable"),
        ("trigger_label: " + "x" * 51, "trigger_label", "at most 50 characters"),
        ("allow_workflow_files: 'yes'", "allow_workflow_files", "valid boolean"),
        ("forbidden_paths: [3]", "forbidden_paths.0", "valid string"),
        ("max_files_per_phase: 0", "max_files_per_phase", "greater than or equal to 1"),
        ("max_file_bytes: 0", "max_file_bytes", "greater than or equal to 1"),
        ("max_jobs_per_hour: 0", "max_jobs_per_hour", "greater than or equal to 1"),
        ("max_model_calls: 0", "max_model_calls", "greater than or equal to 1"),
    ],
)
def test_bad_values_name_the_key_and_use_the_default(text: str, key: str, words: str) -> None:
    loaded = parse_options(text)
    assert loaded.options == DEFAULTS
    assert loaded.problem is not None
    assert f"`{key}`" in loaded.problem
    assert words in loaded.problem
    assert loaded.problem.endswith("so the default is used.")


def test_options_are_frozen_and_closed() -> None:
    with pytest.raises(ValidationError):
        DEFAULTS.max_phases = 3  # type: ignore[misc]
    with pytest.raises(ValidationError):
        RepoOptions(colour="blue")  # type: ignore[call-arg]
