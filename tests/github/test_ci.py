"""What CI says about a commit (`bot.github.ci`), on the fake GitHub: which checks count, and
what they add up to."""

from __future__ import annotations

import pytest

from bot.github.checks import VALIDATOR_CHECK, upsert_check_run
from bot.github.ci import Counting, ci_report, required_contexts
from bot.github.client import GitHubClient
from bot.github.repo import Repo
from tests.fakegithub import FakeGitHub, since
from tests.fakegithub.suites import new_suite

REPO = Repo("octo-org", "hello-world")
R = "/repos/{owner}/{repo}"


@pytest.fixture
def head(fake_github: FakeGitHub) -> str:
    return fake_github.commit_files(fake_github.repo, "phase", {"a.py": "A = 1\n"}, "Phase")


def counting(fake: FakeGitHub, **overrides: object) -> Counting:
    return Counting(own_app_id=fake.app_id, **overrides)  # type: ignore[arg-type]


async def test_a_repository_without_ci_reports_nothing_in_three_reads(
    fake_github: FakeGitHub, gh: GitHubClient, head: str
) -> None:
    mark = len(fake_github.requests)
    report = await ci_report(gh, REPO, head, counting(fake_github))
    assert (report.verdict, report.checks, report.pending) == ("none", (), ())
    assert since(fake_github, mark) == [
        ("GET", R + "/commits/{ref}/check-runs"),
        ("GET", R + "/commits/{ref}/status"),
        ("GET", R + "/commits/{ref}/check-suites"),
    ]


async def test_passing_checks_and_statuses_succeed(
    fake_github: FakeGitHub, gh: GitHubClient, head: str
) -> None:
    fake_github.ci_reports(head, "success", name="ci/test")
    fake_github.ci_reports(head, "skipped", name="ci/docs")
    fake_github.ci_reports(head, "neutral", name="ci/lint")
    fake_github.ci_sets_status(head, "success")
    report = await ci_report(gh, REPO, head, counting(fake_github))
    assert report.verdict == "success"
    assert {check.name for check in report.checks} == {"ci/test", "ci/docs", "ci/lint", "ci/status"}


async def test_a_running_check_or_a_pending_status_is_pending(
    fake_github: FakeGitHub, gh: GitHubClient, head: str
) -> None:
    fake_github.ci_reports(head, "success", name="ci/lint")
    fake_github.ci_starts(head, name="ci/test")
    fake_github.ci_sets_status(head, "pending", context="ci/deploy")
    report = await ci_report(gh, REPO, head, counting(fake_github))
    assert report.verdict == "pending"
    assert set(report.pending) == {"ci/test", "ci/deploy"}


@pytest.mark.parametrize("conclusion", ["failure", "cancelled", "timed_out", "action_required"])
async def test_a_failing_check_fails_with_its_conclusion(
    fake_github: FakeGitHub, gh: GitHubClient, head: str, conclusion: str
) -> None:
    fake_github.ci_reports(head, "success", name="ci/lint")
    fake_github.ci_reports(head, conclusion, name="ci/test")
    report = await ci_report(gh, REPO, head, counting(fake_github))
    assert report.verdict == "failure"
    assert [(c.name, c.conclusion) for c in report.failing] == [("ci/test", conclusion)]


@pytest.mark.parametrize("state", ["failure", "error"])
async def test_a_failing_commit_status_fails(
    fake_github: FakeGitHub, gh: GitHubClient, head: str, state: str
) -> None:
    fake_github.ci_sets_status(head, state, context="ci/legacy")
    report = await ci_report(gh, REPO, head, counting(fake_github))
    assert report.verdict == "failure" and report.failing[0].name == "ci/legacy"


async def test_a_failure_while_another_check_runs_waits_for_the_whole_build(
    fake_github: FakeGitHub, gh: GitHubClient, head: str
) -> None:
    fake_github.ci_reports(head, "failure", name="ci/lint")
    fake_github.ci_starts(head, name="ci/test")
    report = await ci_report(gh, REPO, head, counting(fake_github))
    assert report.verdict == "pending"
    assert ([c.name for c in report.failing], report.pending) == (["ci/lint"], ("ci/test",))


async def test_our_own_validator_run_never_counts(
    fake_github: FakeGitHub, gh: GitHubClient, head: str
) -> None:
    await upsert_check_run(
        gh, REPO, name=VALIDATOR_CHECK, head_sha=head, conclusion="failure", title="F", summary="S"
    )
    assert (await ci_report(gh, REPO, head, counting(fake_github))).verdict == "none"
    anyone = Counting(own_app_id=None)
    assert (await ci_report(gh, REPO, head, anyone)).verdict == "failure"


async def test_a_required_context_that_has_not_reported_is_pending(
    fake_github: FakeGitHub, gh: GitHubClient, head: str
) -> None:
    fake_github.ci_reports(head, "success", name="ci/lint")
    report = await ci_report(gh, REPO, head, counting(fake_github, required={"ci/test"}))
    assert (report.verdict, report.pending) == ("pending", ("ci/test",))
    fake_github.ci_reports(head, "success", name="ci/test")
    report = await ci_report(gh, REPO, head, counting(fake_github, required={"ci/test"}))
    assert report.verdict == "success"


async def test_the_branch_rules_name_the_required_checks(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    assert await required_contexts(gh, REPO, "ai-orchestrator/issue-1") == set()
    fake_github.require_checks(fake_github.repo, "ai-orchestrator/**", ["test", "lint"])
    assert await required_contexts(gh, REPO, "ai-orchestrator/issue-1") == {"test", "lint"}
    assert await required_contexts(gh, REPO, "main") == set()


async def test_a_silent_apps_queued_suite_counts_only_once_that_app_has_reported_here(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    silent = fake_github.add_silent_checks_app(fake_github.repo)
    fake_github.simulate_checks(fake_github.repo)
    sha = fake_github.commit_files(fake_github.repo, "phase", {"b.py": "B = 2\n"}, "Push")
    assert (await ci_report(gh, REPO, sha, counting(fake_github))).verdict == "none"
    known = counting(fake_github, known_apps={silent.id})
    report = await ci_report(gh, REPO, sha, known)
    assert (report.verdict, report.waiting) == ("pending", (silent.slug,))


async def test_an_actions_suite_without_runs_waits_only_when_a_workflow_runs_for_the_pull(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    sha = fake_github.commit_files(fake_github.repo, "phase", {"c.py": "C = 3\n"}, "Push")
    # GitHub queued a suite for Actions at the push; no job of it has shown yet.
    new_suite(fake_github, fake_github.repo, fake_github.actions, sha, branch="phase", before=None)
    asked: list[bool] = []

    async def expected(answer: bool) -> bool:
        asked.append(answer)
        return answer

    for answer, verdict in ((False, "none"), (True, "pending")):
        rule = counting(fake_github, actions_expected=lambda a=answer: expected(a))
        assert (await ci_report(gh, REPO, sha, rule)).verdict == verdict
    assert asked == [False, True]
