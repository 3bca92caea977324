"""Tests acting as people (and as another App's CI) on the fake GitHub.

Each helper changes GitHub's state the way the person's click would and returns the webhook
GitHub would then send the app (checked against GitHub's description), for the test to
deliver. They do not go to `outbox`, which holds only what the app's own requests caused.
Helpers that make one event return it; those that can make several return a list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.fakegithub.keys import session_key
from tests.fakegithub.model import App, Event, Repo
from tests.fakegithub.pullmath import mergeability
from tests.fakegithub.pullstate import merge_pull, push_branch, set_state
from tests.fakegithub.routes_app import create_app
from tests.fakegithub.routes_checks import create_run, set_status, update_run
from tests.fakegithub.routes_issues import add_comment, add_labels, edit_comment, open_issue
from tests.fakegithub.routes_pulls import open_pull
from tests.fakegithub.routes_reviews import reply_to, single_comment, submit_review
from tests.fakegithub.webhooks_ci import status_event
from tests.fakegithub.world import WorldMixin

DEFAULT_REPO = "octo-org/hello-world"


class PeopleMixin(WorldMixin):
    def _repo(self, name: str) -> Repo:
        repo = self.state.repos.get(name.lower())
        if repo is None:
            raise KeyError(f"the fake GitHub has no repository {name!r}")
        return repo

    def _all(self, events: list[Event]) -> list[Event]:
        return [self.checked(*event) for event in events]

    # ---- issues and comments -------------------------------------------------------------

    def person_opens_issue(
        self,
        login: str,
        title: str,
        body: str = "",
        *,
        labels: list[str] | None = None,
        repo: str = DEFAULT_REPO,
    ) -> Event:
        """`issues.opened` (with any labels already on it)."""
        _, event = open_issue(
            self, self._repo(repo), title=title, body=body, user=self.user(login), labels=labels
        )
        return self.checked(*event)

    def person_labels_issue(
        self, login: str, number: int, label: str, *, repo: str = DEFAULT_REPO
    ) -> Event:
        """`issues.labeled` (the label is created if the repository lacks it)."""
        found = self._repo(repo)
        events = add_labels(self, found, found.issues[number], [label], self.user(login))
        if not events:
            raise ValueError(f"#{number} already has the label {label!r}: GitHub sends nothing")
        return self.checked(*events[0])

    def person_comments(
        self, login: str, number: int, body: str, *, repo: str = DEFAULT_REPO
    ) -> Event:
        """`issue_comment.created`, on an issue or a pull request's conversation."""
        found = self._repo(repo)
        _, event = add_comment(self, found, found.issues[number], body, self.user(login))
        return self.checked(*event)

    def person_edits_comment(
        self, login: str, comment_id: int, body: str, *, repo: str = DEFAULT_REPO
    ) -> Event:
        """`issue_comment.edited`, with `changes.body.from`."""
        found = self._repo(repo)
        return self.checked(
            *edit_comment(self, found, found.comments[comment_id], body, self.user(login))
        )

    # ---- pull requests -------------------------------------------------------------------

    def person_pushes(
        self,
        login: str,
        branch: str,
        files: Mapping[str, str | None],
        message: str = "Update",
        *,
        repo: str = DEFAULT_REPO,
    ) -> list[Event]:
        """One commit on the branch; `pull_request.synchronize` for its open pull requests.

        (GitHub also sends `push`; the app does not subscribe to it.)
        """
        found = self._repo(repo)
        user = self.user(login)
        sha = self.new_commit(found, branch, files, message, author=user)
        return self._all(push_branch(self, found, branch, sha, user))

    def person_opens_pull(
        self,
        login: str,
        head: str,
        base: str,
        title: str,
        body: str = "",
        *,
        repo: str = DEFAULT_REPO,
    ) -> Event:
        """`pull_request.opened` (the head branch must exist: `person_pushes` first)."""
        _, event = open_pull(
            self,
            self._repo(repo),
            title=title,
            head=head,
            base=base,
            body=body,
            user=self.user(login),
        )
        return self.checked(*event)

    def person_reviews(
        self,
        login: str,
        number: int,
        event: str,
        body: str = "",
        *,
        comments: list[dict[str, Any]] | None = None,
        repo: str = DEFAULT_REPO,
    ) -> list[Event]:
        """`pull_request_review.submitted`, then `pull_request_review_comment.created` for each
        inline comment (`{"path", "line", "body"}`, `side` RIGHT by default).

        `event` is APPROVE, REQUEST_CHANGES or COMMENT.
        """
        found = self._repo(repo)
        _, events = submit_review(
            self,
            found,
            found.pulls[number],
            user=self.user(login),
            event=event,
            body=body,
            comments=comments or [],
        )
        return self._all(events)

    def person_comments_on_line(
        self,
        login: str,
        number: int,
        path: str,
        line: int,
        body: str,
        *,
        side: str = "RIGHT",
        repo: str = DEFAULT_REPO,
    ) -> list[Event]:
        """A single review comment: `pull_request_review_comment.created`, then the
        `pull_request_review.submitted` of the one-comment review GitHub wraps it in."""
        found = self._repo(repo)
        given = {"path": path, "line": line, "side": side, "body": body}
        _, events = single_comment(self, found, found.pulls[number], given, self.user(login))
        return self._all(events)

    def person_replies(
        self, login: str, number: int, comment_id: int, body: str, *, repo: str = DEFAULT_REPO
    ) -> list[Event]:
        """A reply in a review thread (same events as `person_comments_on_line`)."""
        found = self._repo(repo)
        pull = found.pulls[number]
        _, events = reply_to(
            self, found, pull, found.review_comments[comment_id], body, self.user(login)
        )
        return self._all(events)

    def person_merges(
        self, login: str, number: int, *, method: str = "merge", repo: str = DEFAULT_REPO
    ) -> Event:
        """`pull_request.closed` with `merged: true` (the person clicked Merge)."""
        found = self._repo(repo)
        pull = found.pulls[number]
        if pull.state != "open" or not mergeability(found, pull)[0]:
            raise ValueError(f"#{number} cannot be merged (state {pull.state})")
        _, events = merge_pull(
            self,
            found,
            pull,
            method=method,
            title=f"Merge pull request #{number}",
            message=pull.title,
            by=self.user(login),
        )
        self._all(events[1:])  # synchronize of PRs based on the merged head, checked only
        return self.checked(*events[0])

    def person_closes_pull(self, login: str, number: int, *, repo: str = DEFAULT_REPO) -> Event:
        """`pull_request.closed` with `merged: false`."""
        found = self._repo(repo)
        return self.checked(
            *set_state(self, found, found.pulls[number], "closed", self.user(login))
        )

    # ---- another App's CI ----------------------------------------------------------------

    def ci_app(self) -> App:
        """A second App ("CI") whose check runs the app sees, as GitHub shows every app's."""
        for app in self.state.apps.values():
            if app.slug == "ci":
                return app
        owner = self.user(next(iter(self.state.users.values())).login)
        return create_app(self, name="CI", owner=owner, keys=session_key("app"))

    def ci_reports(
        self, head_sha: str, conclusion: str, *, name: str = "ci/test", repo: str = DEFAULT_REPO
    ) -> list[Event]:
        """CI runs a check on a commit: `check_run.created`, then `check_run.completed`."""
        found = self._repo(repo)
        ci = self.ci_app()
        run, events = create_run(self, found, ci, {"name": name, "head_sha": head_sha}, ci.bot)
        events += update_run(self, found, run, {"conclusion": conclusion}, ci.bot)
        return self._all(events)

    def ci_starts(self, head_sha: str, *, name: str = "ci/test", repo: str = DEFAULT_REPO) -> Event:
        """CI starts a check on a commit and has not finished: `check_run.created`, in progress."""
        found = self._repo(repo)
        ci = self.ci_app()
        fields = {"name": name, "head_sha": head_sha, "status": "in_progress"}
        _, events = create_run(self, found, ci, fields, ci.bot)
        return self.checked(*events[0])

    def ci_sets_status(
        self, sha: str, state: str, *, context: str = "ci/status", repo: str = DEFAULT_REPO
    ) -> Event:
        """A commit status from CI: the `status` event."""
        found = self._repo(repo)
        ci = self.ci_app()
        status = set_status(self, found, sha, {"state": state, "context": context}, ci.bot)
        return self.checked(*status_event(self, found, status, ci.bot))
