"""The App itself: `/app`, installations, access tokens, the manifest conversion."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from tests.fakegithub.base import FakeBase
from tests.fakegithub.grants import asked_within, installation_permissions
from tests.fakegithub.keys import KeyPair, session_key
from tests.fakegithub.model import App, Installation, Repo, Token, User
from tests.fakegithub.router import ApiError, Call, Reply, Routes, not_found, paginate
from tests.fakegithub.shapes import app_json, installation_json, repo_json, ts

routes = Routes()
TOKEN_LIFETIME = timedelta(hours=1)
NOT_ACCESSIBLE = (
    "There is at least one repository that does not exist or is not accessible to the "
    "parent installation."
)
# The App under test's registration: app.yml's, plus `actions: write` (CI logs and re-runs;
# `fake.set_permissions(actions=None)` takes it away). No `workflows`, as in app.yml.
DEFAULT_PERMISSIONS = {
    "actions": "write",
    "checks": "write",
    "contents": "write",
    "issues": "write",
    "metadata": "read",
    "pull_requests": "write",
    "statuses": "read",
}
DEFAULT_EVENTS = [
    "check_run",
    "check_suite",
    "issue_comment",
    "issues",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "status",
]


def create_app(
    fake: FakeBase, *, name: str, owner: User, keys: KeyPair, manifest: dict[str, Any] | None = None
) -> App:
    manifest = manifest or {}
    app_id = fake.state.next_id()
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    bot = User(login=f"{slug}[bot]", id=fake.state.next_id(), type="Bot")
    fake.state.users[bot.login.lower()] = bot
    app = App(
        id=app_id,
        slug=slug,
        name=name,
        owner=owner,
        keys=keys,
        client_id=f"Iv23li{secrets.token_hex(7)}",
        client_secret=secrets.token_hex(20),
        webhook_secret=secrets.token_hex(20),
        bot=bot,
        created_at=fake.now(),
        description=str(manifest.get("description", "")),
        permissions=dict(manifest.get("default_permissions", DEFAULT_PERMISSIONS)),
        events=list(manifest.get("default_events", DEFAULT_EVENTS)),
    )
    fake.state.apps[app_id] = app
    return app


def mint_token(
    fake: FakeBase,
    installation: Installation,
    repository_ids: frozenset[int] | None = None,
    permissions: dict[str, str] | None = None,
) -> Token:
    token = Token(
        token=f"ghs_{secrets.token_urlsafe(27)}",
        installation_id=installation.id,
        expires_at=fake.now() + TOKEN_LIFETIME,
        repository_ids=repository_ids,
        permissions=permissions,
    )
    fake.state.tokens[token.token] = token
    return token


def _installation(call: Call) -> Installation:
    installation = call.fake.state.installations.get(call.number("installation_id"))
    if installation is None or call.app is None or installation.app_id != call.app.id:
        raise not_found()
    return installation


def _visible_repos(fake: FakeBase, installation: Installation) -> list[Repo]:
    return [
        repo
        for repo in fake.state.repos.values()
        if repo.owner.id == installation.account.id
        and (installation.repository_selection == "all" or repo.id in installation.repository_ids)
    ]


@routes.get("/app", auth="jwt")
def get_app(call: Call) -> Reply:
    assert call.app is not None
    return Reply(200, app_json(call.fake.urls, call.app))


@routes.get("/app/installations", auth="jwt")
def list_installations(call: Call) -> Reply:
    app = call.app
    assert app is not None
    found = [i for i in call.fake.state.installations.values() if i.app_id == app.id]
    return paginate(call, [installation_json(call.fake.urls, i, app) for i in found])


@routes.get("/app/installations/{installation_id}", auth="jwt")
def get_installation(call: Call) -> Reply:
    assert call.app is not None
    return Reply(200, installation_json(call.fake.urls, _installation(call), call.app))


@routes.post("/app/installations/{installation_id}/access_tokens", auth="jwt")
def create_token(call: Call) -> Reply:
    installation = _installation(call)
    if installation.suspended_at is not None:
        raise ApiError(403, "This installation has been suspended")
    visible = _visible_repos(call.fake, installation)
    narrowed = _narrowing(call, visible)
    granted = installation_permissions(call.fake, installation)
    asked = call.field("permissions")
    permissions = asked_within(granted, asked) if asked else None
    token = mint_token(call.fake, installation, narrowed, permissions)
    body: dict[str, Any] = {
        "token": token.token,
        "expires_at": ts(token.expires_at),
        "permissions": permissions or granted,
        "repository_selection": installation.repository_selection,
    }
    if narrowed is not None:
        body["repositories"] = [
            repo_json(call.fake.urls, repo) for repo in visible if repo.id in narrowed
        ]
    return Reply(201, body)


def _narrowing(call: Call, visible: list[Repo]) -> frozenset[int] | None:
    names = call.field("repositories")
    ids = call.field("repository_ids")
    if names is None and ids is None:
        return None
    by_name = {repo.name.lower(): repo.id for repo in visible}
    chosen = {by_name.get(str(name).lower(), -1) for name in names or []} | set(ids or [])
    if not chosen <= set(by_name.values()):
        raise ApiError(422, NOT_ACCESSIBLE)
    return frozenset(chosen)


@routes.get("/repos/{owner}/{repo}/installation", auth="jwt")
def get_repo_installation(call: Call) -> Reply:
    repo = call.fake.state.repo(call.params["owner"], call.params["repo"])
    installation = call.fake.installation_for(repo, call.app) if repo else None
    if installation is None or call.app is None:
        raise not_found()
    return Reply(200, installation_json(call.fake.urls, installation, call.app))


@routes.get("/installation/repositories")
def installation_repositories(call: Call) -> Reply:
    assert call.installation is not None
    repos = [r for r in _visible_repos(call.fake, call.installation) if call.may_see(r)]
    page = paginate(call, [repo_json(call.fake.urls, repo) for repo in repos])
    page.body = {
        "total_count": len(repos),
        "repository_selection": call.installation.repository_selection,
        "repositories": page.body,
    }
    return page


@routes.post("/app-manifests/{code}/conversions", auth="none")
def convert_manifest(call: Call) -> Reply:
    # A code works once, within an hour of the redirect that carried it.
    registered = call.fake.state.manifest_codes.pop(call.params["code"], None)
    if registered is None or registered.expires_at <= call.fake.now():
        raise not_found()
    manifest = registered.manifest
    app = create_app(
        call.fake,
        name=str(manifest.get("name", "ai-orchestrator")),
        owner=call.fake.user(registered.owner),
        keys=session_key("manifest"),
        manifest=manifest,
    )
    body = app_json(call.fake.urls, app)
    body.update(
        client_id=app.client_id,
        client_secret=app.client_secret,
        webhook_secret=app.webhook_secret,
        pem=app.keys.private_pem,
    )
    return Reply(201, body)
