"""SQLite shared with another writer: people chatting while a second process writes.

The other process is a plain ``sqlite3`` connection in a thread holding write
transactions in a loop (as the CLI or a later web console does), or the real
``python -m bot`` CLI.  Nobody chatting may meet "database is locked": every
message gets its normal answer, never the apology.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.helpers import Harness, text_of

ROOT = Path(__file__).resolve().parent.parent
APOLOGY = "Xin lỗi, hệ thống của mình vừa gặp trục trặc"
PEOPLE = 60


class OtherWriter(threading.Thread):
    """Another process's connection: BEGIN IMMEDIATE, a row, hold it a moment, COMMIT, again."""

    def __init__(self, path: Path, hold: float = 0.003) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.hold = hold
        self.stop = threading.Event()
        self.started_writing = threading.Event()
        self.commits = 0
        self.error: BaseException | None = None

    def run(self) -> None:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            while not self.stop.is_set():
                db.execute("BEGIN IMMEDIATE")
                db.execute("INSERT INTO audit_log (at, actor, action) VALUES (datetime('now'), 'cli:x', 'x')")
                time.sleep(self.hold)  # a CLI command doing its work inside the transaction
                db.execute("COMMIT")
                self.commits += 1
                self.started_writing.set()
                time.sleep(0.001)
        except BaseException as e:  # reported by the test
            self.error = e
            self.started_writing.set()
        finally:
            db.close()


async def chat(h: Harness, user: str) -> list[str]:
    """One person's short conversation; the problems seen (empty when all went well)."""
    problems = []
    for text, expect in (("/start", "chào"), ("ocop là gì", "mỗi xã một sản phẩm"),
                         ("/start", "đang nhận tin")):
        got = text_of(await h.say(text, user=user))
        if APOLOGY in got or expect not in got.lower():
            problems.append(f"{user} said {text!r}, got {got[:80]!r}")
    return problems


async def test_a_second_writer_never_makes_a_member_meet_a_locked_database(tmp_path):
    h = await Harness(tmp_path).open()
    other = OtherWriter(tmp_path / "bot.db")
    other.start()
    try:
        assert await asyncio.to_thread(other.started_writing.wait, 60)
        results = await asyncio.gather(*(chat(h, f"p{i}") for i in range(PEOPLE)))
    finally:
        other.stop.set()
        await asyncio.to_thread(other.join, 60)
        await h.close()
    assert other.error is None, other.error
    assert other.commits > 10  # the other writer really wrote while people chatted
    problems = [p for r in results for p in r]
    assert problems == [], f"{len(problems)} bad answer(s), e.g. {problems[:3]}"


def _cli(tmp_path: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NHANONG_", "TELEGRAM_", "ZALO_"))}
    env.update(NHANONG_DB=str(tmp_path / "bot.db"), NHANONG_LOG_LEVEL="WARNING")
    return subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


async def test_the_cli_writing_while_people_chat(tmp_path):
    """Real ``python -m bot broadcast create`` runs, one after another, while 60 people chat."""
    h = await Harness(tmp_path).open()
    stop = asyncio.Event()
    outcomes: list[tuple[int, str]] = []

    async def cli_loop() -> None:
        while not stop.is_set() or not outcomes:
            p = _cli(tmp_path, "broadcast", "create", "--text", "Họp chi hội tối nay",
                     "--at", "2099-01-01T07:30")
            _, err = await asyncio.to_thread(p.communicate, timeout=120)
            outcomes.append((p.returncode, err.strip()))

    writer = asyncio.get_running_loop().create_task(cli_loop())
    try:
        results = []
        while len(outcomes) < 6:  # chat on until the CLI has written several times
            results += await asyncio.gather(*(chat(h, f"p{i}") for i in range(PEOPLE)))
    finally:
        stop.set()
        await asyncio.wait_for(writer, 240)
        await h.close()
    assert all(rc == 0 for rc, _ in outcomes), outcomes
    problems = [p for r in results for p in r]
    assert problems == [], f"{len(problems)} bad answer(s), e.g. {problems[:3]}"


class HeldLock(threading.Thread):
    """Another process holding the write lock until told to let go."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.holding = threading.Event()
        self.release = threading.Event()

    def run(self) -> None:
        db = sqlite3.connect(self.path, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO audit_log (at, actor, action) VALUES ('t', 'cli:x', 'held')")
        self.holding.set()
        self.release.wait(120)
        db.execute("COMMIT")
        db.close()


async def test_a_write_waits_for_the_lock_reads_go_on_and_see_committed_writes(tmp_path):
    from bot.store import Store

    s = Store(tmp_path / "bot.db")
    s.db.busy_timeout = 0.05  # SQLite gives up quickly; our own retry carries on
    await s.open()
    held = HeldLock(tmp_path / "bot.db")
    held.start()
    await asyncio.to_thread(held.holding.wait, 60)
    write = asyncio.get_running_loop().create_task(
        s.db.execute("INSERT INTO audit_log (at, actor, action) VALUES ('t', 'bot', 'mine')"))
    # While the other process holds the write lock, reads are answered at once.
    assert (await s.db.fetchone("SELECT COUNT(*) FROM audit_log"))[0] == 0
    assert not write.done()
    held.release.set()
    await asyncio.wait_for(write, 60)
    rows = await s.db.fetchall("SELECT action FROM audit_log ORDER BY id")
    assert [r[0] for r in rows] == ["held", "mine"]  # a read after a write sees it
    async with s.db.transaction() as conn:  # inside a transaction: its own rows
        await conn.execute("INSERT INTO audit_log (at, actor, action) VALUES ('t', 'bot', 'tx')")
        async with conn.execute("SELECT COUNT(*) FROM audit_log") as cur:
            assert (await cur.fetchone())[0] == 3
    await asyncio.to_thread(held.join, 60)
    await s.close()


async def test_a_lock_held_too_long_gives_a_clear_store_error(tmp_path):
    from bot.store import Store, StoreError

    s = Store(tmp_path / "bot.db")
    s.db.busy_timeout, s.db.retry_for = 0.05, 0.5
    await s.open()
    held = HeldLock(tmp_path / "bot.db")
    held.start()
    await asyncio.to_thread(held.holding.wait, 60)
    try:
        with pytest.raises(StoreError, match="stayed locked"):
            await s.db.execute("INSERT INTO audit_log (at, actor, action) VALUES ('t', 'bot', 'x')")
    finally:
        held.release.set()
        await asyncio.to_thread(held.join, 60)
    await s.db.execute("INSERT INTO audit_log (at, actor, action) VALUES ('t', 'bot', 'later')")
    await s.close()


async def test_a_write_through_a_read_is_refused(tmp_path):
    from bot.store import Store

    s = await Store(tmp_path / "bot.db").open()
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        await s.db.fetchone("INSERT INTO audit_log (at, actor, action) VALUES ('t', 'x', 'x') RETURNING id")
    await s.close()
