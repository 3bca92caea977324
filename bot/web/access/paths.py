"""The sign-in routes' paths (the manifest registers the callback as the App's callback URL)."""

from __future__ import annotations

LOGIN_PATH = "/login"
CALLBACK_PATH = "/login/callback"
LOGOUT_PATH = "/logout"
