"""Group commit of deliveries: one delivery the database refuses fails alone, and is kept."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest
from sqlmodel import select

from bot.settings import Settings
from bot.web.app import Runtime
from bot.web.intake import DELIVERY_JOB, QUIET_SECONDS, DeliveryIntake, DeliveryNotStored
from bot.web.proxy import ProxyConfig, ProxyRunner
from storage.db import SessionMaker, make_engine, make_sessionmaker, transaction
from storage.deliveries import Delivery, DeliveryStatus, NewDelivery
from storage.job_signal import on_jobs_added
from storage.jobs import Job
from storage.sqlite_batch import sqlite_writer
from tests.apphelpers import RunningApp
from tests.database import configured_url

# An installation id beyond 64 bits: SQLite cannot bind it, PostgreSQL's integer refuses it.
UNSTORABLE = {"action": "created", "installation": {"id": 2**70}}


def delivery(payload: dict[str, Any], event: str = "issues") -> NewDelivery:
    return NewDelivery(str(uuid.uuid4()), event, payload)


# Chosen when the tests are collected: the SQLite writer path exists only on SQLite, so on
# PostgreSQL it is not a parameter at all rather than a skipped one.
PATHS = ["sessions"] if configured_url() is not None else ["sessions", "sqlite writer"]


@pytest.fixture(params=PATHS)
async def intake(
    request: pytest.FixtureRequest, sessions: SessionMaker
) -> AsyncIterator[DeliveryIntake]:
    """Both paths: through sessions, and (on SQLite) `storage.sqlite_batch`'s one hand-over."""
    writer = sqlite_writer(sessions.kw["bind"]) if request.param == "sqlite writer" else None
    assert (writer is None) == (request.param == "sessions")
    found = DeliveryIntake(sessions, writer)
    yield found
    await found.close()


async def stored(sessions: SessionMaker) -> tuple[dict[str, Delivery], set[str]]:
    """The deliveries by id, and the ids that have a handling job."""
    async with sessions() as session:
        rows = {row.id: row for row in (await session.exec(select(Delivery))).all()}
        jobs = (await session.exec(select(Job).where(Job.kind == DELIVERY_JOB))).all()
    return rows, {str(job.args["delivery_id"]) for job in jobs}


async def test_one_bad_delivery_fails_alone_and_the_rest_of_its_batch_is_stored(
    sessions: SessionMaker, intake: DeliveryIntake
) -> None:
    good, bad, other = delivery({"action": "opened"}), delivery(UNSTORABLE), delivery({})
    answers = await asyncio.gather(
        *(intake.submit(d) for d in (good, bad, other)), return_exceptions=True
    )
    assert answers[0] is True and answers[2] is True
    assert isinstance(answers[1], DeliveryNotStored) and answers[1].recorded
    rows, with_jobs = await stored(sessions)
    assert with_jobs == {good.delivery_id, other.delivery_id}
    assert rows[good.delivery_id].status is DeliveryStatus.RECEIVED
    failed = rows[bad.delivery_id]
    assert failed.status is DeliveryStatus.FAILED
    assert failed.note is not None and failed.note.startswith("not stored as sent: ")
    assert json.loads(failed.payload["unstored_body"]) == UNSTORABLE  # kept for diagnosis


async def test_a_redelivery_in_a_failed_batch_is_still_answered_as_seen(
    intake: DeliveryIntake,
) -> None:
    first = delivery({"action": "opened"})
    answers = await asyncio.gather(
        intake.submit(first),
        intake.submit(delivery(UNSTORABLE)),
        intake.submit(first),
        return_exceptions=True,
    )
    assert answers[0] is True and answers[2] is False
    assert isinstance(answers[1], DeliveryNotStored)


async def test_a_stored_batch_rings_the_job_signal_once_committed(
    sessions: SessionMaker, intake: DeliveryIntake
) -> None:
    rung: list[int] = []
    stop = on_jobs_added(lambda: rung.append(len(rung)))
    try:
        first = delivery({"action": "opened", "sender": {"login": "octocat"}})
        assert await asyncio.gather(intake.submit(first), intake.submit(delivery({}))) == [
            True,
            True,
        ]
        assert rung  # the worker is told at once
        assert await intake.submit(first) is False  # seen before: no new job
    finally:
        stop()
    rows, with_jobs = await stored(sessions)
    assert first.delivery_id in with_jobs and len(with_jobs) == 2
    assert rows[first.delivery_id].sender == "octocat"  # the indexed facts, as a session writes


@pytest.mark.postgres_only
async def test_a_nul_character_fails_only_its_own_webhook_request(app: RunningApp) -> None:
    """JSONB refuses `\\u0000`; GitHub never redelivers on its own, so the requests sharing
    its batch must still be stored and answered 202."""
    ids = [str(uuid.uuid4()) for _ in range(4)]
    payloads: list[dict[str, Any]] = [{"action": "opened", "zen": f"fine {n}"} for n in range(4)]
    payloads[1] = {"action": "opened", "zen": "a nul \u0000 here"}
    responses = await asyncio.gather(
        *(app.deliver("issues", p, delivery_id=i) for p, i in zip(payloads, ids, strict=True))
    )
    assert [r.status_code for r in responses] == [202, 500, 202, 202]
    assert "recorded as failed" in responses[1].json()["message"]
    rows, with_jobs = await stored(app.runtime.sessions)
    assert with_jobs == {ids[0], ids[2], ids[3]}
    note = rows[ids[1]].note
    assert rows[ids[1]].status is DeliveryStatus.FAILED
    assert note is not None and "unsupported Unicode escape sequence" in note


async def test_idle_returns_once_every_waiting_delivery_is_stored(
    sessions: SessionMaker, intake: DeliveryIntake
) -> None:
    """What `serve`'s worker waits on before it claims: the intake has had nothing to store
    for a while (not merely the gap between one batch's answer and the next request)."""
    await asyncio.wait_for(intake.idle(), 1)  # nothing submitted yet: at once
    first, second = delivery({"action": "opened"}), delivery({"action": "closed"})
    submits = [asyncio.create_task(intake.submit(d)) for d in (first, second)]
    await asyncio.sleep(0)  # both are waiting to be stored
    idle = asyncio.create_task(intake.idle())
    await asyncio.sleep(0)
    assert not idle.done()
    assert await asyncio.gather(*submits) == [True, True]
    stored_at = time.monotonic()
    await asyncio.wait_for(idle, 1)
    assert time.monotonic() - stored_at >= QUIET_SECONDS * 0.9  # quiet a while, not a gap
    rows, _ = await stored(sessions)
    assert {first.delivery_id, second.delivery_id} <= set(rows)


async def test_deliveries_read_in_the_next_turns_share_the_first_ones_batch(
    sessions: SessionMaker, intake: DeliveryIntake
) -> None:
    """Under load the requests read with the first one reach `submit` a turn or two later
    (parsed, then run): they go in its batch, not in one commit each. A batch's rows share
    their `received_at`, so one timestamp means one transaction."""
    first = delivery({"action": "opened"})
    submits = [asyncio.create_task(intake.submit(first))]
    later = []
    for _ in range(3):  # one more request reaches submit on each of the next turns
        await asyncio.sleep(0)
        later.append(delivery({"action": "edited"}))
        submits.append(asyncio.create_task(intake.submit(later[-1])))
    assert await asyncio.gather(*submits) == [True] * 4
    rows, with_jobs = await stored(sessions)
    ids = [first.delivery_id, *(d.delivery_id for d in later)]
    assert with_jobs == set(ids)
    assert len({rows[i].received_at for i in ids}) == 1


async def entered_after_the_delivery(job_sessions: SessionMaker, intake: DeliveryIntake) -> float:
    """Seconds from a delivery's being stored to the start of a job's transaction that was
    opened while the delivery waited to be stored (negative: it did not wait)."""
    submit = asyncio.create_task(intake.submit(delivery({"action": "opened"})))
    await asyncio.sleep(0)  # the delivery waits to be stored
    entered: list[float] = []

    async def job_step() -> None:
        async with transaction(job_sessions) as session:
            entered.append(time.monotonic())
            await session.exec(select(Job))

    step = asyncio.create_task(job_step())
    assert await submit is True
    stored_at = time.monotonic()
    await step
    return entered[0] - stored_at


async def test_a_session_made_to_wait_for_the_intake_begins_once_it_is_quiet(
    sessions: SessionMaker, intake: DeliveryIntake
) -> None:
    job_sessions = make_sessionmaker(sessions.kw["bind"], wait_for=intake.idle)
    assert await entered_after_the_delivery(job_sessions, intake) >= QUIET_SECONDS * 0.9


@pytest.mark.parametrize("with_worker", [True, False], ids=["serve", "web"])
async def test_on_sqlite_the_jobs_of_serve_wait_for_a_burst_to_end_and_the_pages_do_not(
    app_settings: Settings, with_worker: bool
) -> None:
    """`serve` on SQLite: one connection for the intake and the jobs, so a job pauses between
    its steps while deliveries wait; the pages, and a `web` process's sessions, never do."""
    engine = make_engine(app_settings.database_url)
    async with httpx2.AsyncClient() as http:
        proxy = ProxyRunner(ProxyConfig(), http, 1)
        runtime = Runtime(app_settings, engine, make_sessionmaker(engine), http, with_worker, proxy)
        try:
            waited = await entered_after_the_delivery(runtime.job_sessions(), runtime.intake)
        finally:
            await runtime.intake.close()
            await engine.dispose()
    postgres = configured_url() is not None
    if with_worker and not postgres:
        assert waited >= QUIET_SECONDS * 0.9
    else:  # PostgreSQL: a pool of connections, and row locks rather than one writer
        assert waited < 0
