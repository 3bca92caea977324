"""The pre-flight's checks one by one: the App's key in its forms, the socket it binds, and the
lines it raises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bot.preflight import (
    PortInUse,
    PreflightFailed,
    app_problems,
    key_problem,
    listen,
    preflight,
    preflight_server,
)
from bot.settings import Settings, SettingsError
from tests.cli.conftest import free_port
from tests.fakegithub.keys import session_key

RSA_PEM = session_key("cli").private_pem


def settings(**values: Any) -> Settings:
    base: dict[str, Any] = {"github_app_id": 1, "github_webhook_secret": "s"}
    return Settings(_env_file=None, **{**base, **values})


def _ec_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def test_a_good_key_passes_as_a_value_a_one_line_value_and_a_file(tmp_path: Path) -> None:
    (tmp_path / "app.pem").write_text(RSA_PEM)
    assert key_problem(settings(github_private_key=RSA_PEM)) is None
    # Hosting platforms store the PEM in one line with literal "\n".
    assert key_problem(settings(github_private_key=RSA_PEM.replace("\n", "\\n"))) is None
    assert key_problem(settings(github_private_key_path=tmp_path / "app.pem")) is None


def test_setup_mode_has_no_key_to_check() -> None:
    bare = Settings(_env_file=None)
    assert key_problem(bare) is None
    assert app_problems(bare, "replay") == [
        "invalid setting GITHUB_APP_ID: not set; replay needs the App's credentials: register "
        "the App first (`ai-orchestrator serve`, then open / in a browser)"
    ]


@pytest.mark.parametrize(
    ("pem", "problem"),
    [
        (session_key("cli").public_pem, "is not a PEM private key"),
        ("-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n", "is not a PEM"),
        (_ec_pem(), "is not an RSA key; GitHub Apps sign their tokens with RSA"),
    ],
    ids=["public-key", "truncated", "ec-key"],
)
def test_a_key_github_cannot_use_is_named(pem: str, problem: str, tmp_path: Path) -> None:
    (tmp_path / "app.pem").write_text(pem)
    from_file = key_problem(settings(github_private_key_path=tmp_path / "app.pem"))
    prefix = f"invalid setting GITHUB_PRIVATE_KEY_PATH: {tmp_path}/app.pem "
    assert from_file is not None and from_file.startswith(prefix) and problem in from_file
    from_value = key_problem(settings(github_private_key=pem))
    assert from_value is not None and from_value.startswith("invalid setting GITHUB_PRIVATE_KEY: ")
    assert problem in from_value and pem.strip() not in from_value


def test_an_encrypted_key_says_so(tmp_path: Path) -> None:
    key = serialization.load_pem_private_key(RSA_PEM.encode(), password=None)
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"passphrase"),
    )
    (tmp_path / "app.pem").write_bytes(encrypted)
    problem = key_problem(settings(github_private_key_path=tmp_path / "app.pem"))
    assert problem is not None and problem.endswith(
        "is encrypted; GitHub's App keys have no passphrase"
    )


def test_a_binary_key_file_is_a_line_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "app.pem").write_bytes(bytes(range(256)))
    problem = key_problem(settings(github_private_key_path=tmp_path / "app.pem"))
    assert problem is not None and problem.endswith(
        "is not a PEM private key (GitHub's begins -----BEGIN RSA PRIVATE KEY-----)"
    )


def test_listen_binds_host_and_port_and_names_a_taken_port() -> None:
    sock = listen(settings(github_private_key=RSA_PEM, port=free_port()))
    port = sock.getsockname()[1]
    sock.listen()
    try:
        with pytest.raises(PortInUse, match=f"^invalid setting PORT: {port} is already in use"):
            listen(settings(github_private_key=RSA_PEM, port=port))
        with pytest.raises(PreflightFailed) as caught:
            preflight_server(
                settings(github_private_key=RSA_PEM, port=port, database_url="sqlite://")
            )
        assert caught.value.problems == [
            f"invalid setting PORT: {port} is already in use on 127.0.0.1"
        ]
    finally:
        sock.close()


def test_a_server_pre_flight_that_fails_leaves_the_port_free(tmp_path: Path) -> None:
    port = free_port()
    bad = settings(github_private_key="garbage", port=port, database_url="sqlite://")
    with pytest.raises(PreflightFailed):
        preflight_server(bad)
    listen(settings(github_private_key=RSA_PEM, port=port)).close()  # free again


def test_preflight_failed_is_a_settings_error_of_one_line_each(tmp_path: Path) -> None:
    bad = settings(
        github_private_key_path=tmp_path / "missing.pem",
        database_url=f"sqlite:///{tmp_path}/gone/app.db",
        host="999.1.1.1",
    )
    with pytest.raises(SettingsError) as caught:
        preflight(bad)
    assert str(caught.value).splitlines() == [
        f"invalid setting GITHUB_PRIVATE_KEY_PATH: {tmp_path}/missing.pem does not exist",
        "invalid setting HOST: 999.1.1.1 is not an address or a name that resolves (Name or "
        "service not known)",
        f"invalid setting DATABASE_URL: the SQLite file's folder {tmp_path}/gone does not exist",
    ]
