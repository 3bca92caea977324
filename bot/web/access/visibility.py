"""What a viewer may see (repositories GitHub says they can read through the App's
installations) and do (write permission, asked as slash commands ask it).

Seeing: `GET /user/installations` and `GET /user/installations/{id}/repositories` with the
person's own token, the App's installations only (an installation's `app_id`), cached a few
minutes per user. Acting: `can_write` with the installation's client, exactly as a slash
command's intake asks it; a POST asks GitHub again (no cached answer), a page showing buttons
may use the shared cache.
"""

from __future__ import annotations

import logging
from typing import Protocol

import gidgethub
import httpx2
from starlette.requests import Request

from bot.github.client import GitHubClient
from bot.github.permissions import can_write
from bot.web.access.errors import Forbidden, NotFound, Unauthorized, Unavailable
from bot.web.access.session import GITHUB_DOWN, user_token
from bot.web.access.state import AccessState, RepoAccess, access_state
from bot.web.access.viewer import Viewer
from storage.projects import Project, get_project

log = logging.getLogger(__name__)

NO_SUCH_PROJECT = "no such project"
NOT_A_WRITER = "only people with write, maintain or admin permission on {repository} can do this"
PAGE = {"per_page": "100"}
MAX_PROJECT_ID = 2**31 - 1  # an INTEGER column: PostgreSQL refuses to compare a larger one


async def _installations(gh: GitHubClient, app_id: int | None) -> list[int]:
    found = []
    async for item in gh.getiter("/user/installations", PAGE, iterable_key="installations"):
        if app_id is None or int(item.get("app_id", -1)) == app_id:
            found.append(int(item["id"]))
    return found


async def _repositories(gh: GitHubClient, installation_id: int) -> list[RepoAccess]:
    url = "/user/installations/{installation_id}/repositories"
    found = []
    iterator = gh.getiter(
        url, {"installation_id": installation_id, **PAGE}, iterable_key="repositories"
    )
    async for item in iterator:
        found.append(RepoAccess(int(item["id"]), str(item["full_name"]), installation_id))
    return found


async def _ask_github(state: AccessState, token: str) -> dict[int, RepoAccess]:
    gh = state.user_client(token)
    repos: dict[int, RepoAccess] = {}
    try:
        for installation_id in await _installations(gh, state.settings.github_app_id):
            repos.update((r.repo_id, r) for r in await _repositories(gh, installation_id))
    except gidgethub.BadRequest as exc:
        if exc.status_code == 401:
            raise Unauthorized("GitHub no longer accepts your token: sign in again") from None
        if exc.status_code in (403, 404):  # a token that may not list installations
            return {}
        raise Unavailable(GITHUB_DOWN) from None
    except (gidgethub.GitHubException, httpx2.HTTPError):
        raise Unavailable(GITHUB_DOWN) from None
    return repos


async def visible_repos(request: Request, viewer: Viewer) -> dict[int, RepoAccess]:
    """Repository id -> where the viewer can read it, from GitHub, cached per user."""
    state = access_state(request)
    known = state.visible.get(viewer.user_id)
    if known is not None:
        return known
    repos = await _ask_github(state, await user_token(request, viewer))
    state.visible[viewer.user_id] = repos
    log.info("%s can read %d repositories through the App", viewer.login, len(repos))
    return repos


async def visible_repo_ids(request: Request, viewer: Viewer) -> frozenset[int]:
    """The repository ids the viewer can read through one of the App's installations."""
    return frozenset(await visible_repos(request, viewer))


async def visible_project(request: Request, viewer: Viewer, project_id: int) -> Project:
    """The project, or `NotFound` when there is none or the viewer cannot read its repo."""
    if not 1 <= project_id <= MAX_PROJECT_ID:
        raise NotFound(NO_SUCH_PROJECT)
    state = access_state(request)
    async with state.sessions() as session:
        project = await get_project(session, project_id)
    if project is None or project.repo_id not in await visible_repos(request, viewer):
        raise NotFound(NO_SUCH_PROJECT)
    return project


class Target(Protocol):
    """A repository of an installation: a project, or the repository a project starts in."""

    @property
    def installation_id(self) -> int: ...
    @property
    def owner(self) -> str: ...
    @property
    def repo(self) -> str: ...


async def _writer(state: AccessState, target: Target, login: str, *, cached: bool) -> bool:
    try:
        gh = await state.deps.github.installation_client(target.installation_id)
        return await can_write(
            gh,
            owner=target.owner,
            repo=target.repo,
            username=login,
            cache=state.deps.permissions if cached else None,
            installation_id=target.installation_id,
        )
    except (gidgethub.GitHubException, httpx2.HTTPError):
        raise Unavailable(GITHUB_DOWN) from None


async def can_act(request: Request, viewer: Viewer, project: Project) -> bool:
    """Whether to show the viewer the project's action buttons (the shared answer cache)."""
    return await _writer(access_state(request), project, viewer.login, cached=True)


async def require_write(request: Request, viewer: Viewer, target: Target) -> None:
    """`Forbidden` unless GitHub says, now, that the viewer may write to the repository."""
    state = access_state(request)
    allowed = await _writer(state, target, viewer.login, cached=False)
    # The fresh answer replaces one the pages would otherwise show for minutes.
    key = (target.installation_id, target.owner.lower(), target.repo.lower(), viewer.login.lower())
    state.deps.permissions.put(key, allowed)
    if not allowed:
        raise Forbidden(NOT_A_WRITER.format(repository=f"{target.owner}/{target.repo}"))
