"""`doctor`, `deliveries` and `replay`: what an operator sees."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from bot.cli.app import replay_delivery
from bot.cli.doctor import run_doctor
from bot.cli.main import main
from bot.settings import Settings, SettingsError
from storage.db import make_engine, make_sessionmaker, transaction
from storage.deliveries import NewDelivery, record_deliveries
from storage.projects import Project
from tests.apphelpers import RunningApp
from tests.cli.conftest import free_port
from tests.fakegithub import FakeGitHub


@pytest.fixture
def provider_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-openai-key-000000")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-key-000000000")


async def doctor_lines(settings: Settings, fake: FakeGitHub) -> tuple[int, list[str]]:
    lines: list[str] = []
    async with fake.client() as http:
        code = await run_doctor(lambda: settings, http=http, out=lines.append)
    return code, lines


async def test_doctor_passes_every_check_on_a_working_setup(
    app_settings: Settings, fake_github: FakeGitHub, provider_keys: None
) -> None:
    settings = app_settings.model_copy(update={"port": free_port()})
    code, lines = await doctor_lines(settings, fake_github)
    assert code == 0, lines
    names = [line.split(":")[0].split(maxsplit=1)[1] for line in lines]
    for name in (
        "settings",
        "credentials",
        "private key",
        "jwt",
        "database",
        "github app",
        "installations",
        "OPENAI_API_KEY",
        "ANTHROPIC_API_KEY",
        "listen",
        "schema",
        "agent developer",
    ):
        assert name in names
    assert all(line.startswith("ok") for line in lines)
    assert any("octo-org" in line for line in lines if "installations" in line)


async def test_doctor_names_what_to_fix(
    app_settings: Settings, fake_github: FakeGitHub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    broken = app_settings.model_copy(
        update={"github_private_key": None, "github_private_key_path": Path("/nonexistent.pem")}
    )
    code, lines = await doctor_lines(broken, fake_github)
    assert code == 2  # a bad setting: what serve, web and worker refuse
    failed = [line for line in lines if line.startswith("FAIL")]
    assert (
        "FAIL  private key: invalid setting GITHUB_PRIVATE_KEY_PATH: /nonexistent.pem does "
        "not exist" in failed
    )
    assert any("OPENAI_API_KEY" in line for line in failed)
    assert not any("github" in line for line in lines)  # a key that cannot sign asks nothing
    assert fake_github.requests == []
    assert all(app_settings.webhook_secret() not in line for line in lines)


async def test_doctor_fails_a_github_that_refuses_the_app_with_exit_1(
    app_settings: Settings, fake_github: FakeGitHub, provider_keys: None
) -> None:
    stranger = app_settings.model_copy(update={"github_app_id": 999999, "port": free_port()})
    code, lines = await doctor_lines(stranger, fake_github)
    assert code == 1
    assert [line.split(":")[0] for line in lines if line.startswith("FAIL")] == ["FAIL  github"]


async def test_doctor_reports_a_bad_setting_in_one_line(fake_github: FakeGitHub) -> None:
    def broken() -> Settings:
        raise SettingsError("invalid setting PORT: Input should be a valid integer")

    lines: list[str] = []
    async with fake_github.client() as http:
        assert await run_doctor(broken, http=http, out=lines.append) == 2
    assert lines == ["FAIL  settings: invalid setting PORT: Input should be a valid integer"]


async def test_doctor_without_credentials_says_how_to_register(
    fake_github: FakeGitHub, database_url: str, provider_keys: None
) -> None:
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    code, lines = await doctor_lines(settings, fake_github)
    assert code == 1
    assert any(line.startswith("FAIL  credentials") and "register" in line for line in lines)


async def test_deliveries_lists_recent_deliveries(
    app: RunningApp, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await app.deliver(
        "ping", {"zen": "Half measures are as bad as nothing at all."}, delivery_id="d-ping"
    )
    await app.deliver("label", {"action": "created", "label": {"name": "x"}}, delivery_id="d-label")
    await app.drain()
    monkeypatch.setenv("DATABASE_URL", app.settings.database_url)
    monkeypatch.setenv("ENV_FILE_PATH", str(app.settings.env_file_path))
    assert await _run_cli(["deliveries", "--limit", "5"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 3
    assert "d-label" in out[1] and "label.created" in out[1] and "ignored" in out[1]
    assert "d-ping" in out[2] and "ping" in out[2]


async def test_replay_runs_a_stored_delivery_again(
    app: RunningApp, fake_github: FakeGitHub
) -> None:
    event, payload = fake_github.person_opens_issue(
        "writer", "Build it", labels=["ai-orchestrator"]
    )
    await app.deliver(event, payload, delivery_id="d-issue")
    await app.drain()
    async with fake_github.client() as http:
        assert await replay_delivery(app.settings, "d-issue", http=http) == "handled"
        assert await replay_delivery(app.settings, "no-such-delivery", http=http) is None
    repo = fake_github.state.repos["octo-org/hello-world"]
    assert len(repo.comments) == 1  # the replay found the project and its comment: nothing new
    async with app.runtime.sessions() as session:
        assert len((await session.exec(select(Project))).all()) == 1


def test_replay_of_an_unknown_delivery_exits_1(
    app_settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("DATABASE_URL", "GITHUB_API_URL", "ENV_FILE_PATH"):
        monkeypatch.setenv(name, str(getattr(app_settings, name.lower())))
    monkeypatch.setenv("GITHUB_APP_ID", str(app_settings.github_app_id))
    monkeypatch.setenv("GITHUB_PRIVATE_KEY", app_settings.private_key())
    monkeypatch.setenv("GITHUB_WEBHOOK_SECRET", app_settings.webhook_secret())
    assert main(["replay", "no-such-delivery"]) == 1
    assert capsys.readouterr().out.strip() == "no stored delivery no-such-delivery"


def test_replay_of_an_unknown_delivery_needs_no_credentials_and_says_so_once(
    clean_env: pytest.MonkeyPatch, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("DATABASE_URL", database_url)
    assert main(["replay", "no-such-delivery"]) == 1
    out, err = capsys.readouterr()
    assert (out, err) == ("no stored delivery no-such-delivery\n", "")


async def test_replay_of_a_stored_delivery_needs_the_app(
    clean_env: pytest.MonkeyPatch, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_env.setenv("DATABASE_URL", database_url)
    engine = make_engine(database_url)
    async with transaction(make_sessionmaker(engine)) as session:
        await record_deliveries(session, [NewDelivery("d-ping", "ping", {"zen": "Keep it."})])
    await engine.dispose()

    assert await _run_cli(["replay", "d-ping"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ai-orchestrator: invalid setting GITHUB_APP_ID: not set; replay needs")
    assert err.count("\n") == 1


async def _run_cli(argv: list[str]) -> int:
    # The CLI calls asyncio.run itself; run it in a thread, away from this test's loop.
    import asyncio

    return await asyncio.to_thread(main, argv)
