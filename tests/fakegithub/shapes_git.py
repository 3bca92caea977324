"""JSON shapes of git objects, file contents, comparisons, check runs and commit statuses."""

from __future__ import annotations

import base64
import textwrap

from tests.fakegithub.gitstore import Commit, Entry, FileChange, Person
from tests.fakegithub.model import CheckRun, Repo, Status
from tests.fakegithub.shapes import JSONDict, Urls, app_json, node_id, ts, user_json


def _api(urls: Urls, repo: Repo) -> str:
    return f"{urls.api}/repos/{repo.full_name}"


def blob_json(urls: Urls, repo: Repo, sha: str) -> JSONDict:
    content = repo.git.blobs[sha]
    return {
        "sha": sha,
        "node_id": node_id("Blob", int(sha[:8], 16)),
        "url": f"{_api(urls, repo)}/git/blobs/{sha}",
        "size": len(content),
        "content": _base64(content),
        "encoding": "base64",
    }


def tree_json(urls: Urls, repo: Repo, sha: str, *, recursive: bool = False) -> JSONDict:
    entries = _tree_with_subtrees(repo, sha) if recursive else repo.git.trees[sha]
    items = []
    for path, entry in sorted(entries.items()):
        item: JSONDict = {"path": path, "mode": entry.mode, "type": entry.type, "sha": entry.sha}
        kind = "blobs" if entry.type == "blob" else "trees"
        item["url"] = f"{_api(urls, repo)}/git/{kind}/{entry.sha}"
        if entry.type == "blob":
            item["size"] = len(repo.git.blobs[entry.sha])
        items.append(item)
    return {
        "sha": sha,
        "url": f"{_api(urls, repo)}/git/trees/{sha}",
        "tree": items,
        "truncated": False,
    }


def _tree_with_subtrees(repo: Repo, sha: str, prefix: str = "") -> dict[str, Entry]:
    found: dict[str, Entry] = {}
    for name, entry in repo.git.trees[sha].items():
        found[prefix + name] = entry
        if entry.type == "tree":
            found.update(_tree_with_subtrees(repo, entry.sha, f"{prefix}{name}/"))
    return found


def _person(person: Person) -> JSONDict:
    return {"name": person.name, "email": person.email, "date": ts(person.date)}


def _verification(commit: Commit) -> JSONDict:
    return {
        "verified": commit.verified,
        "reason": "valid" if commit.verified else "unsigned",
        "signature": "-----BEGIN PGP SIGNATURE-----\n...\n" if commit.verified else None,
        "payload": "tree ..." if commit.verified else None,
        "verified_at": ts(commit.committer.date) if commit.verified else None,
    }


def git_commit_json(urls: Urls, repo: Repo, commit: Commit) -> JSONDict:
    api = _api(urls, repo)
    return {
        "sha": commit.sha,
        "node_id": node_id("Commit", int(commit.sha[:8], 16)),
        "url": f"{api}/git/commits/{commit.sha}",
        "html_url": f"{urls.web}/{repo.full_name}/commit/{commit.sha}",
        "author": _person(commit.author),
        "committer": _person(commit.committer),
        "tree": {"sha": commit.tree, "url": f"{api}/git/trees/{commit.tree}"},
        "message": commit.message,
        "parents": [
            {
                "sha": parent,
                "url": f"{api}/git/commits/{parent}",
                "html_url": f"{urls.web}/{repo.full_name}/commit/{parent}",
            }
            for parent in commit.parents
        ],
        "verification": _verification(commit),
    }


def commit_json(urls: Urls, repo: Repo, commit: Commit) -> JSONDict:
    """A commit as the commits and compare endpoints show it (with a nested git commit)."""
    api = _api(urls, repo)
    return {
        "url": f"{api}/commits/{commit.sha}",
        "sha": commit.sha,
        "node_id": node_id("Commit", int(commit.sha[:8], 16)),
        "html_url": f"{urls.web}/{repo.full_name}/commit/{commit.sha}",
        "comments_url": f"{api}/commits/{commit.sha}/comments",
        "commit": {
            "url": f"{api}/git/commits/{commit.sha}",
            "author": _person(commit.author),
            "committer": _person(commit.committer),
            "message": commit.message,
            "tree": {"sha": commit.tree, "url": f"{api}/git/trees/{commit.tree}"},
            "comment_count": 0,
            "verification": _verification(commit),
        },
        "author": None,
        "committer": None,
        "parents": [
            {
                "sha": parent,
                "url": f"{api}/commits/{parent}",
                "html_url": f"{urls.web}/{repo.full_name}/commit/{parent}",
            }
            for parent in commit.parents
        ],
    }


def ref_json(urls: Urls, repo: Repo, ref: str) -> JSONDict:
    sha = repo.refs[ref]
    return {
        "ref": ref,
        "node_id": node_id("Ref", abs(hash(ref)) % 10**9),
        "url": f"{_api(urls, repo)}/git/{ref}",
        "object": {"type": "commit", "sha": sha, "url": f"{_api(urls, repo)}/git/commits/{sha}"},
    }


def content_json(urls: Urls, repo: Repo, path: str, entry: Entry, ref: str) -> JSONDict:
    api = _api(urls, repo)
    content = repo.git.blobs[entry.sha]
    html = f"{urls.web}/{repo.full_name}/blob/{ref}/{path}"
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(content),
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": _base64(content, wrap=True),
        "sha": entry.sha,
        "url": f"{api}/contents/{path}?ref={ref}",
        "git_url": f"{api}/git/blobs/{entry.sha}",
        "html_url": html,
        "download_url": f"https://raw.github.test/{repo.full_name}/{ref}/{path}",
        "_links": {"self": f"{api}/contents/{path}?ref={ref}", "git": None, "html": html},
    }


def directory_json(
    urls: Urls, repo: Repo, path: str, flat: dict[str, Entry], ref: str
) -> list[JSONDict]:
    """The Contents API's answer for a directory: its direct children, files and dirs."""
    prefix = f"{path}/" if path else ""
    files: dict[str, Entry] = {}
    dirs: dict[str, dict[str, Entry]] = {}
    for full, entry in flat.items():
        if full.startswith(prefix):
            name, _, rest = full[len(prefix) :].partition("/")
            if rest:
                dirs.setdefault(prefix + name, {})[rest] = entry
            else:
                files[prefix + name] = entry
    listing = [_listing_item(urls, repo, p, "file", e, ref) for p, e in files.items()]
    for child, inside in dirs.items():
        subtree = Entry("040000", "tree", repo.git.build(inside))
        listing.append(_listing_item(urls, repo, child, "dir", subtree, ref))
    return sorted(listing, key=lambda item: str(item["name"]))


def _listing_item(urls: Urls, repo: Repo, path: str, kind: str, entry: Entry, ref: str) -> JSONDict:
    api = _api(urls, repo)
    is_file = kind == "file"
    html = f"{urls.web}/{repo.full_name}/{'blob' if is_file else 'tree'}/{ref}/{path}"
    git = f"{api}/git/{'blobs' if is_file else 'trees'}/{entry.sha}"
    raw = f"https://raw.github.test/{repo.full_name}/{ref}/{path}"
    return {
        "type": kind,
        "size": len(repo.git.blobs[entry.sha]) if is_file else 0,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": entry.sha,
        "url": f"{api}/contents/{path}?ref={ref}",
        "git_url": git,
        "html_url": html,
        "download_url": raw if is_file else None,
        "_links": {"self": f"{api}/contents/{path}?ref={ref}", "git": git, "html": html},
    }


def file_change_json(urls: Urls, repo: Repo, change: FileChange, ref: str) -> JSONDict:
    api = _api(urls, repo)
    return {
        "sha": change.sha,
        "filename": change.filename,
        "status": change.status,
        "additions": change.additions,
        "deletions": change.deletions,
        "changes": change.additions + change.deletions,
        "blob_url": f"{urls.web}/{repo.full_name}/blob/{ref}/{change.filename}",
        "raw_url": f"{urls.web}/{repo.full_name}/raw/{ref}/{change.filename}",
        "contents_url": f"{api}/contents/{change.filename}?ref={ref}",
        "patch": change.patch,
    }


def unified_diff(changes: list[FileChange]) -> str:
    """The text GitHub serves for `Accept: application/vnd.github.diff`."""
    parts = []
    for change in changes:
        a = "/dev/null" if change.status == "added" else f"a/{change.filename}"
        b = "/dev/null" if change.status == "removed" else f"b/{change.filename}"
        parts.append(f"diff --git a/{change.filename} b/{change.filename}\n--- {a}\n+++ {b}\n")
        parts.append(change.patch + "\n" if change.patch else "")
    return "".join(parts)


def check_run_json(urls: Urls, repo: Repo, run: CheckRun) -> JSONDict:
    api = _api(urls, repo)
    output = run.output
    return {
        "id": run.id,
        "node_id": node_id("CheckRun", run.id),
        "head_sha": run.head_sha,
        "external_id": run.external_id or "",
        "url": f"{api}/check-runs/{run.id}",
        "html_url": run.html_url or f"{urls.web}/{repo.full_name}/runs/{run.id}",
        "details_url": run.details_url or f"{urls.web}/apps/{run.app.slug}",
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": ts(run.started_at),
        "completed_at": ts(run.completed_at),
        "output": {
            "title": output.get("title"),
            "summary": output.get("summary"),
            "text": output.get("text"),
            "annotations_count": len(run.annotations),
            "annotations_url": f"{api}/check-runs/{run.id}/annotations",
        },
        "name": run.name,
        "check_suite": {"id": run.suite_id},
        "app": app_json(urls, run.app),
        "pull_requests": [
            pull_ref_json(urls, repo, number)
            for number, pull in sorted(repo.pulls.items())
            if pull.state == "open" and pull.head_sha == run.head_sha
        ],
    }


def pull_ref_json(urls: Urls, repo: Repo, number: int) -> JSONDict:
    pull = repo.pulls[number]
    base_sha = repo.branch_sha(pull.base_ref) or ""
    branch = {"id": repo.id, "url": _api(urls, repo), "name": repo.name}
    return {
        "url": f"{_api(urls, repo)}/pulls/{number}",
        "id": pull.id,
        "number": number,
        "head": {"ref": pull.head_ref, "sha": pull.head_sha, "repo": branch},
        "base": {"ref": pull.base_ref, "sha": base_sha, "repo": branch},
    }


def status_json(urls: Urls, repo: Repo, status: Status) -> JSONDict:
    return {
        "url": f"{_api(urls, repo)}/statuses/{status.sha}",
        "avatar_url": f"https://avatars.github.test/u/{status.creator.id}?v=4",
        "id": status.id,
        "node_id": node_id("StatusContext", status.id),
        "state": status.state,
        "description": status.description,
        "target_url": status.target_url,
        "context": status.context,
        "created_at": ts(status.created_at),
        "updated_at": ts(status.created_at),
        "creator": user_json(urls, status.creator),
    }


def _base64(content: bytes, *, wrap: bool = False) -> str:
    encoded = base64.b64encode(content).decode()
    # The Contents API wraps its base64 at 60 characters, as `git` does.
    return "\n".join(textwrap.wrap(encoded, 60)) + "\n" if wrap else encoded
