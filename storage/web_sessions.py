"""Signed-in people on the dashboard: one row per session, their GitHub tokens encrypted.

The cookie holds a random session id; this table holds only its SHA-256 (`key`), so the rows
cannot be replayed as cookies. The tokens are ciphertext (Fernet, keyed from SESSION_SECRET by
`bot.web.access.crypto`): neither a database dump nor a log line holds one in plain text.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Text, delete, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import UTCDateTime, utcnow


class WebSession(SQLModel, table=True):
    __tablename__ = "web_sessions"

    key: str = Field(primary_key=True, max_length=64)  # sha256 hex of the cookie's session id
    user_id: int = Field(sa_type=BigInteger, index=True)
    login: str = Field(max_length=255)
    access_token: str = Field(sa_type=Text)  # ciphertext
    access_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    refresh_token: str | None = Field(default=None, sa_type=Text)  # ciphertext
    refresh_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


async def add_session(session: AsyncSession, row: WebSession) -> WebSession:
    session.add(row)
    await session.flush()
    return row


async def find_session(
    session: AsyncSession, key: str, *, now: datetime | None = None
) -> WebSession | None:
    """The session, unless it has expired."""
    row = await session.get(WebSession, key)
    if row is None or row.expires_at <= (now or utcnow()):
        return None
    return row


async def swap_tokens(
    session: AsyncSession,
    *,
    key: str,
    old_access_token: str,
    access_token: str,
    access_expires_at: datetime | None,
    refresh_token: str | None,
    refresh_expires_at: datetime | None,
) -> bool:
    """Stores refreshed tokens unless another request refreshed them first (compare and set
    on the old ciphertext: a refresh token works once); True when these were stored."""
    statement = (
        update(WebSession)
        .where(col(WebSession.key) == key, col(WebSession.access_token) == old_access_token)
        .values(
            access_token=access_token,
            access_expires_at=access_expires_at,
            refresh_token=refresh_token,
            refresh_expires_at=refresh_expires_at,
        )
    )
    result = await session.exec(statement)
    return bool(result.rowcount)


async def end_session(session: AsyncSession, key: str) -> None:
    await session.exec(delete(WebSession).where(col(WebSession.key) == key))


async def sessions_of(session: AsyncSession, *, user_id: int) -> list[WebSession]:
    statement = select(WebSession).where(WebSession.user_id == user_id)
    return list((await session.exec(statement)).all())
