"""GitHub's reference data, vendored in `tests/data/github/`: the REST description and the
webhook examples the suite holds the app and the fake GitHub to.

Both are files the Octokit project publishes on npm, kept byte for byte and xz-compressed:
- `@octokit/openapi`'s `generated/api.github.com.json`, GitHub's OpenAPI description of the
  REST API (`rest_api`);
- `@octokit/webhooks-examples`'s `api.github.com/index.json`, one entry per event with the real
  example payloads of its actions (`webhook_examples` splits it by event).

`sources.json` beside them records, for each, the package, version, path inside the tarball,
the tarball's integrity and shasum as the registry publishes them, and the size and sha256 of
the uncompressed file, which `read` checks on every load. `scripts/refresh_github_data.py`
replaces them with newer versions from the registry.
"""

from __future__ import annotations

import functools
import hashlib
import json
import lzma
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data" / "github"
MANIFEST = "sources.json"
OPENAPI = "openapi"
WEBHOOKS = "webhooks"

# The events whose examples the webhook tests and `bench/webhooks.py` deliver (133 payloads of
# the 329): those app.yml subscribes to, those GitHub sends every App (`installation`,
# `installation_repositories`, `ping`), and four the app does not act on. The other events'
# examples would double the time those tests take for no path of the app they do not cover.
DELIVERED_EVENTS = frozenset(
    {
        "check_run",
        "check_suite",
        "installation",
        "installation_repositories",
        "issue_comment",
        "issues",
        "label",
        "ping",
        "pull_request",
        "pull_request_review",
        "pull_request_review_comment",
        "pull_request_review_thread",
        "push",
        "status",
        "workflow_run",
    }
)


class VendoredDataError(Exception):
    """A vendored file is missing or is not the one `sources.json` records."""


def manifest(data_dir: Path = DATA_DIR) -> dict[str, dict[str, Any]]:
    """`sources.json`: source key (`openapi`, `webhooks`) -> what is vendored for it."""
    loaded: dict[str, dict[str, Any]] = json.loads((data_dir / MANIFEST).read_text())
    return loaded


@functools.cache
def read(key: str, data_dir: Path = DATA_DIR) -> bytes:
    """The published file's bytes, decompressed and checked against `sources.json`."""
    entry = manifest(data_dir)[key]
    path = data_dir / entry["file"]
    try:
        raw = lzma.decompress(path.read_bytes())
    except (OSError, lzma.LZMAError) as exc:
        raise VendoredDataError(f"{path}: {exc}") from exc
    digest = hashlib.sha256(raw).hexdigest()
    if digest != entry["sha256"] or len(raw) != entry["size"]:
        raise VendoredDataError(
            f"{path} holds {len(raw)} bytes with sha256 {digest}; {MANIFEST} records"
            f" {entry['size']} bytes with sha256 {entry['sha256']}"
            f" ({entry['package']} {entry['version']}, {entry['path']})"
        )
    return raw


def rest_api() -> dict[str, Any]:
    """GitHub's OpenAPI description, freshly parsed (about 0.2 s: parse it once and keep it)."""
    document: dict[str, Any] = json.loads(read(OPENAPI))
    return document


def split_examples(index: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """`index.json` split by event: event name -> its example payloads (events with none are
    left out), in the package's order."""
    return {event["name"]: event["examples"] for event in index if event["examples"]}


def webhook_examples() -> dict[str, list[dict[str, Any]]]:
    """Event name (the `X-GitHub-Event` header) -> real example payloads, for every event with
    examples; freshly parsed, so callers may change them."""
    return split_examples(json.loads(read(WEBHOOKS)))


def delivered_examples() -> list[tuple[str, dict[str, Any]]]:
    """(event, payload) for every example of the `DELIVERED_EVENTS`, by event name."""
    examples = webhook_examples()
    return [(event, payload) for event in sorted(DELIVERED_EVENTS) for payload in examples[event]]
