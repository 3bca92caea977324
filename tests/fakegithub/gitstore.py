"""Git objects as GitHub's Git Database API sees them: blobs, nested trees, commits.

Object ids are real git SHA-1s of real git object encodings, so a tree built twice from the
same files has the same sha, as on GitHub. Trees are nested; `flatten`/`build` convert between
a tree and a flat `{path: Entry}` map of its files, which is what merges and diffs work on.
"""

from __future__ import annotations

import difflib
import hashlib
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

BLOB_MODES = frozenset({"100644", "100755", "120000"})
TREE_MODE = "040000"


@dataclass(frozen=True)
class Entry:
    mode: str
    type: str  # "blob", "tree" or "commit" (submodule)
    sha: str


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    date: datetime


@dataclass(frozen=True)
class Commit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str
    author: Person
    committer: Person
    verified: bool


@dataclass(frozen=True)
class FileChange:
    filename: str
    status: str  # added, removed, modified
    sha: str  # blob sha after the change (before it, for a removal)
    additions: int
    deletions: int
    patch: str
    right_lines: frozenset[int]  # lines of the new file a review comment may address
    left_lines: frozenset[int]  # lines of the old file a review comment may address


def _hash(kind: str, payload: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(payload)}\0".encode() + payload).hexdigest()


@dataclass
class GitStore:
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, Entry]] = field(default_factory=dict)  # sha -> name -> entry
    commits: dict[str, Commit] = field(default_factory=dict)

    def put_blob(self, content: bytes) -> str:
        sha = _hash("blob", content)
        self.blobs[sha] = content
        return sha

    def put_tree(self, entries: dict[str, Entry]) -> str:
        def order(name: str) -> str:  # git sorts a directory as if its name ended in "/"
            return name + "/" if entries[name].type == "tree" else name

        payload = b"".join(
            f"{entries[name].mode.lstrip('0')} {name}\0".encode() + bytes.fromhex(entries[name].sha)
            for name in sorted(entries, key=order)
        )
        sha = _hash("tree", payload)
        self.trees[sha] = dict(entries)
        return sha

    def put_commit(
        self,
        *,
        tree: str,
        parents: tuple[str, ...],
        message: str,
        author: Person,
        committer: Person,
        verified: bool,
    ) -> Commit:
        lines = [f"tree {tree}", *(f"parent {parent}" for parent in parents)]
        for role, person in (("author", author), ("committer", committer)):
            lines.append(
                f"{role} {person.name} <{person.email}> {int(person.date.timestamp())} +0000"
            )
        sha = _hash("commit", ("\n".join(lines) + "\n\n" + message).encode())
        commit = Commit(sha, tree, parents, message, author, committer, verified)
        self.commits[sha] = commit
        return commit

    # ---- flat views ----------------------------------------------------------------------

    def flatten(self, tree_sha: str, prefix: str = "") -> dict[str, Entry]:
        """Every non-tree entry under the tree, by full path."""
        flat: dict[str, Entry] = {}
        for name, entry in self.trees[tree_sha].items():
            if entry.type == "tree":
                flat.update(self.flatten(entry.sha, f"{prefix}{name}/"))
            else:
                flat[prefix + name] = entry
        return flat

    def build(self, flat: dict[str, Entry]) -> str:
        """The root tree sha for a flat map of files (subtrees created as needed)."""
        children: dict[str, dict[str, Entry]] = {}
        here: dict[str, Entry] = {}
        for path, entry in flat.items():
            head, _, rest = path.partition("/")
            if rest:
                children.setdefault(head, {})[rest] = entry
            else:
                here[path] = entry
        for name, sub in children.items():
            here[name] = Entry(TREE_MODE, "tree", self.build(sub))
        return self.put_tree(here)

    def file_at(self, commit_sha: str, path: str) -> bytes | None:
        entry = self.flatten(self.commits[commit_sha].tree).get(path)
        return self.blobs.get(entry.sha) if entry and entry.type == "blob" else None

    # ---- history -------------------------------------------------------------------------

    def ancestors(self, sha: str) -> list[str]:
        """The commit and every ancestor, nearest first."""
        seen: dict[str, None] = {}
        queue = deque([sha])
        while queue:
            current = queue.popleft()
            if current in seen or current not in self.commits:
                continue
            seen[current] = None
            queue.extend(self.commits[current].parents)
        return list(seen)

    def merge_base(self, a: str, b: str) -> str | None:
        theirs = set(self.ancestors(b))
        return next((sha for sha in self.ancestors(a) if sha in theirs), None)

    def merge_trees(self, base: str | None, ours: str, theirs: str) -> dict[str, Entry] | None:
        """A three-way merge of commits' files, or None on a conflict."""
        b = self.flatten(self.commits[base].tree) if base else {}
        o = self.flatten(self.commits[ours].tree)
        t = self.flatten(self.commits[theirs].tree)
        merged: dict[str, Entry] = {}
        for path in b.keys() | o.keys() | t.keys():
            mine, their, old = o.get(path), t.get(path), b.get(path)
            if mine == their or their == old:
                chosen = mine
            elif mine == old:
                chosen = their
            else:
                return None
            if chosen is not None:
                merged[path] = chosen
        return merged

    def diff(self, before: str | None, after: str) -> list[FileChange]:
        """Files changed from commit `before` (None: nothing) to commit `after`."""
        old = self.flatten(self.commits[before].tree) if before else {}
        new = self.flatten(self.commits[after].tree)
        changes = []
        for path in sorted(old.keys() | new.keys()):
            if old.get(path) != new.get(path):
                changes.append(self._change(path, old.get(path), new.get(path)))
        return changes

    def _change(self, path: str, old: Entry | None, new: Entry | None) -> FileChange:
        status = "added" if old is None else "removed" if new is None else "modified"
        present = new or old
        assert present is not None
        a = self._lines(old)
        b = self._lines(new)
        patch_lines = list(difflib.unified_diff(a, b, lineterm="", n=3))[2:]  # drop ---/+++
        left, right = _commentable(patch_lines)
        return FileChange(
            filename=path,
            status=status,
            sha=present.sha,
            additions=sum(1 for x in patch_lines if x.startswith("+")),
            deletions=sum(1 for x in patch_lines if x.startswith("-")),
            patch="\n".join(patch_lines),
            right_lines=right,
            left_lines=left,
        )

    def _lines(self, entry: Entry | None) -> list[str]:
        if entry is None or entry.type != "blob":
            return []
        return self.blobs[entry.sha].decode("utf-8", errors="replace").splitlines()


def diff_position(change: FileChange, line: int | None, side: str) -> int | None:
    """GitHub's legacy `position`: lines below the first hunk header of the file's patch."""
    old_line = new_line = 0
    for position, text in enumerate(change.patch.splitlines()):
        if text.startswith("@@"):
            old_part, new_part = text.split(" ")[1:3]
            old_line, new_line = int(old_part[1:].split(",")[0]), int(new_part[1:].split(",")[0])
            continue
        here = old_line if side == "LEFT" else new_line
        if here == line and (text[:1] != ("+" if side == "LEFT" else "-")):
            return position
        old_line += text[:1] != "+"
        new_line += text[:1] != "-"
    return None


def _commentable(patch: list[str]) -> tuple[frozenset[int], frozenset[int]]:
    """Line numbers inside the diff's hunks, old side and new side: where GitHub takes comments."""
    left: set[int] = set()
    right: set[int] = set()
    old_line = new_line = 0
    for line in patch:
        if line.startswith("@@"):
            old_part, new_part = line.split(" ")[1:3]  # "@@ -12,7 +12,9 @@"
            old_line = int(old_part[1:].split(",")[0])
            new_line = int(new_part[1:].split(",")[0])
            continue
        if line.startswith("-"):
            left.add(old_line)
            old_line += 1
        elif line.startswith("+"):
            right.add(new_line)
            new_line += 1
        else:
            left.add(old_line)
            right.add(new_line)
            old_line += 1
            new_line += 1
    return frozenset(left), frozenset(right)
