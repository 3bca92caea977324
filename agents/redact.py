"""The one secret scrubber: for prompts and cached answers (agents) and for log lines and
stored job errors (bot). It lives here because both may import it: agents import only
`agents` and `storage`.

Two nets: the exact values we know are secret (the configured API keys, the App's private key
and webhook secret, installation tokens — whatever the caller passes), and the shapes of
well-known credentials that may arrive inside an issue body, a file or an exception message.
"""

from __future__ import annotations

import re
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

# Values this short are too likely to be ordinary words to replace everywhere.
_MIN_SECRET_LENGTH = 6


class Redactor:
    """Replaces known secret values and credential-shaped strings with `[REDACTED]`."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        values = {value for value in secrets if len(value) >= _MIN_SECRET_LENGTH}
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted(values, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self._secrets:
            text = text.replace(value, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(REDACTED, text)
        return text
