"""The pacer and the delivery path, on a controllable clock (no sleeping)."""

from __future__ import annotations

import asyncio

from bot.clock import FakeClock
from bot.delivery import Delivery
from bot.errors import Blocked, ChatMoved, Permanent, RetryLater, Transient
from bot.pacer import Pacer
from bot.store import Store
from bot.types import Rendered
from tests.helpers import RecordingChannel
from tests.waits import guarded


async def _grants(clock: FakeClock, rate: float, n: int) -> list[float]:
    """When each of ``n`` sends to different chats got its slot."""
    pacer = Pacer(rate, clock, lambda chat: (100.0, 100.0))
    granted: list[float] = []

    async def one(i: int) -> None:
        await pacer.acquire(f"c{i}", high=True)
        granted.append(clock.monotonic())

    await asyncio.gather(*(one(i) for i in range(n)))
    await pacer.close()
    return granted


async def test_overall_rate_is_respected():
    clock = FakeClock(auto=True)
    granted = await _grants(clock, 25, 100)
    # One goes at once; the other 99 take 99/25 = 3.96 seconds.
    assert 3.9 <= granted[-1] <= 4.0
    # No one-second window holds more than the rate (plus one at its edge).
    assert max(sum(1 for g in granted if s <= g < s + 1) for s in granted) <= 26


async def test_one_chat_gets_about_one_message_a_second_after_a_short_burst():
    clock = FakeClock(auto=True)
    pacer = Pacer(1000, clock)  # default: 1/s per chat, burst 3
    times = []
    for _ in range(6):
        await pacer.acquire("same")
        times.append(clock.monotonic())
    await pacer.close()
    assert max(times[:3]) < 0.01  # a burst of three at once
    assert [round(t) for t in times[3:]] == [1, 2, 3]


async def test_replies_jump_ahead_of_waiting_broadcasts():
    clock = FakeClock()
    pacer = Pacer(1, clock, lambda chat: (100.0, 100.0))
    order: list[str] = []

    async def go(name: str, high: bool) -> None:
        await pacer.acquire(name, high)
        order.append(name)

    await pacer.acquire("warmup")  # empty the bucket
    tasks = [asyncio.create_task(go(f"b{i}", False)) for i in range(5)]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(go("reply", True)))
    for _ in range(3):
        await asyncio.sleep(0)
        clock.advance(1.0)
        for _ in range(5):
            await asyncio.sleep(0)
    assert order[0] == "reply"
    clock.auto = True
    clock.advance(0.1)
    await guarded(asyncio.gather(*tasks))
    assert sorted(order[1:]) == [f"b{i}" for i in range(5)]
    await pacer.close()


async def test_pause_holds_every_chat_until_retry_after():
    clock = FakeClock()
    pacer = Pacer(100, clock)
    pacer.pause(5)
    waiter = asyncio.create_task(pacer.acquire("x"))
    clock.advance(4.9)
    for _ in range(5):
        await asyncio.sleep(0)
    assert not waiter.done()
    clock.advance(0.2)
    await guarded(waiter)
    await pacer.close()


async def _delivery(tmp_path, channel):
    store = await Store(tmp_path / "d.db").open()
    clock = FakeClock(auto=True)
    return store, Delivery({"rec": channel}, store, clock), clock


async def test_429_pauses_then_sends_the_same_message(tmp_path):
    ch = RecordingChannel(fail=[RetryLater(7)])
    store, d, clock = await _delivery(tmp_path, ch)
    out = await d.send("rec", "c1", Rendered("xin chào"), high=True)
    assert out.status == "sent" and [m.text for _, m in ch.sent] == ["xin chào"]
    assert clock.monotonic() >= 7
    await d.close()
    await store.close()


async def test_403_marks_the_member_blocked_and_stops(tmp_path):
    ch = RecordingChannel(fail=[Blocked("bot was blocked by the user")])
    store, d, clock = await _delivery(tmp_path, ch)
    m = await store.members.seen("rec", "u1", "c1", "A", "vi", clock.now())
    await store.members.subscribe(m.id, clock.now())
    out = await d.send("rec", "c1", Rendered("x"), high=False)
    assert out.status == "blocked"
    assert (await store.members.find("rec", "u1")).blocked
    assert await store.members.reachable() == []
    await d.close()
    await store.close()


async def test_transient_errors_retry_with_backoff_then_give_up(tmp_path):
    ch = RecordingChannel(fail=[Transient("timed out"), Transient("reset")])
    store, d, clock = await _delivery(tmp_path, ch)
    out = await d.send("rec", "c1", Rendered("x"), high=True)
    assert out.status == "sent" and clock.monotonic() >= 3  # 1s then 2s
    ch.fail = [Transient("down")] * 10
    out = await d.send("rec", "c1", Rendered("y"), high=True)
    assert out.status == "failed" and "transient" in out.reason
    await d.close()
    await store.close()


async def test_refused_message_is_reported_not_retried(tmp_path):
    ch = RecordingChannel(fail=[Permanent("can't parse entities")])
    store, d, _ = await _delivery(tmp_path, ch)
    out = await d.send("rec", "c1", Rendered("x"), high=True)
    assert out.status == "failed" and "parse" in out.reason and ch.sent == []
    await d.close()
    await store.close()


async def test_migrated_chat_is_followed(tmp_path):
    ch = RecordingChannel(fail=[ChatMoved("-100999")])
    store, d, clock = await _delivery(tmp_path, ch)
    await store.members.seen("rec", "g", "-5", None, "vi", clock.now())
    out = await d.send("rec", "-5", Rendered("x"), high=True)
    assert out.status == "sent" and ch.sent[0][0] == "-100999"
    assert (await store.members.find("rec", "g")).chat_id == "-100999"
    await d.close()
    await store.close()


class LateClock(FakeClock):
    """Timers that wake half a millisecond late, as a busy event loop's do."""

    async def sleep(self, seconds: float, *, passive: bool = False) -> None:
        await super().sleep(seconds + 0.0005 if seconds > 0 else seconds, passive=passive)


async def test_late_timers_do_not_cost_rate_and_no_second_holds_more_than_one_per_cent_over():
    granted = await _grants(LateClock(auto=True), 300, 900)
    assert granted[-1] <= 3.05  # 900 at 300/s: the whole rate, although every wake-up is late
    assert max(sum(1 for g in granted if s <= g < s + 1) for s in granted) <= 300 * 1.01 + 1
