"""Structured logging: one JSON object per line when not on a terminal, and never a secret.

Every record carries the fields of the current `log_context` (delivery, job, installation,
repository). The formatters replace the values of known secrets and anything shaped like a
token, key or JWT in the finished line, as a last line of defence; records themselves are not
changed, so other handlers see them whole.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from bot.logcontext import ContextFilter

_TOKEN_SHAPES = re.compile(
    r"(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}|sk-[A-Za-z0-9_-]{16,}"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----"
    r"|eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,})"
)
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
REDACTED = "[REDACTED]"


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every known secret value and token-shaped string replaced."""
    for secret in secrets:
        if secret and len(secret) >= 6:
            text = text.replace(secret, REDACTED)
    return _TOKEN_SHAPES.sub(REDACTED, text)


class JSONFormatter(logging.Formatter):
    """One JSON object per record, scrubbed of secrets after formatting."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        document.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return scrub(json.dumps(document, default=str), self.secrets)


class TextFormatter(logging.Formatter):
    """`time level logger: message  key=value …`, scrubbed of secrets after formatting."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = {k: v for k, v in vars(record).items() if k not in _STANDARD and v is not None}
        if extra:
            line += "  " + " ".join(f"{k}={v}" for k, v in extra.items())
        return scrub(line, self.secrets)


def configure_logging(level: str, fmt: str, secrets: Iterable[str] = ()) -> None:
    """Installs one handler on the root logger: JSON off a terminal, text on one."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    known = [secret for secret in secrets if secret]
    handler.setFormatter(JSONFormatter(known) if use_json else TextFormatter(known))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx2", "httpcore", "aiosqlite", "sqlalchemy.engine"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
