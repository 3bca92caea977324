"""The check runs the App reports, on the fake GitHub (CI state: tests/github/test_ci.py)."""

from __future__ import annotations

import pytest

from bot.github.checks import VALIDATOR_CHECK, Annotation, upsert_check_run
from bot.github.client import GitHubClient
from bot.github.repo import Repo
from tests.fakegithub import FakeGitHub, since

REPO = Repo("octo-org", "hello-world")
R = "/repos/{owner}/{repo}"
RUNS = R + "/check-runs"
RUN = R + "/check-runs/{check_run_id}"
RUNS_FOR_REF = R + "/commits/{ref}/check-runs"


@pytest.fixture
def head(fake_github: FakeGitHub) -> str:
    return fake_github.commit_files(fake_github.repo, "phase", {"a.py": "A = 1\n"}, "Phase")


def findings(count: int) -> list[Annotation]:
    return [
        Annotation("a.py", n, n, "warning", f"finding {n}", title=f"W{n}")
        for n in range(1, count + 1)
    ]


# ---- check runs -----------------------------------------------------------------------------


async def test_120_annotations_are_one_create_and_two_patches(
    fake_github: FakeGitHub, gh: GitHubClient, head: str
) -> None:
    mark = len(fake_github.requests)
    run_id = await upsert_check_run(
        gh,
        REPO,
        name=VALIDATOR_CHECK,
        head_sha=head,
        conclusion="failure",
        title="2 critical issues",
        summary="Fix them.",
        annotations=findings(120),
    )
    assert since(fake_github, mark) == [
        ("GET", RUNS_FOR_REF),
        ("POST", RUNS),
        ("PATCH", RUN),
        ("PATCH", RUN),
    ]
    sizes = [len(fake_github.requests_to("POST", RUNS)[0].json["output"]["annotations"])]
    sizes += [len(r.json["output"]["annotations"]) for r in fake_github.requests_to("PATCH", RUN)]
    assert sizes == [50, 50, 20]
    run = fake_github.repo.check_runs[run_id]
    assert (run.name, run.head_sha, run.status, run.conclusion) == (
        VALIDATOR_CHECK,
        head,
        "completed",
        "failure",
    )
    assert [a["message"] for a in run.annotations] == [f"finding {n}" for n in range(1, 121)]
    assert run.output["title"] == "2 critical issues"


async def test_update_by_id_and_found_again_by_name(
    fake_github: FakeGitHub, gh: GitHubClient, head: str
) -> None:
    first = await upsert_check_run(
        gh,
        REPO,
        name=VALIDATOR_CHECK,
        head_sha=head,
        status="in_progress",
        conclusion=None,
        title="Reviewing",
        summary="The validator is reading the diff.",
    )
    mark = len(fake_github.requests)
    by_id = await upsert_check_run(
        gh,
        REPO,
        name=VALIDATOR_CHECK,
        head_sha=head,
        conclusion="success",
        title="Passed",
        summary="All criteria met.",
        check_run_id=first,
    )
    assert by_id == first
    assert since(fake_github, mark) == [("PATCH", RUN)]  # no search: the id was given
    assert fake_github.repo.check_runs[first].conclusion == "success"
    mark = len(fake_github.requests)
    by_name = await upsert_check_run(
        gh,
        REPO,
        name=VALIDATOR_CHECK,
        head_sha=head,
        conclusion="failure",
        title="Failed",
        summary="A person's push broke it.",
        text="Details",
    )
    assert by_name == first
    assert since(fake_github, mark) == [("GET", RUNS_FOR_REF), ("PATCH", RUN)]
    run = fake_github.repo.check_runs[first]
    assert (run.conclusion, run.output["text"]) == ("failure", "Details")
    assert len(fake_github.repo.check_runs) == 1


async def test_a_rerun_with_the_same_report_writes_nothing(
    fake_github: FakeGitHub, gh: GitHubClient, head: str
) -> None:
    async def report() -> int:
        return await upsert_check_run(
            gh,
            REPO,
            name=VALIDATOR_CHECK,
            head_sha=head,
            conclusion="failure",
            title="Failed",
            summary="S",
            text="T",
            annotations=findings(3),
        )

    first = await report()
    mark = len(fake_github.requests)
    again = await report()
    assert again == first
    assert since(fake_github, mark) == [("GET", RUNS_FOR_REF)]
    assert len(fake_github.repo.check_runs[first].annotations) == 3  # not appended twice


async def test_long_output_is_cut_to_githubs_limit(
    fake_github: FakeGitHub, gh: GitHubClient, head: str
) -> None:
    run_id = await upsert_check_run(
        gh,
        REPO,
        name=VALIDATOR_CHECK,
        head_sha=head,
        conclusion="failure",
        title="Long",
        summary="s" * 70_000,
        text="t" * 65_535,
    )
    output = fake_github.repo.check_runs[run_id].output
    assert len(output["summary"]) == 65_535 and output["summary"].endswith("(truncated)")
    assert output["text"] == "t" * 65_535  # at the limit: kept whole


async def test_another_apps_run_of_the_same_name_is_not_ours(
    fake_github: FakeGitHub, gh: GitHubClient, head: str
) -> None:
    fake_github.ci_reports(head, "success", name=VALIDATOR_CHECK)
    theirs = next(iter(fake_github.repo.check_runs))
    ours = await upsert_check_run(
        gh,
        REPO,
        name=VALIDATOR_CHECK,
        head_sha=head,
        conclusion="failure",
        title="Failed",
        summary="S",
        app_id=fake_github.app_id,
    )
    assert ours != theirs
    assert fake_github.repo.check_runs[ours].app.id == fake_github.app_id
    assert fake_github.repo.check_runs[theirs].conclusion == "success"


async def test_a_completed_run_needs_a_conclusion(gh: GitHubClient, head: str) -> None:
    with pytest.raises(ValueError, match="conclusion"):
        await upsert_check_run(
            gh, REPO, name=VALIDATOR_CHECK, head_sha=head, conclusion=None, title="T", summary="S"
        )
