"""bot.gitops reviews, replies and reactions on the fake GitHub."""

from __future__ import annotations

import pytest

from bot.github.client import GitHubClient
from bot.github.comments import AppIdentity, marker
from bot.github.pulls import pull_files
from bot.github.repo import Repo
from bot.github.reviews import (
    InlineComment,
    add_reaction,
    commentable_lines,
    post_review,
    reply_to_review_comment,
)
from tests.fakegithub import FakeGitHub

REPO = Repo("octo-org", "hello-world")
R = "/repos/{owner}/{repo}"
REVIEWS = R + "/pulls/{pull_number}/reviews"
FILES = R + "/pulls/{pull_number}/files"
BRANCH = "ai-orchestrator/issue-1/phase-1"
MARK = marker("review", "1-phase-1-r1")
OLD_LINES = "".join(f"line {n}\n" for n in range(1, 21))


def app(fake: FakeGitHub) -> AppIdentity:
    return AppIdentity(fake.app_id, fake.bot_login)


@pytest.fixture
def pull(fake_github: FakeGitHub) -> tuple[int, str]:
    """A pull request changing line 2 of a 20-line file and adding a 3-line one: (number, head)."""
    fake_github.commit_files(fake_github.repo, "main", {"notes.txt": OLD_LINES}, "Notes")
    changed = OLD_LINES.replace("line 2\n", "line two\n")
    head = fake_github.commit_files(
        fake_github.repo, BRANCH, {"notes.txt": changed, "src/a.py": "A = 1\nB = 2\nC = 3\n"}, "P1"
    )
    number = fake_github.person_opens_pull("octocat", BRANCH, "main", "Phase 1")[1]["number"]
    return int(number), head


def test_commentable_lines_are_added_and_context_lines_of_the_new_file() -> None:
    patch = "@@ -1,4 +1,4 @@\n line 1\n-line 2\n+line two\n line 3\n line 4\n\\ No newline at end"
    assert commentable_lines(patch) == {1, 2, 3, 4}
    assert commentable_lines("@@ -10,2 +12,3 @@ def f():\n x\n+y\n z") == {12, 13, 14}
    assert commentable_lines(None) == frozenset()


async def test_one_comment_review_with_inline_comments_on_the_right_side(
    fake_github: FakeGitHub, gh: GitHubClient, pull: tuple[int, str]
) -> None:
    number, head = pull
    comments = [
        InlineComment("src/a.py", 2, "B is unused."),
        InlineComment("notes.txt", 2, "Spell it out?"),
        InlineComment("notes.txt", 15, "Far from the change."),  # outside the hunk
        InlineComment("README.md", 1, "Not in this PR."),  # a file the PR does not touch
    ]
    review_id = await post_review(
        gh,
        REPO,
        number,
        commit_sha=head,
        body="Looks close.",
        comments=comments,
        marker=MARK,
        app=app(fake_github),
    )
    sent = fake_github.requests_to("POST", REVIEWS)[0]
    assert sent.status == 200
    assert sent.json["event"] == "COMMENT"
    assert sent.json["commit_id"] == head
    assert sent.json["comments"] == [
        {"path": "src/a.py", "line": 2, "side": "RIGHT", "body": "B is unused."},
        {"path": "notes.txt", "line": 2, "side": "RIGHT", "body": "Spell it out?"},
    ]
    review = fake_github.repo.reviews[review_id]
    assert (review.state, review.user.login) == ("COMMENTED", fake_github.bot_login)
    assert review.body.startswith("Looks close.")
    assert "`notes.txt` line 15: Far from the change." in review.body
    assert "`README.md` line 1: Not in this PR." in review.body
    assert review.body.endswith(MARK)
    placed = [c for c in fake_github.repo.review_comments.values() if c.review_id == review_id]
    assert sorted((c.path, c.line) for c in placed) == [("notes.txt", 2), ("src/a.py", 2)]


async def test_the_same_marker_posts_nothing_the_second_time(
    fake_github: FakeGitHub, gh: GitHubClient, pull: tuple[int, str]
) -> None:
    number, head = pull
    files = await pull_files(gh, REPO, number)
    comments = [InlineComment("src/a.py", 1, "Name it.")]
    given = {"commit_sha": head, "body": "B", "comments": comments, "marker": MARK}
    first = await post_review(gh, REPO, number, **given, files=files, app=app(fake_github))
    mark = len(fake_github.requests)
    again = await post_review(gh, REPO, number, **given, files=files, app=app(fake_github))
    assert again == first
    assert [(r.method, r.template) for r in fake_github.requests[mark:]] == [("GET", REVIEWS)]
    assert fake_github.calls("POST", REVIEWS) == 1
    assert fake_github.calls("GET", FILES) == 1  # only the caller's own read: files were given


async def test_a_review_for_another_marker_is_posted(
    fake_github: FakeGitHub, gh: GitHubClient, pull: tuple[int, str]
) -> None:
    number, head = pull
    for body, mark in (("R1", MARK), ("R2", marker("review", "1-phase-1-r2"))):
        given = {"commit_sha": head, "body": body, "comments": [], "marker": mark}
        await post_review(gh, REPO, number, **given, app=app(fake_github))
    assert fake_github.calls("POST", REVIEWS) == 2
    assert fake_github.calls("GET", FILES) == 0  # no inline comments: no need for the diff


REPLY_MARK = marker("reply", "1-2")


def thread(fake: FakeGitHub, number: int) -> int:
    """A writer's line comment on the pull request: the id of the thread's first comment."""
    fake.person_comments_on_line("writer", number, "src/a.py", 1, "Why A?")
    return next(iter(fake.repo.review_comments.values())).id


async def answer(gh: GitHubClient, fake: FakeGitHub, number: int, parent: int) -> int:
    """The app's answer in the thread, with its marker: the reply's id."""
    return await reply_to_review_comment(
        gh, REPO, number, parent, "A is the API name.", marker=REPLY_MARK, app=app(fake)
    )


def replies_in(fake: FakeGitHub, parent: int) -> list[tuple[str, str]]:
    found = [c for c in fake.repo.review_comments.values() if c.in_reply_to_id == parent]
    return [(c.user.login, c.body.split("\n")[0]) for c in found]


async def test_reply_in_a_review_thread(
    fake_github: FakeGitHub, gh: GitHubClient, pull: tuple[int, str]
) -> None:
    number, _ = pull
    parent = thread(fake_github, number)
    reply_id = await answer(gh, fake_github, number, parent)
    reply = fake_github.repo.review_comments[reply_id]
    assert (reply.in_reply_to_id, reply.body) == (parent, f"A is the API name.\n\n{REPLY_MARK}")
    assert reply.user.login == fake_github.bot_login


async def test_a_reply_posted_before_is_found_not_posted_again(
    fake_github: FakeGitHub, gh: GitHubClient, pull: tuple[int, str]
) -> None:
    """Issue 16, item 3: the job that posted it died before recording it; its re-run."""
    number, _ = pull
    parent = thread(fake_github, number)
    first = await answer(gh, fake_github, number, parent)
    again = await answer(gh, fake_github, number, parent)
    assert again == first
    assert replies_in(fake_github, parent) == [(fake_github.bot_login, "A is the API name.")]


async def test_a_reply_marker_posted_by_a_person_does_not_stop_the_apps_reply(
    fake_github: FakeGitHub, gh: GitHubClient, pull: tuple[int, str]
) -> None:
    number, _ = pull
    parent = thread(fake_github, number)
    fake_github.person_replies("writer", number, parent, f"Hm.\n\n{REPLY_MARK}")
    await answer(gh, fake_github, number, parent)
    assert replies_in(fake_github, parent) == [
        ("writer", "Hm."),
        (fake_github.bot_login, "A is the API name."),
    ]


async def test_reacting_twice_leaves_one_reaction(
    fake_github: FakeGitHub, gh: GitHubClient
) -> None:
    fake_github.person_opens_issue("writer", "Build it")
    _, payload = fake_github.person_comments("writer", 1, "/status")
    comment_id = int(payload["comment"]["id"])
    await add_reaction(gh, REPO, comment_id)
    await add_reaction(gh, REPO, comment_id)
    reactions = fake_github.repo.comments[comment_id].reactions
    assert [(r.content, r.user.login) for r in reactions] == [("eyes", fake_github.bot_login)]
    sent = fake_github.requests_to("POST", R + "/issues/comments/{comment_id}/reactions")
    assert [r.status for r in sent] == [201, 200]
