"""Scale-out: many projects at once on one `web` and W `worker` processes on PostgreSQL (a
benchmark, not a test).

For each W (1, 2 and 4 by default) a fresh PostgreSQL database is migrated and 40 projects of
4 phases are labelled at once. The app runs as it is deployed: `ai-orchestrator web` and W
`ai-orchestrator worker` processes. GitHub is the suite's fake and the models the scripted
model, both served over HTTP on loopback from this process (`tests/served.py`), the model
answering after a simulated latency (2 s a call) and GitHub after 50 ms, so the work is bound
by waiting, as a real project's is. Webhooks the fake emits are signed and posted to `web`.
Plan approval is `auto` and the repository has CI that passes at once.

It reports, per W: phases merged per minute, jobs per second, peak RSS per worker, and the
speed-up over one worker; then the queue's claim latency on an idle queue (once the projects
are done, a `/cost` comment delivered each time no job is running or due: from `web`'s 202
to its job leaving `queued`) and the duplicates it finds afterwards (per project: phase
branches, pull requests, validator reviews and check runs per head, status comments; each
must be one).
Then 10 projects on SQLite under `ai-orchestrator serve` alone.

    python bench/scale.py [--workers 1,2,4] [--projects 40] [--phases 4] [--concurrency 4]
                          [--model-latency 2] [--github-latency 0.05] [--sqlite-projects 10]

Its last line is one JSON object: `phases_per_minute`, `speedup`, `claim_p50_ms`,
`claim_p99_ms`, `jobs_per_second`, `peak_rss_mb`, `duplicates`, `sqlite_serve`, `machine`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy import func, text
from sqlmodel import col, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.*

import storage.schema  # noqa: F401  (every table on the metadata)
from storage.db import SessionMaker, make_engine, make_sessionmaker, sync_engine
from storage.jobs import Job, JobStatus
from storage.projects import Project
from storage.types import utcnow
from storage.workflow import Phase
from tests.apphelpers import webhook_headers
from tests.fakegithub import FakeGitHub, standard_world
from tests.fakegithub.openapi import load_spec
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.served import Handler, app_env, asgi, listening_socket, served, url_of

REPO = "octo-org/hello-world"
OPTIONS = ".github/ai-orchestrator.yml"
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE = "ai_orchestrator_scale"
VALIDATOR = "ai-orchestrator/validator"
IDLE_PROBES = 30


@dataclass(frozen=True)
class Plan:
    projects: int
    phases: int
    concurrency: int
    model_latency: float
    github_latency: float


@dataclass
class Run:
    """One configuration's figures."""

    label: str
    seconds: float
    phases_merged: int
    jobs_done: int
    peak_rss_mb: float
    duplicates: int
    claim_ms: list[float]

    @property
    def phases_per_minute(self) -> float:
        return self.phases_merged / self.seconds * 60

    @property
    def jobs_per_second(self) -> float:
        return self.jobs_done / self.seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_postgres() -> str:
    """An empty database for one run, migrated by `ai-orchestrator db upgrade`."""
    admin = sync_engine(ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {DATABASE}"))
    admin.dispose()
    return f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"


def migrate(env: dict[str, str]) -> None:
    subprocess.run(
        ["ai-orchestrator", "db", "upgrade"], env=env, check=True, stdout=subprocess.DEVNULL
    )


def the_world(sock: socket.socket) -> FakeGitHub:
    # Responses unchecked against GitHub's description: the suite checks them; here the fake
    # must not be what limits the rate.
    fake = standard_world(FakeGitHub(load_spec(), api_url=url_of(sock), validate_responses=False))
    fake.enable_ci()
    fake.commit_files(fake.get_repo(REPO), "main", {OPTIONS: "plan_approval: auto\n"}, "Options")
    return fake


def rss_mb(pid: int) -> float:
    """The process's peak resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@asynccontextmanager
async def processes(commands: list[list[str]], env: dict[str, str]) -> AsyncIterator[list[int]]:
    started = [
        subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL) for command in commands
    ]
    try:
        yield [p.pid for p in started]
    finally:
        for process in started:
            process.terminate()
        # Waited for in a thread: the loop goes on serving GitHub and the model while they stop.
        for process in started:
            try:
                await asyncio.to_thread(process.wait, 30)
            except subprocess.TimeoutExpired:
                process.kill()


async def until_up(client: httpx2.AsyncClient) -> None:
    for _ in range(600):
        try:
            await client.get("/health")
            return
        except httpx2.TransportError:
            await asyncio.sleep(0.1)
    raise RuntimeError("the web process did not start")


async def deliver(client: httpx2.AsyncClient, fake: FakeGitHub, event: str, payload: Any) -> None:
    body = json.dumps(payload).encode()
    headers = webhook_headers(event, body, fake.webhook_secret)
    response = await client.post("/webhooks", content=body, headers=headers)
    response.raise_for_status()


async def pump(client: httpx2.AsyncClient, fake: FakeGitHub, stop: asyncio.Event) -> None:
    """Posts the webhooks the fake emits to `web`, as GitHub would."""
    while not stop.is_set():
        events, fake.outbox[:] = list(fake.outbox), []
        for event, payload in events:
            await deliver(client, fake, event, payload)
        await asyncio.sleep(0.02)


async def label_all(client: httpx2.AsyncClient, fake: FakeGitHub, plan: Plan) -> list[int]:
    numbers = []
    for k in range(plan.projects):
        # Distinct issues: the app's cache must not answer one project from another's calls.
        title, body = f"Back office {k}", f"Orders, invoices and payments, part {k}."
        _, opened = fake.person_opens_issue("octocat", title, body)
        numbers.append(int(opened["issue"]["number"]))
    await asyncio.gather(
        *(
            deliver(client, fake, *fake.person_labels_issue("writer", n, "ai-orchestrator"))
            for n in numbers
        )
    )
    return numbers


async def finished(sessions: SessionMaker, projects: int) -> bool:
    async with sessions() as session:
        done = (
            await session.exec(
                select(func.count())
                .select_from(Project)
                .where(col(Project.final_pr_number).is_not(None))
            )
        ).one()
    return int(done) >= projects


async def counts(sessions: SessionMaker) -> tuple[int, int]:
    async with sessions() as session:
        merged = (
            await session.exec(
                select(func.count()).select_from(Phase).where(col(Phase.state) == "merged")
            )
        ).one()
        jobs = (
            await session.exec(
                select(func.count()).select_from(Job).where(col(Job.status) == JobStatus.DONE)
            )
        ).one()
    return int(merged), int(jobs)


async def claim_latencies(
    client: httpx2.AsyncClient, fake: FakeGitHub, sessions: SessionMaker, issue: int
) -> list[float]:
    """On an idle queue: from `web`'s answer to a `/cost` comment to its job leaving `queued`."""
    found: list[float] = []
    for _ in range(IDLE_PROBES):
        await _until_idle(sessions)  # the last probe's reply and its webhook are done
        async with sessions() as session:
            last = (await session.exec(select(func.max(Job.id)))).one() or 0
        await deliver(client, fake, *fake.person_comments("writer", issue, "/cost"))
        answered = time.perf_counter()
        claimed = await _claimed_after(sessions, int(last))
        found.append((claimed - answered) * 1000)
    return found


async def _until_idle(sessions: SessionMaker, quiet: int = 3) -> None:
    """Until no job is running or due for `quiet` looks in a row, 50 ms apart: a queue that
    is idle, not one whose worker is still busy with the previous probe's `/cost` reply (a
    probe every 200 ms measured that instead, with one worker: its claim then waited for the
    project's line of jobs)."""
    seen = 0
    while seen < quiet:
        async with sessions() as session:
            busy = (
                await session.exec(
                    select(func.count())
                    .select_from(Job)
                    .where(
                        (col(Job.status) == JobStatus.RUNNING)
                        | ((col(Job.status) == JobStatus.QUEUED) & (col(Job.run_after) <= utcnow()))
                    )
                )
            ).one()
        seen = seen + 1 if busy == 0 else 0
        await asyncio.sleep(0.05)


async def _claimed_after(sessions: SessionMaker, last: int) -> float:
    while True:
        async with sessions() as session:
            waiting = (
                await session.exec(
                    select(Job.status).where(col(Job.id) > last).order_by(col(Job.id))
                )
            ).first()
        if waiting is not None and waiting != JobStatus.QUEUED:
            return time.perf_counter()
        await asyncio.sleep(0.002)


def duplicates(fake: FakeGitHub, numbers: list[int], phases: int) -> int:
    """Artefacts beyond one where one is due, over every project."""
    repo = fake.get_repo(REPO)
    bot = fake.bot_login
    extra = 0
    heads = Counter(p.head_ref for p in repo.pulls.values() if p.user.login == bot)
    extra += sum(n - 1 for n in heads.values())
    for number in numbers:
        prefix = f"refs/heads/ai-orchestrator/issue-{number}/"
        branches = [r for r in repo.refs if r.startswith(prefix)]
        extra += abs(len(branches) - phases)
        status = [c for c in fake.comments_on(number) if "ai-orchestrator:status:" in c.body]
        extra += abs(len(status) - 1)
    reviews = Counter(
        (r.pull_number, r.commit_id)
        for r in repo.reviews.values()
        if r.user.login == bot and r.body
    )
    runs = Counter(r.head_sha for r in repo.check_runs.values() if r.name == VALIDATOR)
    extra += sum(n - 1 for n in reviews.values()) + sum(n - 1 for n in runs.values())
    return extra


async def run_one(label: str, plan: Plan, commands: list[list[str]], database_url: str) -> Run:
    github_sock, model_sock = listening_socket(), listening_socket()
    fake = the_world(github_sock)
    model = ScriptedModel()
    ScriptedProject(phases=plan.phases).install(model)
    port = free_port()
    env = app_env(
        fake,
        database_url,
        url_of(model_sock),
        HOST="127.0.0.1",
        PORT=str(port),
        WORKER_CONCURRENCY=str(plan.concurrency),
        AUTO_MIGRATE="false",
    )
    migrate(env)
    engine = make_engine(database_url)
    sessions = make_sessionmaker(engine)
    github = asgi(_sync(fake), delay=plan.github_latency)
    scripted = asgi(model.handle, delay=plan.model_latency)
    stop = asyncio.Event()
    async with (
        served(github, github_sock),
        served(scripted, model_sock),
        processes(commands, env) as pids,
        httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client,
    ):
        await until_up(client)
        pumping = asyncio.create_task(pump(client, fake, stop))
        started = time.perf_counter()
        numbers = await label_all(client, fake, plan)
        while not await finished(sessions, plan.projects):
            await asyncio.sleep(0.5)
        seconds = time.perf_counter() - started
        merged, jobs = await counts(sessions)
        latencies = await claim_latencies(client, fake, sessions, numbers[0])
        peak = max(rss_mb(pid) for pid in pids[1:] or pids)
        stop.set()
        await pumping
    await engine.dispose()
    found = duplicates(fake, numbers, plan.phases)
    return Run(label, seconds, merged, jobs, peak, found, latencies)


def _sync(fake: FakeGitHub) -> Handler:
    handler: Handler = fake.transport.handler  # type: ignore[assignment]
    return handler


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def report(run: Run) -> None:
    print(
        f"{run.label:>22}: {run.phases_merged} phases in {run.seconds:6.1f} s = "
        f"{run.phases_per_minute:6.1f}/min, {run.jobs_per_second:5.2f} jobs/s, "
        f"peak RSS {run.peak_rss_mb:5.0f} MB, claim p50 {statistics.median(run.claim_ms):5.1f} ms "
        f"p99 {percentile(run.claim_ms, 0.99):5.1f} ms, duplicates {run.duplicates}",
        flush=True,
    )


async def main(args: argparse.Namespace) -> dict[str, Any]:
    plan = Plan(
        args.projects, args.phases, args.concurrency, args.model_latency, args.github_latency
    )
    runs: dict[int, Run] = {}
    for workers in args.workers:
        commands = [["ai-orchestrator", "web"]] + [["ai-orchestrator", "worker"]] * workers
        run = await run_one(f"PostgreSQL, {workers} worker(s)", plan, commands, fresh_postgres())
        report(run)
        runs[workers] = run
    with tempfile.TemporaryDirectory() as folder:
        lite = dataclasses.replace(plan, projects=args.sqlite_projects)
        url = f"sqlite:///{folder}/scale.db"
        sqlite = await run_one("SQLite, serve alone", lite, [["ai-orchestrator", "serve"]], url)
    report(sqlite)
    one = runs[min(runs)]
    claims = [ms for run in runs.values() for ms in run.claim_ms]
    return {
        "phases_per_minute": {str(w): round(r.phases_per_minute, 1) for w, r in runs.items()},
        "speedup": {
            str(w): round(r.phases_per_minute / one.phases_per_minute, 2)
            for w, r in runs.items()
            if w != min(runs)
        },
        "claim_p50_ms": round(statistics.median(claims), 1),
        "claim_p99_ms": round(percentile(claims, 0.99), 1),
        "jobs_per_second": {str(w): round(r.jobs_per_second, 2) for w, r in runs.items()},
        "peak_rss_mb": round(max(r.peak_rss_mb for r in runs.values()), 1),
        "duplicates": sum(r.duplicates for r in runs.values()) + sqlite.duplicates,
        "sqlite_serve": {
            "projects": args.sqlite_projects,
            "phases_per_minute": round(sqlite.phases_per_minute, 1),
            "claim_p99_ms": round(percentile(sqlite.claim_ms, 0.99), 1),
        },
        "machine": {"cores": os.cpu_count(), "cpu": cpu_model()},
        "plan": {
            "projects": plan.projects,
            "phases": plan.phases,
            "concurrency": plan.concurrency,
            "model_latency_s": plan.model_latency,
            "github_latency_s": plan.github_latency,
        },
    }


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workers", type=lambda v: [int(w) for w in v.split(",")], default=[1, 2, 4]
    )
    parser.add_argument("--projects", type=int, default=40)
    parser.add_argument("--phases", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=4, help="WORKER_CONCURRENCY")
    parser.add_argument("--model-latency", type=float, default=2.0)
    parser.add_argument("--github-latency", type=float, default=0.05)
    parser.add_argument("--sqlite-projects", type=int, default=10)
    return parser.parse_args()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(arguments()))))
