"""Issues, their labels and their comments.

The state changes are plain functions returning the webhook GitHub would send, so the HTTP
handlers (the app acting: the event goes to the outbox) and the person helpers (a test acting:
the event is returned) share them.
"""

from __future__ import annotations

from typing import Any

from tests.fakegithub.base import FakeBase
from tests.fakegithub.model import App, Event, Issue, IssueComment, Repo, User
from tests.fakegithub.pullstate import set_state
from tests.fakegithub.router import ApiError, Call, Reply, Routes, not_found, paginate
from tests.fakegithub.routes_repos import ensure_label
from tests.fakegithub.shapes_issues import issue_comment_json, issue_json, label_json
from tests.fakegithub.webhooks import issue_comment_event, issues_event

routes = Routes()


# ---- state changes shared with the person helpers -------------------------------------------


def open_issue(
    fake: FakeBase,
    repo: Repo,
    *,
    title: str,
    body: str | None,
    user: User,
    labels: list[str] | None = None,
    via_app: App | None = None,
) -> tuple[Issue, Event]:
    now = fake.now()
    issue = Issue(
        id=fake.state.next_id(),
        number=next(repo.numbers),
        title=title,
        body=body,
        user=user,
        created_at=now,
        updated_at=now,
        labels=[ensure_label(fake, repo, name).name for name in labels or []],
        via_app=via_app,
    )
    repo.issues[issue.number] = issue
    return issue, issues_event(fake, repo, issue, "opened", user)


def add_labels(
    fake: FakeBase, repo: Repo, issue: Issue, names: list[str], sender: User
) -> list[Event]:
    events = []
    for name in names:
        label = ensure_label(fake, repo, name)
        if label.name not in issue.labels:
            issue.labels.append(label.name)
            issue.updated_at = fake.now()
            events.append(issues_event(fake, repo, issue, "labeled", sender, label=label))
    return events


def remove_label(fake: FakeBase, repo: Repo, issue: Issue, name: str, sender: User) -> Event:
    label = repo.labels.get(name.lower())
    if label is None or label.name not in issue.labels:
        raise ApiError(404, "Label does not exist")
    issue.labels.remove(label.name)
    issue.updated_at = fake.now()
    return issues_event(fake, repo, issue, "unlabeled", sender, label=label)


def add_comment(
    fake: FakeBase, repo: Repo, issue: Issue, body: str, user: User, via_app: App | None = None
) -> tuple[IssueComment, Event]:
    now = fake.now()
    comment = IssueComment(
        id=fake.state.next_id(),
        issue_number=issue.number,
        body=body,
        user=user,
        created_at=now,
        updated_at=now,
        via_app=via_app,
    )
    repo.comments[comment.id] = comment
    return comment, issue_comment_event(fake, repo, comment, "created", user)


def edit_comment(fake: FakeBase, repo: Repo, comment: IssueComment, body: str, user: User) -> Event:
    changes = {"body": {"from": comment.body}}
    comment.body = body
    comment.updated_at = fake.now()
    return issue_comment_event(fake, repo, comment, "edited", user, changes=changes)


# ---- lookups --------------------------------------------------------------------------------


def get_issue(call: Call, repo: Repo) -> Issue:
    issue = repo.issues.get(call.number("issue_number"))
    if issue is None:
        raise not_found()
    return issue


def get_comment(call: Call, repo: Repo) -> IssueComment:
    comment = repo.comments.get(call.number("comment_id"))
    if comment is None:
        raise not_found()
    return comment


def _label_names(body: Any) -> list[str]:
    items = body.get("labels", []) if isinstance(body, dict) else body
    if isinstance(items, str):
        items = [items]
    return [item["name"] if isinstance(item, dict) else str(item) for item in items or []]


# ---- issues ---------------------------------------------------------------------------------


@routes.get("/repos/{owner}/{repo}/issues/{issue_number}")
def get_issue_route(call: Call) -> Reply:
    repo = call.repo()
    return Reply(200, issue_json(call.fake.urls, repo, get_issue(call, repo)))


@routes.get("/repos/{owner}/{repo}/issues")
def list_issues(call: Call) -> Reply:
    repo = call.repo()
    state = call.query.get("state", "open")
    wanted = {name.lower() for name in call.query.get("labels", "").split(",") if name}
    issues = [
        issue
        for issue in sorted(repo.issues.values(), key=lambda i: i.number, reverse=True)
        if state in ("all", issue.state) and wanted <= {x.lower() for x in issue.labels}
    ]
    return paginate(call, [issue_json(call.fake.urls, repo, issue) for issue in issues])


@routes.post("/repos/{owner}/{repo}/issues")
def create_issue(call: Call) -> Reply:
    repo = call.repo()
    issue, event = open_issue(
        call.fake,
        repo,
        title=str(call.field("title")),
        body=call.field("body"),
        user=call.actor,
        labels=_label_names(call.body),
        via_app=call.acting_app,
    )
    call.fake.emit(event)
    return Reply(201, issue_json(call.fake.urls, repo, issue))


@routes.patch("/repos/{owner}/{repo}/issues/{issue_number}")
def update_issue(call: Call) -> Reply:
    repo = call.repo()
    issue = get_issue(call, repo)
    fields = call.body if isinstance(call.body, dict) else {}
    changes: dict[str, Any] = {}
    for name in ("title", "body"):
        if name in fields and fields[name] != getattr(issue, name):
            changes[name] = {"from": getattr(issue, name)}
            setattr(issue, name, fields[name])
    if changes:
        call.fake.emit(issues_event(call.fake, repo, issue, "edited", call.actor, changes=changes))
    state = call.field("state")
    if state in ("open", "closed") and state != issue.state and issue.is_pull:
        pull = repo.pulls[issue.number]
        call.fake.emit(set_state(call.fake, repo, pull, state, call.actor))
    elif state in ("open", "closed") and state != issue.state:
        issue.state = state
        issue.state_reason = call.field("state_reason", "completed" if state == "closed" else None)
        issue.closed_at = call.fake.now() if state == "closed" else None
        action = "closed" if state == "closed" else "reopened"
        call.fake.emit(issues_event(call.fake, repo, issue, action, call.actor))
    if "labels" in fields:
        _set_labels(call, repo, issue, _label_names(call.body))
    issue.updated_at = call.fake.now()
    return Reply(200, issue_json(call.fake.urls, repo, issue))


# ---- labels on an issue ---------------------------------------------------------------------


def _labels_reply(call: Call, repo: Repo, issue: Issue) -> Reply:
    labels = [repo.labels[name.lower()] for name in issue.labels]
    return Reply(200, [label_json(call.fake.urls, repo, label) for label in labels])


def _set_labels(call: Call, repo: Repo, issue: Issue, names: list[str]) -> None:
    keep = {name.lower() for name in names}
    for name in [x for x in issue.labels if x.lower() not in keep]:
        call.fake.emit(remove_label(call.fake, repo, issue, name, call.actor))
    for event in add_labels(call.fake, repo, issue, names, call.actor):
        call.fake.emit(event)


@routes.get("/repos/{owner}/{repo}/issues/{issue_number}/labels")
def list_issue_labels(call: Call) -> Reply:
    repo = call.repo()
    return _labels_reply(call, repo, get_issue(call, repo))


@routes.post("/repos/{owner}/{repo}/issues/{issue_number}/labels")
def add_issue_labels(call: Call) -> Reply:
    repo = call.repo()
    issue = get_issue(call, repo)
    for event in add_labels(call.fake, repo, issue, _label_names(call.body), call.actor):
        call.fake.emit(event)
    return _labels_reply(call, repo, issue)


@routes.put("/repos/{owner}/{repo}/issues/{issue_number}/labels")
def set_issue_labels(call: Call) -> Reply:
    repo = call.repo()
    issue = get_issue(call, repo)
    _set_labels(call, repo, issue, _label_names(call.body))
    return _labels_reply(call, repo, issue)


@routes.delete("/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}")
def remove_issue_label(call: Call) -> Reply:
    repo = call.repo()
    issue = get_issue(call, repo)
    call.fake.emit(remove_label(call.fake, repo, issue, call.params["name"], call.actor))
    return _labels_reply(call, repo, issue)


# ---- comments -------------------------------------------------------------------------------


@routes.get("/repos/{owner}/{repo}/issues/{issue_number}/comments")
def list_comments(call: Call) -> Reply:
    repo = call.repo()
    issue = get_issue(call, repo)
    found = [c for c in repo.comments.values() if c.issue_number == issue.number]
    found.sort(key=lambda c: c.id)
    return paginate(call, [issue_comment_json(call.fake.urls, repo, c) for c in found])


@routes.post("/repos/{owner}/{repo}/issues/{issue_number}/comments")
def create_comment(call: Call) -> Reply:
    repo = call.repo()
    issue = get_issue(call, repo)
    comment, event = add_comment(
        call.fake, repo, issue, str(call.field("body")), call.actor, call.acting_app
    )
    call.fake.emit(event)
    return Reply(201, issue_comment_json(call.fake.urls, repo, comment))


@routes.get("/repos/{owner}/{repo}/issues/comments/{comment_id}")
def get_comment_route(call: Call) -> Reply:
    repo = call.repo()
    return Reply(200, issue_comment_json(call.fake.urls, repo, get_comment(call, repo)))


@routes.patch("/repos/{owner}/{repo}/issues/comments/{comment_id}")
def update_comment(call: Call) -> Reply:
    repo = call.repo()
    comment = get_comment(call, repo)
    if comment.user.id != call.actor.id:
        raise ApiError(403, "Resource not accessible by integration")
    body = str(call.field("body"))
    if body != comment.body:
        call.fake.emit(edit_comment(call.fake, repo, comment, body, call.actor))
    return Reply(200, issue_comment_json(call.fake.urls, repo, comment))


@routes.delete("/repos/{owner}/{repo}/issues/comments/{comment_id}")
def delete_comment(call: Call) -> Reply:
    repo = call.repo()
    comment = get_comment(call, repo)
    event = issue_comment_event(call.fake, repo, comment, "deleted", call.actor)
    del repo.comments[comment.id]
    call.fake.emit(event)
    return Reply(204)
