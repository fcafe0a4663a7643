"""How the tests wait: on events, never for a fixed stretch of real time.

``GUARD`` is the one deadlock guard of the suite: a wait that is not over after
that many real seconds is a hang, not a slow machine.  A busy or slow machine
only makes the suite slower; it never turns it red.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

GUARD = 60.0


async def guarded(aw: Awaitable[T]) -> T:
    """``await aw``, failing (TimeoutError) only if it hangs past the guard."""
    return await asyncio.wait_for(aw, GUARD)


async def until(predicate: Callable[[], bool], what: str = "the condition") -> None:
    """Until ``predicate()`` holds, looking again after each round of the event loop and,
    when it stays false, a little later (for another process's work: no event to wait on)."""
    try:
        async with asyncio.timeout(GUARD):
            rounds = 0
            while not predicate():
                rounds += 1
                await asyncio.sleep(0 if rounds < 100 else 0.05)
    except TimeoutError:
        raise AssertionError(f"{what}: not within {GUARD:.0f} s") from None


async def until_async(predicate: Callable[[], Awaitable[bool]], what: str = "the condition") -> None:
    """Like :func:`until`, for a predicate that must await (a read of the store)."""
    try:
        async with asyncio.timeout(GUARD):
            rounds = 0
            while not await predicate():
                rounds += 1
                await asyncio.sleep(0 if rounds < 100 else 0.01)
    except TimeoutError:
        raise AssertionError(f"{what}: not within {GUARD:.0f} s") from None
