"""`ai-orchestrator doctor`: one line per check, ok, warn or FAIL with what to do.

It runs the pre-flight's checks (`bot/preflight.py`) and goes on past a failure to report
everything it can. Exit 2 when a setting is invalid (what `serve`, `web` and `worker` refuse),
1 when something else fails (a key or an installation missing, migrations pending), else 0.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import httpx2
import jwt as pyjwt

from agents.checks import Finding, Status, doctor_checks
from bot.cli.database import read_schema, schema_problem
from bot.deps import build_github_app, build_plugins
from bot.plugins.host import installed
from bot.preflight import PortInUse, database_problem, key_problem, listen, load_agents
from bot.settings import CredentialState, Settings, SettingsError, load_settings
from storage.db import display_url

_LABELS: dict[Status, str] = {"ok": "ok  ", "warn": "warn", "fail": "FAIL", "invalid": "FAIL"}


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "warn")

    def line(self) -> str:
        return f"{_LABELS[self.status]}  {self.name}: {self.detail}"


def exit_code(checks: list[Check]) -> int:
    if any(check.status == "invalid" for check in checks):
        return 2
    return 0 if all(check.ok for check in checks) else 1


def _signed(settings: Settings) -> Check:
    token = pyjwt.encode({"iss": str(settings.github_app_id)}, settings.private_key(), "RS256")
    return Check("jwt", "ok", f"signed ({len(token)} bytes)")


def check_credentials(settings: Settings) -> list[Check]:
    if settings.credential_state is CredentialState.MISSING:
        hint = (
            "no GitHub App credentials: run `ai-orchestrator serve` and open / to register the "
            "App, or set GITHUB_APP_ID, GITHUB_PRIVATE_KEY(_PATH) and GITHUB_WEBHOOK_SECRET"
        )
        return [Check("credentials", "fail", hint)]
    checks = [Check("credentials", "ok", f"App {settings.github_app_id}")]
    problem = key_problem(settings)
    if problem is not None:
        return [*checks, Check("private key", "invalid", problem)]
    return [*checks, Check("private key", "ok", "an RSA key in PEM form"), _signed(settings)]


def check_listen(settings: Settings) -> Check:
    """HOST and PORT as `serve` and `web` will bind them; a taken port is only a warning here,
    since it may be this app, already running."""
    where = f"{settings.host}:{settings.port}"
    try:
        listen(settings).close()
    except PortInUse:
        return Check("listen", "warn", f"{where} is in use; serve and web need it free")
    except SettingsError as exc:
        return Check("listen", "invalid", str(exc))
    return Check("listen", "ok", f"{where} free")


def _schema(settings: Settings) -> Check:
    try:
        state = read_schema(settings)
    except SettingsError as exc:  # the file is not a database, say
        return Check("schema", "invalid", str(exc))
    problem = schema_problem(state)
    if problem is None:
        return Check("schema", "ok", f"at head {state.head}")
    return Check("schema", "fail", problem)


def check_database(settings: Settings) -> list[Check]:
    """The database opens (reachable; a SQLite file's folder exists) and its schema revision."""
    problem = database_problem(settings)
    if problem is not None:
        return [Check("database", "invalid", problem)]
    return [Check("database", "ok", display_url(settings.database_url)), _schema(settings)]


async def check_github(settings: Settings, http: httpx2.AsyncClient) -> list[Check]:
    try:
        github = build_github_app(settings, http)
        app = await github.app_client().getitem("/app")
        installations = [i async for i in github.app_client().getiter("/app/installations")]
    except Exception as exc:  # network, auth or key problems all end as one line
        hint = f"{type(exc).__name__}: {exc}; check GITHUB_API_URL, GITHUB_APP_ID and the key"
        return [Check("github", "fail", hint)]
    accounts = ", ".join(i["account"]["login"] for i in installations)
    return [
        Check("github app", "ok", f"{app.get('slug')} at {settings.github_api_url}"),
        Check("installations", "ok", accounts)
        if installations
        else Check("installations", "fail", "none: install the App on an account or repository"),
    ]


def check_agents(settings: Settings) -> list[Check]:
    """Each provider's key, then each role's provider and model in effect."""
    try:
        agents = load_agents(settings)
    except SettingsError as exc:
        return [Check("agents", "invalid", str(exc))]
    return [Check(f.name, f.status, _agent_detail(f)) for f in doctor_checks(agents)]


def _agent_detail(finding: Finding) -> str:
    # An invalid role reads as the pre-flight says it: `invalid setting AGENT_…: …`.
    return f"invalid setting {finding.detail}" if finding.status == "invalid" else finding.detail


def check_plugins(settings: Settings) -> list[Check]:
    """Each plugin PLUGINS enables loads (one line each), or none is enabled."""
    if not settings.enabled_plugins:
        names = ", ".join(plugin.name for plugin in installed()) or "none"
        return [Check("plugins", "ok", f"none enabled (PLUGINS); installed: {names}")]
    plugins = build_plugins(settings)
    failed = {failure.name: failure.error for failure in plugins.failures}
    return [
        Check(f"plugin {name}", "fail", failed[name])
        if name in failed
        else Check(f"plugin {name}", "ok", f"loaded, {len(plugins.hooks_of(name))} hooks")
        for name in settings.enabled_plugins
    ]


async def _github(settings: Settings, http: httpx2.AsyncClient | None) -> list[Check]:
    client = http or httpx2.AsyncClient(timeout=15.0)
    try:
        return await check_github(settings, client)
    finally:
        if http is None:
            await client.aclose()


async def _checks(settings: Settings, http: httpx2.AsyncClient | None) -> list[Check]:
    credentials = check_credentials(settings)
    checks = [Check("settings", "ok", "loaded"), *credentials, check_listen(settings)]
    checks += await asyncio.to_thread(check_database, settings)
    if all(check.ok for check in credentials):  # an App, with a key that signs
        checks += await _github(settings, http)
    return checks + check_agents(settings) + check_plugins(settings)


async def run_doctor(
    settings_loader: Callable[[], Settings] = load_settings,
    http: httpx2.AsyncClient | None = None,
    out: Callable[[str], object] = print,
) -> int:
    """Runs every check, prints one line each, and answers the exit code."""
    try:
        settings = settings_loader()
    except SettingsError as exc:
        checks = [Check("settings", "invalid", str(exc))]
    else:
        checks = await _checks(settings, http)
    for check in checks:
        out(check.line())
    return exit_code(checks)
