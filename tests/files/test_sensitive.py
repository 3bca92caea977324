"""Files that usually hold secrets, known by their names whatever their suffix says (issue 16,
item 15); an example env file is not one of them."""

from __future__ import annotations

import pytest

from bot.files.sensitive import holds_secrets, is_example_env
from bot.workflow.facts import readable

SECRET_FILES = [
    ".env",
    ".env.local",
    ".env.production.yml",
    "config/.env.production.yml",
    ".envrc",
    "deploy/prod.env",
    "certs/server.pem",
    "tls.key",
    "tls.key.txt",
    "deploy/server.pem",
    "store.p12",
    "keys/id_rsa",
    "keys/id_ed25519.pub",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".git-credentials",
    ".aws/credentials",
    "credentials.json",
    "client_secret_123.json",
    "ops/gcp-service-account.json",
    "config/secrets.yml",
    "home/.docker/config.json",
]


@pytest.mark.parametrize("path", SECRET_FILES)
def test_secret_files_are_known_and_never_readable(path: str) -> None:
    assert holds_secrets(path)
    assert not readable(path)


@pytest.mark.parametrize(
    "path",
    ["app/secrets.py", "keys.py", "monkey.py", "tokenizer.json", "env.py", "docs/keys.md"],
)
def test_code_about_secrets_is_not_a_secret_file(path: str) -> None:
    assert not holds_secrets(path)
    assert readable(path)


@pytest.mark.parametrize("path", [".env.example", ".env.sample", "app/.env.template", ".env.dist"])
def test_an_example_env_file_is_read(path: str) -> None:
    assert is_example_env(path) and not holds_secrets(path) and readable(path)
