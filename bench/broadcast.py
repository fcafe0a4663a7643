"""Broadcast throughput, reply latency during a broadcast, and planning at scale.

    python bench/broadcast.py [--skip-million]

One run against a fake Telegram Bot API on 127.0.0.1 that adds 100 ms to every
send and answers 429 (retry_after 1) when a send arrives with L others already
arrived in the second before it:

(a) achieved send rate / L for L = 30 and L = 300 (TELEGRAM_RATE set to L);
(b) p95 reply latency for a person talking to the bot during a broadcast, against
    the same without a broadcast;
(c) planning time and peak memory (RSS) for 1,000,000 synthetic members.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.segments import Segment  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

LATENCY = 0.1
RATE_SHARE = 0.97  # TELEGRAM_RATE is set a little under the platform's limit, as advised
BASE = 50_000_000


class LimitedTelegram(FakeTelegram):
    """The test fake, plus network latency and Telegram's flood limit.

    A send counts when it arrives, where Telegram would count it: L sends in any
    one second pass, the next is refused with 429 (stricter than Telegram's
    documented "about 30 per second", which names no window).  The 100 ms of
    latency come after: when the fake's own timers wake late, that is not the
    bot sending faster.
    """

    def __init__(self, limit: float) -> None:
        super().__init__()
        self.limit = limit
        self.window: deque[float] = deque()
        self.arrivals: list[float] = []  # every send that passed, for the report
        self.refused: list[tuple[float, int]] = []  # (arrival, passed in the second before)

    async def _answer(self, token, call, parse_error):  # type: ignore[override]
        if call.method == "sendMessage":
            now = call.at
            while self.window and self.window[0] <= now - 1.0:
                self.window.popleft()
            if len(self.window) >= self.limit:
                self.refused.append((now, len(self.window)))
                await asyncio.sleep(LATENCY)
                return 429, {"ok": False, "error_code": 429, "parameters": {"retry_after": 1},
                             "description": "Too Many Requests: retry after 1"}
            self.window.append(now)
            self.arrivals.append(now)
            await asyncio.sleep(LATENCY)
        return await super()._answer(token, call, parse_error)

    def report(self) -> tuple[int, list[str]]:
        """The most sends that arrived in any one second, and a line per 429 with
        the arrivals in the second before it (for the bench's output)."""
        busiest, j = 0, 0
        a = self.arrivals
        for i, t in enumerate(a):
            while a[j] <= t - 1.0:
                j += 1
            busiest = max(busiest, i - j + 1)
        start = a[0] if a else 0.0
        lines = [f"429 at +{t - start:.3f} s: {n} arrived in the second before" for t, n in self.refused]
        return busiest, lines


def _serve(limit: float, out, ask) -> None:
    """Run the limited fake in its own process, so that its work does not take CPU
    from the bot being measured (the machine has two cores).

    The process is spawned, not forked, and freezes what it has after start-up:
    a forked copy of the bench would walk the bench's whole heap in its full
    garbage collections (about 50 ms), and every send arriving meanwhile would
    be seen together when it resumed, as if the bot had sent a burst."""

    async def serve() -> None:
        fake = LimitedTelegram(limit)
        await fake.start()
        gc.freeze()
        out.put((fake.base_url, fake.token))
        await asyncio.get_running_loop().run_in_executor(None, ask.get)
        out.put(fake.report())

    asyncio.run(serve())


async def _app(base_url: str, token: str, tmp: str, rate: float, members: int) -> App:
    db = Path(tmp) / "b.db"
    store = await Store(db).open()
    now = SystemClock().now()
    await store.db.executemany(
        "INSERT INTO members (channel, user_id, chat_id, locale, subscribed, created_at)"
        " VALUES ('telegram', ?, ?, 'vi', 1, ?)",
        [(str(BASE + i), str(BASE + i), now.isoformat()) for i in range(members)],
    )
    await store.close()
    settings = load_settings({
        "NHANONG_DB": str(db), "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_BASE_URL": base_url,
        "TELEGRAM_RATE": str(rate), "NHANONG_QUIET_HOURS": "", "NHANONG_LOG_LEVEL": "ERROR",
    }, file=Path(tmp) / "none.toml")
    app = await App(settings).open()
    app.broadcaster.every = 0.2
    await app.start()
    return app


async def send_rate(limit: float) -> tuple[float, int, int]:
    """Broadcast to 12 s worth of members; rate from the delivery rows' timestamps.
    Also: 429 pauses, and the most sends the fake saw arrive in one second."""
    members = int(limit * 12)
    ctx = mp.get_context("spawn")
    q: mp.Queue = ctx.Queue()
    ask: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_serve, args=(limit, q, ask), daemon=True)
    proc.start()
    base_url, token = q.get(timeout=60)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = await _app(base_url, token, tmp, limit * RATE_SHARE, members)
            now = SystemClock().now()
            bid = await app.store.broadcasts.create(by="bench", text="Thông báo", image=None,
                                                    segment=Segment(), send_at=now,
                                                    expires_at=None, state="scheduled", now=now)
            while (await app.store.broadcasts.get(bid)).state != "done":  # noqa: ASYNC110 - another task writes the row
                await asyncio.sleep(0.5)
            rows = await app.store.db.fetchall(
                "SELECT updated_at FROM deliveries WHERE broadcast_id = ? AND status = 'sent'"
                " ORDER BY updated_at", (bid,))
            pauses = app.delivery.pacers["telegram"].pauses
            await app.stop()
        ask.put("report")
        busiest, refused = q.get(timeout=30)
    finally:
        proc.terminate()
    for line in refused:
        print(f"    L={limit}: {line}", flush=True)
    from datetime import datetime as dt

    first, last = dt.fromisoformat(rows[0][0]), dt.fromisoformat(rows[-1][0])
    return (len(rows) - 1) / (last - first).total_seconds(), pauses, busiest


async def reply_latency(during_broadcast: bool, limit: float = 30) -> float:
    async with LimitedTelegram(limit) as fake:
        with tempfile.TemporaryDirectory() as tmp:
            app = await _app(fake.base_url, fake.token, tmp, limit * RATE_SHARE,
                             600 if during_broadcast else 0)
            if during_broadcast:
                await app.store.broadcasts.create(by="bench", text="Thông báo", image=None,
                                                  segment=Segment(), send_at=SystemClock().now(),
                                                  expires_at=None, state="scheduled",
                                                  now=SystemClock().now())
                await fake.wait_for_call("sendMessage", 30, timeout=30)
            await fake.wait_for_polling()
            waits = []
            for i in range(40):
                user = 900 + i
                t0 = time.monotonic()
                fake.user_text(user, "menu")
                await fake.wait_for_sent(user, 1, timeout=60)
                waits.append(time.monotonic() - t0)
                await asyncio.sleep(0.15)  # people type at human speed
            await app.stop()
    return statistics.quantiles(waits, n=20)[18]


async def planning(n: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = await Store(Path(tmp) / "p.db").open()
        now = SystemClock().now()
        rows = ((str(i), str(i), now.isoformat()) for i in range(n))
        await store.db.executemany(
            "INSERT INTO members (channel, user_id, chat_id, locale, subscribed, created_at)"
            " VALUES ('telegram', ?, ?, 'vi', 1, ?)", rows)
        bid = await store.broadcasts.create(by="bench", text="x", image=None, segment=Segment(),
                                            send_at=now, expires_at=None, state="scheduled", now=now)
        t0 = time.perf_counter()
        planned = await store.broadcasts.plan(bid, Segment(), now)
        elapsed = time.perf_counter() - t0
        assert planned == n
        claimed = 0
        while batch := await store.broadcasts.claim(bid, 2000, now, ["telegram"]):
            claimed += len(batch)
            if claimed >= 20_000:
                break
        await store.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return elapsed, rss


async def main(skip_million: bool) -> None:
    for limit in (30, 300):
        rate, throttled, busiest = await send_rate(limit)
        print(f"(a) L={limit}: achieved {rate:.1f} msg/s, ratio {rate / limit:.2f} "
              f"(429 pauses: {throttled}; most arrived in one second: {busiest})", flush=True)
    quiet = await reply_latency(False)
    busy = await reply_latency(True)
    print(f"(b) reply p95: {quiet * 1000:.0f} ms without a broadcast, {busy * 1000:.0f} ms during one; "
          f"ratio {busy / quiet:.2f}", flush=True)
    if not skip_million:
        elapsed, rss = await planning(1_000_000)
        print(f"(c) planning 1,000,000 recipients: {elapsed:.1f} s; peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--skip-million", action="store_true")
    asyncio.run(main(p.parse_args().skip_million))
