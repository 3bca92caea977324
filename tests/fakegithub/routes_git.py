"""The Git Database API (blobs, trees, commits, refs), file contents and comparisons."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from tests.fakegithub.gitstore import BLOB_MODES, TREE_MODE, Entry, Person
from tests.fakegithub.grants import guard_workflows
from tests.fakegithub.model import Repo
from tests.fakegithub.pullstate import branch_deleted, push_branch
from tests.fakegithub.router import ApiError, Call, Reply, Routes, not_found
from tests.fakegithub.shapes_git import (
    blob_json,
    commit_json,
    content_json,
    directory_json,
    file_change_json,
    git_commit_json,
    ref_json,
    tree_json,
)

routes = Routes()


def resolve(repo: Repo, ref: str) -> str | None:
    """A commit sha for a branch name, `heads/x`, `refs/heads/x`, or a (short) commit sha."""
    for candidate in (ref, f"refs/{ref}", f"refs/heads/{ref}"):
        if candidate in repo.refs:
            return repo.refs[candidate]
    if len(ref) >= 7:
        found = [sha for sha in repo.git.commits if sha.startswith(ref)]
        if len(found) == 1:
            return found[0]
    return None


def commit_of(call: Call, repo: Repo) -> str:
    """The commit the path's `{ref}` names, or GitHub's 422 for a ref it cannot find."""
    sha = resolve(repo, call.params["ref"])
    if sha is None:
        raise ApiError(422, f"No commit found for SHA: {call.params['ref']}")
    return sha


def _unprocessable(message: str) -> ApiError:
    return ApiError(422, message)


# ---- blobs and trees ------------------------------------------------------------------------


@routes.post("/repos/{owner}/{repo}/git/blobs")
def create_blob(call: Call) -> Reply:
    repo = call.repo()
    content = str(call.field("content"))
    if call.field("encoding", "utf-8") == "base64":
        try:
            data = base64.b64decode(content, validate=False)
        except binascii.Error:
            raise _unprocessable("content is not valid Base64") from None
    else:
        data = content.encode()
    sha = repo.git.put_blob(data)
    return Reply(
        201, {"sha": sha, "url": f"{call.fake.urls.api}/repos/{repo.full_name}/git/blobs/{sha}"}
    )


@routes.get("/repos/{owner}/{repo}/git/blobs/{file_sha}")
def get_blob(call: Call) -> Reply:
    repo = call.repo()
    if call.params["file_sha"] not in repo.git.blobs:
        raise not_found()
    return Reply(200, blob_json(call.fake.urls, repo, call.params["file_sha"]))


@routes.post("/repos/{owner}/{repo}/git/trees")
def create_tree(call: Call) -> Reply:
    repo = call.repo()
    base = call.field("base_tree")
    if base is not None and base not in repo.git.trees:
        raise _unprocessable(f"Invalid tree info: base_tree {base} does not exist")
    # Without base_tree only the listed entries exist; with it, they change the base.
    flat = repo.git.flatten(base) if base else {}
    for item in call.field("tree", []):
        _apply_tree_item(repo, flat, item)
    sha = repo.git.build(flat)
    return Reply(201, tree_json(call.fake.urls, repo, sha))


def _apply_tree_item(repo: Repo, flat: dict[str, Entry], item: dict[str, Any]) -> None:
    path = str(item.get("path", ""))
    if not path or path.startswith("/") or any(p in ("", ".", "..") for p in path.split("/")):
        raise _unprocessable(f"tree.path contains a malformed path component: {path!r}")
    if "content" in item and item.get("sha") is not None:
        raise _unprocessable("Must supply either tree.sha or tree.content, not both")
    kind, mode = item.get("type", "blob"), item.get("mode", "100644")
    _drop(flat, path)  # whatever was at the path (file or directory) is replaced or deleted
    if "content" in item:
        if kind != "blob" or mode not in BLOB_MODES:
            raise _unprocessable(f"tree.content requires a blob mode, not {mode!r}")
        flat[path] = Entry(mode, "blob", repo.git.put_blob(str(item["content"]).encode()))
    elif item.get("sha") is None:
        return  # sha: null deletes the path
    elif kind == "tree" and mode == TREE_MODE:
        if item["sha"] not in repo.git.trees:
            raise _unprocessable(f"tree.sha {item['sha']} is not a valid tree")
        for sub, entry in repo.git.flatten(item["sha"]).items():
            flat[f"{path}/{sub}"] = entry
    elif kind == "blob" and item["sha"] in repo.git.blobs:
        flat[path] = Entry(mode, "blob", item["sha"])
    else:
        raise _unprocessable(f"tree.sha {item['sha']} is not a valid {kind}")


def _drop(flat: dict[str, Entry], path: str) -> None:
    for existing in [p for p in flat if p == path or p.startswith(path + "/")]:
        del flat[existing]


@routes.get("/repos/{owner}/{repo}/git/trees/{tree_sha}")
def get_tree(call: Call) -> Reply:
    repo = call.repo()
    sha = call.params["tree_sha"]
    if sha not in repo.git.trees:
        commit = resolve(repo, sha)
        if commit is None:
            raise not_found()
        sha = repo.git.commits[commit].tree
    recursive = call.query.get("recursive") not in (None, "", "0", "false")
    return Reply(200, tree_json(call.fake.urls, repo, sha, recursive=recursive))


# ---- commits --------------------------------------------------------------------------------


@routes.post("/repos/{owner}/{repo}/git/commits")
def create_commit(call: Call) -> Reply:
    repo = call.repo()
    tree = str(call.field("tree"))
    if tree not in repo.git.trees:
        raise _unprocessable("Tree SHA does not exist")
    parents = tuple(str(p) for p in call.field("parents", []))
    if any(parent not in repo.git.commits for parent in parents):
        raise _unprocessable("Parent SHA does not exist or is not a commit object")
    default = call.fake.signature(call.actor)
    author = _person(call.field("author"), default)
    committer = _person(call.field("committer"), author)
    # GitHub signs commits the App makes with no custom author, committer or signature.
    verified = not any(call.field(name) for name in ("author", "committer", "signature"))
    commit = repo.git.put_commit(
        tree=tree,
        parents=parents,
        message=str(call.field("message")),
        author=author,
        committer=committer,
        verified=verified,
    )
    repo.refs_when_made.setdefault(commit.sha, dict(repo.refs))
    return Reply(201, git_commit_json(call.fake.urls, repo, commit))


def _person(given: dict[str, Any] | None, default: Person) -> Person:
    if not given:
        return default
    return Person(given.get("name", default.name), given.get("email", default.email), default.date)


@routes.get("/repos/{owner}/{repo}/git/commits/{commit_sha}")
def get_git_commit(call: Call) -> Reply:
    repo = call.repo()
    commit = repo.git.commits.get(call.params["commit_sha"])
    if commit is None:
        raise not_found()
    return Reply(200, git_commit_json(call.fake.urls, repo, commit))


@routes.get("/repos/{owner}/{repo}/commits/{ref}")
def get_commit(call: Call) -> Reply:
    repo = call.repo()
    return Reply(200, commit_json(call.fake.urls, repo, repo.git.commits[commit_of(call, repo)]))


# ---- refs -----------------------------------------------------------------------------------


@routes.get("/repos/{owner}/{repo}/git/ref/{ref}")
def get_ref(call: Call) -> Reply:
    repo = call.repo()
    full = f"refs/{call.params['ref']}"
    if full not in repo.refs:
        raise not_found()
    return Reply(200, ref_json(call.fake.urls, repo, full))


@routes.get("/repos/{owner}/{repo}/git/matching-refs/{ref}")
def matching_refs(call: Call) -> Reply:
    repo = call.repo()
    prefix = f"refs/{call.params['ref']}"
    found = sorted(ref for ref in repo.refs if ref.startswith(prefix))
    return Reply(200, [ref_json(call.fake.urls, repo, ref) for ref in found])


@routes.post("/repos/{owner}/{repo}/git/refs")
def create_ref(call: Call) -> Reply:
    repo = call.repo()
    ref, sha = str(call.field("ref")), str(call.field("sha"))
    if not ref.startswith("refs/") or ref.count("/") < 2:
        raise _unprocessable("Reference name must start with 'refs/' and have at least two slashes")
    if ref in repo.refs:
        raise _unprocessable("Reference already exists")
    if sha not in repo.git.commits:
        raise _unprocessable("Object does not exist")
    guard_workflows(call, repo, sha)
    _move(call, repo, ref, sha)
    return Reply(201, ref_json(call.fake.urls, repo, ref))


def _move(call: Call, repo: Repo, ref: str, sha: str) -> None:
    """A push through the API: a branch's pushes go through `push_branch` (PRs, CI)."""
    if not ref.startswith("refs/heads/"):
        repo.refs[ref] = sha
        return
    for event in push_branch(call.fake, repo, ref.removeprefix("refs/heads/"), sha, call.actor):
        call.fake.emit(event)


@routes.patch("/repos/{owner}/{repo}/git/refs/{ref}")
def update_ref(call: Call) -> Reply:
    repo = call.repo()
    full = f"refs/{call.params['ref']}"
    sha = str(call.field("sha"))
    if full not in repo.refs:
        raise _unprocessable("Reference does not exist")
    if sha not in repo.git.commits:
        raise _unprocessable("Object does not exist")
    if not call.field("force", False) and repo.refs[full] not in repo.git.ancestors(sha):
        raise _unprocessable("Update is not a fast forward")
    guard_workflows(call, repo, sha)
    _move(call, repo, full, sha)
    return Reply(200, ref_json(call.fake.urls, repo, full))


@routes.delete("/repos/{owner}/{repo}/git/refs/{ref}")
def delete_ref(call: Call) -> Reply:
    repo = call.repo()
    full = f"refs/{call.params['ref']}"
    if full not in repo.refs:
        raise _unprocessable("Reference does not exist")
    del repo.refs[full]
    if full.startswith("refs/heads/"):
        for event in branch_deleted(call.fake, repo, full.removeprefix("refs/heads/"), call.actor):
            call.fake.emit(event)
    return Reply(204)


# ---- contents and comparisons ---------------------------------------------------------------


@routes.get("/repos/{owner}/{repo}/contents/{path}")
def get_contents(call: Call) -> Reply:
    repo = call.repo()
    ref = call.query.get("ref", repo.default_branch)
    sha = resolve(repo, ref)
    if sha is None:
        raise ApiError(404, f"No commit found for the ref {ref}")
    path = call.params["path"].strip("/")
    flat = repo.git.flatten(repo.git.commits[sha].tree)
    if path in flat:
        return Reply(200, content_json(call.fake.urls, repo, path, flat[path], ref))
    listing = directory_json(call.fake.urls, repo, path, flat, ref)
    if not listing:
        raise not_found()
    return Reply(200, listing)


@routes.get("/repos/{owner}/{repo}/compare/{basehead}")
def compare(call: Call) -> Reply:
    repo = call.repo()
    base_name, sep, head_name = call.params["basehead"].partition("...")
    base, head = resolve(repo, base_name), resolve(repo, head_name)
    if not sep or base is None or head is None:
        raise not_found()
    merge_base = repo.git.merge_base(base, head)
    behind = set(repo.git.ancestors(head))
    ahead_of = set(repo.git.ancestors(base))
    ahead = [sha for sha in reversed(repo.git.ancestors(head)) if sha not in ahead_of]
    behind_by = sum(1 for sha in ahead_of if sha not in behind)
    status = _compare_status(len(ahead), behind_by)
    api = f"{call.fake.urls.api}/repos/{repo.full_name}"
    web = f"{call.fake.urls.web}/{repo.full_name}/compare/{base_name}...{head_name}"
    changes = repo.git.diff(merge_base, head)
    return Reply(
        200,
        {
            "url": f"{api}/compare/{base_name}...{head_name}",
            "html_url": web,
            "permalink_url": web,
            "diff_url": f"{web}.diff",
            "patch_url": f"{web}.patch",
            "base_commit": commit_json(call.fake.urls, repo, repo.git.commits[base]),
            "merge_base_commit": commit_json(
                call.fake.urls, repo, repo.git.commits[merge_base or base]
            ),
            "status": status,
            "ahead_by": len(ahead),
            "behind_by": behind_by,
            "total_commits": len(ahead),
            "commits": [commit_json(call.fake.urls, repo, repo.git.commits[s]) for s in ahead],
            "files": [file_change_json(call.fake.urls, repo, c, head) for c in changes],
        },
    )


def _compare_status(ahead: int, behind: int) -> str:
    if ahead and behind:
        return "diverged"
    return "ahead" if ahead else "behind" if behind else "identical"
