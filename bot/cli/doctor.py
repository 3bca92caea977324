"""`ai-orchestrator doctor`: one line per check, ok or FAIL with what to do."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx2
import jwt as pyjwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from sqlalchemy import text

from bot.deps import build_github_app
from bot.settings import CredentialState, Settings, SettingsError, load_settings
from storage.db import make_engine


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


def check_credentials(settings: Settings) -> list[Check]:
    if settings.credential_state is CredentialState.MISSING:
        return [
            Check(
                "credentials",
                False,
                "no GitHub App credentials: run `ai-orchestrator "
                "serve` and open / to register the App, or set GITHUB_APP_ID, "
                "GITHUB_PRIVATE_KEY(_PATH) and GITHUB_WEBHOOK_SECRET",
            )
        ]
    checks = [Check("credentials", True, f"App {settings.github_app_id}")]
    try:
        key = load_pem_private_key(settings.private_key().encode(), password=None)
        checks.append(Check("private key", True, f"{type(key).__name__} parsed"))
        token = pyjwt.encode({"iss": str(settings.github_app_id)}, settings.private_key(), "RS256")
        checks.append(Check("jwt", True, f"signed ({len(token)} bytes)"))
    except (SettingsError, ValueError, TypeError) as exc:
        checks.append(
            Check(
                "private key",
                False,
                f"{exc}; set GITHUB_PRIVATE_KEY to the App's "
                "PEM key or GITHUB_PRIVATE_KEY_PATH to its file",
            )
        )
    return checks


async def check_database(settings: Settings) -> Check:
    engine = make_engine(settings.database_url)
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return Check("database", True, f"{engine.url.get_backend_name()} reachable")
    except Exception as exc:  # the doctor reports every failure as a line, never a traceback
        return Check("database", False, f"{type(exc).__name__}: check DATABASE_URL")
    finally:
        await engine.dispose()


async def check_github(settings: Settings, http: httpx2.AsyncClient) -> list[Check]:
    if settings.credential_state is not CredentialState.CONFIGURED:
        return []
    try:
        github = build_github_app(settings, http)
        app = await github.app_client().getitem("/app")
        installations = [i async for i in github.app_client().getiter("/app/installations")]
    except Exception as exc:  # network, auth or key problems all end as one line
        return [
            Check(
                "github",
                False,
                f"{type(exc).__name__}: {exc}; check GITHUB_API_URL, "
                "GITHUB_APP_ID and the private key",
            )
        ]
    accounts = ", ".join(i["account"]["login"] for i in installations) or "none yet"
    return [
        Check("github app", True, f"{app.get('slug')} at {settings.github_api_url}"),
        Check(
            "installations",
            bool(installations),
            accounts if installations else "none: install the App on an organisation or repository",
        ),
    ]


def check_agents() -> list[Check]:
    from agents.settings import AgentSettings, doctor_checks

    try:
        agent_settings = AgentSettings()
    except Exception as exc:  # a malformed AGENT_* setting
        return [Check("agents", False, str(exc).splitlines()[0])]
    return [Check(name, ok, hint) for name, ok, hint in doctor_checks(agent_settings)]


async def run_doctor(
    settings_loader: Callable[[], Settings] = load_settings,
    http: httpx2.AsyncClient | None = None,
    out: Callable[[str], object] = print,
) -> int:
    """Runs every check, prints one line each, and answers 0 only if all passed."""
    try:
        settings = settings_loader()
    except SettingsError as exc:
        out(Check("settings", False, str(exc)).line())
        return 1
    checks = [Check("settings", True, "loaded"), *check_credentials(settings)]
    checks.append(await check_database(settings))
    client = http or httpx2.AsyncClient(timeout=15.0)
    try:
        checks += await check_github(settings, client)
    finally:
        if http is None:
            await client.aclose()
    checks += check_agents()
    for check in checks:
        out(check.line())
    return 0 if all(check.ok for check in checks) else 1
