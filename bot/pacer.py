"""A per-channel pacer with three lanes.

Every send asks the pacer for a slot first.  Slots come from a token bucket at
the channel's overall rate and from one small bucket per chat (``Channel.chat_limit``,
e.g. about 1 message/s in a private chat, 20/min in a group); both are shared by every
lane and never exceeded.

Lanes, in order: ``REPLY`` (replies to people who are talking to the bot: always
the next slot), ``URGENT`` (broadcasts staff marked "khẩn") and ``NORMAL`` (other
broadcasts and notices).  When urgent and normal copies both wait, one slot in
``share`` (default five) goes to the normal lane, so that an urgent broadcast
cannot starve a big normal one.  Within a lane, flows (one per broadcast; every
other sender is the flow ``None``) take turns round-robin, so a commune broadcast
created while a province-wide one runs gets its first copies out at once.
A 429 pauses the whole channel for the time the platform asked.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from enum import IntEnum

from .clock import Clock, wake_early
from .errors import Closed

_EPS = 1e-9  # float dust: 0.9999999999 tokens is one token
ChatLimit = Callable[[str], tuple[float, float]]
"""chat id → (messages per second, burst) for that chat."""


class Lane(IntEnum):
    REPLY = 0
    URGENT = 1
    NORMAL = 2


def default_chat_limit(chat_id: str) -> tuple[float, float]:
    return (1.0, 3.0)


@dataclass(slots=True)
class _Bucket:
    rate: float
    burst: float
    tokens: float
    at: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now

    @property
    def ready(self) -> bool:
        return self.tokens >= 1 - _EPS

    def wait(self) -> float:
        return 0.0 if self.ready else max((1 - self.tokens) / self.rate, 1e-6)


@dataclass(slots=True)
class _Ticket:
    chat_id: str
    future: asyncio.Future[None] = field(repr=False)


class _Queue:
    """One lane: a queue of tickets per flow, the flows taking turns."""

    def __init__(self) -> None:
        self.flows: OrderedDict[Hashable, deque[_Ticket]] = OrderedDict()

    def __bool__(self) -> bool:
        return bool(self.flows)

    def __len__(self) -> int:
        return sum(len(q) for q in self.flows.values())

    def append(self, flow: Hashable, ticket: _Ticket) -> None:
        q = self.flows.get(flow)
        if q is None:
            q = self.flows[flow] = deque()
        q.append(ticket)

    def tickets(self):
        for q in self.flows.values():
            yield from q

    def prune(self) -> None:
        for flow in list(self.flows):
            q = self.flows[flow]
            if any(t.future.done() for t in q):
                q = self.flows[flow] = deque(t for t in q if not t.future.done())
            if not q:
                del self.flows[flow]

    def drop(self, fut: asyncio.Future[None]) -> None:
        for q in self.flows.values():
            for t in list(q):
                if t.future is fut:
                    q.remove(t)

    def candidates(self):
        """(flow, ticket) in the order they may go: the flows in turn."""
        for flow, q in self.flows.items():
            for t in q:
                if not t.future.done():
                    yield flow, t

    def take(self, flow: Hashable, ticket: _Ticket) -> None:
        """``ticket`` goes now; its flow goes to the back of the turn."""
        q = self.flows[flow]
        q.remove(ticket)
        self.flows.move_to_end(flow)
        if not q:
            del self.flows[flow]


class Pacer:
    """Hands out send slots for one channel; see the module docstring."""

    def __init__(
        self, rate: float, clock: Clock, chat_limit: ChatLimit = default_chat_limit,
        share: int = 5,
    ) -> None:
        self.clock = clock
        self.rate = rate
        self.chat_limit = chat_limit
        self.share = max(2, share)  # the normal lane gets one slot in `share` when both wait
        # Almost no burst overall: 1/100 s worth of slots (at least one).  Timers wake
        # late by a fraction of a millisecond; with a burst of exactly one each late
        # wake-up lost its time for good (at 300/s the pacer gave only ~80% of its
        # rate).  Every one-second window still holds at most the rate plus 1% (plus
        # one at low rates), so a broadcast at the platform's limit does not run
        # into 429s when the rate is set a few per cent under it.
        self._global = _Bucket(rate, max(1.0, rate / 100), 1.0, clock.monotonic())
        self._chats: dict[str, _Bucket] = {}
        self._lanes: dict[Lane, _Queue] = {lane: _Queue() for lane in Lane}
        self._urgent_streak = 0  # urgent slots given in a row while normal ones waited
        self._paused_until = 0.0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.pauses = 0
        self.granted = {lane: 0 for lane in Lane}  # slots given per lane (status, tests)
        self.paused_event = asyncio.Event()  # set by every pause, for status and tests

    # -- public ------------------------------------------------------------
    async def acquire(self, chat_id: str, high: bool = True, *, lane: Lane | None = None,
                      flow: Hashable = None) -> None:
        """Wait until this chat may be sent one message (raises Closed at shutdown).

        ``lane`` defaults to REPLY when ``high``, else NORMAL; ``flow`` names the
        sender (a broadcast) that takes turns with the others in its lane."""
        if self._closed:
            raise Closed("shutting down")
        self._ensure_running()
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if lane is None:
            lane = Lane.REPLY if high else Lane.NORMAL
        self._lanes[lane].append(flow, _Ticket(str(chat_id), fut))
        self._wake.set()
        try:
            await fut
        except asyncio.CancelledError:
            self._drop(fut)
            if self._closed:
                raise Closed("shutting down") from None
            raise

    def waiting(self, lane: Lane) -> int:
        return len(self._lanes[lane])

    def pause(self, seconds: float) -> None:
        """The platform said 429: no slot for anyone until ``seconds`` from now."""
        self._paused_until = max(self._paused_until, self.clock.monotonic() + seconds)
        self.pauses += 1
        self.paused_event.set()
        self._wake.set()

    @property
    def paused(self) -> bool:
        return self.clock.monotonic() < self._paused_until

    async def close(self) -> None:
        """Stop handing out slots; whoever still waits gets Closed."""
        self._closed = True
        if self._task:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
        for q in self._lanes.values():
            for t in list(q.tickets()):
                if not t.future.done():
                    t.future.cancel()
            q.flows.clear()

    # -- scheduling --------------------------------------------------------
    def _ensure_running(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="pacer")

    def _drop(self, fut: asyncio.Future[None]) -> None:
        for q in self._lanes.values():
            q.drop(fut)

    def _chat(self, chat_id: str, now: float) -> _Bucket:
        b = self._chats.get(chat_id)
        if b is None:
            rate, burst = self.chat_limit(chat_id)
            b = self._chats[chat_id] = _Bucket(rate, burst, burst, now)
        else:
            b.refill(now)
        return b

    def _order(self) -> tuple[Lane, ...]:
        """The lanes in the order they are tried for the next slot."""
        if not self._lanes[Lane.NORMAL]:
            self._urgent_streak = 0
        if self._urgent_streak >= self.share - 1:
            return (Lane.REPLY, Lane.NORMAL, Lane.URGENT)  # the normal lane's turn
        return (Lane.REPLY, Lane.URGENT, Lane.NORMAL)

    def _pick(self, now: float) -> tuple[_Ticket | None, float]:
        """The next ticket that may go now (lanes in order), or how long until one may."""
        soonest = float("inf")
        for lane in self._order():
            queue = self._lanes[lane]
            held: set[str] = set()
            for flow, t in queue.candidates():
                if t.chat_id in held:
                    continue  # keep each chat's messages in order
                b = self._chat(t.chat_id, now)
                if not b.ready:
                    held.add(t.chat_id)
                    soonest = min(soonest, b.wait())
                    continue
                b.tokens -= 1
                queue.take(flow, t)
                self.granted[lane] += 1
                if lane is Lane.URGENT and self._lanes[Lane.NORMAL]:
                    self._urgent_streak += 1
                elif lane is Lane.NORMAL:
                    self._urgent_streak = 0
                return t, 0.0
        return None, soonest

    async def _run(self) -> None:
        while True:
            for q in self._lanes.values():
                q.prune()
            if not any(self._lanes.values()):
                self._wake.clear()
                self._prune()
                await self._wake.wait()
                continue
            now = self.clock.monotonic()
            if now < self._paused_until:
                await self._nap(self._paused_until - now)
                continue
            self._global.refill(now)
            if not self._global.ready:
                await self.clock.sleep(self._global.wait())
                continue
            ticket, wait = self._pick(now)
            if ticket is None:
                await self._nap(wait)
                continue
            self._global.tokens -= 1
            ticket.future.set_result(None)
            await asyncio.sleep(0)

    async def _nap(self, seconds: float) -> None:
        """Sleep on the clock, but wake early when a new ticket arrives."""
        self._wake.clear()
        await wake_early(self.clock.sleep(seconds), self._wake)

    def _prune(self) -> None:
        if len(self._chats) > 10_000:
            now = self.clock.monotonic()
            for k in [k for k, b in self._chats.items() if (b.refill(now), b.tokens >= b.burst)[1]]:
                del self._chats[k]
