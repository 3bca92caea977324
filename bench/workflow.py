"""What the micro-phase workflow costs in GitHub requests, time and memory (a benchmark, not a
test).

Runs scripted projects of 3, 6, 12 and 24 phases through the real app (webhooks in, worker,
workflow, agents and call path) on the fake GitHub, in-process, on a temporary SQLite
database, with plan approval `auto` and GitHub Actions CI that passes at once. Each phase's REST
calls are those its jobs make (code, pull request, review, check run, reading CI, merge,
status edits); the app's time leaves out the time spent inside the fake GitHub and the scripted
model. A 3-phase project whose phases write 12 files instead of 3 shows the calls per phase do
not grow with the files.

The CI scenario: every phase's first head fails CI (a failing test, its annotation and log),
the developer's fix passes. It reports the REST and model calls per phase with one CI round,
and the app's own time from reading the red build to the fix commit (the `phase_ci_fix` job,
fake GitHub and model time left out).

    python bench/workflow.py          # last line: one JSON object with the headline figures
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.*

import storage.schema  # noqa: F401  (every table on the metadata)
from agents.runtime import AgentRuntime, build_runtime
from agents.schemas import Edit, FileContent, PhaseFiles, Revision
from bot.deps import secret_values
from bot.settings import Settings
from storage.db import SessionMaker
from storage.jobs import Job
from tests.appfixtures import settings_for
from tests.apphelpers import RunningApp, running_app
from tests.database import create_schema
from tests.fakegithub import CIResult, FakeGitHub, failing_tests, standard_world
from tests.fakegithub.openapi import load_spec
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.model import RecordedRequest
from tests.scriptedmodel.project import ScriptedProject
from tests.scriptedmodel.runtime import FakeClock, agent_settings

SIZES = (3, 6, 12, 24)
OPTIONS = "plan_approval: auto\nmax_phases: 30\n"


# The providers' rate limits would make the run wait like a real one; the benchmark measures
# the app, so they are out of the way.
UNLIMITED: dict[str, Any] = {
    f"{provider}_requests_per_{unit}": 1_000_000
    for provider in ("openai", "anthropic")
    for unit in ("minute", "hour")
}


def agents_on(client: httpx2.AsyncClient) -> Callable[[Settings, SessionMaker], AgentRuntime]:
    def factory(settings: Settings, sessions: SessionMaker) -> AgentRuntime:
        return build_runtime(
            agent_settings(**UNLIMITED),
            sessions,
            http_client=client,
            secrets=secret_values(settings),
            clock=FakeClock(),
        )

    return factory


class Stopwatch:
    """Time spent inside wrapped callables (the fake GitHub, the scripted model)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def wrap(self, fn: Callable[[httpx2.Request], httpx2.Response]) -> Any:
        def timed(request: httpx2.Request) -> httpx2.Response:
            started = time.perf_counter()
            try:
                return fn(request)
            finally:
                self.seconds += time.perf_counter() - started

        return timed


class WideProject(ScriptedProject):
    """Phases writing `files` files each (the models module copied), for the files check."""

    files: int = 3

    def phase_files(self, k: int) -> PhaseFiles:
        made = super().phase_files(k)
        extra = [
            FileContent(path=f"app/feature{k}/extra_{i}.py", content=made.files[0].content)
            for i in range(self.files - len(made.files))
        ]
        return PhaseFiles(summary=made.summary, files=[*made.files, *extra])


FIXED = "# fixed by the CI round"


def first_line(k: int) -> str:
    return f'"""Feature {k}: the service layer over Record{k}."""'


def red_until_fixed(files: Any, job: str, attempt: int) -> CIResult:
    """Each phase's CI fails until the fix is on its branch (the phase whose service module
    the head changes is the one under test)."""
    services = [path for path in files if path.endswith("/service.py")]
    newest = max(services, key=lambda path: int(path.split("feature")[1].split("/")[0]))
    if FIXED in files[newest]:
        return CIResult()
    return failing_tests(
        (f"tests/test_{newest.split('/')[1]}.py", 12, "test_total", "assert 3 == 4")
    )


def fix_answer(request: RecordedRequest) -> Revision:
    k = request.phase or 1
    line = first_line(k)
    edit = Edit(path=f"app/feature{k}/service.py", search=line, replace=f"{line}\n{FIXED}")
    return Revision(summary="Sum the totals in order.", edits=[edit], new_files=[], replies=[])


@dataclass
class Run:
    phases: int
    total_calls: int = 0
    calls_by_phase: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    app_seconds: float = 0.0
    model_calls_by_phase: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    fix_app_seconds: list[float] = field(default_factory=list)

    @property
    def per_phase(self) -> float:
        return sum(self.calls_by_phase.values()) / self.phases

    @property
    def max_per_phase(self) -> int:
        return max(self.calls_by_phase.values())


async def _drive(
    app: RunningApp, fake: FakeGitHub, run: Run, clocks: tuple[Stopwatch, Stopwatch]
) -> None:
    """Runs job by job, charging each job's requests to its phase, and timing the fixes."""
    worker = app.worker()
    for _ in range(100_000):
        before = len(fake.requests)
        outside = sum(clock.seconds for clock in clocks)
        started = time.perf_counter()
        job: Job | None = await worker.run_once()
        if job is not None and job.kind == "phase_ci_fix":
            inside = sum(clock.seconds for clock in clocks) - outside
            run.fix_app_seconds.append(time.perf_counter() - started - inside)
        events, fake.outbox[:] = list(fake.outbox), []
        await app.deliver_all(events)
        if job is None and not events:
            return
        phase = job.args.get("phase") if job is not None else None
        if phase is not None:
            run.calls_by_phase[int(phase)] += len(fake.requests) - before


async def run_project(project: ScriptedProject, directory: Path, *, red: bool = False) -> Run:
    fake = standard_world(FakeGitHub(load_spec()), ci=True)
    config = fake.get_repo("octo-org/hello-world").ci
    assert config is not None and config.config is not None
    if red:
        config.config.conclude = red_until_fixed
    github_time, model_time = Stopwatch(), Stopwatch()
    fake.transport = httpx2.MockTransport(github_time.wrap(fake._dispatch.handle))
    model = ScriptedModel()
    project.install(model)
    model.script("developer.fix_ci", fix_answer)
    url = f"sqlite+aiosqlite:///{directory / f'bench-{project.phases}-{id(project)}.db'}"
    create_schema(url)
    settings = settings_for(fake, url, directory / ".env")
    fake.commit_files(
        fake.get_repo("octo-org/hello-world"),
        "main",
        {".github/ai-orchestrator.yml": OPTIONS},
        "Options",
    )
    run = Run(project.phases)
    model_client = httpx2.AsyncClient(transport=httpx2.MockTransport(model_time.wrap(model.handle)))
    agents = agents_on(model_client)
    started = time.perf_counter()
    async with (
        model_client,
        fake.client() as http,
        running_app(settings, http, agent_factory=agents) as app,
    ):
        _, opened = fake.person_opens_issue("octocat", "Orders back office", "Orders, invoices.")
        number = int(opened["issue"]["number"])
        await app.deliver(*fake.person_labels_issue("writer", number, "ai-orchestrator"))
        await _drive(app, fake, run, (github_time, model_time))
    elapsed = time.perf_counter() - started
    run.total_calls = len(fake.requests)
    run.app_seconds = elapsed - github_time.seconds - model_time.seconds
    assert not fake.violations, fake.violations
    for request in model.requests:
        if request.phase is not None:
            run.model_calls_by_phase[request.phase] += 1
    return run


def main() -> None:
    results: dict[int, Run] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            results[size] = asyncio.run(run_project(ScriptedProject(phases=size), Path(tmp)))
        wide = WideProject(phases=3)
        wide.files = 12
        wide_run = asyncio.run(run_project(wide, Path(tmp)))
        red = asyncio.run(run_project(ScriptedProject(phases=6), Path(tmp), red=True))
    print(
        f"{'phases':>6} {'REST total':>10} {'per phase':>9} {'max phase':>9} {'app ms/phase':>12}"
    )
    for size, run in results.items():
        ms = run.app_seconds * 1000 / size
        calls = f"{run.total_calls:>10} {run.per_phase:>9.2f} {run.max_per_phase:>9}"
        print(f"{size:>6} {calls} {ms:>12.1f}")
    print(
        f"3 phases of 12 files each: {wide_run.per_phase:.2f} REST calls per phase "
        f"(3 files each: {results[3].per_phase:.2f})"
    )
    green = results[6]
    fix_ms = sorted(seconds * 1000 for seconds in red.fix_app_seconds)
    print(
        f"CI scenario, 6 phases, each red once: {red.per_phase:.2f} REST calls per phase "
        f"(all green: {green.per_phase:.2f}), "
        f"{sum(red.model_calls_by_phase.values()) / 6:.2f} model calls per phase "
        f"(all green: {sum(green.model_calls_by_phase.values()) / 6:.2f}), "
        f"CI failure to fix commit {fix_ms[len(fix_ms) // 2]:.0f} ms of the app's time (median)"
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.1f} MB")
    app_ms = sum(r.app_seconds for r in results.values()) * 1000 / sum(SIZES)
    print(
        json.dumps(
            {
                "rest_calls_per_phase": {str(s): round(r.per_phase, 2) for s, r in results.items()},
                "max_rest_calls_per_phase": max(r.max_per_phase for r in results.values()),
                "rest_calls_total": {str(s): r.total_calls for s, r in results.items()},
                "rest_calls_per_phase_12_files": round(wide_run.per_phase, 2),
                "app_ms_per_phase": round(app_ms, 1),
                "ci_round_rest_calls_per_phase": round(red.per_phase, 2),
                "ci_round_model_calls_per_phase": round(
                    sum(red.model_calls_by_phase.values()) / 6, 2
                ),
                "green_model_calls_per_phase": round(
                    sum(green.model_calls_by_phase.values()) / 6, 2
                ),
                "ci_failure_to_fix_commit_app_ms": round(fix_ms[len(fix_ms) // 2], 1),
                "peak_rss_mb": round(peak_mb, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
