"""The outbox at a province's size: an urgent broadcast while a big one runs, the
claim's cost per batch, and the file before/after retention.

    python bench/outbox.py [--members 50000] [--store PATH] [--json]

On a copy of a store built by bench/scale_store.py (``--store``, else
/tmp/scale/<N/1000>k.db if it is there, else one is built for ``--members``):

- ``urgent_broadcast_first_copy_s``: the bot runs against a fake Telegram Bot API
  (in this process, 100 ms per call, TELEGRAM_RATE 25); a broadcast to everyone
  is sending; a commune broadcast marked urgent is created as the chat creates it;
  seconds until the fake answered its first copy.  ``normal_broadcast_first_copy_s``:
  the same for a commune broadcast left normal (it takes turns with the big one);
  ``urgent_first_copy_from_cli_s``: urgent, made by ``broadcast create`` in another
  process (the sender finds it at its next look, every 2 s).
- ``claim_batch_ms_start`` / ``claim_batch_ms_end``: one 200-copy claim at the start and
  at the end of a broadcast to everyone (median of 20 batches), the zalo channel's
  copies decided by an Official Account's rules (a 7-day window, 4 a month, 1 a day:
  each row reads its member's quota rows by key, #15); ``old_claim_update_ms``:
  the statement each batch ran first before (it updated all the pending copies).
- ``db_mb_before_compaction``, ``db_mb_after_compaction`` (the same file: rows deleted
  leave free pages, reused), ``db_mb_after_vacuum``, delivery rows before/after.

Importable: ``await urgent_first_copy(store_path)`` returns the first figure (on a copy
of ``store_path``, which is never written), for bench/scale.py.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import App  # noqa: E402
from bot.broadcast import create_broadcast  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.config import load_settings  # noqa: E402
from bot.segments import Segment  # noqa: E402
from bot.store import Rule, Store  # noqa: E402
from bot.store.maintenance import file_size, vacuum  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

LATENCY = 0.1
MB = 1024 * 1024


class SlowTelegram(FakeTelegram):
    """The test fake, plus 100 ms of network latency per call; notes when each
    sendMessage was answered, by its text."""

    def __init__(self) -> None:
        super().__init__()
        self.answered: list[tuple[float, str]] = []

    async def _answer(self, token, call, parse_error):  # type: ignore[override]
        await asyncio.sleep(LATENCY)
        out = await super()._answer(token, call, parse_error)
        if call.method == "sendMessage":
            self.answered.append((time.monotonic(), str(call.params.get("text", ""))))
        return out

    def first(self, word: str) -> float | None:
        return next((t for t, text in self.answered if word in text), None)

    def count(self, word: str) -> int:
        return sum(1 for _, text in self.answered if word in text)


def _copy(store_path: Path, folder: Path) -> Path:
    target = folder / "outbox.db"
    shutil.copyfile(store_path, target)
    for suffix in ("-wal", "-shm"):
        side = Path(f"{store_path}{suffix}")
        if side.exists():
            shutil.copyfile(side, Path(f"{target}{suffix}"))
    return target


def _commune(db: Path) -> tuple[str, int]:
    """A commune of median size among the Telegram members (its code, its members)."""
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT commune_code, COUNT(*) FROM members WHERE channel = 'telegram' AND subscribed = 1"
        " AND blocked_at IS NULL AND commune_code IS NOT NULL GROUP BY commune_code ORDER BY 2"
    ).fetchall()
    conn.close()
    return rows[len(rows) // 2]


async def _quiet(*_args) -> None:
    """A scheduled job left out of the measurement (check-ins, reports, notices)."""


async def urgent_first_copy(store_path: Path, *, urgent: bool = True, both: bool = False,
                            rate: float = 25.0, wake: bool = True) -> float | tuple[float, float]:
    """Seconds from creating a commune broadcast (``urgent``: marked "khẩn") while one to
    everyone is sending until the fake Bot API (100 ms per call) answered its first
    copy.  Works on a copy of ``store_path`` (never written).  ``wake``: the sender is
    woken as /guitin wakes it (False: as from the CLI, another process: the sender's
    next look, within 2 s).  With ``both``: (urgent, normal), a second commune broadcast
    left normal measured after the first."""
    with tempfile.TemporaryDirectory() as tmp:
        db = _copy(Path(store_path), Path(tmp))
        commune, _ = _commune(db)
        fake = SlowTelegram()
        await fake.start()
        settings = load_settings({
            "NHANONG_DB": str(db), "TELEGRAM_BOT_TOKEN": fake.token,
            "TELEGRAM_BASE_URL": fake.base_url, "TELEGRAM_RATE": str(rate),
            "NHANONG_QUIET_HOURS": "", "NHANONG_LOG_LEVEL": "ERROR",
        }, file=Path(tmp) / "none.toml")
        app = await App(settings).open()
        app.checkin_tick = _quiet  # type: ignore[method-assign]
        app.reports.tick = _quiet  # type: ignore[method-assign]
        app.notices.tick = _quiet  # type: ignore[method-assign]
        try:
            await app.start()
            clock = SystemClock()
            kw = {"by": "bench", "now": clock.now()}
            await create_broadcast(app.store, settings, app.services.communes, set(), text="Hội chợ",
                                   **kw)
            while fake.count("Hội chợ") < 30:  # the big one is sending  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            results = []
            for word, as_urgent in ([("Họp khẩn", True), ("Họp thường", False)] if both
                                    else [("Họp khẩn" if urgent else "Họp thường", urgent)]):
                t0 = time.monotonic()
                await create_broadcast(app.store, settings, app.services.communes, set(),
                                       text=f"{word} sáng mai", segment=f"commune={commune}",
                                       urgent=as_urgent, by="bench", now=clock.now())
                if wake:
                    app.services.wake_sender()  # as /guitin does once it has made it
                while fake.first(word) is None:  # noqa: ASYNC110 - the fake notes it
                    await asyncio.sleep(0.01)
                results.append(fake.first(word) - t0)
        finally:
            await app.stop()
            await fake.stop()
    return (results[0], results[1]) if both else results[0]


async def claim_and_retention(store_path: Path, batch: int = 200) -> dict[str, float]:
    """Claim cost per batch at the start and the end of a broadcast to everyone, then
    the file before and after compaction and vacuum (on a copy of ``store_path``)."""
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        db = _copy(Path(store_path), Path(tmp))
        store = await Store(db).open()
        clock = SystemClock()
        now = clock.now()
        bs = store.broadcasts
        bid = await bs.create(by="bench", text="x", image=None, segment=Segment(), send_at=now,
                              expires_at=None, state="sending", now=now)
        size0 = file_size(db)
        planned = await bs.plan(bid, Segment(), now)
        out["planned"] = planned
        # What each batch did first before: every pending copy of the broadcast updated.
        conn = sqlite3.connect(db, isolation_level=None)
        conn.execute("BEGIN")
        t0 = time.perf_counter()
        conn.execute(
            "UPDATE deliveries SET status = 'cancelled', reason = 'stopped or blocked',"
            " updated_at = ? WHERE broadcast_id = ? AND status = 'pending' AND member_id IN"
            " (SELECT id FROM members WHERE subscribed = 0 OR blocked_at IS NOT NULL)",
            (now.isoformat(), bid))
        out["old_claim_update_ms"] = (time.perf_counter() - t0) * 1000
        conn.execute("ROLLBACK")
        conn.close()
        times: list[float] = []
        after = 0
        channels = ["telegram", "zalo"]
        rules = {"zalo": Rule(seen_after=now - timedelta(days=7), monthly=4, daily=1,
                              month=f"{now:%Y-%m}", day=f"{now:%Y-%m-%d}")}
        while True:
            t0 = time.perf_counter()
            _, cursor = await bs.claim_from(bid, batch, now, channels, after, rules)
            times.append(time.perf_counter() - t0)
            if cursor is None:
                break
            after = cursor
        times.pop()  # the empty claim at the end
        out["claim_batches"] = len(times)
        out["claim_batch_ms_start"] = statistics.median(times[:20]) * 1000
        out["claim_batch_ms_end"] = statistics.median(times[-20:]) * 1000
        # The broadcast is sent and done, long ago: what retention does with it.
        await store.db.execute("UPDATE deliveries SET status = 'sent' WHERE broadcast_id = ?"
                               " AND status = 'queued'", (bid,))
        await bs.set_state(bid, "done", now - timedelta(days=40))
        out["broadcast_mb"] = (file_size(db) - size0) / MB
        out["delivery_rows_before"] = await bs.delivery_rows()
        out["db_mb_before_compaction"] = file_size(db) / MB
        t0 = time.perf_counter()
        out["compacted"], out["rows_deleted"] = await bs.compact(now - timedelta(days=30), now)
        out["compact_s"] = time.perf_counter() - t0
        out["delivery_rows_after"] = await bs.delivery_rows()
        counts = await bs.status(bid)
        assert sum(counts.values()) == planned, counts  # the counts are kept
        await store.close()
        out["db_mb_after_compaction"] = file_size(db) / MB
        t0 = time.perf_counter()
        await vacuum(db)
        out["vacuum_s"] = time.perf_counter() - t0
        out["db_mb_after_vacuum"] = file_size(db) / MB
    return out


def _store(members: int, given: Path | None, folder: Path) -> Path:
    if given is not None:
        return given
    prebuilt = Path(f"/tmp/scale/{members // 1000}k.db")
    if prebuilt.exists():
        return prebuilt
    sys.path.insert(0, str(ROOT / "bench"))
    from scale_store import build

    path = folder / f"scale-{members}.db"
    build(path, members)
    return path


async def main(members: int, given: Path | None, as_json: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = _store(members, given, Path(tmp))
        urgent, normal = await urgent_first_copy(store, both=True)
        cli = await urgent_first_copy(store, wake=False)
        figures: dict[str, float] = {"members": members, "urgent_broadcast_first_copy_s": urgent,
                                     "normal_broadcast_first_copy_s": normal,
                                     "urgent_first_copy_from_cli_s": cli}
        figures.update(await claim_and_retention(store))
    if as_json:
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}))
        return
    for k, v in figures.items():
        print(f"{k}: {v:.3f}" if isinstance(v, float) else f"{k}: {v}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--members", type=int, default=50_000)
    p.add_argument("--store", type=Path, help="a store built by bench/scale_store.py (copied)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    asyncio.run(main(a.members, a.store, a.json))
