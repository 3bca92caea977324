"""The vendored GitHub reference data is what `sources.json` says, and the refresh script
reports and writes changes correctly (on small packages made here: no npm, no network)."""

from __future__ import annotations

import hashlib
import io
import json
import lzma
import tarfile
from pathlib import Path
from typing import Any

import pytest

from scripts import refresh_github_data as refresh
from tests.githubdata import (
    DATA_DIR,
    DELIVERED_EVENTS,
    MANIFEST,
    OPENAPI,
    WEBHOOKS,
    VendoredDataError,
    delivered_examples,
    manifest,
    read,
    split_examples,
    webhook_examples,
)

ROOT = Path(__file__).resolve().parents[1]


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- the vendored files -----------------------------------------------------------------------


def test_every_vendored_file_matches_the_manifest() -> None:
    recorded = manifest()
    assert set(recorded) == {OPENAPI, WEBHOOKS}
    for key, entry in recorded.items():
        source = refresh.SOURCES[key]
        assert (entry["package"], entry["path"], entry["file"]) == (
            source.package,
            source.path,
            source.file,
        )
        raw = lzma.decompress((DATA_DIR / entry["file"]).read_bytes())
        assert (len(raw), sha256(raw)) == (entry["size"], entry["sha256"]), key
        assert read(key) == raw
        license_text = (DATA_DIR / entry["license_file"]).read_bytes()
        assert sha256(license_text) == entry["license_sha256"], key
        assert entry["license"] == "MIT" and b"MIT License" in license_text
        assert entry["integrity"].startswith("sha512-") and len(entry["shasum"]) == 40
        assert entry["tarball"].startswith("https://registry.npmjs.org/")
    files = {p.name for p in DATA_DIR.iterdir()}
    named = {n for e in recorded.values() for n in (e["file"], e["license_file"])}
    assert files == {MANIFEST, "README.md", *named}  # nothing here that is not recorded


def test_the_readme_names_the_vendored_versions() -> None:
    readme = (ROOT / "README.md").read_text()
    for entry in manifest().values():
        assert f"`{entry['package']}` {entry['version']}" in readme


def test_the_examples_are_index_json_split_by_event() -> None:
    index = json.loads(read(WEBHOOKS))
    examples = webhook_examples()
    assert examples == {e["name"]: e["examples"] for e in index if e["examples"]}
    assert examples.keys() >= DELIVERED_EVENTS
    delivered = delivered_examples()
    assert len(delivered) == sum(len(examples[event]) for event in DELIVERED_EVENTS)
    assert webhook_examples() is not examples  # each caller may change its own copy


def test_split_examples_leaves_out_events_without_examples() -> None:
    index: list[dict[str, Any]] = [
        {"name": "push", "examples": [{"ref": "x"}]},
        {"name": "gollum", "examples": []},
    ]
    assert split_examples(index) == {"push": [{"ref": "x"}]}


def write_source(directory: Path, raw: bytes, **changes: Any) -> None:
    entry = {
        "package": "@octokit/openapi",
        "version": "1.0.0",
        "path": "generated/api.github.com.json",
        "file": "rest-api.json.xz",
        "size": len(raw),
        "sha256": sha256(raw),
    }
    (directory / MANIFEST).write_text(json.dumps({OPENAPI: entry | changes}))
    (directory / "rest-api.json.xz").write_bytes(lzma.compress(raw))


def test_a_file_that_is_not_the_recorded_one_is_refused(tmp_path: Path) -> None:
    write_source(tmp_path, b"{}", sha256="0" * 64)
    with pytest.raises(VendoredDataError, match="sha256 0000"):
        read(OPENAPI, tmp_path)


def test_a_file_that_is_not_xz_is_refused(tmp_path: Path) -> None:
    write_source(tmp_path, b"{}")
    (tmp_path / "rest-api.json.xz").write_bytes(b"{}")
    with pytest.raises(VendoredDataError, match=r"rest-api\.json\.xz"):
        read(OPENAPI, tmp_path)


# ---- what changed -----------------------------------------------------------------------------


def spec(paths: dict[str, Any], schemas: dict[str, Any], version: str = "1") -> dict[str, Any]:
    return {"info": {"version": version}, "paths": paths, "components": {"schemas": schemas}}


def test_openapi_summary_counts_and_names_what_changed() -> None:
    old = spec(
        {
            "/a": {"get": {"operationId": "a/get"}, "parameters": []},
            "/b": {"get": {"operationId": "b/get"}, "delete": {"operationId": "b/delete"}},
        },
        {"x": {"type": "string"}, "y": {"type": "integer"}},
    )
    new = spec(
        {
            "/a": {"get": {"operationId": "a/get", "deprecated": True}, "post": {}},
            "/c": {"put": {"operationId": "c/put"}},
        },
        {"x": {"type": "string"}, "z": {"type": "object"}},
        version="2",
    )
    assert refresh.summarize_openapi(old, new) == [
        "  info.version: 1 -> 2",
        "  paths: 2 -> 2 (1 added, 1 removed, 1 changed)",
        "  paths added (1): /c",
        "  paths removed (1): /b",
        "  operations: 3 -> 3 (2 added, 2 removed, 1 changed)",
        "  operations added (2): POST /a, PUT /c",
        "  operations removed (2): DELETE /b, GET /b",
        "  operations changed (1): GET /a",
        "  webhooks: 0 -> 0 (0 added, 0 removed, 0 changed)",
        "  schemas: 2 -> 2 (1 added, 1 removed, 0 changed)",
        "  schemas added (1): z",
        "  schemas removed (1): y",
    ]


def test_a_long_list_of_names_is_cut_short() -> None:
    new = spec({f"/p{i:03}": {} for i in range(30)}, {})
    lines = refresh.summarize_openapi(spec({}, {}), new)
    assert lines[0] == "  paths: 0 -> 30 (30 added, 0 removed, 0 changed)"
    assert lines[1].endswith("/p023, /p024, and 5 more")


def make_index(*events: tuple[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [{"name": name, "actions": [], "examples": examples} for name, examples in events]


def test_webhooks_summary_counts_events_and_actions() -> None:
    old = make_index(
        ("issues", [{"action": "opened"}, {"action": "closed"}]),
        ("push", [{"ref": "a"}]),
        ("gollum", [{"pages": []}]),
    )
    new = make_index(
        ("issues", [{"action": "opened"}, {"action": "typed"}]),
        ("push", [{"ref": "b"}]),
        ("gollum", []),
        ("sub_issues", [{"action": "sub_issue_added"}]),
    )
    assert refresh.summarize_webhooks(old, new) == [
        "  examples: 4 -> 4",
        "  events: 3 -> 3 (1 added, 1 removed, 2 changed)",
        "  events added (1): sub_issues",
        "  events removed (1): gollum",
        "  actions: 4 -> 4 (2 added, 2 removed, 1 changed)",
        "  actions added (2): issues.typed, sub_issues.sub_issue_added",
        "  actions removed (2): gollum, issues.closed",
        "  actions changed (1): push",
    ]


# ---- the refresh, with a made-up registry ------------------------------------------------------


def tarball(path: Path, files: dict[str, bytes], top: str = "package") -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


class Registry:
    """Stands in for `npm pack`: one tarball per version, made from `releases`."""

    def __init__(self, releases: dict[str, dict[str, bytes]], top: str = "package") -> None:
        self.releases = releases
        self.top = top
        self.asked: list[str] = []

    def pack(self, package: str, version: str, dest: Path) -> refresh.Packed:
        self.asked.append(f"{package}@{version}")
        version = max(self.releases) if version == "latest" else version
        path = tarball(dest / f"{version}.tgz", self.releases[version], self.top)
        return refresh.Packed(version, path, f"https://registry/{version}.tgz", "sha512-x", "a")


def release(paths: dict[str, Any], license_text: bytes = b"MIT License\n") -> dict[str, bytes]:
    return {
        "package.json": json.dumps({"license": "MIT"}).encode(),
        "LICENSE": license_text,
        "generated/api.github.com.json": json.dumps(spec(paths, {})).encode(),
    }


def test_refresh_vendors_a_new_version_and_says_what_changed(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("Data: `@octokit/openapi` 1.0.0 and others.\n")
    registry = Registry(
        {
            "1.0.0": release({"/a": {"get": {}}}),
            "1.1.0": release({"/a": {"get": {}}, "/b": {"post": {}}}, b"MIT License (c)\n"),
        }
    )
    source = refresh.SOURCES[OPENAPI]

    first = refresh.refresh(source, "1.0.0", tmp_path, pack=registry.pack, readme=readme)
    assert first[0] == "@octokit/openapi: nothing vendored -> 1.0.0"
    assert "  operations added (1): GET /a" in first
    assert first[-1].startswith("  wrote rest-api.json.xz (")
    assert first[-1].endswith(" bytes), LICENSE-openapi, sources.json")
    entry = manifest(tmp_path)[OPENAPI]
    raw = registry.releases["1.0.0"]["generated/api.github.com.json"]
    assert lzma.decompress((tmp_path / "rest-api.json.xz").read_bytes()) == raw
    assert entry == {
        "package": "@octokit/openapi",
        "version": "1.0.0",
        "license": "MIT",
        "tarball": "https://registry/1.0.0.tgz",
        "integrity": "sha512-x",
        "shasum": "a",
        "path": "generated/api.github.com.json",
        "size": len(raw),
        "sha256": sha256(raw),
        "file": "rest-api.json.xz",
        "license_file": "LICENSE-openapi",
        "license_from": "package/LICENSE in the tarball",
        "license_sha256": sha256(b"MIT License\n"),
    }
    assert read(OPENAPI, tmp_path) == raw

    again = refresh.refresh(source, "1.0.0", tmp_path, pack=registry.pack, readme=readme)
    assert again == [
        "@octokit/openapi: 1.0.0 -> 1.0.0",
        f"  generated/api.github.com.json unchanged (sha256 {sha256(raw)})",
        "  up to date: nothing written",
    ]

    dry = refresh.refresh(source, "latest", tmp_path, pack=registry.pack, write=False)
    assert dry[-1] == "  (dry run: nothing written)"
    assert "  operations added (1): POST /b" in dry
    assert manifest(tmp_path)[OPENAPI]["version"] == "1.0.0"

    lines = refresh.refresh(source, "latest", tmp_path, pack=registry.pack, readme=readme)
    assert lines[0] == "@octokit/openapi: 1.0.0 -> 1.1.0"
    assert "  operations: 1 -> 2 (1 added, 0 removed, 0 changed)" in lines
    assert "  LICENSE-openapi changed: read the diff" in lines
    assert lines[-2].startswith("  wrote rest-api.json.xz (")
    assert lines[-1] == "  README.md: `@octokit/openapi` 1.0.0 -> `@octokit/openapi` 1.1.0"
    assert readme.read_text() == "Data: `@octokit/openapi` 1.1.0 and others.\n"
    assert manifest(tmp_path)[OPENAPI]["version"] == "1.1.0"
    assert (tmp_path / "LICENSE-openapi").read_bytes() == b"MIT License (c)\n"
    assert registry.asked[-1] == "@octokit/openapi@latest"


def test_a_package_without_a_licence_file_keeps_the_vendored_one(tmp_path: Path) -> None:
    files = {
        "package.json": b'{"license": "MIT"}',
        "api.github.com/index.json": json.dumps(make_index(("ping", [{"zen": "z"}]))).encode(),
    }
    registry = Registry({"7.0.0": files}, top="examples")  # not every tarball says `package/`
    source = refresh.SOURCES[WEBHOOKS]
    with pytest.raises(SystemExit, match="ships no licence file"):
        refresh.refresh(source, "7.0.0", tmp_path, pack=registry.pack, readme=None)

    (tmp_path / "LICENSE-webhooks-examples").write_bytes(b"MIT License\n")
    lines = refresh.refresh(source, "7.0.0", tmp_path, pack=registry.pack, readme=None)
    assert "  events added (1): ping" in lines
    assert any("no licence file in the tarball: kept LICENSE-webhooks-examples" in x for x in lines)
    assert manifest(tmp_path)[WEBHOOKS]["license_from"] == source.license_elsewhere


def test_a_changed_licence_in_package_json_is_called_out(tmp_path: Path) -> None:
    registry = Registry({"1.0.0": release({}), "2.0.0": release({})})
    registry.releases["2.0.0"]["package.json"] = b'{"license": "GPL-3.0"}'
    source = refresh.SOURCES[OPENAPI]
    refresh.refresh(source, "1.0.0", tmp_path, pack=registry.pack, readme=None)
    lines = refresh.refresh(source, "2.0.0", tmp_path, pack=registry.pack, write=False)
    assert "  LICENCE CHANGED in package.json: MIT -> GPL-3.0: check it before committing" in lines
