"""The README's examples, from a real run: a labelled issue becomes a plan, `/approve`, three
phase pull requests and the final one, on the fake GitHub (whose simulated GitHub Actions CI
passes every phase) with the scripted model: the same app, workflow, agents and call path as
in production, with no network and no model key.

    python scripts/readme_examples.py      # prints the status comment, then phase 1's PR

The status comment is printed as the Markdown the app sent to GitHub, hidden marker included;
the pull request as its page shows it: title, branches, files, checks, body and review.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.*

import storage.schema  # noqa: F401  (every table on the metadata)
from tests.appfixtures import scripted_agents, settings_for
from tests.apphelpers import running_app
from tests.database import create_schema
from tests.fakegithub import FakeGitHub, standard_world
from tests.fakegithub.model import CheckRun, PullRequest, Repo
from tests.fakegithub.openapi import load_spec
from tests.scriptedmodel import ScriptedModel
from tests.scriptedmodel.project import ScriptedProject
from tests.scriptedmodel.runtime import FakeClock
from tests.workflow_helpers import REPO, app_pulls, comment, start_project, status_comments

TITLE = "Back office for orders"
BODY = "Orders, invoices and payments for the shop's staff."


async def run(directory: Path) -> tuple[str, str]:
    """Runs one three-phase project; returns its status comment and phase 1's PR as text."""
    fake = standard_world(FakeGitHub(load_spec()))
    fake.enable_ci()  # GitHub Actions runs the repository's tests on every phase, and passes
    model = ScriptedModel()
    ScriptedProject(phases=3).install(model)
    url = f"sqlite+aiosqlite:///{directory / 'examples.db'}"
    create_schema(url)
    settings = settings_for(fake, url, directory / ".env")
    model_http = httpx2.AsyncClient(transport=httpx2.MockTransport(model.handle))
    agents = scripted_agents(model_http, FakeClock())
    async with (
        model_http,
        fake.client() as http,
        running_app(settings, http, agent_factory=agents) as app,
    ):
        number = await start_project(app, fake, title=TITLE, body=BODY)
        await comment(app, fake, "writer", number, "/approve")
    assert not fake.violations, fake.violations
    [status] = status_comments(fake, number)
    return status.body, pull_text(fake, app_pulls(fake)[0])


def pull_text(fake: FakeGitHub, pull: PullRequest) -> str:
    """The pull request as its page shows it: title, branches, files, checks, body, review."""
    repo = fake.get_repo(REPO)
    [parent] = repo.git.commits[pull.head_sha].parents
    before, after = fake.files(parent), fake.files(pull.head_sha)
    changed = [path for path in after if before.get(path) != after[path]]
    checks = [f"{run.name} {run.conclusion}" for run in checks_on(repo, pull.head_sha)]
    lines = [
        f"{pull.title} (#{pull.number}, opened by {pull.user.login})",
        f"{pull.head_ref} → {pull.base_ref}, one commit, {'merged' if pull.merged else 'open'}",
        "Files: " + ", ".join(changed),
        "Checks: " + ", ".join(checks),
        "",
        pull.body or "",
    ]
    for review in (r for r in repo.reviews.values() if r.pull_number == pull.number):
        lines += ["", f"Review by {review.user.login} ({review.state}):", "", review.body]
    return "\n".join(lines)


def checks_on(repo: Repo, sha: str) -> list[CheckRun]:
    return sorted((r for r in repo.check_runs.values() if r.head_sha == sha), key=lambda r: r.name)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        status, pull = asyncio.run(run(Path(tmp)))
    print("=== status comment ===", status, "=== phase 1 pull request ===", pull, sep="\n\n")


if __name__ == "__main__":
    main()
