"""One fake GitHub for the whole suite: stateful, behind `httpx2.MockTransport`.

Use the `fake_github` fixture (`tests.fakegithub.fixtures`, imported by `tests/conftest.py`):
octo-org with the App installed, `octo-org/hello-world` (README on `main`), and octocat
(admin), maintainer, writer, triager, reader (their roles) and outsider (no role).

- HTTP: `fake.client()` (an `httpx2.AsyncClient`), `fake.transport`, `fake.api_url`.
- Checking: every request is recorded (`fake.requests`, `fake.calls(method, template)`,
  `fake.requests_to(...)`, `since(fake, mark)`) and checked against GitHub's REST
  description; an unknown route, a bad body or query, a missing X-GitHub-Api-Version raise
  `FakeGitHubViolation` in the transport and stay in `fake.violations` (the fixture fails
  the test on any at teardown).
  The fake's own answers and webhooks are checked against the description too.
- Webhooks the app's own requests cause go to `fake.outbox`; `fake.person_*` helpers (and the
  older one-shot `ci_reports`, `ci_starts`, `ci_sets_status`) act as people (or another App's
  CI) and return the webhooks GitHub would send.
- Simulated CI (`tests.fakegithub.ci`): `fake.enable_ci(...)` gives a repository GitHub Actions
  whose check suites, workflow runs and jobs follow each push, with conclusions, logs and
  annotations a test chooses (`CIResult`, `failing_tests`); `ci_advance`/`ci_finish` drive
  "manual" CI; `require_checks`, `ci_status`, `add_silent_checks_app`, `set_permissions`.
  What GitHub does by itself after a push (suites, CI) reaches `fake.outbox` after the
  request's own webhooks, filtered to what the app under test subscribes to.
- State: `fake.issue(n)`, `fake.comments_on(n)`, `fake.pull(n)`, `fake.file(path, ref)`,
  `fake.files(ref)`, `fake.branch_sha(branch)`, `fake.branch_sha_when_made(commit, branch)`
  (where a branch pointed when the API made that commit); setup: `add_user`, `add_repo`,
  `add_collaborator`, `commit_files`, `install`, `register_manifest_code`, `mint_token`.
- Failures on demand: `fake.inject(method, template, status, json=..., headers=...)`; with
  `applied=True` the write is done and only its answer is lost; `fake.kill_at(method,
  template)` kills the worker (raises `Killed`, a BaseException) once that write is applied
  (or, `applied=False`, just before it); `where=` picks which requests of the route.
  `fake.faults(rate=, replies=, methods=, applied=, seed=)` answers a seeded random share of
  requests with errors, GitHub under load (`tests.fakegithub.faults`).

To add an endpoint: a handler in the `routes_*` module of its resource family, registered
under GitHub's method and path template (or `fake.route(...)` from one test).
"""

from tests.fakegithub.base import FakeGitHubViolation
from tests.fakegithub.ci_logs import failing_tests
from tests.fakegithub.ci_model import Annotation, CIResult
from tests.fakegithub.fake import API_URL, WEB_URL, FakeGitHub, since, standard_world
from tests.fakegithub.model import Event
from tests.fakegithub.transport import Killed, RecordedRequest

__all__ = [
    "API_URL",
    "WEB_URL",
    "Annotation",
    "CIResult",
    "Event",
    "FakeGitHub",
    "FakeGitHubViolation",
    "Killed",
    "RecordedRequest",
    "failing_tests",
    "since",
    "standard_world",
]
