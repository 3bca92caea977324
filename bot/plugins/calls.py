"""Calling one plugin's implementation of a hook, within a time limit.

An `async def` implementation is awaited and cancelled at the limit. A plain function runs in
a daemon thread of its own: Python cannot stop a thread, so one that hangs is left behind, but
it never holds a thread of the shared executor the app's own work uses, nor the process's exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import inspect
import threading
from collections.abc import Callable, Mapping

from pluggy import HookImpl


def arguments(impl: HookImpl, offered: Mapping[str, object]) -> list[object]:
    """The arguments `impl` asks for, by name, of those the hook offers."""
    return [offered[name] for name in impl.argnames]


async def call(impl: HookImpl, offered: Mapping[str, object], timeout: float) -> object:
    """`impl`'s answer; raises TimeoutError after `timeout` seconds, or what `impl` raised."""
    args = arguments(impl, offered)
    async with asyncio.timeout(timeout):
        if inspect.iscoroutinefunction(impl.function):
            return await impl.function(*args)
        answer = await in_thread(impl.function, args, name=f"plugin-{impl.plugin_name}")
        return await answer if inspect.isawaitable(answer) else answer


async def in_thread(function: Callable[..., object], args: list[object], *, name: str) -> object:
    """`function(*args)` in a new daemon thread, awaited (with the caller's log context)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[object] = loop.create_future()
    context = contextvars.copy_context()

    def run() -> None:
        try:
            answer = context.run(function, *args)
        except Exception as exc:  # handed to the caller, which decides (an exit just ends it)
            _settle(loop, future, error=exc)
        else:
            _settle(loop, future, answer=answer)

    threading.Thread(target=run, name=name, daemon=True).start()
    return await future


def _settle(
    loop: asyncio.AbstractEventLoop,
    future: asyncio.Future[object],
    *,
    answer: object = None,
    error: BaseException | None = None,
) -> None:
    """Sets the future from the thread, unless the caller gave up on it (or the loop closed)."""

    def settle() -> None:
        if future.done():  # timed out meanwhile
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(answer)

    with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
        loop.call_soon_threadsafe(settle)


def described(exc: BaseException) -> str:
    """What a plugin's failure is recorded as: its type and message."""
    if isinstance(exc, TimeoutError):
        return "no answer within the time limit (PLUGIN_TIMEOUT_SECONDS)"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
