"""The load generator of `bench/webhooks.py`: wrk, driven by `bench/webhooks.lua`.

wrk (C, one event loop per thread) costs a few microseconds of CPU per request, a tenth or
less of what the servers spend; a Python client that signs and builds every request costs
more than the bare server does, and then measures itself. Its CPU is measured here (the
child's rusage), so the report can show it beside the servers'.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA_SCRIPT = Path(__file__).resolve().with_name("webhooks.lua")
RESULT_MARK = "WRK_RESULT "
INSTALL_HINT = (
    "wrk is not installed. On Debian or Ubuntu: sudo apt-get install -y wrk "
    "(macOS: brew install wrk); then run this again."
)
# GitHub gives up on a delivery after 10 s; a slower answer is a failure, not a latency.
TIMEOUT = "10s"


class WrkMissing(RuntimeError):
    pass


@dataclass(frozen=True)
class LoadResult:
    """One wrk run against one server."""

    seconds: float
    requests: int  # answered
    acked: int  # answered 2xx
    refused: int  # answered otherwise
    socket_errors: int  # connect, read, write errors and timeouts
    p50_ms: float
    p99_ms: float
    client_cpu_s: float

    @property
    def rps(self) -> float:
        return self.acked / self.seconds

    @property
    def client_cpu_ms_per_request(self) -> float:
        return self.client_cpu_s * 1000 / max(1, self.requests)

    @property
    def client_busy(self) -> float:
        """The share of one core the client used: near 1.0, it was the bottleneck."""
        return self.client_cpu_s / self.seconds


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise WrkMissing(INSTALL_HINT)
    return found


def write_manifest(folder: Path, secret: str, bodies: list[tuple[str, bytes]]) -> Path:
    """Signs each body once and writes what the Lua script loads: one body per file, and a
    manifest line `event<TAB>signature<TAB>path` for each."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for index, (event, body) in enumerate(bodies):
        path = folder / f"body-{index:04d}.json"
        path.write_bytes(body)
        signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        lines.append(f"{event}\t{signature}\t{path}\n")
    manifest = folder / "manifest.tsv"
    manifest.write_text("".join(lines))
    return manifest


def run_wrk(
    url: str, *, connections: int, seconds: float, manifest: Path, id_prefix: str
) -> LoadResult:
    """One wrk thread (the machine's other core is the server's) for `seconds`."""
    command = [
        wrk_binary(),
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{seconds:g}s",
        "--timeout",
        TIMEOUT,
        "--script",
        str(LUA_SCRIPT),
        url,
        "--",
        str(manifest),
        id_prefix,
    ]
    # One pipe for both streams (nothing to deadlock on), read to its end, then wait4, not
    # wait: the child's own rusage is the client's CPU for this run alone.
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    out = process.stdout.read().decode()
    process.stdout.close()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"wrk failed ({process.returncode}): {out.strip()}")
    return parse(out, usage.ru_utime + usage.ru_stime)


def parse(output: str, client_cpu_s: float) -> LoadResult:
    """The `WRK_RESULT {json}` line the Lua script's `done` prints."""
    for line in output.splitlines():
        if line.startswith(RESULT_MARK):
            data = json.loads(line.removeprefix(RESULT_MARK))
            break
    else:
        raise RuntimeError(f"wrk printed no result line:\n{output}")
    errors = sum(data[f"errors_{kind}"] for kind in ("connect", "read", "write", "timeout"))
    return LoadResult(
        seconds=data["duration_us"] / 1e6,
        requests=data["requests"],
        acked=data["acked"],
        refused=data["refused"],
        socket_errors=errors,
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        client_cpu_s=client_cpu_s,
    )
