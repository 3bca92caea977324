"""Query parameters of list pages: page numbers and filters, read defensively (a hand-edited
URL gets the first page, never a 500)."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlencode

from starlette.requests import Request

E = TypeVar("E", bound=StrEnum)

PER_PAGE = 25
MAX_PAGE = 10_000


def page_number(request: Request) -> int:
    """The 1-based page of `?page=`."""
    raw = request.query_params.get("page", "1")
    return min(max(int(raw), 1), MAX_PAGE) if raw.isascii() and raw.isdigit() else 1


def choice(request: Request, name: str, enum: type[E]) -> E | None:
    """`?name=` as a member of `enum`; None when absent or not one of its values."""
    raw = request.query_params.get(name, "")
    return enum(raw) if raw in {member.value for member in enum} else None


def text(request: Request, name: str, limit: int = 200) -> str:
    return request.query_params.get(name, "").strip()[:limit]


def page_url(request: Request, number: int) -> str:
    """This page's URL with its filters and `page=number`."""
    params = {k: v for k, v in request.query_params.items() if k != "page" and v}
    params["page"] = str(number)
    return f"{request.url.path}?{urlencode(params)}"
