"""JSON shapes of labels, reactions, issues and issue comments."""

from __future__ import annotations

from tests.fakegithub.model import App, Issue, IssueComment, Label, Reaction, Repo, User
from tests.fakegithub.shapes import JSONDict, Urls, app_json, node_id, ts, user_json

REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket")


def label_json(urls: Urls, repo: Repo, label: Label) -> JSONDict:
    return {
        "id": label.id,
        "node_id": node_id("Label", label.id),
        "url": f"{urls.api}/repos/{repo.full_name}/labels/{label.name}",
        "name": label.name,
        "color": label.color,
        "description": label.description,
        "default": label.default,
    }


def reaction_json(urls: Urls, reaction: Reaction) -> JSONDict:
    return {
        "id": reaction.id,
        "node_id": node_id("Reaction", reaction.id),
        "user": user_json(urls, reaction.user),
        "content": reaction.content,
        "created_at": ts(reaction.created_at),
    }


def rollup_json(url: str, reactions: list[Reaction]) -> JSONDict:
    counts = {content: 0 for content in REACTIONS}
    for reaction in reactions:
        counts[reaction.content] += 1
    return {"url": f"{url}/reactions", "total_count": len(reactions), **counts}


def association(repo: Repo, user: User) -> str:
    """author_association as GitHub computes it, roughly: role first, else NONE."""
    if user.login.lower() == repo.owner.login.lower():
        return "OWNER"
    if user.login in repo.collaborators:
        return "COLLABORATOR"
    return "NONE"


def performed_via(urls: Urls, app: App | None) -> JSONDict | None:
    return None if app is None else app_json(urls, app)


def issue_json(urls: Urls, repo: Repo, issue: Issue) -> JSONDict:
    api = f"{urls.api}/repos/{repo.full_name}/issues/{issue.number}"
    kind = "pull" if issue.is_pull else "issues"
    comments = sum(1 for c in repo.comments.values() if c.issue_number == issue.number)
    shape: JSONDict = {
        "url": api,
        "repository_url": f"{urls.api}/repos/{repo.full_name}",
        "labels_url": f"{api}/labels{{/name}}",
        "comments_url": f"{api}/comments",
        "events_url": f"{api}/events",
        "html_url": f"{urls.web}/{repo.full_name}/{kind}/{issue.number}",
        "id": issue.id,
        "node_id": node_id("PullRequest" if issue.is_pull else "Issue", issue.id),
        "number": issue.number,
        "title": issue.title,
        "user": user_json(urls, issue.user),
        "labels": [label_json(urls, repo, repo.labels[name.lower()]) for name in issue.labels],
        "state": issue.state,
        "state_reason": issue.state_reason,
        "locked": False,
        "active_lock_reason": None,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "comments": comments,
        "created_at": ts(issue.created_at),
        "updated_at": ts(issue.updated_at),
        "closed_at": ts(issue.closed_at),
        "author_association": association(repo, issue.user),
        "body": issue.body,
        "reactions": rollup_json(api, issue.reactions),
        "timeline_url": f"{api}/timeline",
        "performed_via_github_app": performed_via(urls, issue.via_app),
    }
    if issue.is_pull:
        pull = repo.pulls[issue.number]
        shape["pull_request"] = {
            "url": f"{urls.api}/repos/{repo.full_name}/pulls/{issue.number}",
            "html_url": shape["html_url"],
            "diff_url": f"{shape['html_url']}.diff",
            "patch_url": f"{shape['html_url']}.patch",
            "merged_at": ts(pull.merged_at),
        }
        shape["draft"] = pull.draft
    return shape


def issue_comment_json(urls: Urls, repo: Repo, comment: IssueComment) -> JSONDict:
    api = f"{urls.api}/repos/{repo.full_name}/issues/comments/{comment.id}"
    issue = repo.issues[comment.issue_number]
    kind = "pull" if issue.is_pull else "issues"
    return {
        "id": comment.id,
        "node_id": node_id("IssueComment", comment.id),
        "url": api,
        "html_url": f"{urls.web}/{repo.full_name}/{kind}/{issue.number}#issuecomment-{comment.id}",
        "issue_url": f"{urls.api}/repos/{repo.full_name}/issues/{issue.number}",
        "body": comment.body,
        "user": user_json(urls, comment.user),
        "created_at": ts(comment.created_at),
        "updated_at": ts(comment.updated_at),
        "author_association": association(repo, comment.user),
        "performed_via_github_app": performed_via(urls, comment.via_app),
        "reactions": rollup_json(api, comment.reactions),
    }
