"""app.yml and the manifest built from it for GitHub's App-registration flow."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30WriteValidator

from bot.web.manifest import ManifestError, build_manifest, load_app_yml

ROOT = Path(__file__).resolve().parents[2]

EVENTS = [
    "issues",
    "issue_comment",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "check_run",
    "check_suite",
    "status",
]
PERMISSIONS = {
    "contents": "write",
    "pull_requests": "write",
    "issues": "write",
    "checks": "write",
    "statuses": "read",
    "metadata": "read",
}


def test_app_yml_asks_for_exactly_the_events_and_permissions_the_app_needs() -> None:
    app_yml = load_app_yml()

    assert app_yml["name"] == "ai-orchestrator"
    assert app_yml["default_events"] == EVENTS
    assert app_yml["default_permissions"] == PERMISSIONS
    assert app_yml["public"] is False


def test_the_packaged_app_yml_is_the_top_level_one() -> None:
    assert load_app_yml() == load_app_yml(ROOT / "app.yml")


def test_permission_names_and_levels_are_githubs(shared_dir: Path) -> None:
    spec = json.loads((shared_dir / "github" / "rest-api.json").read_text())
    schema = {**spec["components"]["schemas"]["app-permissions"], "additionalProperties": False}

    OAS30WriteValidator(schema).validate(load_app_yml()["default_permissions"])


def test_every_subscribed_event_is_one_github_sends(shared_dir: Path) -> None:
    payloads = {path.stem for path in (shared_dir / "github" / "webhooks").glob("*.json")}

    assert set(load_app_yml()["default_events"]) <= payloads


def test_manifest_points_github_at_this_server() -> None:
    manifest = build_manifest(load_app_yml(), public_url="https://bot.example.com/")

    assert manifest["hook_attributes"] == {
        "url": "https://bot.example.com/webhooks",
        "active": True,
    }
    assert manifest["redirect_url"] == "https://bot.example.com/setup/callback"
    assert manifest["url"] == "https://bot.example.com"
    assert manifest["default_events"] == EVENTS
    assert manifest["default_permissions"] == PERMISSIONS
    assert manifest["public"] is False
    assert "setup_url" not in manifest


def test_manifest_keeps_app_yml_url_and_takes_a_setup_url() -> None:
    app_yml = {"name": "x", "url": "https://example.com/docs"}

    manifest = build_manifest(
        app_yml, public_url="https://bot.example.com", setup_url="https://bot.example.com/hello"
    )

    assert manifest["url"] == "https://example.com/docs"
    assert manifest["setup_url"] == "https://bot.example.com/hello"


def test_manifest_drops_keys_github_does_not_know() -> None:
    app_yml: dict[str, Any] = {
        "name": "x",
        "version": "v1",
        "hook_attributes": {"url": "https://old.example.com/", "active": False, "secret": "s"},
        "redirect_url": "https://old.example.com/cb",
        "request_oauth_on_install": False,
    }

    manifest = build_manifest(app_yml, public_url="https://bot.example.com")

    assert manifest == {
        "name": "x",
        "url": "https://bot.example.com",
        "hook_attributes": {"url": "https://bot.example.com/webhooks", "active": False},
        "redirect_url": "https://bot.example.com/setup/callback",
        "request_oauth_on_install": False,
    }


def test_manifest_leaves_out_events_github_refuses_to_subscribe() -> None:
    # GitHub sends these to every App and rejects a manifest that names them.
    app_yml = {"default_events": ["installation", "issues", "installation_repositories", "issues"]}

    manifest = build_manifest(app_yml, public_url="https://bot.example.com")

    assert manifest["default_events"] == ["issues"]


@pytest.mark.parametrize(
    ("content", "problem"),
    [("- a list\n", "expected a mapping"), ("name: [unclosed\n", "not valid YAML")],
)
def test_a_broken_app_yml_is_one_clear_error(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "app.yml"
    path.write_text(content)

    with pytest.raises(ManifestError, match=problem):
        load_app_yml(path)


def test_a_missing_app_yml_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot read"):
        load_app_yml(tmp_path / "app.yml")
