"""bot.github.labels: one read of the repository's labels, then only the missing ones created."""

from __future__ import annotations

from bot.github.client import GitHubClient
from bot.github.labels import Label, create_label, ensure_labels
from bot.github.repo import Repo
from tests.fakegithub import FakeGitHub
from tests.fakegithub.routes_repos import ensure_label

LABELS = "/repos/{owner}/{repo}/labels"
REPO = Repo("octo-org", "hello-world")
OURS = [Label("ai-orchestrator", "5319e7", "Starts a project"), Label("template:x", "d4c5f9", "X")]


async def test_a_label_on_a_later_page_is_found(fake_github: FakeGitHub, gh: GitHubClient) -> None:
    repo = fake_github.get_repo("octo-org/hello-world")
    for n in range(120):
        ensure_label(fake_github, repo, f"area-{n:03}")
    ensure_label(fake_github, repo, "Template:X")  # the 121st: on the second page
    assert await ensure_labels(gh, REPO, OURS) == ["ai-orchestrator"]
    assert fake_github.calls("GET", LABELS) == 2
    [posted] = fake_github.requests_to("POST", LABELS)
    assert posted.json == {
        "name": "ai-orchestrator",
        "color": "5319e7",
        "description": "Starts a project",
    }
    assert await ensure_labels(gh, REPO, OURS) == []
    assert fake_github.calls("POST", LABELS) == 1


async def test_creating_a_label_that_exists_is_not_an_error(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    ensure_label(fake_github, fake_github.get_repo("octo-org/hello-world"), "AI-Orchestrator")
    assert await create_label(gh, REPO, OURS[0]) is False  # GitHub's 422 already_exists
    assert fake_github.requests_to("POST", LABELS)[0].status == 422
