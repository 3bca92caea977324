"""Hidden markers count only on what the app itself wrote (issue 16, item 11): a person who
posts a marker first neither gets their comment adopted nor silences the app's own."""

from __future__ import annotations

from bot.github.client import GitHubClient
from bot.github.comments import AppIdentity, marker, post_once
from bot.github.pulls import close_pull, open_pull
from bot.github.repo import Repo
from bot.github.reviews import post_review
from tests.fakegithub import FakeGitHub

REPO = Repo("octo-org", "hello-world")
BRANCH = "ai-orchestrator/issue-1/phase-1"
INTEGRATION = "ai-orchestrator/issue-1"


def app(fake: FakeGitHub) -> AppIdentity:
    return AppIdentity(fake.app_id, fake.bot_login)


async def _pull(fake: FakeGitHub, gh: GitHubClient) -> int:
    fake.commit_files(fake.repo, INTEGRATION, {"a.py": "A = 1\n"}, "Base")
    fake.commit_files(fake.repo, BRANCH, {"a.py": "A = 2\n"}, "Phase 1")
    pull = await open_pull(gh, REPO, head=BRANCH, base=INTEGRATION, title="Phase 1", body="B")
    return int(pull["number"])


async def test_a_close_pull_marker_posted_by_a_person_does_not_silence_the_explanation(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    number = await _pull(fake_github, gh)
    fake_github.person_comments("octocat", number, marker("close-pull", number))
    await close_pull(gh, REPO, number, app=app(fake_github), comment="Superseded by a split.")
    mine = [c for c in fake_github.comments_on(number) if c.user.login == fake_github.bot_login]
    assert [c.body.split("\n")[0] for c in mine] == ["Superseded by a split."]


async def test_a_marker_quoted_in_the_apps_own_text_is_not_the_comment_it_marks(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    number = await _pull(fake_github, gh)
    quoted = f"A model quoted `{marker('reply', '1-2')}` here."
    await post_once(
        gh, REPO, number, body=quoted, mark=marker("reply", "1-1"), app=app(fake_github)
    )
    await post_once(
        gh, REPO, number, body="The answer.", mark=marker("reply", "1-2"), app=app(fake_github)
    )
    bodies = [c.body.split("\n")[0] for c in fake_github.comments_on(number)]
    assert bodies == [quoted, "The answer."]


async def test_a_review_marker_in_a_persons_review_does_not_stop_the_apps_review(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    number = await _pull(fake_github, gh)
    mark = marker("review", f"1-1-{fake_github.pull(number).head_sha}")
    fake_github.person_reviews("writer", number, "COMMENT", f"Looks fine.\n\n{mark}")
    head = fake_github.pull(number).head_sha
    given = {"commit_sha": head, "body": "Review.", "comments": [], "marker": mark}
    await post_review(gh, REPO, number, **given, app=app(fake_github))
    authors = [r.user.login for r in fake_github.repo.reviews.values()]
    assert authors == ["writer", fake_github.bot_login]
