"""`projects`, `status`, `docs list-phases`, `docs view-plan`, `cost --trends`,
`cost --recommendations` and `metrics`, on the seeded database (`tests/reportseed.py`) and on
a new one (migrated, empty)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import yaml

from bot.cli.main import main
from storage.db import make_engine, make_sessionmaker
from tests.reportseed import Seeded, seed

MALFORMED = "give its id, or owner/repo#issue"


@pytest.fixture
def cli_db(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", database_url)
    return database_url


@pytest.fixture
def seeded(cli_db: str) -> Seeded:
    async def go() -> Seeded:
        engine = make_engine(cli_db)
        try:
            return await seed(make_sessionmaker(engine))
        finally:
            await engine.dispose()

    return asyncio.run(go())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def cells(table: str) -> list[list[str]]:
    """A table's body rows split on runs of two or more spaces."""
    return [re.split(r"\s{2,}", line.strip()) for line in table.splitlines()[2:]]


def test_projects(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "projects")
    table, footer = out.rstrip("\n").split("\n\n")
    assert code == 0 and footer == "page 1 of 1, 3 projects"
    assert cells(table) == [
        [str(seeded.private), "other/private", "#1", "failed", "failed", "0/0", "$0.00",
         "2025-07-02 09:05 UTC"],
        [str(seeded.gadgets), "acme/gadgets", "#3", "done", "done", "1/1", "$0.40",
         "2025-07-02 13:00 UTC"],
        [str(seeded.widgets), "acme/widgets", "#7", "running", "phases", "1/3",
         "$1.85 of $5.00", "2025-07-02 12:00 UTC"],
    ]  # fmt: skip


def test_projects_filter_and_page(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "projects", "--repository", "acme", "--per-page", "1", "--page", "2")
    table, footer = out.rstrip("\n").split("\n\n")
    assert (code, footer) == (0, "page 2 of 2, 2 projects")
    assert [row[1] for row in cells(table)] == ["acme/widgets"]
    assert run(capsys, "projects", "--status", "paused")[1] == "no projects match\n"


def test_status_by_issue_with_the_cache(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "status", "ACME/widgets#7", "--include-cache")
    facts, phases, jobs, cache = out.rstrip("\n").split("\n\n")
    assert code == 0
    assert facts.splitlines() == [
        f"Project {seeded.widgets}: acme/widgets#7 (widgets issue 7)",
        "Status: running, at step phases (micro_phase workflow)",
        "Progress: 1/3 micro-phases done",
        "Spend: $1.85 of a $5.00 budget",
        "Last activity: 2025-07-02 12:00 UTC",
    ]
    assert cells(phases) == [
        ["1", "Models", "merged", "#21", "2", "2", "$1.00"],
        ["2", "API", "in_review", "#22", "0", "0", "$0.35"],
        ["3", "CLI", "planned", "-", "0", "0", "$0.00"],
    ]
    assert jobs.splitlines()[0] == "Jobs: 1 queued, 0 running, 1 dead"
    assert jobs.splitlines()[1].endswith("(phase.review): GitHub said 422: Validation Failed")
    assert cache.splitlines() == [
        "Cache performance:",
        "   Hit rate: 10.0% (1 of 10 requests)",
        "   Cost savings: $0.30",
        "   API calls saved: 1",
    ]


def test_status_without_the_cache(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "status", str(seeded.gadgets))
    assert code == 0 and "Cache performance" not in out
    assert "Final PR: #40" in out.splitlines()


def test_unknown_and_malformed_projects(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    unknown = "ai-orchestrator: no project {} (`ai-orchestrator projects` lists them)\n"
    for argv in (["status"], ["docs", "list-phases"], ["docs", "view-plan"]):
        assert run(capsys, *argv, "acme/widgets#8") == (1, "", unknown.format("acme/widgets#8"))
        assert run(capsys, *argv, "999") == (1, "", unknown.format("999"))
        code, out, err = run(capsys, *argv, "widgets")
        assert (code, out) == (2, "")
        assert err == f"ai-orchestrator: not a project: 'widgets' ({MALFORMED})\n"


def test_docs_list_phases(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "docs", "list-phases", "acme/widgets#7")
    heading, table = out.rstrip("\n").split("\n\n")
    assert code == 0 and heading == f"acme/widgets#7 (project {seeded.widgets}): 3 phases"
    assert cells(table) == [
        ["1", "Models", "merged", "#21", "feature", "developer"],
        ["2", "API", "in_review", "#22", "-", "-"],
        ["3", "CLI", "planned", "-", "-", "-"],
    ]
    code, out, _ = run(capsys, "docs", "list-phases", str(seeded.private))
    assert out == "other/private#1 (project 3): 0 phases; no plan yet (step failed)\n"


def test_docs_view_plan(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "docs", "view-plan", str(seeded.widgets))
    first, _, rest = out.partition("\n")
    assert code == 0 and first == "# .ai-orchestrator/issue-7/plan.yaml in acme/widgets"
    plan = yaml.safe_load(rest)
    assert plan["session_id"] == "acme/widgets#7"
    assert [p["name"] for p in plan["micro_phase_plans"]] == ["Models", "API", "CLI"]
    assert plan["micro_phase_plans"][2]["dependencies"] == [1, 2]
    code, out, err = run(capsys, "docs", "view-plan", "other/private#1")
    assert (code, out) == (1, "")
    assert err == (
        "ai-orchestrator: project other/private#1 has no plan yet (it is at step failed)\n"
    )


def test_cost_trends(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "cost", "--trends", "--days", "36500")
    heading, rows, days, total = out.rstrip("\n").split("\n\n")
    assert code == 0 and heading.startswith("spend per day, last 36500 days (since ")
    assert cells(rows) == [
        ["2025-07-02", "acme/gadgets", "claude-sonnet-4", "developer", "4", "$0.40"],
        ["2025-07-02", "acme/gadgets", "gpt-4o-mini", "git", "2", "$0.0020"],
        ["2025-07-02", "acme/widgets", "claude-sonnet-4", "developer", "5", "$1.60"],
        ["2025-07-02", "acme/widgets", "gpt-4o", "manager", "1", "$0.10"],
        ["2025-07-02", "acme/widgets", "gpt-4o", "validator", "3", "$0.15"],
    ]
    assert cells(days) == [["2025-07-02", "$2.25"]]
    assert total == "total: $2.25"
    # The seed's calls are in 2025: the last 30 days hold none of them.
    assert run(capsys, "cost", "--trends")[1] == "no model calls in the last 30 days\n"


def test_cost_recommendations(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "cost", "--recommendations")
    first, second, third = out.rstrip("\n").split("\n\n")
    assert code == 0
    assert first.splitlines()[0] == (
        "1. [model_per_answer] the developer on claude-sonnet-4 costs $0.33 per answer over 6 "
        "answers ($2.00), 333.3x the git on gpt-4o-mini ($0.0010 per answer)"
    )
    assert first.splitlines()[2].startswith("   at stake: up to $1.99; from: role=developer,")
    assert second.startswith("2. [revisions] acme/widgets#7 phase 1 (Models): $0.65 of its $1.00")
    assert "revision_dollars=$0.65" in second
    assert third.startswith("3. [retry_cache] the architecture stage: 1 of 4 repeated requests")


def test_cost_views_are_exclusive(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["cost", "--trends", "--recommendations"])
    assert exited.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_metrics(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "metrics")
    lines = out.splitlines()
    assert code == 0
    assert lines[:3] == [
        "Projects: 3 (1 done, 1 failed, 1 running)",
        "Deliveries stored: 0",
        "Jobs: 3 (1 dead, 1 done, 1 queued)",
    ]
    assert lines[3].startswith("Queue: 1 runnable, 0 delayed, oldest waiting ")
    assert lines[4:] == [
        "Model calls: 15; answered from the cache: 2 (11.8% hit rate)",
        "Tokens: 15,000 input, 3,000 output (6,000 cached input)",
        "Spend: $2.25; saved by the response cache: $0.40",
    ]


def test_metrics_detailed(seeded: Seeded, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "metrics", "--detailed")
    _, deliveries, jobs, models, stages = out.rstrip("\n").split("\n\n")
    assert code == 0 and cells(deliveries) == []
    assert cells(jobs) == [
        ["phase.code", "done", "1"],
        ["phase.code", "queued", "1"],
        ["phase.review", "dead", "1"],
    ]
    assert cells(models)[0] == [
        "developer", "anthropic", "claude-sonnet-4", "9", "2", "9,000", "1,800", "$2.00",
    ]  # fmt: skip
    assert cells(stages)[1] == ["architecture", "6", "1", "16.7%", "1", "$0.10"]


def test_a_new_database(cli_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Migrated and empty: every command answers, and says there is nothing yet."""
    assert run(capsys, "projects") == (
        0,
        "no projects yet: label an issue with the trigger label to start one\n",
        "",
    )
    assert run(capsys, "status", "1")[0] == 1
    assert run(capsys, "docs", "list-phases", "o/r#1")[0] == 1
    assert run(capsys, "cost", "--trends")[1] == "no model calls in the last 30 days\n"
    assert run(capsys, "cost", "--recommendations")[1] == (
        "no recommendations: nothing in the ledger or the cache calls for one\n"
    )
    code, out, _ = run(capsys, "metrics")
    assert code == 0
    assert out.splitlines() == [
        "Projects: 0",
        "Deliveries stored: 0",
        "Jobs: 0",
        "Queue: 0 runnable, 0 delayed, oldest waiting 0 s",
        "Model calls: 0; answered from the cache: 0 (0.0% hit rate)",
        "Tokens: 0 input, 0 output (0 cached input)",
        "Spend: $0.00; saved by the response cache: $0.00",
    ]
