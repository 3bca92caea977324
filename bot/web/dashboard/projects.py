"""The projects list: the projects in repositories the viewer can read, filtered by
repository and status, a page at a time (the query is `storage.reports.project_page`)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bot.web.access import Viewer, visible_repo_ids
from bot.web.dashboard.guard import signed_in
from bot.web.dashboard.paging import PER_PAGE, choice, page_number, page_url, text
from bot.web.dashboard.render import page, runtime_of
from storage.projects import ProjectStatus
from storage.reports import project_page


@signed_in
async def project_list(request: Request, viewer: Viewer) -> Response:
    repo_ids = await visible_repo_ids(request, viewer)
    repository = text(request, "repository", 255)
    status = choice(request, "status", ProjectStatus)
    number = page_number(request)
    async with runtime_of(request).sessions() as session:
        found = await project_page(
            session,
            repo_ids=repo_ids,
            repository=repository or None,
            status=status,
            page=number,
            per_page=PER_PAGE,
        )
    context = {
        "found": found,
        "repository": repository,
        "status": status,
        "statuses": list(ProjectStatus),
        "previous": page_url(request, number - 1) if number > 1 else None,
        "next": page_url(request, number + 1) if number < found.pages else None,
        "number": number,
        "data": found.model_dump(mode="json"),
    }
    return page(request, "projects.html", context, viewer=viewer)
