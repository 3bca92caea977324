"""The refusals of the access layer, each with the HTTP status it answers with."""

from __future__ import annotations


class AccessError(Exception):
    """A request the viewer may not make; `status` is what the page or the API answers."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Unauthorized(AccessError):
    status = 401
    code = "unauthorized"


class Forbidden(AccessError):
    status = 403
    code = "forbidden"


class NotFound(AccessError):
    """Also the answer for a project the viewer may not see: its existence is not revealed."""

    status = 404
    code = "not_found"


class Unavailable(AccessError):
    """Setup mode (no App yet), or GitHub did not answer a question only it can answer."""

    status = 503
    code = "unavailable"
