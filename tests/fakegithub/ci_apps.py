"""The Apps around CI: GitHub Actions itself, and who hears about checks.

GitHub Actions (`github-actions`, App id 15368 on github.com, bot `github-actions[bot]`) owns
every workflow's check suites and needs no installation. `deliver` decides whether a checks or
CI webhook reaches the app under test: GitHub sends an event only to Apps that subscribe to it
and whose installation has the permission behind it.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from tests.fakegithub.base import FakeBase
from tests.fakegithub.grants import allows, installation_permissions
from tests.fakegithub.keys import session_key
from tests.fakegithub.model import App, Event, Installation, Repo, User
from tests.fakegithub.suites import ACTIONS_APP_ID

ACTIONS_BOT_ID = 41898282  # github-actions[bot]
GITHUB_ORG_ID = 9919
# The permission an App needs to receive each event (it cannot subscribe without it).
EVENT_PERMISSION = {
    "check_run": "checks",
    "check_suite": "checks",
    "workflow_run": "actions",
    "workflow_job": "actions",
    "status": "statuses",
}
ACTIONS_PERMISSIONS = {
    "actions": "write",
    "checks": "write",
    "contents": "write",
    "metadata": "read",
    "pull_requests": "write",
    "statuses": "write",
}


def actions_app(fake: FakeBase) -> App:
    """GitHub Actions, the App behind every workflow's check suites (installed everywhere)."""
    app = fake.state.apps.get(ACTIONS_APP_ID)
    if app is not None:
        return app
    owner = fake.state.user("github") or User("github", GITHUB_ORG_ID, "Organization")
    fake.state.users.setdefault("github", owner)
    bot = User("github-actions[bot]", ACTIONS_BOT_ID, "Bot")
    fake.state.users[bot.login] = bot
    app = App(
        id=ACTIONS_APP_ID,
        slug="github-actions",
        name="GitHub Actions",
        owner=owner,
        keys=session_key("github-actions"),
        client_id="Iv1.05c79e9ad1f6bdfa",
        client_secret=secrets.token_hex(20),
        webhook_secret=secrets.token_hex(20),
        bot=bot,
        created_at=datetime(2018, 7, 30, 9, 30, 17, tzinfo=UTC),
        description="Automate your workflow from idea to production",
        permissions=dict(ACTIONS_PERMISSIONS),
        events=["check_run", "check_suite", "pull_request", "push", "workflow_dispatch"],
    )
    fake.state.apps[app.id] = app
    return app


def deliver(fake: FakeBase, repo: Repo, event: Event) -> None:
    """Queues a CI webhook for the app under test if GitHub would send it to that App."""
    name, _ = event
    primary = fake._primary
    if primary is not None:
        app = primary[0]
        installation = fake.installation_for(repo, app)
        permission = EVENT_PERMISSION[name]
        if (
            installation is None
            or name not in app.events
            or not allows(installation_permissions(fake, installation), permission)
        ):
            fake.checked(*event)  # not delivered, but shaped as GitHub would
            return
    fake.defer(event)


def installed_apps(fake: FakeBase, repo: Repo) -> list[tuple[App, Installation]]:
    found = []
    for installation in fake.state.installations.values():
        app = fake.state.apps[installation.app_id]
        if fake.installation_for(repo, app) is installation:
            found.append((app, installation))
    return found
