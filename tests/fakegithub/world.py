"""Setting the fake's world up, and reading it back, from tests.

`add_*` create users, Apps, installations, repositories; `commit_files` writes a branch the way
a `git push` would; the read helpers (`issue`, `comments_on`, `file`, ...) let tests assert on
GitHub's state instead of on the requests that changed it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from tests.fakegithub.base import FakeBase
from tests.fakegithub.gitstore import Entry
from tests.fakegithub.keys import KeyPair
from tests.fakegithub.model import (
    App,
    Installation,
    Issue,
    IssueComment,
    ManifestCode,
    PullRequest,
    Repo,
    User,
)
from tests.fakegithub.pullstate import push_branch
from tests.fakegithub.routes_app import create_app, mint_token


class WorldMixin(FakeBase):
    # ---- building ------------------------------------------------------------------------

    def add_user(self, login: str, *, type: str = "User") -> User:
        user = User(login=login, id=self.state.next_id(), type=type)
        self.state.users[login.lower()] = user
        return user

    def add_app(self, name: str, *, owner: str, keys: KeyPair) -> App:
        return create_app(self, name=name, owner=self.user(owner), keys=keys)

    def install(
        self, app: App, account: str, *, repositories: list[str] | None = None
    ) -> Installation:
        """Installs the App on an account: on all its repositories, or the ones named."""
        installation = Installation(
            id=self.state.next_id(),
            app_id=app.id,
            account=self.user(account),
            created_at=self.now(),
            repository_selection="all" if repositories is None else "selected",
        )
        for name in repositories or []:
            installation.repository_ids.add(self.get_repo(f"{account}/{name}").id)
        self.state.installations[installation.id] = installation
        return installation

    def add_repo(
        self,
        full_name: str,
        *,
        private: bool = False,
        default_branch: str = "main",
        files: dict[str, str] | None = None,
    ) -> Repo:
        owner, name = full_name.split("/")
        repo = Repo(
            id=self.state.next_id(),
            owner=self.user(owner),
            name=name,
            created_at=self.now(),
            private=private,
            default_branch=default_branch,
        )
        self.state.repos[full_name.lower()] = repo
        self.commit_files(
            repo, default_branch, files or {"README.md": f"# {name}\n"}, "Initial commit"
        )
        return repo

    def add_collaborator(self, repo: Repo, login: str, role: str) -> None:
        """Gives a user a role: admin, maintain, write, triage or read."""
        if self.state.user(login) is None:
            self.add_user(login)
        repo.collaborators[login] = role

    def commit_files(
        self,
        repo: Repo,
        branch: str,
        files: Mapping[str, str | None],
        message: str,
        *,
        author: User | None = None,
        start_from: str | None = None,
    ) -> str:
        """One commit on `branch` changing `files` (None deletes); the branch is made if new.

        A new branch starts from `start_from` (a branch name) or the default branch. Like a
        test's setup, it sends no `synchronize` (`person_pushes` does); GitHub's own reaction
        to the push (check suites, CI) happens when the repository simulates it.
        """
        sha = self.new_commit(repo, branch, files, message, author=author, start_from=start_from)
        push_branch(self, repo, branch, sha, author or repo.owner, sync=False)
        return sha

    def new_commit(
        self,
        repo: Repo,
        branch: str,
        files: Mapping[str, str | None],
        message: str,
        *,
        author: User | None = None,
        start_from: str | None = None,
    ) -> str:
        """The commit `commit_files` makes, without moving the branch."""
        parent = repo.branch_sha(branch) or repo.branch_sha(start_from or repo.default_branch)
        flat = repo.git.flatten(repo.git.commits[parent].tree) if parent else {}
        for path, content in files.items():
            if content is None:
                flat.pop(path, None)
            else:
                flat[path] = Entry("100644", "blob", repo.git.put_blob(content.encode()))
        person = self.signature(author or repo.owner)
        commit = repo.git.put_commit(
            tree=repo.git.build(flat),
            parents=(parent,) if parent else (),
            message=message,
            author=person,
            committer=person,
            verified=False,
        )
        return commit.sha

    def register_manifest_code(
        self,
        code: str | None = None,
        *,
        manifest: dict[str, Any] | None = None,
        owner: str = "octocat",
    ) -> str:
        """A code GitHub's manifest flow would hand the redirect; convertible once, for an hour."""
        code = code or secrets.token_hex(10)
        self.state.manifest_codes[code] = ManifestCode(
            code, manifest or {}, owner, self.now() + timedelta(hours=1)
        )
        return code

    def mint_token(self, installation_id: int) -> str:
        """An installation token, for tests that call the fake directly."""
        return mint_token(self, self.state.installations[installation_id]).token

    # ---- reading -------------------------------------------------------------------------

    def get_repo(self, full_name: str) -> Repo:
        repo = self.state.repos.get(full_name.lower())
        if repo is None:
            raise KeyError(f"the fake GitHub has no repository {full_name!r}")
        return repo

    def issue(self, number: int, repo: str = "octo-org/hello-world") -> Issue:
        return self.get_repo(repo).issues[number]

    def comments_on(self, number: int, repo: str = "octo-org/hello-world") -> list[IssueComment]:
        found = self.get_repo(repo).comments.values()
        return sorted((c for c in found if c.issue_number == number), key=lambda c: c.id)

    def pull(self, number: int, repo: str = "octo-org/hello-world") -> PullRequest:
        return self.get_repo(repo).pulls[number]

    def branch_sha(self, branch: str, repo: str = "octo-org/hello-world") -> str | None:
        return self.get_repo(repo).branch_sha(branch)

    def branch_sha_when_made(
        self, commit: str, branch: str, repo: str = "octo-org/hello-world"
    ) -> str | None:
        """Where `branch` pointed when the Git Database API made `commit` (None: no branch)."""
        return self.get_repo(repo).refs_when_made[commit].get(f"refs/heads/{branch}")

    def file(self, path: str, ref: str = "main", repo: str = "octo-org/hello-world") -> str | None:
        """A file's text on a branch (or at a commit sha), None when absent."""
        found = self.get_repo(repo)
        sha = found.branch_sha(ref) or (ref if ref in found.git.commits else None)
        if sha is None:
            raise KeyError(f"no branch or commit {ref!r} in {repo}")
        content = found.git.file_at(sha, path)
        return content.decode() if content is not None else None

    def files(self, ref: str = "main", repo: str = "octo-org/hello-world") -> dict[str, str]:
        """Every file on a branch, path -> text."""
        found = self.get_repo(repo)
        sha = found.branch_sha(ref) or ref
        flat = found.git.flatten(found.git.commits[sha].tree)
        return {path: found.git.blobs[entry.sha].decode() for path, entry in sorted(flat.items())}

    # ---- the primary App, installation and repository ----------------------------

    def set_primary(self, app: App, installation: Installation, repo: Repo) -> None:
        self._primary = (app, installation, repo)

    def _primary_parts(self) -> tuple[App, Installation, Repo]:
        if self._primary is None:
            raise RuntimeError("no primary App; build the world with standard_world()")
        return self._primary

    @property
    def app(self) -> App:
        return self._primary_parts()[0]

    @property
    def app_id(self) -> int:
        return self.app.id

    @property
    def private_key_pem(self) -> str:
        return self.app.keys.private_pem

    @property
    def webhook_secret(self) -> str:
        return self.app.webhook_secret

    @property
    def bot(self) -> User:
        return self.app.bot

    @property
    def bot_login(self) -> str:
        return self.app.bot.login

    @property
    def installation(self) -> Installation:
        return self._primary_parts()[1]

    @property
    def installation_id(self) -> int:
        return self.installation.id

    @property
    def repo(self) -> Repo:
        return self._primary_parts()[2]
