"""Time, behind an interface the tests can drive.

``SystemClock`` is the real one; ``FakeClock`` lets tests move time forward
without sleeping: a coroutine that sleeps on it wakes when the test (or another
sleeper) advances the clock past its deadline.

A sleep is *active* (the default: a pacing wait, a retry backoff, something a
piece of work is waiting out) or *passive* (``passive=True``: a periodic loop
waiting for its next beat, such as the scheduler or the broadcast sender).  On
the real clock both are the same.  A fake clock in auto mode jumps ahead to
active deadlines only, so an idle test does not race through days of scheduled
jobs; passive sleepers wake when time is moved past their deadline (by the test
or by an active sleep).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from collections.abc import Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""

    async def sleep(self, seconds: float, *, passive: bool = False) -> None:
        """Wait ``seconds`` of this clock's time (``passive``: a periodic loop's wait
        for its next beat, which a test clock never hurries)."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float, *, passive: bool = False) -> None:
        await asyncio.sleep(max(0.0, seconds))


async def wake_early(sleep: Coroutine[Any, Any, None], event: asyncio.Event) -> None:
    """Await ``sleep`` (a wait on a clock), but return as soon as ``event`` is set."""
    sleeper = asyncio.ensure_future(sleep)
    waker = asyncio.ensure_future(event.wait())
    try:
        await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for f in (sleeper, waker):
            if not f.done():
                f.cancel()


# How many rounds of the event loop an auto clock lets pass with nothing new on
# the clock before it jumps: every callback that was ready, and what those make
# ready in turn, runs first (a round runs all callbacks ready at its start).
SETTLE_ROUNDS = 20


class FakeClock:
    """A clock that only moves when told.

    With ``auto=True``, once the event loop has settled (``SETTLE_ROUNDS``
    rounds with no sleep started on this clock) the clock jumps to the earliest
    *active* sleeper's deadline, so code that paces itself runs at once while
    the virtual time it took is still measured.  Passive sleepers never make
    it move.  Only public asyncio calls are used (``call_soon`` chains).
    """

    def __init__(self, start: datetime | None = None, *, auto: bool = False) -> None:
        self._t0 = start or datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
        self._mono = 0.0
        # (deadline, seq, active, future): one heap for both kinds, woken in deadline order
        self._sleepers: list[tuple[float, int, bool, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._auto = auto
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stepping = False  # a settle chain is queued on the loop
        self._quiet = 0  # rounds since the last sleep started

    @property
    def auto(self) -> bool:
        return self._auto

    @auto.setter
    def auto(self, value: bool) -> None:
        """Turning auto on also moves on for active sleepers already waiting."""
        self._auto = value
        if value and self._active():
            self._kick()

    def now(self) -> datetime:
        return self._t0 + timedelta(seconds=self._mono)

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self._mono += seconds
        self._wake()

    def set(self, when: datetime) -> None:
        self.advance((when - self.now()).total_seconds())

    def _wake(self) -> None:
        while self._sleepers and self._sleepers[0][0] <= self._mono + 1e-9:
            fut = heapq.heappop(self._sleepers)[3]
            if not fut.done():
                fut.set_result(None)

    async def sleep(self, seconds: float, *, passive: bool = False) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._sleepers, (self._mono + seconds, next(self._seq), not passive, fut))
        if not passive:
            self._kick()
        await fut

    def _active(self) -> list[float]:
        return [d for d, _, active, fut in self._sleepers if active and not fut.done()]

    def _kick(self) -> None:
        """Something new on the clock: count the quiet rounds again from zero."""
        self._quiet = 0
        loop = asyncio.get_running_loop()
        if not self._auto or (self._stepping and self._loop is loop):
            return
        self._loop = loop
        self._stepping = True
        loop.call_soon(self._step)

    def _step(self) -> None:
        # One round of the loop has passed since the last step was queued.
        deadlines = self._active() if self._auto else []
        if not deadlines:
            self._stepping = False
            return
        self._quiet += 1
        if self._quiet >= SETTLE_ROUNDS:
            self._quiet = 0
            self._mono = max(self._mono, min(deadlines))
            self._wake()
        assert self._loop is not None
        self._loop.call_soon(self._step)
