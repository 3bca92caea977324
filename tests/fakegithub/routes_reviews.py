"""Pull request reviews, inline review comments and replies to them."""

from __future__ import annotations

from typing import Any

from tests.fakegithub.base import FakeBase
from tests.fakegithub.gitstore import FileChange, diff_position
from tests.fakegithub.model import Event, PullRequest, Repo, Review, ReviewComment, User
from tests.fakegithub.pullmath import pull_changes
from tests.fakegithub.router import ApiError, Call, Reply, Routes, not_found, paginate
from tests.fakegithub.routes_pulls import get_pull
from tests.fakegithub.shapes_pulls import review_comment_json, review_json
from tests.fakegithub.webhooks import review_comment_event, review_event

routes = Routes()
STATES = {"APPROVE": "APPROVED", "REQUEST_CHANGES": "CHANGES_REQUESTED", "COMMENT": "COMMENTED"}
OWN_PULL = {
    "APPROVE": "Can not approve your own pull request",
    "REQUEST_CHANGES": "Can not request changes on your own pull request",
}


def _unprocessable(*errors: str) -> ApiError:
    return ApiError(422, "Unprocessable Entity", list(errors))


def submit_review(
    fake: FakeBase,
    repo: Repo,
    pull: PullRequest,
    *,
    user: User,
    event: str | None,
    body: str,
    comments: list[dict[str, Any]],
    commit_id: str | None = None,
) -> tuple[Review, list[Event]]:
    """A review with its inline comments, checked as GitHub checks them."""
    if event in OWN_PULL and pull.user.id == user.id:
        raise _unprocessable(OWN_PULL[event])
    if event in ("REQUEST_CHANGES", "COMMENT") and not body and not comments:
        raise _unprocessable(f"Body is required when using {event}")
    commit = commit_id or pull.head_sha
    if commit not in repo.git.commits:
        raise _unprocessable("commit_id is not part of the pull request")
    changes = {change.filename: change for change in pull_changes(repo, pull)}
    for comment in comments:
        _check_position(changes, comment)
    submitted = fake.now() if event else None
    review = Review(
        fake.state.next_id(),
        pull.number,
        user,
        body,
        STATES.get(event or "", "PENDING"),
        commit,
        submitted,
    )
    repo.reviews[review.id] = review
    made = [_comment(fake, repo, review, c, changes) for c in comments]
    if event is None:
        return review, []
    events = [review_event(fake, repo, review, user)]
    return review, events + [review_comment_event(fake, repo, c, "created", user) for c in made]


def _check_position(changes: dict[str, FileChange], comment: dict[str, Any]) -> None:
    change = changes.get(str(comment.get("path")))
    if change is None:
        raise _unprocessable("Pull request review thread path could not be resolved")
    if comment.get("subject_type") == "file" or "position" in comment:
        return
    lines = change.left_lines if comment.get("side") == "LEFT" else change.right_lines
    wanted = [comment.get("line"), comment.get("start_line")]
    if comment.get("line") is None or any(n is not None and n not in lines for n in wanted):
        raise _unprocessable("Pull request review thread line must be part of the diff")


def _comment(
    fake: FakeBase,
    repo: Repo,
    review: Review,
    given: dict[str, Any],
    changes: dict[str, FileChange],
    in_reply_to: ReviewComment | None = None,
) -> ReviewComment:
    now = fake.now()
    source = in_reply_to
    path = source.path if source else str(given["path"])
    comment = ReviewComment(
        id=fake.state.next_id(),
        pull_number=review.pull_number,
        review_id=review.id,
        user=review.user,
        body=str(given.get("body", "")),
        path=path,
        line=source.line if source else given.get("line"),
        side=source.side if source else str(given.get("side", "RIGHT")),
        start_line=source.start_line if source else given.get("start_line"),
        start_side=source.start_side if source else given.get("start_side"),
        commit_id=review.commit_id,
        diff_hunk=_hunk(changes.get(path)),
        created_at=now,
        updated_at=now,
        in_reply_to_id=source.id if source else None,
        subject_type=str(given.get("subject_type", "line")),
    )
    change = changes.get(path)
    if change is not None:
        at = given.get("position") or diff_position(change, comment.line, comment.side)
        comment.position = int(at or 1)
    repo.review_comments[comment.id] = comment
    return comment


def _hunk(change: FileChange | None) -> str:
    if change is None:
        return ""
    return "\n".join(change.patch.splitlines()[:8])


def reply_to(
    fake: FakeBase, repo: Repo, pull: PullRequest, parent: ReviewComment, body: str, user: User
) -> tuple[ReviewComment, list[Event]]:
    """A reply in a review thread: its own one-comment review, as on GitHub."""
    review = Review(
        fake.state.next_id(), pull.number, user, "", "COMMENTED", pull.head_sha, fake.now()
    )
    repo.reviews[review.id] = review
    changes = {change.filename: change for change in pull_changes(repo, pull)}
    comment = _comment(fake, repo, review, {"body": body}, changes, in_reply_to=parent)
    return comment, [
        review_comment_event(fake, repo, comment, "created", user),
        review_event(fake, repo, review, user),
    ]


def single_comment(
    fake: FakeBase, repo: Repo, pull: PullRequest, given: dict[str, Any], user: User
) -> tuple[ReviewComment, list[Event]]:
    """A review comment outside a review: GitHub wraps it in a one-comment review."""
    changes = {change.filename: change for change in pull_changes(repo, pull)}
    _check_position(changes, given)
    review = Review(
        fake.state.next_id(), pull.number, user, "", "COMMENTED", pull.head_sha, fake.now()
    )
    repo.reviews[review.id] = review
    comment = _comment(fake, repo, review, given, changes)
    return comment, [
        review_comment_event(fake, repo, comment, "created", user),
        review_event(fake, repo, review, user),
    ]


# ---- routes ---------------------------------------------------------------------------------


@routes.post("/repos/{owner}/{repo}/pulls/{pull_number}/reviews")
def create_review(call: Call) -> Reply:
    repo = call.repo()
    pull = get_pull(call, repo)
    review, events = submit_review(
        call.fake,
        repo,
        pull,
        user=call.actor,
        event=call.field("event"),
        body=str(call.field("body") or ""),
        comments=list(call.field("comments") or []),
        commit_id=call.field("commit_id"),
    )
    for event in events:
        call.fake.emit(event)
    return Reply(200, review_json(call.fake.urls, repo, review))


@routes.get("/repos/{owner}/{repo}/pulls/{pull_number}/reviews")
def list_reviews(call: Call) -> Reply:
    repo = call.repo()
    pull = get_pull(call, repo)
    found = [r for r in repo.reviews.values() if r.pull_number == pull.number]
    return paginate(call, [review_json(call.fake.urls, repo, r) for r in found])


@routes.get("/repos/{owner}/{repo}/pulls/{pull_number}/reviews/{review_id}")
def get_review(call: Call) -> Reply:
    repo = call.repo()
    review = repo.reviews.get(call.number("review_id"))
    if review is None or review.pull_number != get_pull(call, repo).number:
        raise not_found()
    return Reply(200, review_json(call.fake.urls, repo, review))


@routes.get("/repos/{owner}/{repo}/pulls/{pull_number}/comments")
def list_review_comments(call: Call) -> Reply:
    repo = call.repo()
    pull = get_pull(call, repo)
    found = [c for c in repo.review_comments.values() if c.pull_number == pull.number]
    return paginate(call, [review_comment_json(call.fake.urls, repo, c) for c in found])


@routes.post("/repos/{owner}/{repo}/pulls/{pull_number}/comments")
def create_review_comment(call: Call) -> Reply:
    repo = call.repo()
    pull = get_pull(call, repo)
    parent_id = call.field("in_reply_to")
    if parent_id is not None:
        parent = repo.review_comments.get(int(parent_id))
        if parent is None or parent.pull_number != pull.number:
            raise not_found()
        comment, events = reply_to(
            call.fake, repo, pull, parent, str(call.field("body")), call.actor
        )
    else:
        comment, events = single_comment(call.fake, repo, pull, dict(call.body), call.actor)
    for event in events:
        call.fake.emit(event)
    return Reply(201, review_comment_json(call.fake.urls, repo, comment))


@routes.post("/repos/{owner}/{repo}/pulls/{pull_number}/comments/{comment_id}/replies")
def reply_route(call: Call) -> Reply:
    repo = call.repo()
    pull = get_pull(call, repo)
    parent = repo.review_comments.get(call.number("comment_id"))
    if parent is None or parent.pull_number != pull.number:
        raise not_found()
    comment, events = reply_to(call.fake, repo, pull, parent, str(call.field("body")), call.actor)
    for event in events:
        call.fake.emit(event)
    return Reply(201, review_comment_json(call.fake.urls, repo, comment))


@routes.get("/repos/{owner}/{repo}/pulls/comments/{comment_id}")
def get_review_comment(call: Call) -> Reply:
    repo = call.repo()
    comment = repo.review_comments.get(call.number("comment_id"))
    if comment is None:
        raise not_found()
    return Reply(200, review_comment_json(call.fake.urls, repo, comment))
