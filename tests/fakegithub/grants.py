"""What an installation token may do: the permissions GitHub checks beyond "can see the repo".

An installation's permissions are the App's unless a test narrowed them
(`fake.set_permissions`); a token asked for with `permissions` is narrowed further. The fake
checks only what the CI issue needs: `actions` for workflow runs, jobs and logs (read) and
re-runs (write), and `workflows` for any push that creates or changes a file under
`.github/workflows/`: GitHub refuses that to an App without it, whatever else it may do.
"""

from __future__ import annotations

from collections.abc import Mapping

from tests.fakegithub.base import FakeBase
from tests.fakegithub.gitstore import Entry
from tests.fakegithub.model import Installation, Repo
from tests.fakegithub.router import ApiError, Call

LEVELS = {"read": 1, "write": 2, "admin": 3}
NOT_ACCESSIBLE = "Resource not accessible by integration"
NOT_GRANTED = "The permissions requested are not granted to this installation."
WORKFLOWS_DIR = ".github/workflows/"


def installation_permissions(fake: FakeBase, installation: Installation) -> dict[str, str]:
    if installation.permissions is not None:
        return dict(installation.permissions)
    return dict(fake.state.apps[installation.app_id].permissions)


def asked_within(granted: Mapping[str, str], asked: Mapping[str, str]) -> dict[str, str]:
    """What a token asked for within what the installation has (422 when it asks for more)."""
    for name, level in asked.items():
        if LEVELS.get(granted.get(name, ""), 0) < LEVELS.get(level, 99):
            raise ApiError(422, NOT_GRANTED)
    return dict(asked)


def effective(call: Call) -> dict[str, str]:
    """The token's permissions now: the installation's, narrowed by what the token asked for."""
    if call.installation is None:
        return {}
    granted = installation_permissions(call.fake, call.installation)
    asked = call.token.permissions if call.token else None
    if asked is None:
        return granted
    return {
        name: level
        for name, level in asked.items()
        if LEVELS.get(granted.get(name, ""), 0) >= LEVELS[level]
    }


def allows(permissions: Mapping[str, str], name: str, level: str = "read") -> bool:
    return LEVELS.get(permissions.get(name, ""), 0) >= LEVELS[level]


def require(call: Call, name: str, level: str = "read") -> None:
    """403 as GitHub answers an installation token without the permission."""
    if not allows(effective(call), name, level):
        raise ApiError(403, NOT_ACCESSIBLE)


def workflow_refusal(path: str) -> str:
    return (
        f"refusing to allow a GitHub App to create or update workflow `{path}` "
        "without `workflows` permission"
    )


def changed_workflow(repo: Repo, sha: str) -> str | None:
    """The first workflow file a push of `sha` would create or change: commits the repository
    does not have yet (reachable from no ref), each against its first parent."""
    known: set[str] = set()
    for tip in repo.refs.values():
        known.update(repo.git.ancestors(tip))
    for commit_sha in repo.git.ancestors(sha):
        if commit_sha in known:
            continue
        commit = repo.git.commits[commit_sha]
        parent = commit.parents[0] if commit.parents else None
        found = _workflow_change(repo, parent, commit_sha)
        if found is not None:
            return found
    return None


def _workflow_change(repo: Repo, before: str | None, after: str) -> str | None:
    def workflows(sha: str | None) -> dict[str, Entry]:
        if sha is None:
            return {}
        flat = repo.git.flatten(repo.git.commits[sha].tree)
        return {path: entry for path, entry in flat.items() if path.startswith(WORKFLOWS_DIR)}

    old, new = workflows(before), workflows(after)
    return next((p for p in sorted(old.keys() | new.keys()) if old.get(p) != new.get(p)), None)


def guard_workflows(call: Call, repo: Repo, sha: str, *, status: int = 422) -> None:
    """Refuses a push by an App without `workflows: write` that touches a workflow file.

    GitHub's message for it is the one above; the status is 422 for the Git refs API (an
    unverified choice: reports found show only `git push` and the merge API, where bors and
    Kodiak saw 403), 403 for merges.
    """
    if allows(effective(call), "workflows", "write"):
        return
    path = changed_workflow(repo, sha)
    if path is not None:
        raise ApiError(status, workflow_refusal(path))


def guard_workflow_diff(
    call: Call, repo: Repo, before: str | None, after: str, *, status: int
) -> None:
    """The same refusal for a change GitHub makes on the App's behalf (merge, update-branch)."""
    if allows(effective(call), "workflows", "write"):
        return
    path = _workflow_change(repo, before, after)
    if path is not None:
        raise ApiError(status, workflow_refusal(path))
