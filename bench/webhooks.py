"""Webhook acknowledgement benchmark (not a test).

Starts `ai-orchestrator serve` (web server and worker in one process, SQLite by default, or
DATABASE_URL) and a bare Starlette endpoint that only answers 200, both under uvicorn on
loopback, then posts GitHub's example payloads (those of `tests.githubdata.DELIVERED_EVENTS`),
signed, from a concurrent client to each for a fixed count. Prints deliveries per second and
p50/p99 acknowledgement latency for both and the ratio; the last line is one JSON object.

    python bench/webhooks.py [--count 3000] [--concurrency 8] [--mode serve|web]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.*

from tests.githubdata import delivered_examples

SECRET = "bench-webhook-secret"
BARE_APP = """
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

async def ok(request):
    await request.body()
    return Response(status_code=200)

app = Starlette(routes=[Route("/webhooks", ok, methods=["POST"])])
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def payloads() -> list[tuple[str, bytes]]:
    return [(event, json.dumps(payload).encode()) for event, payload in delivered_examples()]


def private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def app_env(workdir: Path, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        GITHUB_APP_ID="1",
        GITHUB_PRIVATE_KEY=private_key_pem(),
        GITHUB_WEBHOOK_SECRET=SECRET,
        # Nothing the sample payloads trigger calls GitHub; if anything did, it stays local.
        GITHUB_API_URL="http://127.0.0.1:9",
        DATABASE_URL=os.environ.get("DATABASE_URL", f"sqlite:///{workdir}/bench.db"),
        HOST="127.0.0.1",
        PORT=str(port),
        LOG_LEVEL="WARNING",
        ENV_FILE_PATH=str(workdir / ".env"),
    )
    return env


async def wait_ready(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx2.AsyncClient() as client:
        while time.monotonic() < deadline:
            try:
                await client.get(url)
                return
            except httpx2.TransportError:
                await asyncio.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


async def post_all(
    url: str, count: int, concurrency: int, bodies: list[tuple[str, bytes]]
) -> list[float]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(count):
        queue.put_nowait(index)
    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def sender(client: httpx2.AsyncClient) -> None:
        while not queue.empty():
            event, body = bodies[queue.get_nowait() % len(bodies)]
            headers = {
                "content-type": "application/json",
                "x-github-event": event,
                "x-github-delivery": str(uuid.uuid4()),
                "x-hub-signature-256": "sha256="
                + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
            }
            started = time.perf_counter()
            response = await client.post(url, content=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            if response.status_code >= 300:
                raise RuntimeError(f"{url} answered {response.status_code}: {response.text}")

    async with httpx2.AsyncClient(limits=limits, timeout=30.0) as client:
        await asyncio.gather(*(sender(client) for _ in range(concurrency)))
    return latencies


def summary(latencies: list[float], elapsed: float) -> dict[str, float]:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return {
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": p99 * 1000,
    }


async def measure(
    url: str, count: int, concurrency: int, bodies: list[tuple[str, bytes]]
) -> dict[str, float]:
    await post_all(url, min(200, count), concurrency, bodies)  # warm-up
    started = time.perf_counter()
    latencies = await post_all(url, count, concurrency, bodies)
    return summary(latencies, time.perf_counter() - started)


async def backlog_drained(health_url: str, timeout: float = 600.0) -> float:
    """Seconds until the worker has handled every delivery the burst queued."""
    started = time.perf_counter()
    async with httpx2.AsyncClient() as client:
        while time.perf_counter() - started < timeout:
            report = (await client.get(health_url)).json()
            if report.get("jobs_queued", 1) == 0 and report.get("jobs_running", 1) == 0:
                return time.perf_counter() - started
            await asyncio.sleep(0.25)
    raise RuntimeError("the worker did not drain the backlog")


def start(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--mode",
        choices=["serve", "web"],
        default="serve",
        help="serve (web and worker, the target's setting) or web only, for diagnosis",
    )
    args = parser.parse_args()
    bodies = payloads()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "bare.py").write_text(BARE_APP)
        app_port, bare_port = free_port(), free_port()
        env = app_env(workdir, app_port)
        cli = [sys.executable, "-m", "bot.cli.main", args.mode]
        bare = [
            sys.executable,
            "-m",
            "uvicorn",
            "bare:app",
            "--port",
            str(bare_port),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        processes = [start(cli, env, workdir), start(bare, env | {"PYTHONPATH": tmp}, workdir)]
        try:
            await wait_ready(f"http://127.0.0.1:{app_port}/health")
            await wait_ready(f"http://127.0.0.1:{bare_port}/webhooks")
            app = await measure(
                f"http://127.0.0.1:{app_port}/webhooks", args.count, args.concurrency, bodies
            )
            app["drain_s"] = await backlog_drained(f"http://127.0.0.1:{app_port}/health")
            bare_result = await measure(
                f"http://127.0.0.1:{bare_port}/webhooks", args.count, args.concurrency, bodies
            )
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=20)
    report_lines(app, bare_result, args)


def report_lines(app: dict[str, float], bare: dict[str, float], args: Any) -> None:
    print(f"{args.count} signed deliveries, {args.concurrency} concurrent connections, loopback")
    for name, result in (("ai-orchestrator serve", app), ("bare Starlette 200", bare)):
        print(
            f"{name:<24} {result['rps']:8.0f} deliveries/s  p50 {result['p50_ms']:6.2f} ms"
            f"  p99 {result['p99_ms']:6.2f} ms"
        )
    ratio = app["rps"] / bare["rps"]
    print(f"ratio app/bare: {ratio:.2f}")
    print(
        f"worker backlog after the burst drained in {app['drain_s']:.1f} s "
        "(it yields to the intake while deliveries are arriving)"
    )
    print(
        json.dumps(
            {
                "app_rps": round(app["rps"], 1),
                "bare_rps": round(bare["rps"], 1),
                "ratio": round(ratio, 3),
                "p50_ms": round(app["p50_ms"], 2),
                "p99_ms": round(app["p99_ms"], 2),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
