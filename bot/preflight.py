"""The pre-flight: the settings checked against this machine before a command starts anything.

`serve`, `web` and `worker` run it after the settings load and before migrations, logging or
the server's socket, and `doctor` reports the same checks: the App's key file and key, the
agents' providers, models and prices (in setup mode too), HOST and PORT, and the database.
Each problem is one line in the form `load_settings` uses, `invalid setting NAME: what is
wrong`; the command prints every one and exits 2 having started nothing.
"""

from __future__ import annotations

import errno
import socket

import pydantic_settings
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pydantic import ValidationError

from agents.checks import role_problems
from agents.settings import AgentSettings
from bot.settings import (
    CredentialState,
    Settings,
    SettingsError,
    describe_error,
    describe_source_error,
)
from storage.db import DatabaseUnavailable, check_reachable


class PreflightFailed(SettingsError):
    """One or more settings are wrong; the message has one line for each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class PortInUse(SettingsError):
    """PORT is taken on HOST: a fault for a server, only a note for `doctor`."""


def invalid(name: str, problem: str) -> str:
    return f"invalid setting {name}: {problem}"


def _pem_problem(pem: bytes) -> str | None:
    try:
        key = load_pem_private_key(pem, password=None)
    except TypeError:
        return "is encrypted; GitHub's App keys have no passphrase"
    except (ValueError, UnsupportedAlgorithm):
        return "is not a PEM private key (GitHub's begins -----BEGIN RSA PRIVATE KEY-----)"
    if not isinstance(key, RSAPrivateKey):
        return "is not an RSA key; GitHub Apps sign their tokens with RSA"
    return None


def key_problem(settings: Settings) -> str | None:
    """The App's private key: GITHUB_PRIVATE_KEY, else the file GITHUB_PRIVATE_KEY_PATH names,
    holds an RSA key in PEM form. Setup mode has no key to check."""
    if settings.credential_state is CredentialState.MISSING:
        return None
    if settings.github_private_key is not None:
        problem = _pem_problem(settings.private_key().encode())
        return None if problem is None else invalid("GITHUB_PRIVATE_KEY", f"the value {problem}")
    path = settings.github_private_key_path
    if path is None:
        return invalid("GITHUB_PRIVATE_KEY", "not set (nor GITHUB_PRIVATE_KEY_PATH)")
    if path.is_dir() or not path.is_file():
        what = "is a directory, not a key file" if path.is_dir() else "does not exist"
        return invalid("GITHUB_PRIVATE_KEY_PATH", f"{path} {what}")
    try:
        problem = _pem_problem(path.read_bytes())
    except OSError as exc:
        return invalid("GITHUB_PRIVATE_KEY_PATH", f"cannot read {path}: {exc.strerror}")
    return None if problem is None else invalid("GITHUB_PRIVATE_KEY_PATH", f"{path} {problem}")


def credentials_problem(settings: Settings, needed_by: str) -> str | None:
    if settings.credential_state is CredentialState.CONFIGURED:
        return None
    return invalid(
        "GITHUB_APP_ID",
        f"not set; {needed_by} needs the App's credentials: register the App first "
        "(`ai-orchestrator serve`, then open / in a browser)",
    )


def load_agents(settings: Settings) -> AgentSettings:
    """The agents' settings from the same environment and env file; one line if malformed."""
    try:
        return AgentSettings(_env_file=settings.env_file_path)
    except ValidationError as exc:
        raise SettingsError(f"invalid setting {describe_error(exc)}") from None
    except pydantic_settings.SettingsError as exc:
        raise SettingsError(f"invalid setting {describe_source_error(exc)}") from None


def agent_problems(settings: Settings) -> list[str]:
    try:
        agents = load_agents(settings)
    except SettingsError as exc:
        return [str(exc)]
    return [f"invalid setting {problem}" for problem in role_problems(agents)]


def database_problem(settings: Settings) -> str | None:
    try:
        check_reachable(settings.database_url)
    except DatabaseUnavailable as exc:
        return invalid("DATABASE_URL", str(exc))
    return None


def _address(settings: Settings) -> tuple[socket.AddressFamily, tuple[str, int]]:
    """HOST:PORT resolved as the server will bind it; SettingsError naming HOST if it cannot."""
    try:
        found = socket.getaddrinfo(
            settings.host, settings.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else "not a host name"
        raise SettingsError(
            invalid("HOST", f"{settings.host} is not an address or a name that resolves ({reason})")
        ) from None
    family, _, _, _, address = found[0]
    return family, (str(address[0]), int(address[1]))


def host_problem(settings: Settings) -> str | None:
    try:
        _address(settings)
    except SettingsError as exc:
        return str(exc)
    return None


def _bind_error(settings: Settings, exc: OSError) -> SettingsError:
    host, port = settings.host, settings.port
    if exc.errno == errno.EADDRINUSE:
        return PortInUse(invalid("PORT", f"{port} is already in use on {host}"))
    if exc.errno == errno.EACCES:
        return SettingsError(invalid("PORT", f"{port} needs privileges; use a port above 1023"))
    if exc.errno == errno.EADDRNOTAVAIL:
        return SettingsError(invalid("HOST", f"{host} is not an address of this machine"))
    return SettingsError(invalid("HOST", f"cannot listen on {host}:{port}: {exc.strerror}"))


def listen(settings: Settings) -> socket.socket:
    """A socket bound to HOST:PORT, for uvicorn. Bound here, before migrations run, a port that
    is taken stops start-up at once, and nothing can take it between the check and the use."""
    family, address = _address(settings)
    sock = socket.socket(family, socket.SOCK_STREAM)
    # As uvicorn does: a restart need not wait for the old connections' TIME_WAIT.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise _bind_error(settings, exc) from None
    return sock


def app_problems(settings: Settings, needed_by: str) -> list[str]:
    """What stops a command that calls GitHub as the App: no credentials, or a bad key (in
    setup mode `key_problem` has nothing to say, so the two never both speak)."""
    found = (credentials_problem(settings, needed_by), key_problem(settings))
    return [line for line in found if line is not None]


def problems(settings: Settings, *, needs_app: str | None = None) -> list[str]:
    """Every bad setting a command would trip on, one line each; PORT and whether HOST is this
    machine's are the servers' own (`preflight_server`), as a worker listens on nothing."""
    app = app_problems(settings, needs_app) if needs_app else [key_problem(settings)]
    found = [*app, host_problem(settings), database_problem(settings)]
    return [line for line in found if line is not None] + agent_problems(settings)


def require(found: list[str]) -> None:
    if found:
        raise PreflightFailed(found)


def preflight(settings: Settings, *, needs_app: str | None = None) -> None:
    """Raises PreflightFailed naming every bad setting."""
    require(problems(settings, needs_app=needs_app))


def preflight_server(settings: Settings) -> socket.socket:
    """The pre-flight of `serve` and `web`, HOST and PORT included; the bound socket."""
    found = problems(settings)
    if host_problem(settings) is not None:
        raise PreflightFailed(found)  # HOST is among them: there is nothing to bind to
    try:
        sock = listen(settings)
    except SettingsError as exc:
        raise PreflightFailed([*found, str(exc)]) from None
    if found:
        sock.close()
        raise PreflightFailed(found)
    return sock
