"""The servers `bench/webhooks.py` drives: started, paused between their runs, measured.

Each server is one or more processes (`serve`; or `web` and `worker`; or the bare endpoint).
While one server is measured the others are stopped with SIGSTOP, so neither steals the core
the other runs on: the app's worker would otherwise drain its backlog during the bare runs.
CPU is read from /proc (Linux): user plus system time of every thread of the process.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import sync_engine

ROOT = Path(__file__).resolve().parents[1]
BARE_SERVER = ROOT / "bench" / "bare_webhooks.py"
_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of the process, all threads, so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15)


def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def base_env(secret: str, database_url: str, log_level: str, log_format: str) -> dict[str, str]:
    """The environment both servers run with: the same settings, so the same log set-up."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AGENT_", "GITHUB_"))}
    env.update(
        PYTHONPATH=str(ROOT),
        GITHUB_APP_ID="1",
        GITHUB_PRIVATE_KEY=private_key_pem(),
        GITHUB_WEBHOOK_SECRET=secret,
        # Nothing the payloads trigger calls GitHub; if anything did, it stays local.
        GITHUB_API_URL="http://127.0.0.1:9",
        DATABASE_URL=database_url,
        HOST="127.0.0.1",
        LOG_LEVEL=log_level,
        LOG_FORMAT=log_format,
    )
    return env


@dataclass
class Server:
    """One measured server: its processes (the first answers HTTP) and its log file."""

    name: str
    url: str
    processes: list[subprocess.Popen[bytes]]
    log_path: Path
    _cpu_mark: list[float] = field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self.processes]

    def check_alive(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{self.name} exited ({process.returncode}):\n{tail}")

    def cpu(self) -> list[float]:
        """CPU seconds so far, per process."""
        return [cpu_seconds(pid) for pid in self.pids]

    def pause(self) -> None:
        for pid in self.pids:
            os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        for pid in self.pids:
            os.kill(pid, signal.SIGCONT)

    def log_lines(self) -> int:
        with self.log_path.open("rb") as log:
            return sum(1 for _ in log)

    def stop(self) -> None:
        self.resume()  # a stopped process does not act on SIGTERM
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def start(name: str, commands: list[list[str]], env: dict[str, str], workdir: Path) -> Server:
    port = free_port()
    log_path = workdir / f"{name.replace(' ', '-')}.log"
    log = log_path.open("wb")
    processes = [
        subprocess.Popen(
            command,
            env=env | {"PORT": str(port)},
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        for command in commands
    ]
    log.close()
    server = Server(name, f"http://127.0.0.1:{port}/webhooks", processes, log_path)
    wait_ready(server)
    return server


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "bot.cli.main", *args]


def bare_command() -> list[str]:
    return [sys.executable, str(BARE_SERVER)]


def wait_ready(server: Server, timeout: float = 60.0) -> None:
    """Until the server answers HTTP (any status: a GET on /webhooks is 405)."""
    deadline = time.monotonic() + timeout
    with httpx2.Client() as client:
        while time.monotonic() < deadline:
            server.check_alive()
            try:
                client.get(server.url)
                return
            except httpx2.TransportError:
                time.sleep(0.2)
    raise RuntimeError(f"{server.name} did not come up at {server.url}")


@contextmanager
def running(servers: list[Server]) -> Iterator[list[Server]]:
    try:
        yield servers
    finally:
        for server in servers:
            server.stop()


def migrate(env: dict[str, str], workdir: Path) -> None:
    subprocess.run(cli("db", "upgrade"), env=env, cwd=workdir, check=True, capture_output=True)


def fresh_postgres(admin_url: str, database: str) -> str:
    """An empty database for the run (dropped first if a previous run left it)."""
    admin = sync_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return make_url(admin_url).set(database=database).render_as_string(hide_password=False)


def drop_postgres(admin_url: str, database: str) -> None:
    admin = sync_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    admin.dispose()


def stored(database_url: str, id_prefix: str) -> int:
    """Deliveries in the table whose id starts with `id_prefix` (one run's)."""
    engine = sync_engine(database_url)
    try:
        with engine.connect() as conn:
            query = text("SELECT count(*) FROM deliveries WHERE id LIKE :pattern")
            return int(conn.execute(query, {"pattern": f"{id_prefix}%"}).scalar_one())
    finally:
        engine.dispose()


def jobs_waiting(database_url: str) -> int:
    """Jobs queued or running: the worker's backlog."""
    engine = sync_engine(database_url)
    try:
        with engine.connect() as conn:
            query = text("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")
            return int(conn.execute(query).scalar_one())
    finally:
        engine.dispose()
