"""Repository files that usually hold secrets: never read, so never sent to a provider.

Judged by the file's name, whatever its suffix says: `.env.production.yml` is an env file and
`tls.key.txt` a key, though `.yml` and `.txt` are text. Pattern-based redaction (`agents.redact`)
stays the second net for a secret in an ordinary file.

An example env file (`.env.example`, `.env.sample`, `.env.template`, `.env.dist`) is the
exception: it is committed to document the settings a program reads, usually with no value or
a placeholder, and a phase that adds a setting should see it (and extend it, not overwrite it).
"""

from __future__ import annotations

from pathlib import PurePosixPath

EXAMPLE_ENV_SUFFIXES = frozenset({"example", "sample", "template", "dist"})
KEY_SUFFIXES = frozenset({"pem", "key", "p12", "pfx", "jks", "keystore", "ppk"})
SSH_KEYS = ("id_rsa", "id_dsa", "id_ecdsa", "id_ed25519")
SECRET_NAMES = frozenset(
    {
        ".npmrc",
        ".pypirc",
        ".netrc",
        "_netrc",
        ".git-credentials",
        ".pgpass",
        ".htpasswd",
        ".dockercfg",
        "credentials",  # ~/.aws/credentials and the like
    }
)
# Data files whose name says what they hold: `credentials.json`, `config/secrets.yml`.
DATA_SUFFIXES = frozenset({"json", "yaml", "yml", "toml", "ini", "cfg", "conf", "txt", "xml"})
SECRET_WORDS = ("credential", "secret", "service-account", "service_account")


def is_example_env(path: str) -> bool:
    """`.env.example` and its kin: settings documented, not set."""
    parts = PurePosixPath(path).name.lower().split(".")
    return _is_env(parts) and parts[-1] in EXAMPLE_ENV_SUFFIXES


def _is_env(parts: list[str]) -> bool:
    """`.env`, `.env.local`, `.envrc`, `prod.env`: the name's parts, split at dots."""
    return (parts[0] == "" and parts[1].startswith("env")) or parts[-1] == "env"


def holds_secrets(path: str) -> bool:
    """Whether the file at `path` is one that usually holds secrets."""
    name = PurePosixPath(path).name.lower()
    parts = name.split(".")
    if len(parts) > 1 and _is_env(parts):
        return parts[-1] not in EXAMPLE_ENV_SUFFIXES
    if name in SECRET_NAMES or name.startswith(SSH_KEYS) or KEY_SUFFIXES & set(parts[1:]):
        return True
    if path.lower().endswith(".docker/config.json"):
        return True  # registry logins
    stem, suffix = parts[0], parts[-1]
    return suffix in DATA_SUFFIXES and any(word in stem for word in SECRET_WORDS)
