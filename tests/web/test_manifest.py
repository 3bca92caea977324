"""app.yml and the manifest built from it for GitHub's App-registration flow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30WriteValidator

from bot.web.manifest import ManifestError, build_manifest, load_app_yml
from tests.fakegithub.openapi import OpenAPISpec
from tests.githubdata import webhook_examples

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = {
    "webhook_url": "https://bot.example.com/webhooks",
    "browser_url": "https://bot.example.com",
}

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
    "actions": "write",  # CI job logs and re-runs
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


def test_permission_names_and_levels_are_githubs(github_spec: OpenAPISpec) -> None:
    schemas = github_spec.document["components"]["schemas"]
    schema = {**schemas["app-permissions"], "additionalProperties": False}

    OAS30WriteValidator(schema).validate(load_app_yml()["default_permissions"])


def test_every_subscribed_event_is_one_github_sends() -> None:
    assert set(load_app_yml()["default_events"]) <= webhook_examples().keys()


def test_manifest_points_github_at_this_server() -> None:
    manifest = build_manifest(
        load_app_yml(),
        webhook_url="https://bot.example.com/webhooks",
        browser_url="https://bot.example.com/",
    )

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


def test_the_browser_comes_back_to_its_own_address_while_github_posts_to_the_public_one() -> None:
    manifest = build_manifest(
        load_app_yml(),
        webhook_url="https://smee.example.test/channel-1",
        browser_url="http://127.0.0.1:8000",
        home_url="https://bot.example.com",
    )

    assert manifest["hook_attributes"]["url"] == "https://smee.example.test/channel-1"
    assert manifest["redirect_url"] == "http://127.0.0.1:8000/setup/callback"
    assert manifest["url"] == "https://bot.example.com"


def test_without_a_homepage_the_app_points_at_the_browsers_address() -> None:
    manifest = build_manifest(
        {"name": "x"},
        webhook_url="https://smee.example.test/c",
        browser_url="http://localhost:8000/",
    )

    assert manifest["url"] == "http://localhost:8000"


def test_manifest_keeps_app_yml_url_and_takes_a_setup_url() -> None:
    app_yml = {"name": "x", "url": "https://example.com/docs"}

    manifest = build_manifest(app_yml, **PUBLIC, setup_url="https://bot.example.com/hello")

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

    manifest = build_manifest(app_yml, **PUBLIC)

    assert manifest == {
        "name": "x",
        "url": "https://bot.example.com",
        "hook_attributes": {"url": "https://bot.example.com/webhooks", "active": False},
        "redirect_url": "https://bot.example.com/setup/callback",
        "callback_urls": ["https://bot.example.com/login/callback"],
        "request_oauth_on_install": False,
    }


def test_manifest_leaves_out_events_github_refuses_to_subscribe() -> None:
    # GitHub sends these to every App and rejects a manifest that names them.
    app_yml = {"default_events": ["installation", "issues", "installation_repositories", "issues"]}

    manifest = build_manifest(app_yml, **PUBLIC)

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
