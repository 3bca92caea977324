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
- Webhooks the app's own requests cause go to `fake.outbox`; `fake.person_*` and `fake.ci_*`
  helpers act as people (or CI) and return the webhooks GitHub would send.
- State: `fake.issue(n)`, `fake.comments_on(n)`, `fake.pull(n)`, `fake.file(path, ref)`,
  `fake.files(ref)`, `fake.branch_sha(branch)`, `fake.branch_sha_when_made(commit, branch)`
  (where a branch pointed when the API made that commit); setup: `add_user`, `add_repo`,
  `add_collaborator`, `commit_files`, `install`, `register_manifest_code`, `mint_token`.
- Failures on demand: `fake.inject(method, template, status, json=..., headers=...)`.

To add an endpoint: a handler in the `routes_*` module of its resource family, registered
under GitHub's method and path template (or `fake.route(...)` from one test).
"""

from tests.fakegithub.base import FakeGitHubViolation
from tests.fakegithub.fake import API_URL, WEB_URL, FakeGitHub, since, standard_world
from tests.fakegithub.model import Event
from tests.fakegithub.transport import RecordedRequest

__all__ = [
    "API_URL",
    "WEB_URL",
    "Event",
    "FakeGitHub",
    "FakeGitHubViolation",
    "RecordedRequest",
    "since",
    "standard_world",
]
