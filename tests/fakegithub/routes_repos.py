"""Repositories, collaborators' permissions and repository labels."""

from __future__ import annotations

from tests.fakegithub.base import FakeBase
from tests.fakegithub.model import Label, Repo
from tests.fakegithub.router import Call, Reply, Routes, invalid, not_found, paginate
from tests.fakegithub.shapes import JSONDict, repo_json, user_json
from tests.fakegithub.shapes_issues import label_json

routes = Routes()

# role_name -> the legacy `permission` field GitHub still sends beside it
LEGACY_PERMISSION = {
    "admin": "admin",
    "maintain": "write",
    "write": "write",
    "triage": "read",
    "read": "read",
    "none": "none",
}
_RANKS = ["none", "read", "triage", "write", "maintain", "admin"]


def role_of(repo: Repo, login: str) -> str:
    if login in repo.collaborators:
        return repo.collaborators[login]
    return "none" if repo.private else "read"


def permissions_json(role: str) -> dict[str, bool]:
    rank = _RANKS.index(role) if role in _RANKS else _RANKS.index("write")
    return {
        "admin": rank >= _RANKS.index("admin"),
        "maintain": rank >= _RANKS.index("maintain"),
        "push": rank >= _RANKS.index("write"),
        "triage": rank >= _RANKS.index("triage"),
        "pull": rank >= _RANKS.index("read"),
    }


def open_issue_count(repo: Repo) -> int:
    return sum(1 for issue in repo.issues.values() if issue.state == "open")


def ensure_label(fake: FakeBase, repo: Repo, name: str, color: str = "ededed") -> Label:
    """The repository's label of that name (any case), created if missing, as GitHub does."""
    label = repo.labels.get(name.lower())
    if label is None:
        label = Label(id=fake.state.next_id(), name=name, color=color)
        repo.labels[name.lower()] = label
    return label


@routes.get("/repos/{owner}/{repo}")
def get_repo(call: Call) -> Reply:
    repo = call.repo()
    shape = repo_json(call.fake.urls, repo, open_issue_count(repo))
    shape["permissions"] = permissions_json("write")
    return Reply(200, shape)


@routes.get("/repos/{owner}/{repo}/collaborators/{username}/permission")
def collaborator_permission(call: Call) -> Reply:
    repo = call.repo()
    user = call.fake.state.user(call.params["username"])
    if user is None:
        raise not_found()
    role = role_of(repo, user.login)
    collaborator: JSONDict = user_json(call.fake.urls, user)
    collaborator["permissions"] = permissions_json(role)
    collaborator["role_name"] = role
    body = {"permission": LEGACY_PERMISSION.get(role, "write"), "role_name": role}
    return Reply(200, {**body, "user": collaborator})


@routes.get("/repos/{owner}/{repo}/labels")
def list_labels(call: Call) -> Reply:
    repo = call.repo()
    return paginate(call, [label_json(call.fake.urls, repo, x) for x in repo.labels.values()])


@routes.get("/repos/{owner}/{repo}/labels/{name}")
def get_label(call: Call) -> Reply:
    repo = call.repo()
    label = repo.labels.get(call.params["name"].lower())
    if label is None:
        raise not_found()
    return Reply(200, label_json(call.fake.urls, repo, label))


@routes.post("/repos/{owner}/{repo}/labels")
def create_label(call: Call) -> Reply:
    repo = call.repo()
    name = str(call.field("name"))
    if name.lower() in repo.labels:
        raise invalid("Label", "name", "already_exists")
    label = ensure_label(call.fake, repo, name, str(call.field("color", "ededed")).lstrip("#"))
    label.description = call.field("description")
    return Reply(201, label_json(call.fake.urls, repo, label))


@routes.delete("/repos/{owner}/{repo}/labels/{name}")
def delete_label(call: Call) -> Reply:
    repo = call.repo()
    if repo.labels.pop(call.params["name"].lower(), None) is None:
        raise not_found()
    for issue in repo.issues.values():
        issue.labels = [x for x in issue.labels if x.lower() != call.params["name"].lower()]
    return Reply(204)
