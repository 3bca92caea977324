"""`/projects`: the list, one project, starting one, and the actions on it."""

from __future__ import annotations

import gidgethub
import httpx2
from starlette.responses import Response

from bot.web.access import NotFound, Unavailable, perform, visible_project
from bot.web.access.session import GITHUB_DOWN, user_token
from bot.web.access.state import access_state
from bot.web.access.visibility import require_write, visible_repos
from bot.web.api.models import NoArguments, Queued, Retry, Started, StartProject
from bot.web.api.queries import ProjectFilter
from bot.web.api.routing import Call, Endpoint, Problem, answer, listing
from storage import reports
from storage.projects import Project, find_project

ISSUE_LABELS = "/repos/{owner}/{repo}/issues/{issue_number}/labels"
NO_SUCH_REPOSITORY = "no such repository, or the App is not installed on it for you"
NO_SUCH_ISSUE = "no such issue in {repository}"
EXISTS = "project {id} already exists for {repository}#{number}"


async def list_projects(call: Call) -> Response:
    query: ProjectFilter = call.query
    ids = await visible_repos(call.request, call.viewer)
    async with access_state(call.request).sessions() as session:
        found = await reports.project_page(
            session,
            repo_ids=ids,
            repository=query.repository,
            status=query.status,
            page=query.page,
            per_page=query.per_page,
        )
    return listing(
        call.request, found.rows, page=found.page, per_page=found.per_page, total=found.total
    )


async def get_project(call: Call) -> Response:
    project = await visible_project(call.request, call.viewer, call.param("project_id"))
    ids = await visible_repos(call.request, call.viewer)
    async with access_state(call.request).sessions() as session:
        detail = await reports.project_detail(session, project.id or 0, repo_ids=ids)
    if detail is None:
        raise NotFound("no such project")
    return answer(detail)


async def _label(call: Call, target: Project, number: int, label: str) -> None:
    """Puts the trigger label on the issue with the caller's own token: GitHub records them as
    the person who labelled it, and the `issues.labeled` webhook starts the project as usual."""
    state = access_state(call.request)
    gh = state.user_client(await user_token(call.request, call.viewer))
    url_vars: dict[str, str | int] = {
        "owner": target.owner,
        "repo": target.repo,
        "issue_number": number,
    }
    try:
        await gh.post(ISSUE_LABELS, url_vars, data={"labels": [label]})
    except gidgethub.BadRequest as exc:
        if exc.status_code in (404, 410):
            raise NotFound(NO_SUCH_ISSUE.format(repository=target.full_name)) from None
        if exc.status_code in (401, 403):
            raise Problem(403, "forbidden", "GitHub refused to label the issue for you") from None
        raise Unavailable(GITHUB_DOWN) from None
    except (gidgethub.GitHubException, httpx2.HTTPError):
        raise Unavailable(GITHUB_DOWN) from None


async def start_project(call: Call) -> Response:
    body: StartProject = call.body
    repos = await visible_repos(call.request, call.viewer)
    found = next(
        (r for r in repos.values() if r.full_name.lower() == body.repository.lower()), None
    )
    if found is None:
        raise NotFound(NO_SUCH_REPOSITORY)
    owner, _, name = found.full_name.partition("/")
    # Only the fields the write check and the label need: the project does not exist yet.
    target = Project(
        installation_id=found.installation_id,
        repo_id=found.repo_id,
        owner=owner,
        repo=name,
        issue_number=body.issue_number,
        issue_title="",
        started_by=call.viewer.login,
    )
    await require_write(call.request, call.viewer, target)
    async with access_state(call.request).sessions() as session:
        existing = await find_project(
            session, repo_id=found.repo_id, issue_number=body.issue_number
        )
    if existing is not None:
        message = EXISTS.format(
            id=existing.id, repository=found.full_name, number=body.issue_number
        )
        raise Problem(409, "conflict", message)
    label = access_state(call.request).settings.trigger_label
    await _label(call, target, body.issue_number, label)
    started = Started(repository=found.full_name, issue_number=body.issue_number, label=label)
    return answer(started, 202)


def _action(name: str) -> Endpoint:
    async def act(call: Call) -> Response:
        project = await visible_project(call.request, call.viewer, call.param("project_id"))
        argument = ""
        if isinstance(call.body, Retry) and call.body.phase is not None:
            argument = f"phase-{call.body.phase}"
        queued = await perform(call.request, call.viewer, project, name, argument=argument)
        assert project.id is not None
        model = Queued(
            job_id=queued.job_id,
            project_id=project.id,
            action=queued.action,
            argument=queued.argument,
        )
        return answer(model, 202)

    return Endpoint(
        "POST",
        f"/projects/{{project_id}}/{name}",
        act,
        summary=f"Queue /{name} for the project (as the slash command, in its line of jobs)",
        answer=Queued,
        status=202,
        body=Retry if name == "retry" else NoArguments,
        writes=True,
        statuses=(404,),
    )


ENDPOINTS = [
    Endpoint(
        "GET",
        "/projects",
        list_projects,
        summary="The projects in repositories you can read, newest first",
        answer=reports.ProjectRow,
        query=ProjectFilter,
        listed=True,
    ),
    Endpoint(
        "POST",
        "/projects",
        start_project,
        summary="Start a project for an issue: labels it with the trigger label in your name",
        answer=Started,
        status=202,
        body=StartProject,
        writes=True,
        statuses=(404, 409),
    ),
    Endpoint(
        "GET",
        "/projects/{project_id}",
        get_project,
        summary="One project: phases, dependencies, plan, docs, audit log and jobs",
        answer=reports.ProjectDetail,
        statuses=(404,),
    ),
    *(_action(name) for name in ("retry", "approve", "pause", "resume", "abort")),
]
