"""Every secret reaches the one scrubber when it becomes known (issue 16, item 14): the agents'
API keys, the App's secrets setup mode receives later, a key read from its file; stored job
errors and delivery notes are scrubbed like log lines."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sqlmodel import select

from agents.settings import AgentSettings
from bot.logs import configure_logging
from bot.queue.worker import describe_error
from bot.settings import Settings
from bot.web.registration import Conversion
from storage.deliveries import Delivery
from tests.apphelpers import RunningApp
from tests.fakegithub import FakeGitHub

# A local server's key has no known shape: only its value can be scrubbed.
LOCAL_KEY = "local-llm-key-0123456789abcdef"
TOKEN = "ghs_" + "t" * 36


def logged(capsys: pytest.CaptureFixture[str], message: str) -> str:
    logging.getLogger("bot.test").warning(message)
    return capsys.readouterr().err


def test_an_agent_key_known_after_logging_started_is_scrubbed_from_logs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "json", secrets=[])  # as `serve` does, before the agents exist
    AgentSettings(_env_file=None, openai_api_key=LOCAL_KEY)  # type: ignore[call-arg]
    assert LOCAL_KEY not in logged(capsys, f"calling with {LOCAL_KEY}")


def test_app_secrets_received_in_setup_mode_are_scrubbed_from_logs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "text", secrets=[])  # setup mode: no App yet
    answer = {
        "id": 7,
        "slug": "orchestrator",
        "name": "Orchestrator",
        "html_url": "https://github.com/apps/orchestrator",
        "client_id": "Iv23liabc",
        "client_secret": "client-secret-value-42",
        "webhook_secret": "webhook-secret-value-42",
        "pem": "not-a-real-pem-but-secret",
    }
    Conversion.model_validate(answer)
    line = logged(
        capsys, "client-secret-value-42 webhook-secret-value-42 not-a-real-pem-but-secret"
    )
    assert "secret-value-42" not in line and "not-a-real-pem" not in line


def test_a_private_key_read_from_its_file_is_scrubbed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key_file = tmp_path / "app.pem"
    key_file.write_text("an-unusual-key-body-without-markers")
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        github_app_id=1,
        github_private_key_path=key_file,
        github_webhook_secret="w" * 20,
    )
    configure_logging("INFO", "json", secrets=[])
    settings.private_key()
    assert "an-unusual-key-body" not in logged(capsys, "key: an-unusual-key-body-without-markers")


def test_a_stored_job_error_is_scrubbed_of_the_agent_keys() -> None:
    AgentSettings(_env_file=None, anthropic_api_key=LOCAL_KEY)  # type: ignore[call-arg]
    stored = describe_error(RuntimeError(f"401 for key {LOCAL_KEY}"))
    assert LOCAL_KEY not in stored and "RuntimeError" in stored


async def test_a_failed_deliverys_note_is_scrubbed(
    app: RunningApp, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(deps: object, delivery_id: str) -> None:
        raise RuntimeError(f"GitHub said no to {TOKEN} and {app.settings.webhook_secret()}")

    monkeypatch.setattr("bot.queue.jobs.handle_delivery", broken)
    await app.deliver(*fake_github.person_opens_issue("octocat", "Orders", "Back office."))
    await app.drain()
    async with app.runtime.sessions() as session:
        [delivery] = (await session.exec(select(Delivery))).all()
    assert delivery.note is not None and "RuntimeError" in delivery.note
    assert TOKEN not in delivery.note
    assert app.settings.webhook_secret() not in json.dumps(delivery.note)
