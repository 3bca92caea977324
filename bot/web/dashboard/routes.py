"""The dashboard's route table, in one place."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.web.access import viewer_of
from bot.web.dashboard import admin, analytics, projects
from bot.web.dashboard.actions import act
from bot.web.dashboard.guard import sign_in_page
from bot.web.dashboard.project import project_events, project_live, project_page
from bot.web.dashboard.render import STATIC_DIR, STATIC_PATH


async def home(request: Request) -> Response:
    """`/`: the projects for a signed-in viewer, the sign-in page otherwise."""
    if await viewer_of(request) is None:
        return sign_in_page(request, status_code=200)  # the front door, not a refusal
    return RedirectResponse("/projects", status_code=303)


def dashboard_routes() -> list[BaseRoute]:
    get = ["GET"]
    return [
        Route("/projects", projects.project_list, methods=get),
        Route("/projects/{project_id:int}", project_page, methods=get),
        Route("/projects/{project_id:int}/live", project_live, methods=get),
        Route("/projects/{project_id:int}/events", project_events, methods=get),
        Route("/projects/{project_id:int}/actions", act, methods=["POST"]),
        Route("/costs", analytics.costs, methods=get),
        Route("/cache", analytics.cache, methods=get),
        Route("/recommendations", analytics.recommendations, methods=get),
        Route("/operator/deliveries", admin.deliveries, methods=get),
        Route("/operator/deliveries/{delivery_id}/replay", admin.replay, methods=["POST"]),
        Route("/operator/jobs", admin.jobs, methods=get),
        Route("/operator/installations", admin.installations, methods=get),
        Mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static"),
    ]
