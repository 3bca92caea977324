"""`/status` shows where each effective option came from: the repository's file, an `_extends`
target, the organisation's `.github` defaults, or the app's default."""

from __future__ import annotations

from bot.status.options import FILES_READ, OPTIONS_HEADING, OTHERS_DEFAULT
from tests.apphelpers import RunningApp
from tests.command_helpers import reply_to
from tests.fakegithub import FakeGitHub
from tests.options_helpers import OPTIONS_PATH, ORG_FILE, REPO_FILE, put_file, set_org_options
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.workflow_helpers import comment, set_options, start_project

SHARED_FILE = f"octo-org/shared:{OPTIONS_PATH}"


async def test_status_shows_the_origin_of_each_option(
    workflow_app: RunningApp, fake_github: FakeGitHub, scripted_model: ScriptedModel
) -> None:
    set_org_options(fake_github, "budget_usd: 5\nci: {required_checks: [lint]}\n")
    set_options(fake_github, "_extends: shared\nplan_approval: auto\n")
    put_file(fake_github, "octo-org/shared", OPTIONS_PATH, "max_phases: 2\n")
    ScriptedProject(phases=2).install(scripted_model)
    number = await start_project(workflow_app, fake_github)
    await comment(workflow_app, fake_github, "reader", number, "/status")
    reply = reply_to(fake_github, number, "/status")
    options = reply[reply.index(OPTIONS_HEADING) :]
    files = FILES_READ.format(
        files=f"`{REPO_FILE}` (this repository), `{SHARED_FILE}` (an \\_extends target), "
        f"`{ORG_FILE}` (organisation defaults)"
    )
    assert options.split("\n\n") == [
        OPTIONS_HEADING,
        "\n".join(
            [
                f"- `plan_approval` = `auto` from this repository: `{REPO_FILE}`",
                f"- `max_phases` = `2` from an \\_extends target: `{SHARED_FILE}`",
                f"- `budget_usd` = `5` from organisation defaults: `{ORG_FILE}`",
                f'- `ci.required_checks` = `["lint"]` from organisation defaults: `{ORG_FILE}`',
            ]
        ),
        OTHERS_DEFAULT,  # the rest (`max_revisions`, `ci.grace_seconds`, ...) in one line
        files,
    ]
