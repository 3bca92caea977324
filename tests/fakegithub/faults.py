"""GitHub under load, seeded: a share of requests answered with an error instead.

`fake.faults(rate=0.3, replies=SERVER_ERRORS, methods=WRITES, applied=True, seed=7)` makes
each request of those methods (that `where=` holds for), with probability `rate`, answer one of
`replies` instead of the handler's answer; with `applied`, the handler runs first, so GitHub
did the write and only its answer is lost (what GitHub does under load: 500 or 502 after the
write went through). `fake.faults(rate=0.2, replies=(*SERVER_ERRORS, secondary_limit(3)))`
answers a fifth of all requests 500, 502 or a secondary-limit 403 with `retry-after: 3`,
applying nothing.

One seeded generator draws both whether a request fails and how, so a run that sends the same
requests in the same order meets the same faults. `faults.hits` lists what was answered so
(method, template, status); `faults.active = False` ends the outage. `fake.inject` comes first:
a request it answers is not also drawn for.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.fakegithub.router import DOCS, Call, Reply

WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
EVERY_METHOD = frozenset({"GET", "HEAD", *WRITES})
SERVER_ERROR = Reply(500, {"message": "Server Error"})
BAD_GATEWAY = Reply(502, {"message": "Bad Gateway"})
SERVER_ERRORS = (SERVER_ERROR, BAD_GATEWAY)
SECONDARY_LIMIT = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


def secondary_limit(retry_after: int) -> Reply:
    """GitHub's secondary-rate-limit refusal, asking to wait `retry_after` seconds."""
    body = {"message": SECONDARY_LIMIT, "documentation_url": DOCS}
    return Reply(403, body, {"retry-after": str(retry_after)})


@dataclass
class Faults:
    rate: float
    replies: tuple[Reply, ...]
    methods: frozenset[str]
    applied: bool
    rng: random.Random
    where: Callable[[Call], bool] | None = None
    active: bool = True
    hits: list[tuple[str, str, int]] = field(default_factory=list)

    def draw(self, call: Call) -> Reply | None:
        """The error this request answers instead, or None: it goes through."""
        if not self.active or call.method not in self.methods:
            return None
        if self.where is not None and not self.where(call):
            return None
        if self.rng.random() >= self.rate:
            return None
        reply = self.rng.choice(self.replies)
        self.hits.append((call.method, call.template, reply.status))
        return Reply(reply.status, reply.body, dict(reply.headers))
