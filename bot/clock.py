"""Time, behind an interface the tests can drive.

``SystemClock`` is the real one; ``FakeClock`` lets tests move time forward
without sleeping: a coroutine that sleeps on it wakes when the test (or another
sleeper) advances the clock past its deadline.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back."""

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of this clock's time."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that only moves when told.

    With ``auto=True`` a sleeper that is the only thing left to run advances the
    clock to its own deadline, so code that paces itself runs at once while the
    virtual time it took is still measured.
    """

    def __init__(self, start: datetime | None = None, *, auto: bool = False) -> None:
        self._t0 = start or datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
        self._mono = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._auto = auto
        self._auto_pending = False

    @property
    def auto(self) -> bool:
        return self._auto

    @auto.setter
    def auto(self, value: bool) -> None:
        """Turning auto on also wakes sleepers that are already waiting."""
        self._auto = value
        if value and self._sleepers and not self._auto_pending:
            self._auto_pending = True
            asyncio.get_running_loop().call_soon(self._auto_advance)

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
            _, _, fut = heapq.heappop(self._sleepers)
            if not fut.done():
                fut.set_result(None)

    async def sleep(self, seconds: float) -> None:
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self._mono + seconds, next(self._seq), fut))
        if self.auto and not self._auto_pending:
            self._auto_pending = True
            asyncio.get_running_loop().call_soon(self._auto_advance)
        await fut

    def _auto_advance(self) -> None:
        # Let everything runnable run first; then jump to the earliest deadline.
        loop = asyncio.get_running_loop()
        ready = getattr(loop, "_ready", None)
        if ready:  # other callbacks are pending: look again once they ran
            loop.call_soon(self._auto_advance)
            return
        live = [s for s in self._sleepers if not s[2].done()]
        if not live:
            self._auto_pending = False
            return
        self._mono = max(self._mono, min(s[0] for s in live))
        self._wake()
        loop.call_soon(self._auto_advance)  # later sleepers still wait
