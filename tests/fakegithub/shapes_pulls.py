"""JSON shapes of pull requests, reviews and review comments."""

from __future__ import annotations

from tests.fakegithub.model import PullRequest, Repo, Review, ReviewComment
from tests.fakegithub.pullmath import mergeability, pull_changes, pull_commits
from tests.fakegithub.shapes import JSONDict, Urls, node_id, repo_json, ts, user_json
from tests.fakegithub.shapes_issues import association, label_json, rollup_json


def _branch(urls: Urls, repo: Repo, ref: str, sha: str) -> JSONDict:
    return {
        "label": f"{repo.owner.login}:{ref}",
        "ref": ref,
        "sha": sha,
        "user": user_json(urls, repo.owner),
        "repo": repo_json(urls, repo),
    }


def pull_json(urls: Urls, repo: Repo, pull: PullRequest, *, full: bool = True) -> JSONDict:
    """A pull request; `full` adds the fields only the single-PR answer and webhooks carry."""
    api = f"{urls.api}/repos/{repo.full_name}"
    html = f"{urls.web}/{repo.full_name}/pull/{pull.number}"
    issue = repo.issues[pull.number]
    base_sha = repo.branch_sha(pull.base_ref) or pull.head_sha
    shape: JSONDict = {
        "url": f"{api}/pulls/{pull.number}",
        "id": pull.id,
        "node_id": node_id("PullRequest", pull.id),
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": f"{api}/issues/{pull.number}",
        "commits_url": f"{api}/pulls/{pull.number}/commits",
        "review_comments_url": f"{api}/pulls/{pull.number}/comments",
        "review_comment_url": f"{api}/pulls/comments{{/number}}",
        "comments_url": f"{api}/issues/{pull.number}/comments",
        "statuses_url": f"{api}/statuses/{pull.head_sha}",
        "number": pull.number,
        "state": pull.state,
        "locked": False,
        "title": pull.title,
        "user": user_json(urls, pull.user),
        "body": pull.body,
        "labels": [label_json(urls, repo, repo.labels[name.lower()]) for name in issue.labels],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": ts(pull.created_at),
        "updated_at": ts(pull.updated_at),
        "closed_at": ts(pull.closed_at),
        "merged_at": ts(pull.merged_at),
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": _branch(urls, repo, pull.head_ref, pull.head_sha),
        "base": _branch(urls, repo, pull.base_ref, base_sha),
        "_links": _links(api, html, pull),
        "author_association": association(repo, pull.user),
        "auto_merge": None,
        "draft": pull.draft,
    }
    if full:
        shape.update(_pull_details(urls, repo, pull))
    return shape


def _links(api: str, html: str, pull: PullRequest) -> JSONDict:
    links = {
        "self": f"{api}/pulls/{pull.number}",
        "html": html,
        "issue": f"{api}/issues/{pull.number}",
        "comments": f"{api}/issues/{pull.number}/comments",
        "review_comments": f"{api}/pulls/{pull.number}/comments",
        "review_comment": f"{api}/pulls/comments{{/number}}",
        "commits": f"{api}/pulls/{pull.number}/commits",
        "statuses": f"{api}/statuses/{pull.head_sha}",
    }
    return {name: {"href": href} for name, href in links.items()}


def _pull_details(urls: Urls, repo: Repo, pull: PullRequest) -> JSONDict:
    changes = pull_changes(repo, pull)
    mergeable, mergeable_state = mergeability(repo, pull)
    return {
        "merged": pull.merged,
        "mergeable": mergeable,
        "rebaseable": mergeable,
        "mergeable_state": mergeable_state,
        "merged_by": None if pull.merged_by is None else user_json(urls, pull.merged_by),
        "comments": sum(1 for c in repo.comments.values() if c.issue_number == pull.number),
        "review_comments": sum(
            1 for c in repo.review_comments.values() if c.pull_number == pull.number
        ),
        "maintainer_can_modify": pull.maintainer_can_modify,
        "commits": len(pull_commits(repo, pull)),
        "additions": sum(change.additions for change in changes),
        "deletions": sum(change.deletions for change in changes),
        "changed_files": len(changes),
    }


def review_json(urls: Urls, repo: Repo, review: Review) -> JSONDict:
    api = f"{urls.api}/repos/{repo.full_name}/pulls/{review.pull_number}"
    html = f"{urls.web}/{repo.full_name}/pull/{review.pull_number}#pullrequestreview-{review.id}"
    shape: JSONDict = {
        "id": review.id,
        "node_id": node_id("PullRequestReview", review.id),
        "user": user_json(urls, review.user),
        "body": review.body,
        "state": review.state,
        "html_url": html,
        "pull_request_url": api,
        "author_association": association(repo, review.user),
        "_links": {"html": {"href": html}, "pull_request": {"href": api}},
        "commit_id": review.commit_id,
    }
    if review.submitted_at is not None:
        shape["submitted_at"] = ts(review.submitted_at)
    return shape


def review_comment_json(urls: Urls, repo: Repo, comment: ReviewComment) -> JSONDict:
    api = f"{urls.api}/repos/{repo.full_name}/pulls"
    html = f"{urls.web}/{repo.full_name}/pull/{comment.pull_number}#discussion_r{comment.id}"
    shape: JSONDict = {
        "url": f"{api}/comments/{comment.id}",
        "pull_request_review_id": comment.review_id,
        "id": comment.id,
        "node_id": node_id("PullRequestReviewComment", comment.id),
        "diff_hunk": comment.diff_hunk,
        "path": comment.path,
        "position": comment.position,
        "original_position": comment.position,
        "commit_id": comment.commit_id,
        "original_commit_id": comment.commit_id,
        "user": user_json(urls, comment.user),
        "body": comment.body,
        "created_at": ts(comment.created_at),
        "updated_at": ts(comment.updated_at),
        "html_url": html,
        "pull_request_url": f"{api}/{comment.pull_number}",
        "author_association": association(repo, comment.user),
        "_links": {
            "self": {"href": f"{api}/comments/{comment.id}"},
            "html": {"href": html},
            "pull_request": {"href": f"{api}/{comment.pull_number}"},
        },
        "start_line": comment.start_line,
        "original_start_line": comment.start_line,
        "start_side": comment.start_side,
        "line": comment.line,
        "original_line": comment.line,
        "side": comment.side,
        "subject_type": comment.subject_type,
        "reactions": rollup_json(f"{api}/comments/{comment.id}", comment.reactions),
    }
    if comment.in_reply_to_id is not None:
        shape["in_reply_to_id"] = comment.in_reply_to_id
    return shape
