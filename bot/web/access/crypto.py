"""The keys behind sessions: cookie signatures, CSRF tokens, and the tokens' encryption.

All derive from SESSION_SECRET with HKDF, one key per purpose, so no key is used for two
things. Without SESSION_SECRET (an install from before it existed, a platform whose settings
were copied by hand) they derive from the webhook secret instead: stable across restarts and
processes, and as secret; setting SESSION_SECRET later signs everyone out, nothing worse.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bot.settings import Settings

_FALLBACK_LABEL = b"ai-orchestrator session secret from the webhook secret"


class NoSessionSecret(Exception):
    """Neither SESSION_SECRET nor a webhook secret is set (setup mode)."""


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def session_secret(settings: Settings) -> bytes:
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value().encode()
    if settings.github_webhook_secret is not None:
        webhook = settings.github_webhook_secret.get_secret_value().encode()
        return hmac.new(webhook, _FALLBACK_LABEL, hashlib.sha256).digest()
    raise NoSessionSecret("SESSION_SECRET is not set")


class Keys:
    """Signing and encryption for one SESSION_SECRET."""

    def __init__(self, secret: bytes, *, clock: Callable[[], float] = time.time) -> None:
        self._sign = _derive(secret, b"cookie signature")
        self._csrf = _derive(secret, b"csrf token")
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"token encryption")))
        self._clock = clock

    # ---- signed values (cookies) ---------------------------------------------------------

    def sign(self, value: str) -> str:
        """`value` with its issue time and a MAC; `unsign` gives it back."""
        body = f"{value}.{int(self._clock())}"
        mac = hmac.new(self._sign, body.encode(), hashlib.sha256).digest()
        return f"{body}.{_b64(mac)}"

    def unsign(self, signed: str, *, max_age: float) -> str | None:
        """The value, or None when the MAC is wrong or it is older than `max_age` seconds."""
        body, _, mac = signed.rpartition(".")
        value, _, issued = body.rpartition(".")
        try:
            given = _unb64(mac)
            age = self._clock() - int(issued)
        except ValueError:
            return None
        wanted = hmac.new(self._sign, body.encode(), hashlib.sha256).digest()
        if not value or not hmac.compare_digest(given, wanted) or not 0 <= age <= max_age:
            return None
        return value

    # ---- CSRF ----------------------------------------------------------------------------

    def csrf(self, binding: str) -> str:
        """The CSRF token of a session (or of a signed-out browser's pre-session id)."""
        return _b64(hmac.new(self._csrf, binding.encode(), hashlib.sha256).digest())

    def csrf_ok(self, binding: str, given: str) -> bool:
        return hmac.compare_digest(self.csrf(binding).encode(), given.encode())

    # ---- tokens at rest ------------------------------------------------------------------

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode()).decode()

    def decrypt(self, ciphertext: str) -> str | None:
        """The token, or None when another secret encrypted it (SESSION_SECRET changed)."""
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken:
            return None


def digest(value: str) -> str:
    """SHA-256 hex: how sessions and bearer tokens are looked up without being stored."""
    return hashlib.sha256(value.encode()).hexdigest()
