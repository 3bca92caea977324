"""Tests setting up and driving the simulated CI (GitHub Actions), checks and permissions.

- `enable_ci(repo, conclude=..., jobs=("test",), mode="instant"|"manual", late=False,
  on=("pull_request",), ...)`: GitHub Actions runs the repository's workflow on each new head
  of a pull request's branch (and on every push with `on` including "push"); it commits the
  workflow file to the default branch first (a run needs the file at its head).
  `conclude(files, job, attempt)` answers a `CIResult` or a conclusion string; it is asked
  when a job's attempt is queued (set `conclude` on the returned `CIConfig` to change later
  answers). Actions' check runs have the job's id; `ci_runs()` lists the workflow runs.
- "instant" CI completes during the push; "manual" CI waits `queued` until `ci_advance`
  (one step: queued → in_progress → completed) or `ci_finish`. With `late`, nothing shows
  at the push: the first `ci_advance` makes the queued suite (CI appearing seconds later).
- `simulate_checks(repo)`: only the check suites GitHub queues on a push for every App with
  the checks permission (the app under test's own included); `add_silent_checks_app(repo)`:
  an App whose queued suite appears on every push and never gets a run.
- `require_checks(repo, "main", ["test"])`: a ruleset; `GET …/rules/branches/{b}` lists it
  and merging waits for those checks to pass.
- `ci_status(sha, context, state)`: CI reporting a commit status.
- `set_permissions(actions=None, workflows="write")`: what the installation is granted.

Unlike `person_*` helpers, CI's webhooks are not returned: like those the app's own requests
cause, they go to `outbox` in the order GitHub sends them (`settle` delivers them), filtered
to what the app under test subscribes to and may receive.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from tests.fakegithub.ci_apps import actions_app, deliver
from tests.fakegithub.ci_model import (
    CIConfig,
    Conclude,
    Mode,
    RepoCI,
    Ruleset,
    WorkflowRun,
    always_passes,
)
from tests.fakegithub.ci_runs import advance, finish
from tests.fakegithub.keys import session_key
from tests.fakegithub.model import App, Installation, Repo, Status
from tests.fakegithub.routes_app import create_app
from tests.fakegithub.routes_checks import set_status
from tests.fakegithub.webhooks_ci import status_event
from tests.fakegithub.world import WorldMixin

DEFAULT_REPO = "octo-org/hello-world"
WORKFLOW_YAML = """name: {name}
on: [{on}]
jobs:
{jobs}"""
JOB_YAML = """  {job}:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pytest -q
"""
CI_USER = "external-ci[bot]"


class CIMixin(WorldMixin):
    def _named(self, repo: str | Repo) -> Repo:
        return repo if isinstance(repo, Repo) else self.get_repo(repo)

    @property
    def actions(self) -> App:
        """The GitHub Actions App (id 15368, slug `github-actions`)."""
        return actions_app(self)

    def simulate_checks(self, repo: str | Repo = DEFAULT_REPO) -> RepoCI:
        """GitHub reacts to pushes here: queued check suites for Apps with checks permission."""
        found = self._named(repo)
        if found.ci is None:
            found.ci = RepoCI()
        return found.ci

    def enable_ci(
        self,
        repo: str | Repo = DEFAULT_REPO,
        *,
        conclude: Conclude = always_passes,
        jobs: Sequence[str] = ("test",),
        mode: Mode = "instant",
        late: bool = False,
        on: Collection[str] = ("pull_request",),
        workflow_path: str = ".github/workflows/ci.yml",
        workflow_name: str = "CI",
        commit_workflow: bool = True,
    ) -> CIConfig:
        """GitHub Actions CI on the repository (see the module docstring)."""
        found = self._named(repo)
        if mode not in ("instant", "manual") or not set(on) <= {"push", "pull_request"}:
            raise ValueError(f"mode {mode!r} or on {on!r} is not one the fake simulates")
        present = self.file(workflow_path, found.default_branch, found.full_name) is not None
        if commit_workflow and not present:
            text = WORKFLOW_YAML.format(
                name=workflow_name,
                on=", ".join(sorted(on)),
                jobs="".join(JOB_YAML.format(job=job) for job in jobs),
            )
            self.commit_files(found, found.default_branch, {workflow_path: text}, "Add CI")
        config = CIConfig(
            conclude=conclude,
            jobs=tuple(jobs),
            workflow_path=workflow_path,
            workflow_name=workflow_name,
            workflow_id=self.state.next_id(),
            mode=mode,
            late=late,
            on=frozenset(on),
            created_at=self.now(),
        )
        actions_app(self)
        self.simulate_checks(found).config = config
        return config

    def ci_runs(self, repo: str | Repo = DEFAULT_REPO) -> list[WorkflowRun]:
        """Every workflow run so far, oldest first (those not shown yet included)."""
        ci = self._named(repo).ci
        return sorted(ci.runs.values(), key=lambda r: r.id) if ci else []

    def ci_advance(self, repo: str | Repo = DEFAULT_REPO) -> None:
        """Manual CI: every unfinished run takes one step; its webhooks go to `outbox`."""
        found = self._named(repo)
        for run in self.ci_runs(found):
            if run.stage != "completed":
                advance(self, found, run)

    def ci_finish(self, repo: str | Repo = DEFAULT_REPO) -> None:
        """Manual CI: every run completes (its webhooks, in order, to `outbox`)."""
        found = self._named(repo)
        for run in self.ci_runs(found):
            finish(self, found, run)

    def add_silent_checks_app(self, repo: str | Repo = DEFAULT_REPO, name: str = "Lint Bot") -> App:
        """An App with the checks permission installed on the repository that never runs:
        GitHub still queues a suite of it on every push, which stays queued for good."""
        found = self._named(repo)
        app = create_app(self, name=name, owner=found.owner, keys=session_key("app"))
        app.permissions = {"checks": "write", "metadata": "read"}
        app.events = ["check_suite"]
        self.install(app, found.owner.login, repositories=[found.name])
        self.simulate_checks(found)
        return app

    def require_checks(
        self,
        repo: str | Repo,
        branch_pattern: str,
        contexts: Sequence[str | tuple[str, int | None]],
        *,
        name: str = "CI must pass",
    ) -> Ruleset:
        """A ruleset requiring those checks (context, or (context, integration_id)) on the
        branches matching `branch_pattern` (fnmatch, or "~DEFAULT_BRANCH")."""
        found = self._named(repo)
        checks = tuple((c, None) if isinstance(c, str) else (c[0], c[1]) for c in contexts)
        ruleset = Ruleset(self.state.next_id(), name, branch_pattern, checks)
        found.rulesets.append(ruleset)
        return ruleset

    def ci_status(
        self,
        sha: str,
        context: str,
        state: str,
        *,
        description: str | None = None,
        target_url: str | None = None,
        repo: str | Repo = DEFAULT_REPO,
    ) -> Status:
        """CI (a bot user) sets a commit status; the `status` webhook goes to `outbox`."""
        found = self._named(repo)
        creator = self.state.user(CI_USER) or self.add_user(CI_USER, type="Bot")
        fields: dict[str, Any] = {"state": state, "context": context}
        fields |= {"description": description, "target_url": target_url}
        status = set_status(self, found, sha, fields, creator)
        deliver(self, found, status_event(self, found, status, creator))
        self.flush()
        return status

    def set_permissions(
        self, installation: Installation | None = None, **levels: str | None
    ) -> dict[str, str]:
        """Changes what the installation (the app under test's by default) is granted: a
        level ("read", "write") or None to take the permission away. Tokens already minted
        follow at once (the fake checks the installation's permissions on every request)."""
        target = installation or self.installation
        granted = dict(
            target.permissions
            if target.permissions is not None
            else self.state.apps[target.app_id].permissions
        )
        for name, level in levels.items():
            if level is None:
                granted.pop(name, None)
            else:
                granted[name] = level
        target.permissions = granted
        return dict(granted)
