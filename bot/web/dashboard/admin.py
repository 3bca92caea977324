"""The operators' pages (logins in DASHBOARD_ADMINS): every delivery with replay, the job
queue with the dead jobs and their errors, and the installations.

Replay queues the delivery's handling job again, as `ai-orchestrator replay` runs it: the
handlers are idempotent, so a replay redoes only what did not happen. The job's dedupe key
carries the form's nonce: a double click queues one replay, a later one queues another.
Each replay writes an audit row.
"""

from __future__ import annotations

import re
import secrets

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.web.access import NotFound, Viewer, check_csrf
from bot.web.dashboard.guard import operator
from bot.web.dashboard.paging import PER_PAGE, choice, page_number, page_url, text
from bot.web.dashboard.render import page, runtime_of
from bot.web.intake import DELIVERY_JOB
from storage.audit import AuditEntryCreate, Outcome, record_command
from storage.db import transaction
from storage.deliveries import DeliveryStatus, get_delivery
from storage.job_table import JobStatus
from storage.jobs import NewJob, counts, enqueue
from storage.operations import all_installations, delivery_page, job_page

REPLAY_COMMAND = "replay"
_NONCE = re.compile(r"[A-Za-z0-9_-]{8,64}")


def replay_key(delivery_id: str, nonce: str) -> str:
    return f"replay:{delivery_id}:{nonce}"


@operator
async def deliveries(request: Request, viewer: Viewer) -> Response:
    number = page_number(request)
    status = choice(request, "status", DeliveryStatus)
    event = text(request, "event", 64)
    async with runtime_of(request).sessions() as session:
        found = await delivery_page(
            session,
            status=status,
            event=event or None,
            offset=(number - 1) * PER_PAGE,
            limit=PER_PAGE,
        )
    context = {
        "deliveries": found.rows,
        "statuses": list(DeliveryStatus),
        "status": status,
        "event": event,
        "nonce": secrets.token_urlsafe(12),
        "replayed": text(request, "replayed", 64),
        "previous": page_url(request, number - 1) if number > 1 else None,
        "next": page_url(request, number + 1) if found.more else None,
        "number": number,
    }
    return page(request, "operator_deliveries.html", context, viewer=viewer)


@operator
async def replay(request: Request, viewer: Viewer) -> Response:
    form = await request.form()
    await check_csrf(request, form)
    delivery_id = request.path_params["delivery_id"]
    nonce = str(form.get("nonce", ""))
    if not _NONCE.fullmatch(nonce):
        nonce = secrets.token_urlsafe(12)
    async with transaction(runtime_of(request).sessions) as session:
        delivery = await get_delivery(session, delivery_id)
        if delivery is None:
            raise NotFound(f"No stored delivery {delivery_id}.")
        job = NewJob(
            kind=DELIVERY_JOB,
            args={"delivery_id": delivery_id},
            dedupe_key=replay_key(delivery_id, nonce),
        )
        queued = await enqueue(session, job)
        if queued is not None:
            entry = AuditEntryCreate(
                repository=delivery.repository or "",
                actor=viewer.login,
                command=REPLAY_COMMAND,
                argument=delivery_id,
                location=viewer.where,
                outcome=Outcome.DONE,
                result=f"queued job {queued.id}",
            )
            await record_command(session, entry)
    return RedirectResponse(f"/operator/deliveries?replayed={delivery_id}", status_code=303)


@operator
async def jobs(request: Request, viewer: Viewer) -> Response:
    number = page_number(request)
    status = choice(request, "status", JobStatus)
    async with runtime_of(request).sessions() as session:
        found = await job_page(
            session,
            statuses=[status] if status else [],
            offset=(number - 1) * PER_PAGE,
            limit=PER_PAGE,
        )
        totals = await counts(session)
    context = {
        "jobs": found.rows,
        "totals": totals,
        "statuses": list(JobStatus),
        "status": status,
        "previous": page_url(request, number - 1) if number > 1 else None,
        "next": page_url(request, number + 1) if found.more else None,
        "number": number,
    }
    return page(request, "operator_jobs.html", context, viewer=viewer)


@operator
async def installations(request: Request, viewer: Viewer) -> Response:
    async with runtime_of(request).sessions() as session:
        found = await all_installations(session)
    return page(request, "operator_installations.html", {"installations": found}, viewer=viewer)
