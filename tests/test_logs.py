"""Structured logs: JSON lines with the context fields, and no secret ever."""

from __future__ import annotations

import json
import logging

import pytest
import uvicorn

from agents.redact import REDACTED, Redactor
from bot.logcontext import log_context
from bot.logs import configure_logging


def test_json_lines_carry_context_and_hide_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    secret = "webhook-secret-value-123"
    configure_logging("INFO", "json", secrets=[secret])
    token = "ghs_" + "a" * 36
    with log_context(delivery_id="d-1", installation_id=42, repository="octo/hello"):
        logging.getLogger("bot.test").info("got %s and token %s", secret, token)
    line = capsys.readouterr().err.strip().splitlines()[-1]
    record = json.loads(line)
    assert record["delivery_id"] == "d-1"
    assert record["installation_id"] == 42
    assert record["repository"] == "octo/hello"
    assert secret not in line and token not in line
    assert record["message"] == f"got {REDACTED} and token {REDACTED}"


def test_exception_text_is_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    key = "sk-ant-" + "b" * 30
    try:
        raise RuntimeError(f"auth failed for {key}")
    except RuntimeError:
        logging.getLogger("bot.test").exception("call failed")
    record = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert key not in json.dumps(record)
    assert "RuntimeError" in record["exception"]


def test_a_key_after_an_escaped_newline_is_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")
    key = "sk-proj-" + "c" * 30
    logging.getLogger("bot.test").info("config:\n%s\t%s", key, key)
    assert key not in capsys.readouterr().err


def test_private_key_blocks_and_jwts_are_scrubbed() -> None:
    pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nabc\n-----END RSA PRIVATE KEY-----"
    jwt = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjMifQ.c2lnbmF0dXJlLXZhbHVl"
    assert Redactor()(f"key {pem} and {jwt}") == f"key {REDACTED} and {REDACTED}"


@pytest.mark.parametrize("fmt", ["json", "text"])
def test_uvicorns_color_message_is_left_out(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", fmt)
    config = uvicorn.Config(app="bot.web.app:create_app", host="127.0.0.1", port=0, log_config=None)
    with config.bind_socket() as sock:  # logs "Uvicorn running on …" with its color_message
        port = sock.getsockname()[1]
    [line] = [x for x in capsys.readouterr().err.splitlines() if "Uvicorn running" in x]
    assert "color_message" not in line and "\x1b" not in line and "\\u001b" not in line
    message = f"Uvicorn running on http://127.0.0.1:{port} (Press CTRL+C to quit)"
    assert (json.loads(line)["message"] if fmt == "json" else line).endswith(message)
