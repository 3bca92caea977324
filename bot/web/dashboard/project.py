"""The project page: phases, dependency graph, spend, usage over time, plan, the options with
the file each came from, documentation, audit log, jobs and (for writers) the action buttons;
live while the project runs.

The live part (everything that moves while jobs run) is one fragment template. The page
embeds it; `GET /projects/{id}/live` answers it alone (polling); `GET /projects/{id}/events`
streams it as Server-Sent Events, rendered again every few seconds and sent only when it
changed. The plan and the documentation sit outside it: they are long, change rarely, and a
reader's open `<details>` should not snap shut under them.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
from markupsafe import Markup
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from bot.status.options import missing_note, option_rows
from bot.status.view import notices, state_of, step_text
from bot.web.access import NotFound, Viewer, can_act, visible_project
from bot.web.dashboard import figures
from bot.web.dashboard.actions import phase_buttons, project_buttons
from bot.web.dashboard.figures import ProjectFigures
from bot.web.dashboard.guard import signed_in
from bot.web.dashboard.markdown import render_doc, render_markdown, render_plan
from bot.web.dashboard.render import fragment, page, runtime_of
from storage.projects import Project
from storage.reports import ProjectDetail, project_detail
from storage.workflow import project_phases

LIVE_TEMPLATE = "_project_live.html"
LIVE_SECONDS = 2.0  # how often a stream renders the fragment again
STREAM_SECONDS = 300.0  # then the stream ends and the browser reconnects (EventSource does)
RETRY_MS = 3000
AUDIT_SHOWN = 30


def digest(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()[:32]


async def _detail(request: Request, project: Project) -> tuple[ProjectDetail, ProjectFigures]:
    """The project's read model and charts, in one session (visibility is checked already)."""
    assert project.id is not None
    async with runtime_of(request).sessions() as session:
        detail = await project_detail(session, project.id)
        charts = await figures.project_figures(session, project.id)
    if detail is None or charts is None:  # deleted since `visible_project` read it
        raise NotFound("No such project.")
    return detail, charts


async def live_context(request: Request, viewer: Viewer, project: Project) -> dict[str, Any]:
    """What the live fragment shows."""
    detail, charts = await _detail(request, project)
    writer = await can_act(request, viewer, project)
    phases = detail.phases
    return {
        "project": project,
        "detail": detail,
        "phases": phases,
        "audit": detail.audit[:AUDIT_SHOWN],
        "jobs": detail.jobs,
        "charts": charts,
        "graph": figures.graph_of(detail),
        "state": state_of(project),
        "step": step_text(project),
        "notices": notices(project),
        "writer": writer,
        "buttons": project_buttons(project) if writer else [],
        "phase_buttons": {p.number: phase_buttons(project, p) for p in phases} if writer else {},
    }


async def pr_bodies(request: Request, project: Project) -> dict[int, Markup]:
    """Each phase's pull request text (a model wrote it), rendered and sanitised."""
    assert project.id is not None
    async with runtime_of(request).sessions() as session:
        phases = await project_phases(session, project_id=project.id)
    return {p.number: render_markdown(p.pr_body) for p in phases if p.pr_body}


async def _project(request: Request, viewer: Viewer) -> Project:
    return await visible_project(request, viewer, int(request.path_params["project_id"]))


@signed_in
async def project_page(request: Request, viewer: Viewer) -> Response:
    project = await _project(request, viewer)
    assert project.id is not None
    live = await live_context(request, viewer, project)
    detail: ProjectDetail = live["detail"]
    live_html = fragment(request, LIVE_TEMPLATE, live, viewer=viewer)
    rows = option_rows(project.options)
    context = {
        "project": project,
        "live": Markup(live_html),  # the autoescaping environment's output
        "digest": digest(live_html),
        "writer": live["writer"],
        "plan": render_plan(project.plan),
        "docs": [(doc, render_doc(doc)) for doc in detail.docs],
        "pr_bodies": await pr_bodies(request, project),
        "queued": request.query_params.get("queued", "")[:32],
        "options": rows,
        "options_note": missing_note(project.options),
        "data": {**detail.model_dump(mode="json"), "options": [r.model_dump() for r in rows]},
    }
    return page(request, "project.html", context, viewer=viewer)


@signed_in
async def project_live(request: Request, viewer: Viewer) -> Response:
    project = await _project(request, viewer)
    context = await live_context(request, viewer, project)
    return HTMLResponse(fragment(request, LIVE_TEMPLATE, context, viewer=viewer))


async def _render_live(request: Request, viewer: Viewer, project_id: int) -> str:
    project = await visible_project(request, viewer, project_id)  # re-read, re-checked
    context = await live_context(request, viewer, project)
    return fragment(request, LIVE_TEMPLATE, context, viewer=viewer)


async def _stream(request: Request, viewer: Viewer, project_id: int) -> AsyncIterator[Any]:
    """The fragment whenever it changed, until the stream's time is up or the browser left."""
    last = request.query_params.get("since", "")
    ends = time.monotonic() + STREAM_SECONDS
    while time.monotonic() < ends and not await request.is_disconnected():
        # A browser leaving cancels the stream; shielded, a read in flight still closes its
        # database connection rather than leaking it.
        with anyio.CancelScope(shield=True):
            html = await _render_live(request, viewer, project_id)
        if digest(html) != last:
            last = digest(html)
            yield ServerSentEvent(data=html, event="update", retry=RETRY_MS)
        await asyncio.sleep(LIVE_SECONDS)


@signed_in
async def project_events(request: Request, viewer: Viewer) -> Response:
    project = await _project(request, viewer)  # a project not visible answers 404, no stream
    assert project.id is not None
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return EventSourceResponse(_stream(request, viewer, project.id), headers=headers, ping=15)
