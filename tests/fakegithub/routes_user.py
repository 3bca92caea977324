"""The signed-in person (user-to-server tokens, `oauth.py`): `/user` and the App's
installations and repositories they can reach."""

from __future__ import annotations

from tests.fakegithub.model import Installation, Repo, User
from tests.fakegithub.router import Call, Reply, Routes, not_found, paginate
from tests.fakegithub.routes_repos import permissions_json, role_of
from tests.fakegithub.shapes import JSONDict, installation_json, repo_json, ts, user_json

routes = Routes()


def public_user_json(call: Call, user: User) -> JSONDict:
    """`public-user` (what `/user` shows without the private profile fields)."""
    created = ts(call.fake.now())
    profile: JSONDict = dict.fromkeys(
        ("name", "company", "blog", "location", "email", "hireable", "bio"), None
    )
    profile["blog"] = ""
    counts = dict.fromkeys(("public_repos", "public_gists", "followers", "following"), 0)
    return {
        **user_json(call.fake.urls, user),
        **profile,
        **counts,
        "created_at": created,
        "updated_at": created,
    }


def _signed_in(call: Call) -> User:
    assert call.user_token is not None  # the transport authenticated it ("user" routes)
    return call.user_token.user


def _reachable(call: Call, installation: Installation) -> list[Repo]:
    """The installation's repositories that the token's person can read."""
    token = call.user_token
    assert token is not None
    fake = call.fake
    return [
        repo
        for repo in fake.state.repos.values()
        if fake.installation_for(repo, fake.state.apps[token.app_id]) is installation
        and role_of(repo, token.user.login) != "none"
    ]


def _installations(call: Call) -> list[Installation]:
    """The token's App's installations where the person can read at least one repository."""
    token = call.user_token
    assert token is not None
    return [
        installation
        for installation in call.fake.state.installations.values()
        if installation.app_id == token.app_id and _reachable(call, installation)
    ]


@routes.get("/user", auth="user")
def get_user(call: Call) -> Reply:
    return Reply(200, public_user_json(call, _signed_in(call)))


@routes.get("/user/installations", auth="user")
def list_installations(call: Call) -> Reply:
    found = _installations(call)
    apps = call.fake.state.apps
    shapes = [installation_json(call.fake.urls, x, apps[x.app_id]) for x in found]
    page = paginate(call, shapes)
    page.body = {"total_count": len(shapes), "installations": page.body}
    return page


@routes.get("/user/installations/{installation_id}/repositories", auth="user")
def list_installation_repos(call: Call) -> Reply:
    installation = next(
        (x for x in _installations(call) if x.id == call.number("installation_id")), None
    )
    if installation is None:
        raise not_found()
    login = _signed_in(call).login
    shapes = []
    for repo in _reachable(call, installation):
        shape = repo_json(call.fake.urls, repo)
        shape["permissions"] = permissions_json(role_of(repo, login))
        shapes.append(shape)
    page = paginate(call, shapes)
    page.body = {
        "total_count": len(shapes),
        "repository_selection": installation.repository_selection,
        "repositories": page.body,
    }
    return page
