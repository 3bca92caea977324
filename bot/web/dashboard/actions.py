"""The project page's action buttons: each a POST form with the CSRF token, checked here,
then handed to the access layer, which checks write permission again and queues the action
in the project's own line of jobs (the job writes the audit row). Nothing runs in the request.

Which buttons show depends on the project's state (a paused project offers resume, not
pause), but a POST is never trusted to match them: the command the job runs refuses what the
state does not allow, as the slash command would, and says so in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.web.access import Viewer, check_csrf, perform, visible_project
from bot.web.dashboard.guard import signed_in
from storage.projects import Project, ProjectStatus
from storage.reports import PhaseRow
from storage.states import FINISHED, PhaseState


@dataclass(frozen=True)
class Button:
    action: str
    text: str
    argument: str = ""
    confirm: str = ""  # asked before the form posts (dashboard.js)
    danger: bool = False


OPEN = frozenset({ProjectStatus.PLANNING, ProjectStatus.AWAITING_APPROVAL, ProjectStatus.RUNNING})
ENDED = frozenset({ProjectStatus.DONE, ProjectStatus.ABORTED})
ABORT_QUESTION = "Abort this project? Its pull requests are closed and no further work is done."


def project_buttons(project: Project) -> list[Button]:
    """The project-wide actions that make sense in its state."""
    buttons: list[Button] = []
    if project.status is ProjectStatus.AWAITING_APPROVAL or project.pause_resumable:
        buttons.append(Button("approve", "Approve"))
    if project.status is ProjectStatus.FAILED:
        buttons.append(Button("retry", "Retry"))
    if project.paused:
        buttons.append(Button("resume", "Resume"))
    elif project.status in OPEN:
        buttons.append(Button("pause", "Pause"))
    if project.status not in ENDED:
        buttons.append(Button("abort", "Abort", confirm=ABORT_QUESTION, danger=True))
    return buttons


def phase_buttons(project: Project, phase: PhaseRow) -> list[Button]:
    """Retry (a phase that began and is not finished) and skip (a phase not finished) of one
    phase: what `/retry phase-k` and `/skip phase-k` accept; a merged phase offers neither."""
    if project.status in ENDED:
        return []
    argument = f"phase-{phase.number}"
    buttons: list[Button] = []
    if phase.state is not PhaseState.PLANNED and phase.state not in FINISHED:
        buttons.append(Button("retry", "Retry phase", argument))
    if phase.state not in FINISHED:
        question = f"Skip phase {phase.number}? Phases that depend on it go on without it."
        buttons.append(Button("skip", "Skip", argument, confirm=question))
    return buttons


@signed_in
async def act(request: Request, viewer: Viewer) -> Response:
    form = await request.form()
    await check_csrf(request, form)  # first: a forged form learns nothing about the project
    project = await visible_project(request, viewer, int(request.path_params["project_id"]))
    action = str(form.get("action", ""))
    argument = str(form.get("argument", "")).strip()
    queued = await perform(request, viewer, project, action, argument=argument)
    target = f"/projects/{project.id}?queued={queued.action}"
    return RedirectResponse(target, status_code=303)
