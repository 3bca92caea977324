"""Who may see and do what on the dashboard and the REST API.

The public interface (stable; the dashboard and the API call only these):

- `Viewer`: the signed-in person (`login`, `user_id`, `admin`: login in DASHBOARD_ADMINS). It
  holds no token; the user's GitHub token stays server-side, encrypted (`bot.web.access.tokens`).
- `async viewer_of(request) -> Viewer | None`: from the session cookie; None when signed out.
- `async api_viewer(request) -> Viewer`: from `Authorization: Bearer <GitHub user token>`;
  raises `Unauthorized` (401) for a missing or bad token.
- `async visible_repo_ids(request, viewer) -> frozenset[int]`: the repository ids the viewer
  can read through one of the App's installations (cached a few minutes per user); list filters
  use it (`Project.repo_id in ids`; admins see everything only on operator pages).
- `async visible_project(request, viewer, project_id) -> Project`: the project, or raises
  `NotFound` (404) when it does not exist *or* the viewer cannot read its repository.
- `async can_act(request, viewer, project) -> bool`: write permission, asked exactly as slash
  commands ask it (`bot.github.permissions.can_write`); for showing buttons.
- `async perform(request, viewer, project, action, *, argument="") -> Queued`:
  re-checks write permission (raises `Forbidden`, 403), queues the action as a job in the
  project's line of jobs (kind `bot.actions.ACTION_JOB`), never runs it in the request; the job
  writes the audit row, location `viewer.where` (`dashboard` or `api`). `action` is one of
  `ACTIONS` (retry, approve, pause, resume, abort, skip, invalidate-cache); `argument` as in the
  slash command (`phase-3`, a cache key); a malformed one raises `AccessError` (400).
- `csrf_token(request) -> str` for every form (a hidden field named `CSRF_FIELD`, or the header
  `CSRF_HEADER`); `async check_csrf(request, form=None) -> None` raises `Forbidden` (403) when it
  is missing or wrong. Every POST handler of the dashboard calls it before anything else (the
  API, bearer-authenticated, needs none).
- `SecurityHeaders`: ASGI middleware adding the strict CSP, `frame-ancestors 'none'`,
  `X-Content-Type-Options: nosniff` (and friends) to every answer.
- `access_routes()`: `/login?next=/path`, `/login/callback` (the OAuth callback), `/logout`
  (POST, with CSRF). Sign-in is a link to /login (not a form: CSP form-action).
- Errors: `AccessError` (status, code, message) with `Unauthorized`, `Forbidden`, `NotFound`,
  `Unavailable` (503: setup mode, GitHub down). Page handlers just raise them:
  `access_error_page`, registered on the app for `AccessError`, answers a short HTML page
  (401 sends the browser to /login). The API answers them in its JSON error shape.
"""

from __future__ import annotations

from bot.web.access.csrf import CSRF_FIELD, CSRF_HEADER, check_csrf, csrf_token
from bot.web.access.errors import AccessError, Forbidden, NotFound, Unauthorized, Unavailable
from bot.web.access.headers import SecurityHeaders
from bot.web.access.pages import access_error_page
from bot.web.access.perform import ACTIONS, Queued, perform
from bot.web.access.routes import access_routes
from bot.web.access.session import api_viewer, viewer_of
from bot.web.access.viewer import Viewer
from bot.web.access.visibility import can_act, visible_project, visible_repo_ids

__all__ = [
    "ACTIONS",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "AccessError",
    "Forbidden",
    "NotFound",
    "Queued",
    "SecurityHeaders",
    "Unauthorized",
    "Unavailable",
    "Viewer",
    "access_error_page",
    "access_routes",
    "api_viewer",
    "can_act",
    "check_csrf",
    "csrf_token",
    "perform",
    "viewer_of",
    "visible_project",
    "visible_repo_ids",
]
