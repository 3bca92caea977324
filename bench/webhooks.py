"""Webhook acknowledgement benchmark (not a test): the app against a bare endpoint, under wrk.

    python bench/webhooks.py [--duration 5] [--rounds 3] [--connections 8,64]
                             [--payload issue_comment|examples] [--no-postgres]

What it runs, on loopback:
- the app: `ai-orchestrator serve` (web server and worker in one process, SQLite), as in
  production. Its worker yields to the intake: it claims, and its jobs begin a transaction,
  only once the intake has had nothing to store for 20 ms, so the backlog waits for the burst
  to end. A second pass runs `ai-orchestrator web` and a separate `ai-orchestrator worker` on
  PostgreSQL, where nothing yields (skipped, with a note, when PostgreSQL is not reachable at
  --postgres-url);
- the bare endpoint (`bench/bare_webhooks.py`): body, HMAC check, in-memory dedupe, nothing
  else; same settings, log set-up and uvicorn configuration as the app.

The load is wrk (`bench/webhooks.lua`; `apt-get install wrk`), one thread, signed deliveries
(the 13 kB `issue_comment.created` example by default; `--payload examples`: the 133 vendored
examples in turn), every one with a fresh X-GitHub-Delivery id. The bodies are signed once in
Python; the signature does not cover the delivery id, so wrk needs no HMAC. Runs alternate,
bare / app / bare / app, after a warm-up of each; while one server runs the other is paused
(SIGSTOP), and the figures are the medians of the rounds. CPU per request is reported for the
client (wrk's rusage) and the servers (/proc), so it shows whether the client was the limit.

`lost`: deliveries answered 2xx that are not in the deliveries table afterwards (per run, by
the run's delivery id prefix). A delivery stored but not answered (in flight when wrk stops)
is not lost. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for bot.*, storage.*, tests.*

from bench.webhook_load import LoadResult, WrkMissing, run_wrk, write_manifest, wrk_binary
from bench.webhook_servers import (
    Server,
    bare_command,
    base_env,
    cli,
    drop_postgres,
    fresh_postgres,
    jobs_waiting,
    migrate,
    running,
    start,
    stored,
)
from tests.githubdata import delivered_examples

SECRET = "bench-webhook-secret"
PG_DATABASE = "ai_orchestrator_webhook_bench"
DRAIN_SECONDS = 5.0


@dataclass(frozen=True)
class Run:
    """One wrk run against one server, with the server's side of it."""

    load: LoadResult
    server_cpu_s: list[float]  # per process of the server
    log_lines: int
    stored: int | None = None  # the app only

    @property
    def lost(self) -> int:
        return 0 if self.stored is None else max(0, self.load.acked - self.stored)

    def cpu_ms_per_request(self, process: int = 0) -> float:
        return self.server_cpu_s[process] * 1000 / max(1, self.load.acked)


def payloads(kind: str) -> list[tuple[str, bytes]]:
    examples = delivered_examples()
    if kind == "examples":
        return [(event, json.dumps(payload).encode()) for event, payload in examples]
    event, payload = next((e, p) for e, p in examples if e == "issue_comment")
    return [(event, json.dumps(payload).encode())]  # issue_comment.created, 13,177 bytes


def machine() -> dict[str, Any]:
    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version()}


def measure(
    server: Server,
    others: list[Server],
    database_url: str | None,
    *,
    connections: int,
    seconds: float,
    manifest: Path,
    prefix: str,
) -> Run:
    for other in others:
        other.pause()
    server.resume()
    server.check_alive()
    cpu_before, lines_before = server.cpu(), server.log_lines()
    load = run_wrk(
        server.url, connections=connections, seconds=seconds, manifest=manifest, id_prefix=prefix
    )
    cpu = [after - before for after, before in zip(server.cpu(), cpu_before, strict=True)]
    count = stored(database_url, prefix) if database_url else None
    return Run(load, cpu, server.log_lines() - lines_before, count)


def compare(
    app: Server,
    bare: Server,
    database_url: str,
    args: argparse.Namespace,
    manifest: Path,
    label: str,
) -> dict[int, dict[str, list[Run]]]:
    """Per connection count: the app's and the bare runs, interleaved."""
    results: dict[int, dict[str, list[Run]]] = {}
    for connections in args.connections:
        runs: dict[str, list[Run]] = {"app": [], "bare": [], "warm-up": []}
        for name, server, other, url in (
            ("bare", bare, app, None),
            ("app", app, bare, database_url),
        ):
            prefix = f"{label}-w{connections}-{name}"
            runs["warm-up"].append(
                measure(
                    server,
                    [other],
                    url,
                    connections=connections,
                    seconds=args.warmup,
                    manifest=manifest,
                    prefix=prefix,
                )
            )
        for round_ in range(args.rounds):
            for name, server, other, url in (
                ("bare", bare, app, None),
                ("app", app, bare, database_url),
            ):
                prefix = f"{label}-c{connections}-r{round_}-{name}"
                run = measure(
                    server,
                    [other],
                    url,
                    connections=connections,
                    seconds=args.duration,
                    manifest=manifest,
                    prefix=prefix,
                )
                runs[name].append(run)
                print(
                    f"  {label} {connections:>3} conn, round {round_ + 1}, {name:<4}: "
                    f"{run.load.rps:7.0f}/s p50 {run.load.p50_ms:6.2f} ms "
                    f"p99 {run.load.p99_ms:7.2f} ms",
                    flush=True,
                )
        results[connections] = runs
    return results


def drain_rate(app: Server, bare: Server, database_url: str) -> dict[str, float]:
    """The worker's pace on the backlog the runs left, once the load has stopped."""
    bare.pause()
    app.resume()
    before = jobs_waiting(database_url)
    time.sleep(DRAIN_SECONDS)
    after = jobs_waiting(database_url)
    return {"backlog": before, "jobs_per_s": round((before - after) / DRAIN_SECONDS, 1)}


def median(values: list[float]) -> float:
    return statistics.median(values)


def figures(runs: dict[str, list[Run]]) -> dict[str, Any]:
    app, bare = runs["app"], runs["bare"]
    every = [*app, *bare]
    app_rps, bare_rps = median([r.load.rps for r in app]), median([r.load.rps for r in bare])
    result: dict[str, Any] = {
        "app_rps": round(app_rps, 1),
        "bare_rps": round(bare_rps, 1),
        "ratio": round(app_rps / bare_rps, 3),
        "p50_ms": round(median([r.load.p50_ms for r in app]), 2),
        "p99_ms": round(median([r.load.p99_ms for r in app]), 2),
        "client_cpu_ms_per_request": round(
            median([r.load.client_cpu_ms_per_request for r in every]), 4
        ),
        "lost": sum(r.lost for r in [*app, *runs["warm-up"]]),
        "bare_p50_ms": round(median([r.load.p50_ms for r in bare]), 2),
        "bare_p99_ms": round(median([r.load.p99_ms for r in bare]), 2),
        "app_cpu_ms_per_request": round(median([r.cpu_ms_per_request() for r in app]), 4),
        "bare_cpu_ms_per_request": round(median([r.cpu_ms_per_request() for r in bare]), 4),
        "client_busy": round(max(r.load.client_busy for r in every), 3),
        "app_log_lines_per_request": round(
            median([r.log_lines / max(1, r.load.acked) for r in app]), 2
        ),
        "bare_log_lines_per_request": round(
            median([r.log_lines / max(1, r.load.acked) for r in bare]), 2
        ),
        "acked": sum(r.load.acked for r in app),
        "not_2xx": sum(r.load.refused + r.load.socket_errors for r in every),
    }
    if len(app[0].server_cpu_s) > 1:  # a separate worker process
        result["worker_cpu_ms_per_request"] = round(
            median([r.cpu_ms_per_request(1) for r in app]), 4
        )
    return result


def print_table(title: str, by_connections: dict[int, dict[str, Any]]) -> None:
    print(title)
    print(
        f"{'conn':>4} {'app/s':>8} {'bare/s':>8} {'ratio':>6} {'app p50':>8} {'app p99':>8}"
        f" {'app cpu':>8} {'bare cpu':>8} {'wrk cpu':>8} {'wrk busy':>8} {'lost':>5}"
    )
    for connections, f in by_connections.items():
        print(
            f"{connections:>4} {f['app_rps']:>8.0f} {f['bare_rps']:>8.0f} {f['ratio']:>6.3f}"
            f" {f['p50_ms']:>6.2f}ms {f['p99_ms']:>6.2f}ms"
            f" {f['app_cpu_ms_per_request']:>6.3f}ms {f['bare_cpu_ms_per_request']:>6.3f}ms"
            f" {f['client_cpu_ms_per_request']:>6.4f}ms {f['client_busy']:>8.2f}"
            f" {f['lost']:>5}"
        )


def sqlite_pass(
    args: argparse.Namespace, workdir: Path, manifest: Path
) -> tuple[dict[int, dict[str, Any]], dict[str, float]]:
    url = f"sqlite:///{workdir}/bench.db"
    env = base_env(SECRET, url, args.log_level, args.log_format)
    with running([start("app serve", [cli("serve")], env, workdir)]) as servers:
        servers.append(start("bare", [bare_command()], env, workdir))
        app, bare = servers
        results = compare(app, bare, url, args, manifest, "s")
        drain = drain_rate(app, bare, url)
    return {c: figures(runs) for c, runs in results.items()}, drain


def postgres_pass(
    args: argparse.Namespace, workdir: Path, manifest: Path
) -> tuple[dict[int, dict[str, Any]], dict[str, float]] | str:
    try:
        url = fresh_postgres(args.postgres_url, PG_DATABASE)
    except Exception as exc:  # no PostgreSQL here: the SQLite pass stands alone
        return f"PostgreSQL not reachable at {args.postgres_url}: {type(exc).__name__}"
    env = base_env(SECRET, url, args.log_level, args.log_format)
    try:
        migrate(env, workdir)
        commands = [cli("web"), cli("worker")]
        with running([start("app web+worker", commands, env, workdir)]) as servers:
            servers.append(start("bare", [bare_command()], env, workdir))
            app, bare = servers
            results = compare(app, bare, url, args, manifest, "p")
            drain = drain_rate(app, bare, url)
    finally:
        drop_postgres(args.postgres_url, PG_DATABASE)
    return {c: figures(runs) for c, runs in results.items()}, drain


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of warm-up")
    parser.add_argument("--rounds", type=int, default=3, help="bare/app pairs per setting")
    parser.add_argument(
        "--connections", type=lambda v: [int(c) for c in v.split(",")], default=[8, 64]
    )
    parser.add_argument("--payload", choices=["issue_comment", "examples"], default="issue_comment")
    parser.add_argument("--log-level", default="INFO", help="both servers' (production: INFO)")
    parser.add_argument("--log-format", default="json", help="both servers' (off a terminal)")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
        help="an administrative connection; the pass creates and drops its own database",
    )
    parser.add_argument("--no-postgres", action="store_true")
    return parser.parse_args()


def main() -> int:
    args = arguments()
    try:
        wrk_binary()
    except WrkMissing as exc:
        print(exc, file=sys.stderr)
        return 2
    host = machine()
    load_before = os.getloadavg()[0]
    print(
        f"{host['nproc']} cores, {host['cpu']}, load {load_before:.2f}; wrk 1 thread; "
        f"{args.rounds} rounds of {args.duration:g} s per server and connection count; "
        f"log level {args.log_level}, {args.log_format}",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        manifest = write_manifest(workdir / "bodies", SECRET, payloads(args.payload))
        sqlite, sqlite_drain = sqlite_pass(args, workdir, manifest)
        postgres = None if args.no_postgres else postgres_pass(args, workdir, manifest)
    print_table("ai-orchestrator serve (in-process worker, SQLite) vs bare:", sqlite)
    print(
        f"the in-process worker yields to the intake: it claims, and its jobs' transactions "
        f"begin, once the intake has been quiet for 20 ms; afterwards "
        f"{sqlite_drain['backlog']} jobs waited and it handled "
        f"{sqlite_drain['jobs_per_s']:.0f} a second"
    )
    report: dict[str, Any] = dict(sqlite[args.connections[0]])
    report["connections"] = args.connections[0]
    report["by_connections"] = {str(c): f for c, f in sqlite.items()}
    if isinstance(postgres, str) or postgres is None:
        print(postgres or "PostgreSQL pass skipped (--no-postgres)")
        report["postgres"] = None
    else:
        pg, pg_drain = postgres
        print_table("ai-orchestrator web + worker (PostgreSQL) vs bare:", pg)
        print(
            f"the separate worker did not yield; afterwards {pg_drain['backlog']} jobs "
            f"waited and it handled {pg_drain['jobs_per_s']:.0f} a second"
        )
        report["postgres"] = {str(c): f for c, f in pg.items()}
        report["lost"] += sum(f["lost"] for f in pg.values())
    report["lost"] += sum(f["lost"] for c, f in sqlite.items() if c != args.connections[0])
    report["machine"] = host | {
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }
    report["payload"] = args.payload
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
