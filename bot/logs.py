"""Structured logging: one JSON object per line when not on a terminal, and never a secret.

Every record carries the fields of the current `log_context` (delivery, job, installation,
repository). The formatters replace the values of known secrets and anything shaped like a
token, key or JWT in the finished line (`agents.redact`, the scrubber prompts go through too),
as a last line of defence; records themselves are not changed, so other handlers see them
whole.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import msgspec

from agents.redact import Redactor
from bot.logcontext import ContextFilter

_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
# Attributes never written out: the LogRecord's own, and uvicorn's `color_message` (the message
# again, with ANSI colour escapes), which would repeat every line with escapes in it.
_HIDDEN = frozenset(_STANDARD | {"color_message"})
_PLAIN = frozenset({str, int, float, bool, type(None)})
_encode = msgspec.json.Encoder().encode


class JSONFormatter(logging.Formatter):
    """One JSON object per record, scrubbed of secrets after formatting."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.redact = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        document: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        document.update({key: value for key, value in vars(record).items() if key not in _HIDDEN})
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return self.redact(_dumps(document))


def _dumps(document: dict[str, Any]) -> str:
    """One line of JSON. msgspec takes a tenth of `json.dumps`'s time (every request writes a
    line), but only for plain values: it would write bytes as base64, which the scrubber could
    not read, and other objects differently from their str(). Those take `json` as before."""
    if all(type(value) in _PLAIN for value in document.values()):
        try:
            return _encode(document).decode()
        except (TypeError, ValueError):  # a lone surrogate, say
            pass
    return json.dumps(document, default=str)


class TextFormatter(logging.Formatter):
    """`time level logger: message  key=value …`, scrubbed of secrets after formatting."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")
        self.redact = Redactor(secrets)

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extra = {k: v for k, v in vars(record).items() if k not in _HIDDEN and v is not None}
        if extra:
            line += "  " + " ".join(f"{k}={v}" for k, v in extra.items())
        return self.redact(line)


def configure_logging(level: str, fmt: str, secrets: Iterable[str] = ()) -> None:
    """Installs one handler on the root logger: JSON off a terminal, text on one."""
    use_json = fmt == "json" or (fmt == "auto" and not sys.stderr.isatty())
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter(secrets) if use_json else TextFormatter(secrets))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn's own logging set-up (what `uvicorn.Config` does unless `log_config=None`, say in
    # a process that also serves something else, as the tests do) gives its loggers handlers
    # that bypass the scrubber, and levels of their own: ours, from here on.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
        logger.setLevel(logging.NOTSET)
    for noisy in ("httpx2", "httpcore", "aiosqlite", "sqlalchemy.engine"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
