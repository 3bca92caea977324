"""The one secret scrubber: for prompts and cached answers (agents) and for log lines and
stored job errors (bot). It lives here because both may import it: agents import only
`agents` and `storage`.

Two nets: the exact values we know are secret, and the shapes of well-known credentials that
may arrive inside an issue body, a file or an exception message.

The values reach every scrubber of the process through one registry (`register_secrets`),
when they become known: the settings, the agents' settings and setup mode's new App register
theirs as they are read, so a scrubber built earlier (the log formatter, at start-up) covers
them too. A caller may still pass values of its own to one `Redactor`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable

REDACTED = "[REDACTED]"

_PATTERNS = [
    # PEM private keys (RSA, EC, OPENSSH, PKCS#8, encrypted), the whole block.
    re.compile(
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?-----END [A-Z0-9 ]*PRIVATE KEY-----", re.DOTALL
    ),
    re.compile(r"gh[pousr]_[A-Za-z0-9]{20,}"),  # GitHub classic and installation tokens
    re.compile(r"github_pat_[A-Za-z0-9_]{20,}"),  # GitHub fine-grained tokens
    # OpenAI keys (sk-, sk-proj-, sk-svcacct-, sk-admin-) and Anthropic keys (sk-ant-). At a
    # word's start only ("risk-assessment-and-mitigation" is prose), or after an escaped
    # newline or tab, as in a JSON log line or a repr.
    re.compile(r"(?:\b|(?<=\\[nrt]))sk-[A-Za-z0-9_\-]{16,}"),
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),  # AWS access key ids
    re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),  # JWTs
]
# Text each pattern cannot match without (one of them). Patterns that begin with `\b` or a
# lookbehind get no fast literal scan from `re`: the `sk-` one alone cost 18 µs on a log line.
# A substring test first makes a line without any of them cheap; the result is the same.
_NEEDLES: list[tuple[str, ...]] = [
    ("-----BEGIN ",),
    ("gh",),
    ("github_pat_",),
    ("sk-",),
    ("AKIA", "ASIA"),
    ("eyJ",),
]
_SCREENED = list(zip(_PATTERNS, _NEEDLES, strict=True))

# Values this short are too likely to be ordinary words to replace everywhere.
_MIN_SECRET_LENGTH = 6


def _forms(value: str) -> set[str]:
    """A value as it may appear in text: as is, escaped in a JSON log line, in a repr."""
    return {value, json.dumps(value)[1:-1], repr(value)[1:-1]}


class SecretRegistry:
    """The secret values this process knows (`values()` is a new set after each addition)."""

    def __init__(self) -> None:
        self._values: frozenset[str] = frozenset()
        self._lock = threading.Lock()

    def add(self, values: Iterable[str | None]) -> None:
        new = {form for value in values if value for form in _forms(value)}
        with self._lock:
            self._values |= {v for v in new if len(v) >= _MIN_SECRET_LENGTH}

    def values(self) -> frozenset[str]:
        return self._values


SECRETS = SecretRegistry()


def register_secrets(*values: str | None) -> None:
    """Makes every scrubber of this process replace `values` from now on (None is skipped)."""
    SECRETS.add(values)


class Redactor:
    """Replaces known secret values (its own and the registry's) and credential-shaped strings
    with `[REDACTED]`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._own = frozenset(form for value in secrets if value for form in _forms(value))
        self._seen: tuple[int, frozenset[str]] | None = None
        self._sorted: list[str] = []

    def _secrets(self) -> list[str]:
        registry = SECRETS  # looked up on each call: a test may swap the registry
        current = (id(registry), registry.values())
        if self._seen != current:
            values = {v for v in self._own | current[1] if len(v) >= _MIN_SECRET_LENGTH}
            # Longest first, so a secret containing another is replaced whole.
            self._sorted = sorted(values, key=len, reverse=True)
            self._seen = current
        return self._sorted

    def __call__(self, text: str) -> str:
        for value in self._secrets():
            text = text.replace(value, REDACTED)
        for pattern, needles in _SCREENED:
            if any(needle in text for needle in needles):
                text = pattern.sub(REDACTED, text)
        return text


# The process's scrubber, for text stored or shown outside the logs (job errors, notes).
scrub = Redactor()
