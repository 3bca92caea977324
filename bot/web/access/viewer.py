"""The person behind a request: who they are on GitHub, never their token."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Source(StrEnum):
    SESSION = "dashboard"  # signed in with the session cookie
    API = "api"  # a bearer token on /api/v1


@dataclass(frozen=True)
class Viewer:
    login: str
    user_id: int
    admin: bool = False  # the login is in DASHBOARD_ADMINS: operator pages
    source: Source = Source.SESSION
    # The server-side session's key (a hash, not the cookie), to find the token again; the
    # token itself is never held here, so no repr or log line can carry it.
    session_key: str | None = field(default=None, repr=False, compare=False)

    @property
    def where(self) -> str:
        """The audit row's location for this viewer's actions."""
        return self.source.value
