"""`installation` and `installation_repositories` keep the installations table current."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from storage.installations import Installation
from tests.apphelpers import RunningApp


def example(shared_dir: Path, event: str, action: str) -> dict[str, Any]:
    payloads = json.loads((shared_dir / "github" / "webhooks" / f"{event}.json").read_text())
    return copy.deepcopy(next(p for p in payloads if p.get("action") == action))


async def installation(app: RunningApp, installation_id: int) -> Installation | None:
    async with app.runtime.sessions() as session:
        return await session.get(Installation, installation_id)


async def test_created_suspended_unsuspended_deleted(app: RunningApp, shared_dir: Path) -> None:
    created = example(shared_dir, "installation", "created")
    installation_id = created["installation"]["id"]
    await app.deliver("installation", created)
    await app.drain()
    row = await installation(app, installation_id)
    assert row is not None and row.active
    assert row.account == created["installation"]["account"]["login"]
    assert row.repositories == sorted(r["full_name"] for r in created["repositories"])

    for action, active in (("suspend", False), ("unsuspend", True), ("deleted", False)):
        payload = example(shared_dir, "installation", action)
        payload["installation"]["id"] = installation_id
        await app.deliver("installation", payload)
        await app.drain()
        row = await installation(app, installation_id)
        assert row is not None and row.active is active, action
    assert row is not None and row.deleted_at is not None


async def test_repositories_added_and_removed(app: RunningApp, shared_dir: Path) -> None:
    created = example(shared_dir, "installation", "created")
    installation_id = created["installation"]["id"]
    created["repositories"] = [{"id": 1, "name": "a", "full_name": "o/a", "private": False}]
    await app.deliver("installation", created)
    added = example(shared_dir, "installation_repositories", "added")
    added["installation"] = created["installation"]
    added["repositories_added"] = [{"id": 2, "name": "b", "full_name": "o/b", "private": False}]
    removed = copy.deepcopy(added)
    removed["action"] = "removed"
    removed["repositories_added"] = []
    removed["repositories_removed"] = [{"id": 1, "name": "a", "full_name": "o/a", "private": False}]
    await app.deliver("installation_repositories", added)
    await app.drain()
    row = await installation(app, installation_id)
    assert row is not None and row.repositories == ["o/a", "o/b"]
    await app.deliver("installation_repositories", removed)
    await app.drain()
    row = await installation(app, installation_id)
    assert row is not None and row.repositories == ["o/b"]
