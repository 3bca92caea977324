"""Pull requests: open, list, read (JSON or diff), edit, files, commits, merge, update-branch."""

from __future__ import annotations

from tests.fakegithub.base import FakeBase
from tests.fakegithub.ci_push import pull_opened
from tests.fakegithub.grants import guard_workflow_diff
from tests.fakegithub.model import Event, Issue, PullRequest, Repo, User
from tests.fakegithub.pullmath import (
    MERGE_METHODS,
    base_commit,
    mergeability,
    pull_changes,
    pull_commits,
)
from tests.fakegithub.pullstate import merge_pull, push_branch, set_state
from tests.fakegithub.router import ApiError, Call, Reply, Routes, invalid, not_found, paginate
from tests.fakegithub.shapes_git import commit_json, file_change_json, unified_diff
from tests.fakegithub.shapes_pulls import pull_json
from tests.fakegithub.suites import missing_checks
from tests.fakegithub.webhooks import pull_request_event

routes = Routes()
DIFF_MEDIAS = ("application/vnd.github.diff", "application/vnd.github.v3.diff")
NOT_MERGEABLE = "Pull Request is not mergeable"
HEAD_MODIFIED = "Head branch was modified. Review and try the merge again."


def open_pull(
    fake: FakeBase,
    repo: Repo,
    *,
    title: str,
    head: str,
    base: str,
    body: str | None,
    user: User,
    draft: bool = False,
) -> tuple[PullRequest, Event]:
    """Opens a pull request after GitHub's checks (422s as GitHub words them)."""
    head_ref = head.split(":", 1)[1] if ":" in head else head
    base_sha, head_sha = repo.branch_sha(base), repo.branch_sha(head_ref)
    if base_sha is None:
        raise invalid("PullRequest", "base")
    if head_sha is None:
        raise invalid("PullRequest", "head")
    if head_sha in repo.git.ancestors(base_sha):
        raise invalid(
            "PullRequest", "", "custom", message=f"No commits between {base} and {head_ref}"
        )
    for other in repo.pulls.values():
        if other.state == "open" and (other.head_ref, other.base_ref) == (head_ref, base):
            message = f"A pull request already exists for {repo.owner.login}:{head_ref}."
            raise invalid("PullRequest", "", "custom", message=message)
    now = fake.now()
    number = next(repo.numbers)
    repo.issues[number] = Issue(
        id=fake.state.next_id(),
        number=number,
        title=title,
        body=body,
        user=user,
        created_at=now,
        updated_at=now,
        is_pull=True,
    )
    pull = PullRequest(
        id=fake.state.next_id(),
        number=number,
        title=title,
        body=body,
        user=user,
        head_ref=head_ref,
        head_sha=head_sha,
        base_ref=base,
        created_at=now,
        updated_at=now,
        draft=draft,
    )
    repo.pulls[number] = pull
    pull_opened(fake, repo, pull, user)  # CI `on: pull_request`; its webhooks come after
    return pull, pull_request_event(fake, repo, pull, "opened", user)


def get_pull(call: Call, repo: Repo) -> PullRequest:
    pull = repo.pulls.get(call.number("pull_number"))
    if pull is None:
        raise not_found()
    return pull


def check_mergeable(repo: Repo, pull: PullRequest, sha: str | None) -> None:
    """405 when it cannot merge, 409 when `sha` is no longer the head: GitHub's guards."""
    if pull.state != "open":
        raise ApiError(405, NOT_MERGEABLE)
    if sha is not None and sha != pull.head_sha:
        raise ApiError(409, HEAD_MODIFIED)
    if not mergeability(repo, pull)[0]:
        raise ApiError(405, NOT_MERGEABLE)
    missing = missing_checks(repo, pull.base_ref, pull.head_sha)
    if missing:
        expected = "".join(f'Required status check "{c}" is expected.\n\n' for c in missing)
        raise ApiError(405, f"Repository rule violations found\n\n{expected}")


@routes.get("/repos/{owner}/{repo}/pulls")
def list_pulls(call: Call) -> Reply:
    repo = call.repo()
    state = call.query.get("state", "open")
    head = call.query.get("head")
    base = call.query.get("base")
    found = [
        pull
        for pull in sorted(repo.pulls.values(), key=lambda p: p.number, reverse=True)
        if state in ("all", pull.state)
        and (head is None or head == f"{repo.owner.login}:{pull.head_ref}")
        and (base is None or base == pull.base_ref)
    ]
    return paginate(call, [pull_json(call.fake.urls, repo, p, full=False) for p in found])


@routes.post("/repos/{owner}/{repo}/pulls")
def create_pull(call: Call) -> Reply:
    repo = call.repo()
    pull, event = open_pull(
        call.fake,
        repo,
        title=str(call.field("title", "")),
        head=str(call.field("head")),
        base=str(call.field("base")),
        body=call.field("body"),
        user=call.actor,
        draft=bool(call.field("draft", False)),
    )
    call.fake.emit(event)
    return Reply(201, pull_json(call.fake.urls, repo, pull))


@routes.get("/repos/{owner}/{repo}/pulls/{pull_number}")
def get_pull_route(call: Call) -> Reply:
    repo = call.repo()
    pull = get_pull(call, repo)
    if call.headers.get("accept", "").startswith(DIFF_MEDIAS):
        return Reply(200, text=unified_diff(pull_changes(repo, pull)))
    return Reply(200, pull_json(call.fake.urls, repo, pull))


@routes.patch("/repos/{owner}/{repo}/pulls/{pull_number}")
def update_pull(call: Call) -> Reply:
    repo = call.repo()
    pull = get_pull(call, repo)
    issue = repo.issues[pull.number]
    changes = {}
    for name in ("title", "body"):
        value = call.field(name)
        if value is not None and value != getattr(pull, name):
            changes[name] = {"from": getattr(pull, name)}
            setattr(pull, name, value)
            setattr(issue, name, value)
    base = call.field("base")
    if base is not None and base != pull.base_ref:
        if repo.branch_sha(base) is None:
            raise invalid("PullRequest", "base")
        changes["base"] = {
            "ref": {"from": pull.base_ref},
            "sha": {"from": repo.branch_sha(pull.base_ref)},
        }
        pull.base_ref = base
    if changes:
        pull.updated_at = call.fake.now()
        event = pull_request_event(call.fake, repo, pull, "edited", call.actor)
        event[1]["changes"] = changes
        call.fake.emit(call.fake.checked(*event))
    state = call.field("state")
    if state in ("open", "closed") and state != pull.state and not pull.merged:
        call.fake.emit(set_state(call.fake, repo, pull, state, call.actor))
    return Reply(200, pull_json(call.fake.urls, repo, pull))


@routes.get("/repos/{owner}/{repo}/pulls/{pull_number}/files")
def list_files(call: Call) -> Reply:
    repo = call.repo()
    pull = get_pull(call, repo)
    changes = pull_changes(repo, pull)
    return paginate(
        call, [file_change_json(call.fake.urls, repo, c, pull.head_sha) for c in changes]
    )


@routes.get("/repos/{owner}/{repo}/pulls/{pull_number}/commits")
def list_commits(call: Call) -> Reply:
    repo = call.repo()
    pull = get_pull(call, repo)
    commits = [repo.git.commits[sha] for sha in pull_commits(repo, pull)]
    return paginate(call, [commit_json(call.fake.urls, repo, c) for c in commits])


@routes.get("/repos/{owner}/{repo}/pulls/{pull_number}/merge")
def is_merged(call: Call) -> Reply:
    repo = call.repo()
    if not get_pull(call, repo).merged:
        raise not_found()
    return Reply(204)


@routes.put("/repos/{owner}/{repo}/pulls/{pull_number}/merge")
def merge_route(call: Call) -> Reply:
    repo = call.repo()
    pull = get_pull(call, repo)
    check_mergeable(repo, pull, call.field("sha"))
    guard_workflow_diff(call, repo, base_commit(repo, pull), pull.head_sha, status=403)
    method = str(call.field("merge_method", "merge"))
    if method not in MERGE_METHODS:
        raise invalid("PullRequest", "merge_method")
    title = (
        call.field("commit_title")
        or f"Merge pull request #{pull.number} from {repo.owner.login}/{pull.head_ref}"
    )
    sha, events = merge_pull(
        call.fake,
        repo,
        pull,
        method=method,
        title=title,
        message=str(call.field("commit_message") or pull.title),
        by=call.actor,
    )
    for event in events:
        call.fake.emit(event)
    return Reply(200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"})


@routes.put("/repos/{owner}/{repo}/pulls/{pull_number}/update-branch")
def update_branch(call: Call) -> Reply:
    repo = call.repo()
    pull = get_pull(call, repo)
    expected = call.field("expected_head_sha")
    if expected is not None and expected != pull.head_sha:
        raise ApiError(422, "expected head sha didn't match current head ref.")
    base_sha = repo.branch_sha(pull.base_ref)
    if base_sha is None or pull.state != "open":
        raise ApiError(422, "Pull request is not open")
    if base_sha not in repo.git.ancestors(pull.head_sha):
        files = repo.git.merge_trees(
            repo.git.merge_base(base_sha, pull.head_sha), pull.head_sha, base_sha
        )
        if files is None:
            raise ApiError(422, "merge conflict between base and head")
        commit = repo.git.put_commit(
            tree=repo.git.build(files),
            parents=(pull.head_sha, base_sha),
            message=f"Merge branch '{pull.base_ref}' into {pull.head_ref}",
            author=call.fake.signature(call.actor),
            committer=call.fake.signature(call.actor),
            verified=True,
        )
        guard_workflow_diff(call, repo, pull.head_sha, commit.sha, status=422)
        for event in push_branch(call.fake, repo, pull.head_ref, commit.sha, call.actor):
            call.fake.emit(event)
    url = f"{call.fake.urls.web}/{repo.full_name}/pull/{pull.number}"
    return Reply(202, {"message": "Updating pull request branch.", "url": url})
