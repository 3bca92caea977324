"""A smee.io message turned back into the webhook GitHub sent. No I/O.

smee.io parses the JSON GitHub posted to the channel and sends it on as one Server-Sent Event
whose data is `{<the request's headers, lower-case>, "body": <the parsed payload>, "query": …,
"timestamp": …}`. The signature in `x-hub-signature-256` is over GitHub's bytes, so the body has
to be written back byte for byte: from the raw text when the channel carries it (`rawBody`, sent
by smee servers that keep it), else by serialising the payload the way GitHub writes webhook
JSON (`github_json`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# What /webhooks reads, and nothing else: anyone who knows a channel can post to it, so no
# other header a stranger chose is passed on.
FORWARDED_HEADERS = frozenset({"user-agent", "x-hub-signature", "x-hub-signature-256"})
FORWARDED_PREFIX = "x-github-"
RAW_BODY_KEY = "rawBody"

# One JSON escape at a time, left to right, so that an escaped backslash followed by "u0041"
# is not mistaken for a \u escape.
_ESCAPE = re.compile(rb"\\(?:u[0-9a-fA-F]{4}|.)", re.DOTALL)


class NotAWebhook(ValueError):
    """The message is not a relayed webhook (the reason is the message)."""


@dataclass(frozen=True)
class Relayed:
    headers: dict[str, str]
    body: bytes

    @property
    def delivery_id(self) -> str | None:
        return self.headers.get("x-github-delivery")


def relayed(data: str) -> Relayed:
    """The request to post to /webhooks for the data of one smee.io message."""
    try:
        message = json.loads(data)
    except json.JSONDecodeError:
        raise NotAWebhook("data is not JSON") from None
    if not isinstance(message, dict) or "body" not in message:
        raise NotAWebhook("data has no body")
    headers = {
        name: value
        for name, value in message.items()
        if isinstance(value, str) and _forwarded(name)
    }
    headers["content-type"] = "application/json"  # GitHub Apps always deliver JSON
    return Relayed(headers, _body(message))


def github_json(payload: Any) -> bytes:
    """`payload` as GitHub writes webhook JSON, which is what its signature covers.

    GitHub sends compact JSON (no spaces, no final newline), every character as UTF-8 except
    those JSON must escape, and control characters as `\\u` escapes with upper-case hex digits
    (`\\u001B`). Python writes lower-case hex, as JavaScript's JSON.stringify does; the one
    difference is mended here. @octokit/webhooks verified GitHub's signatures against exactly
    this form for years, before it took the raw body.
    """
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # backslashreplace: a lone surrogate cannot be UTF-8; it becomes a \u escape as in JSON.
    return _ESCAPE.sub(_upper_hex, text.encode("utf-8", "backslashreplace"))


def _forwarded(name: str) -> bool:
    return name in FORWARDED_HEADERS or name.startswith(FORWARDED_PREFIX)


def _body(message: dict[str, Any]) -> bytes:
    raw = message.get(RAW_BODY_KEY)
    if isinstance(raw, str) and raw:
        return raw.encode("utf-8", "backslashreplace")
    return github_json(message["body"])


def _upper_hex(match: re.Match[bytes]) -> bytes:
    escape = match.group(0)
    return escape[:2] + escape[2:].upper() if escape.startswith(b"\\u") else escape
