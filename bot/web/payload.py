"""A webhook request to a verified event: signature first, then the body, parsed once.

The signature is checked before anything else reads the body (gidgethub's `validate_event`:
HMAC-SHA256, compared in constant time; like gidgethub's `Event.from_http`, which this
replaces on the hot path, `X-Hub-Signature` stands in when `-256` is absent).

A JSON body, what GitHub sends, is parsed once, by msgspec, into just the facts the delivery
row indexes (`Facts`: action, installation id, repository, sender); msgspec still reads every
byte and refuses malformed JSON, and the UTF-8 check of keeping the body as text covers the
strings it skips. The body is stored as that text, as GitHub sent it, never serialised again.
What this refuses (a payload whose facts have other shapes, NaN, a lone surrogate, an array)
is parsed again in full by `json`, so the app accepts, refuses and indexes exactly what it
did before. Any other content type (a form-encoded `payload=…`, another charset) goes
through gidgethub as before.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from gidgethub import BadRequest, ValidationFailure, sansio

MAX_DELIVERY_ID = 64
# What GitHub sends; a charset parameter other than UTF-8 takes gidgethub's general path.
_PLAIN_JSON = frozenset({"application/json", "application/json; charset=utf-8"})


class _Installation(msgspec.Struct):
    id: Any = None


class _Repository(msgspec.Struct):
    full_name: Any = None


class _Sender(msgspec.Struct):
    login: Any = None


class Facts(msgspec.Struct):
    """The parts of a payload `storage.deliveries.describe` reads; the rest is skipped."""

    action: Any = None
    installation: _Installation | None = None
    repository: _Repository | None = None
    sender: _Sender | None = None

    def as_payload(self) -> dict[str, Any]:
        """The facts in the payload's own shape (what `describe` takes)."""
        return {
            "action": self.action,
            "installation": {"id": self.installation.id} if self.installation else None,
            "repository": {"full_name": self.repository.full_name} if self.repository else None,
            "sender": {"login": self.sender.login} if self.sender else None,
        }


_decode_facts = msgspec.json.Decoder(Facts).decode


class Refused(Exception):
    """The request is not a delivery to store: answer `status` with `message`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class WebhookEvent:
    event: str
    delivery_id: str
    # The payload; when `raw` is given, only its facts (`Facts.as_payload`): `raw` is stored.
    data: dict[str, Any]
    raw: str | None


def parse_json(body: bytes) -> tuple[Any, str]:
    """The body's facts (or, on the slow path, its whole value) and its text. Raises
    ValueError (UnicodeDecodeError, JSONDecodeError) when it is not UTF-8 JSON."""
    try:
        facts = _decode_facts(body)
    except (msgspec.DecodeError, msgspec.ValidationError):
        text = body.decode("utf-8")
        return json.loads(text), text
    except RecursionError:  # nested deeper than either parser goes: not a webhook
        raise ValueError("JSON nested too deep") from None
    return facts.as_payload(), body.decode("utf-8")  # the UTF-8 check of skipped strings


def _check_signature(headers: Mapping[str, str], body: bytes, secret: str) -> None:
    signature = headers.get("x-hub-signature-256", headers.get("x-hub-signature"))
    try:
        if signature is None:
            raise ValidationFailure("signature is missing")
        sansio.validate_event(body, signature=signature, secret=secret)
    except ValidationFailure:
        raise Refused(401, "signature missing or invalid") from None


def _content(headers: Mapping[str, str], body: bytes, secret: str) -> tuple[Any, str | None]:
    content_type = headers.get("content-type")
    if content_type is not None and content_type.strip().lower() in _PLAIN_JSON and body:
        try:
            return parse_json(body)
        except (ValueError, RecursionError):
            raise Refused(400, "body is not a JSON webhook payload") from None
    try:  # the rare forms, as gidgethub reads them (it checks the signature again: cheap)
        return sansio.Event.from_http(headers, body, secret=secret).data, None
    except BadRequest:
        raise Refused(400, "body is not a JSON webhook payload") from None
    except KeyError:
        return None, None  # the missing header is reported below, as before


def verified_event(headers: Mapping[str, str], body: bytes, secret: str) -> WebhookEvent:
    """The event, or `Refused`: 401 for a missing or wrong signature, 400 for the rest."""
    _check_signature(headers, body, secret)
    data, raw = _content(headers, body, secret)
    for name in ("x-github-event", "x-github-delivery"):
        if name not in headers:
            raise Refused(400, f"missing header {name}")
    if not isinstance(data, dict):
        raise Refused(400, "payload is not a JSON object")
    delivery_id = headers["x-github-delivery"]
    if not delivery_id or len(delivery_id) > MAX_DELIVERY_ID:
        raise Refused(400, "invalid X-GitHub-Delivery")
    return WebhookEvent(headers["x-github-event"], delivery_id, data, raw)
