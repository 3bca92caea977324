"""Installations of the App and the repositories each may act on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.types import JSONType, UTCDateTime, utcnow
from storage.upsert import upsert


class Installation(SQLModel, table=True):
    __tablename__ = "installations"

    id: int = Field(primary_key=True)
    account: str = Field(max_length=255)
    account_type: str = Field(default="Organization", max_length=32)
    repository_selection: str = Field(default="all", max_length=16)
    repositories: list[str] = Field(default_factory=list, sa_type=JSONType)
    suspended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def active(self) -> bool:
        return self.suspended_at is None and self.deleted_at is None


def _repo_names(repositories: list[dict[str, Any]] | None) -> list[str]:
    return sorted(str(repo["full_name"]) for repo in repositories or [] if "full_name" in repo)


async def upsert_installation(
    session: AsyncSession, payload: dict[str, Any], *, now: datetime | None = None
) -> Installation:
    """Creates or refreshes an installation from an `installation` webhook payload, in one
    statement (concurrent deliveries of one installation must not race), and returns the row,
    locked on PostgreSQL until the transaction ends."""
    values = _installation_values(payload, now or utcnow())
    changed = [name for name in values if name not in ("id", "created_at")]
    await upsert(session, Installation, values, conflict=["id"], update=changed)
    installation = await session.get(Installation, values["id"], populate_existing=True)
    assert installation is not None  # written just above, in this transaction
    return installation


def _installation_values(payload: dict[str, Any], now: datetime) -> dict[str, Any]:
    data = payload["installation"]
    values: dict[str, Any] = {
        "id": data["id"],
        "account": data["account"]["login"],
        "account_type": data["account"].get("type", "Organization"),
        "repository_selection": data.get("repository_selection", "all"),
        "deleted_at": None,
        "created_at": now,
        "updated_at": now,
    }
    if "repositories" in payload:  # otherwise the list stored is kept
        values["repositories"] = _repo_names(payload["repositories"])
    return values


async def set_installation_state(
    session: AsyncSession,
    installation_id: int,
    *,
    suspended: bool | None = None,
    deleted: bool | None = None,
    now: datetime | None = None,
) -> Installation | None:
    installation = await session.get(Installation, installation_id)
    if installation is None:
        return None
    moment = now or utcnow()
    if suspended is not None:
        installation.suspended_at = moment if suspended else None
    if deleted is not None:
        installation.deleted_at = moment if deleted else None
    installation.updated_at = moment
    session.add(installation)
    return installation


async def change_repositories(
    session: AsyncSession,
    payload: dict[str, Any],
    *,
    now: datetime | None = None,
) -> Installation:
    """Applies an `installation_repositories` added/removed payload."""
    installation = await upsert_installation(session, {"installation": payload["installation"]})
    names = set(installation.repositories)
    names |= set(_repo_names(payload.get("repositories_added")))
    names -= set(_repo_names(payload.get("repositories_removed")))
    installation.repositories = sorted(names)
    installation.repository_selection = payload.get(
        "repository_selection", installation.repository_selection
    )
    installation.updated_at = now or utcnow()
    return installation
