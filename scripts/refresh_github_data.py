#!/usr/bin/env python3
"""Refresh GitHub's reference data in `tests/data/github/` from the npm registry, and say what
changed.

    python scripts/refresh_github_data.py                     # both packages, latest versions
    python scripts/refresh_github_data.py --openapi 23.0.2    # only @octokit/openapi, 23.0.2
    python scripts/refresh_github_data.py --webhooks latest --dry-run

With neither `--openapi` nor `--webhooks` both packages go to their latest version; with one,
only that package is refreshed. For each package it runs `npm pack <package>@<version>` in a
temporary directory, checks the tarball against the integrity and shasum the registry publishes
(`npm view <package>@<version> dist`), takes out the one file the tests read and the licence
file, and compares the file with the vendored one: it prints the versions, the OpenAPI paths,
operations and schemas added, removed and changed, or the webhook events and actions added and
removed. Then, unless `--dry-run`, it writes the file xz-compressed, the licence and
`sources.json`, and puts the new version into the README's Tests section. Run the suite after a
refresh: a new description can fail requests the fake GitHub accepted before.

`@octokit/webhooks-examples` ships no licence file (its package.json says MIT): the vendored
`LICENSE-webhooks-examples` is the one of its repository, github.com/octokit/webhooks, and is
kept as it is unless a new tarball brings one.

Needs `npm` on the PATH and the registry; nothing else outside the standard library.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import lzma
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # for tests.githubdata

from tests.githubdata import DATA_DIR, MANIFEST, OPENAPI, WEBHOOKS  # noqa: E402

README = ROOT / "README.md"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
LISTED = 25  # names listed per "added"/"removed" line before "and N more"
XZ_PRESET = 9 | lzma.PRESET_EXTREME

Summarize = Callable[[Any, Any], list[str]]


# ---- what changed -----------------------------------------------------------------------------


def operations(document: dict[str, Any]) -> dict[str, Any]:
    """ "METHOD /path/template" -> operation object, for every operation of the description."""
    return {
        f"{method.upper()} {path}": item[method]
        for path, item in document.get("paths", {}).items()
        for method in HTTP_METHODS
        if method in item
    }


def _names(label: str, names: Iterable[str]) -> list[str]:
    listed = sorted(names)
    if not listed:
        return []
    shown = ", ".join(listed[:LISTED])
    more = f", and {len(listed) - LISTED} more" if len(listed) > LISTED else ""
    return [f"  {label} ({len(listed)}): {shown}{more}"]


def _compare(
    what: str, old: dict[str, Any], new: dict[str, Any], *, list_changed: bool = False
) -> list[str]:
    """One line of counts for two name -> definition maps, then the names added and removed
    (and changed, when asked)."""
    added = new.keys() - old.keys()
    removed = old.keys() - new.keys()
    changed = {name for name in old.keys() & new.keys() if old[name] != new[name]}
    lines = [
        f"  {what}: {len(old)} -> {len(new)}"
        f" ({len(added)} added, {len(removed)} removed, {len(changed)} changed)"
    ]
    lines += _names(f"{what} added", added)
    lines += _names(f"{what} removed", removed)
    if list_changed:
        lines += _names(f"{what} changed", changed)
    return lines


def summarize_openapi(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What changed between two OpenAPI descriptions: paths, operations, webhook and component
    schemas (counts, and the names added and removed)."""
    lines = []
    old_info, new_info = old.get("info", {}).get("version"), new.get("info", {}).get("version")
    if old_info != new_info:
        lines.append(f"  info.version: {old_info} -> {new_info}")
    lines += _compare("paths", old.get("paths", {}), new.get("paths", {}))
    lines += _compare("operations", operations(old), operations(new), list_changed=True)
    lines += _compare("webhooks", old.get("x-webhooks", {}), new.get("x-webhooks", {}))
    old_schemas = old.get("components", {}).get("schemas", {})
    new_schemas = new.get("components", {}).get("schemas", {})
    lines += _compare("schemas", old_schemas, new_schemas)
    return lines


def actions(index: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """ "event" or "event.action" -> its example payloads, for every example of `index.json`."""
    found: dict[str, list[Any]] = {}
    for event in index:
        for example in event["examples"]:
            action = example.get("action")
            name = event["name"] if action is None else f"{event['name']}.{action}"
            found.setdefault(name, []).append(example)
    return found


def summarize_webhooks(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    """What changed between two webhook example sets: events and event.actions with examples
    (added, removed, and whose examples changed), and the number of examples."""
    count = {
        "old": sum(len(e["examples"]) for e in old),
        "new": sum(len(e["examples"]) for e in new),
    }
    old_events = {e["name"]: e["examples"] for e in old if e["examples"]}
    new_events = {e["name"]: e["examples"] for e in new if e["examples"]}
    return [
        f"  examples: {count['old']} -> {count['new']}",
        *_compare("events", old_events, new_events),
        *_compare("actions", actions(old), actions(new), list_changed=True),
    ]


# ---- the registry -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """One npm package and the file of it the tests read."""

    key: str  # in sources.json
    package: str
    path: str  # inside the tarball's `package/`
    file: str  # the vendored, xz-compressed copy, in tests/data/github/
    license_file: str
    summarize: Summarize
    # Where the vendored licence comes from when the tarball has none.
    license_elsewhere: str | None = None


SOURCES = {
    OPENAPI: Source(
        OPENAPI,
        "@octokit/openapi",
        "generated/api.github.com.json",
        "rest-api.json.xz",
        "LICENSE-openapi",
        summarize_openapi,
    ),
    WEBHOOKS: Source(
        WEBHOOKS,
        "@octokit/webhooks-examples",
        "api.github.com/index.json",
        "webhook-examples.json.xz",
        "LICENSE-webhooks-examples",
        summarize_webhooks,
        license_elsewhere="LICENSE of github.com/octokit/webhooks; the package ships none",
    ),
}


@dataclass(frozen=True)
class Packed:
    """A tarball `npm pack` fetched, with what the registry publishes about it."""

    version: str
    tarball: Path
    url: str
    integrity: str  # sha512-<base64>
    shasum: str  # sha1, hex


def _npm(*args: str, cwd: Path) -> Any:
    done = subprocess.run(
        ["npm", *args, "--json"], cwd=cwd, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"npm {' '.join(args)} failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout)


def npm_pack(package: str, version: str, dest: Path) -> Packed:
    """`npm pack package@version` into `dest`, checked against the registry's `dist`."""
    packed = _npm("pack", f"{package}@{version}", "--pack-destination", str(dest), cwd=dest)[0]
    dist = _npm("view", f"{package}@{packed['version']}", "dist", cwd=dest)
    tarball = dest / packed["filename"]
    data = tarball.read_bytes()
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    shasum = hashlib.sha1(data).hexdigest()
    if (integrity, shasum) != (dist["integrity"], dist["shasum"]):
        raise SystemExit(
            f"{tarball.name}: integrity {integrity} shasum {shasum}, but the registry publishes"
            f" {dist['integrity']} {dist['shasum']}"
        )
    return Packed(packed["version"], tarball, dist["tarball"], integrity, shasum)


@dataclass(frozen=True)
class Unpacked:
    data: bytes
    license: bytes | None
    license_name: str | None  # its path inside the tarball
    declared_license: str | None  # package.json's "license"


def unpack(tarball: Path, path: str) -> Unpacked:
    """The file at `path` in the package, its licence file if it has one, and package.json's
    licence. npm tarballs hold the package under one top-level folder, usually `package/`."""
    with tarfile.open(tarball, "r:gz") as tar:
        members = {m.name.split("/", 1)[1]: m for m in tar.getmembers() if "/" in m.name}

        def read(name: str) -> bytes:
            handle = tar.extractfile(members[name])
            assert handle is not None, name
            return handle.read()

        if path not in members:
            raise SystemExit(f"{tarball.name} has no {path}")
        licences = sorted(n for n in members if n.lower().startswith(("license", "licence")))
        declared = (
            json.loads(read("package.json")).get("license") if "package.json" in members else None
        )
        return Unpacked(
            data=read(path),
            license=read(licences[0]) if licences else None,
            license_name=members[licences[0]].name if licences else None,
            declared_license=declared,
        )


# ---- the refresh ------------------------------------------------------------------------------


def _vendored(entry: dict[str, Any] | None, data_dir: Path) -> bytes | None:
    if entry is None:
        return None
    try:
        return lzma.decompress((data_dir / entry["file"]).read_bytes())
    except (OSError, lzma.LZMAError):
        return None


def refresh(
    source: Source,
    version: str,
    data_dir: Path,
    *,
    pack: Callable[[str, str, Path], Packed] = npm_pack,
    write: bool = True,
    readme: Path | None = README,
) -> list[str]:
    """Fetch `source` at `version`, compare it with the vendored copy and (when `write`) vendor
    it. Returns the report's lines; updates `sources.json` in `data_dir` in place."""
    manifest_path = data_dir / MANIFEST
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    old_entry = manifest.get(source.key)
    with tempfile.TemporaryDirectory() as tmp:
        packed = pack(source.package, version, Path(tmp))
        unpacked = unpack(packed.tarball, source.path)
    new = unpacked.data
    digest = hashlib.sha256(new).hexdigest()
    old = _vendored(old_entry, data_dir)
    old_version = old_entry["version"] if old_entry else None
    lines = [f"{source.package}: {old_version or 'nothing vendored'} -> {packed.version}"]
    if old is not None and hashlib.sha256(old).hexdigest() == digest:
        lines.append(f"  {source.path} unchanged (sha256 {digest})")
    else:
        lines.append(f"  {source.path}: {len(old or b'')} -> {len(new)} bytes, sha256 {digest}")
        lines += source.summarize(
            json.loads(old) if old is not None else _empty(source), json.loads(new)
        )

    license_path = data_dir / source.license_file
    if unpacked.license is not None:
        license_bytes, license_from = unpacked.license, f"{unpacked.license_name} in the tarball"
    elif license_path.exists() and source.license_elsewhere is not None:
        license_bytes, license_from = license_path.read_bytes(), source.license_elsewhere
        lines.append(
            f"  no licence file in the tarball: kept {source.license_file} ({license_from})"
        )
    else:
        raise SystemExit(
            f"{source.package} {packed.version} ships no licence file: put the licence of its"
            f" repository in {license_path}, say where it is from in `license_elsewhere`, and"
            " run again"
        )
    if old_entry and unpacked.declared_license != old_entry.get("license"):
        lines.append(
            f"  LICENCE CHANGED in package.json: {old_entry.get('license')} ->"
            f" {unpacked.declared_license}: check it before committing"
        )
    elif old_entry and license_path.exists() and license_path.read_bytes() != license_bytes:
        lines.append(f"  {source.license_file} changed: read the diff")

    entry = {
        "package": source.package,
        "version": packed.version,
        "license": unpacked.declared_license,
        "tarball": packed.url,
        "integrity": packed.integrity,
        "shasum": packed.shasum,
        "path": source.path,
        "size": len(new),
        "sha256": digest,
        "file": source.file,
        "license_file": source.license_file,
        "license_from": license_from,
        "license_sha256": hashlib.sha256(license_bytes).hexdigest(),
    }
    if not write:
        lines.append("  (dry run: nothing written)")
        return lines
    written = []
    if old != new:
        (data_dir / source.file).write_bytes(lzma.compress(new, preset=XZ_PRESET))
        written.append(f"{source.file} ({(data_dir / source.file).stat().st_size} bytes)")
    if not license_path.exists() or license_path.read_bytes() != license_bytes:
        license_path.write_bytes(license_bytes)
        written.append(source.license_file)
    if old_entry != entry:
        manifest[source.key] = entry
        manifest_path.write_text(json.dumps(dict(sorted(manifest.items())), indent=2) + "\n")
        written.append(MANIFEST)
    lines.append(f"  wrote {', '.join(written)}" if written else "  up to date: nothing written")
    if readme is not None and old_version is not None and old_version != packed.version:
        lines.append("  " + update_readme(readme, source.package, old_version, packed.version))
    return lines


def _empty(source: Source) -> Any:
    return {} if source.key == OPENAPI else []


def update_readme(readme: Path, package: str, old: str, new: str) -> str:
    """Put the new version where the README names the package with the old one."""
    text = readme.read_text()
    before, after = f"`{package}` {old}", f"`{package}` {new}"
    if before not in text:
        return f"{readme.name} does not name {before}: update its Tests section by hand"
    readme.write_text(text.replace(before, after))
    return f"{readme.name}: {before} -> {after}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--openapi", metavar="VERSION", help="@octokit/openapi version or tag")
    parser.add_argument(
        "--webhooks", metavar="VERSION", help="@octokit/webhooks-examples version or tag"
    )
    parser.add_argument("--dry-run", action="store_true", help="say what changed, write nothing")
    args = parser.parse_args(argv)
    wanted = {OPENAPI: args.openapi, WEBHOOKS: args.webhooks}
    if not any(wanted.values()):
        wanted = dict.fromkeys(wanted, "latest")
    for key, version in wanted.items():
        if version:
            print("\n".join(refresh(SOURCES[key], version, DATA_DIR, write=not args.dry_run)))
    if not args.dry_run:
        print("Run the suite: pytest -q")
    return 0


if __name__ == "__main__":
    sys.exit(main())
