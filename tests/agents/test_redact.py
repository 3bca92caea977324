"""Redaction: known secret values and credential-shaped strings become [REDACTED]."""

from __future__ import annotations

import pytest

from agents.redact import Redactor

PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc+/=\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    "secret",
    [
        "ghp_" + "a" * 36,
        "gho_" + "B" * 36,
        "ghs_" + "0" * 36,
        "ghu_" + "c1" * 18,
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        "sk-proj-" + "x" * 40,
        "sk-" + "Ab1" * 16,
        "sk-ant-api03-" + "Z9_-" * 20,
        "AKIAIOSFODNN7EXAMPLE",
        "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiIxMjMifQ.c2lnbmF0dXJlLXZhbHVl",
        PEM,
    ],
)
def test_credential_shapes_are_redacted(secret: str) -> None:
    text = f"config:\n  token = {secret}\nend"
    assert Redactor()(text) == "config:\n  token = [REDACTED]\nend"


def test_known_values_are_redacted_longest_first() -> None:
    redact = Redactor(["hunter2-long-secret", "hunter2-long-secret-and-more", "short"])

    text = redact("a hunter2-long-secret-and-more b hunter2-long-secret c short")

    assert text == "a [REDACTED] b [REDACTED] c short"  # values under 6 characters are kept


def test_ordinary_text_is_untouched() -> None:
    text = "Ask the desk about task-123, risk-assessment-and-mitigation and the sketch in "
    text += "skeleton.py; AKIA is a prefix."
    assert Redactor(["a-real-secret"])(text) == text
