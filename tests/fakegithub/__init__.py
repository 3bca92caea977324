"""One fake GitHub for the whole suite: stateful, behind `httpx2.MockTransport`.

Use the `fake_github` fixture (`tests.fakegithub.fixtures`). Every request is recorded
(`fake.requests`, `fake.calls(method, template)`) and checked against GitHub's REST description;
anything GitHub would refuse as malformed fails the test. Webhooks the app's own requests cause
land in `fake.outbox`; `fake.person_*` helpers act as people and return the webhooks GitHub
would send. To add an endpoint: a handler in the `routes_*` module of its resource family,
registered under GitHub's path template.
"""

from tests.fakegithub.base import FakeGitHubViolation
from tests.fakegithub.fake import API_URL, WEB_URL, FakeGitHub, standard_world
from tests.fakegithub.model import Event
from tests.fakegithub.transport import RecordedRequest

__all__ = [
    "API_URL",
    "WEB_URL",
    "Event",
    "FakeGitHub",
    "FakeGitHubViolation",
    "RecordedRequest",
    "standard_world",
]
