"""Fields every log record carries (delivery, job, installation, repository), per task.

`log_context(job_id=7)` adds fields for the code inside it; `ContextFilter`, installed on a
handler, copies the current fields onto each record. A contextvar, so concurrent jobs in one
event loop keep their own fields, and tasks started inside a context inherit them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType

_EMPTY: Mapping[str, object] = MappingProxyType({})
_fields: ContextVar[Mapping[str, object]] = ContextVar("log_fields", default=_EMPTY)


@contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Adds `fields` to every record logged inside the block (inner values win)."""
    token = _fields.set(MappingProxyType({**_fields.get(), **fields}))
    try:
        yield
    finally:
        _fields.reset(token)


class ContextFilter(logging.Filter):
    """Puts the current context's fields on each record, never over a field given in `extra`."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, value in _fields.get().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True
