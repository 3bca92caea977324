"""The GitHub App manifest: `app.yml` read, then completed with this server's URLs.

GitHub's manifest flow takes a JSON object of known keys; `build_manifest` fills in the webhook
URL (which GitHub must reach: PUBLIC_URL, or the webhook proxy's channel) and the redirect URL
(which only the browser must reach: the address it used), and leaves out whatever GitHub would
not understand.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from bot.web.access.paths import CALLBACK_PATH as SIGN_IN_CALLBACK_PATH

APP_YML = Path(__file__).with_name("app.yml")  # a symlink to the top-level app.yml

WEBHOOK_PATH = "/webhooks"
CALLBACK_PATH = "/setup/callback"

# The keys of a manifest, as GitHub documents them.
MANIFEST_KEYS = frozenset(
    {
        "name",
        "url",
        "hook_attributes",
        "redirect_url",
        "callback_urls",
        "setup_url",
        "description",
        "public",
        "default_events",
        "default_permissions",
        "request_oauth_on_install",
        "setup_on_update",
    }
)
HOOK_KEYS = frozenset({"url", "active"})

# Delivered to every App; GitHub rejects a manifest whose default_events names them.
ALWAYS_DELIVERED_EVENTS = frozenset({"installation", "installation_repositories"})


class ManifestError(Exception):
    """app.yml is missing or not a manifest; the message names the file and the problem."""


def load_app_yml(path: Path | None = None) -> dict[str, Any]:
    """The manifest defaults from `app.yml` (the packaged copy unless a path is given)."""
    path = path or APP_YML
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ManifestError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ManifestError(f"{path}: expected a mapping of manifest keys")
    return data


def build_manifest(
    app_yml: Mapping[str, Any],
    *,
    webhook_url: str,
    browser_url: str,
    home_url: str | None = None,
    setup_url: str | None = None,
) -> dict[str, Any]:
    """The manifest to post to GitHub: app.yml's keys plus this server's URLs.

    `browser_url` is where the browser reached this server; GitHub sends it back there. The
    App's homepage, unless app.yml names one, is `home_url`, else `browser_url`.
    """
    browser = browser_url.rstrip("/")
    manifest = {key: value for key, value in app_yml.items() if key in MANIFEST_KEYS}
    manifest.setdefault("url", (home_url or browser).rstrip("/"))
    hook = app_yml.get("hook_attributes") or {}
    manifest["hook_attributes"] = {k: v for k, v in hook.items() if k in HOOK_KEYS}
    manifest["hook_attributes"]["url"] = webhook_url
    manifest["redirect_url"] = browser + CALLBACK_PATH
    # Where GitHub may send people back after signing in to the dashboard (bot/web/access).
    manifest["callback_urls"] = [browser + SIGN_IN_CALLBACK_PATH]
    if setup_url is not None:
        manifest["setup_url"] = setup_url
    if "default_events" in manifest:
        manifest["default_events"] = _subscribable(manifest["default_events"])
    return manifest


def _subscribable(events: list[str]) -> list[str]:
    """The events in order, once each, without those GitHub sends unasked."""
    return [e for e in dict.fromkeys(events) if e not in ALWAYS_DELIVERED_EVENTS]
