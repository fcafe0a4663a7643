"""The inbound journal: nothing acknowledged is lost, nothing answered twice.

Most scenarios run the real process (``python -m bot run``) against the fake
Telegram Bot API on 127.0.0.1, stop it with SIGTERM or kill it with SIGKILL while
60 people (each sending one message) are being answered, start it again on the
same database file, and count what every person received.  Waits are on the
fake's arrival events and the process's log lines, with a 60 s deadlock guard.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sqlite3
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.clock import FakeClock
from bot.store import Store
from bot.types import Rendered
from tests.fakes.telegram_api import FakeTelegram
from tests.platforms import TelegramDriver, driver
from tests.test_e2e_telegram import _app
from tests.waits import GUARD

PEOPLE = 60
USERS = [50_000 + i for i in range(PEOPLE)]
SECRET = "journal-test-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BotProcess:
    """`python -m bot run` as an operator starts it; its log lines are watched."""

    def __init__(self, tmp_path: Path, fake: FakeTelegram, webhook: bool, **extra: str) -> None:
        self.db = tmp_path / "run.db"
        self.cwd = tmp_path
        self.webhook = webhook
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("NHANONG_", "TELEGRAM_", "ZALO_"))}
        env.update(NHANONG_DB=str(self.db), NHANONG_QUIET_HOURS="", NHANONG_LOG_LEVEL="INFO",
                   **TelegramDriver(fake).env(), **extra)
        if webhook:
            env.update(NHANONG_WEBHOOK_URL="https://bot.example.vn/hook",
                       NHANONG_WEBHOOK_SECRET=SECRET,
                       NHANONG_WEBHOOK_LISTEN=f"127.0.0.1:{self.port}")
        self.env = env
        self.fake = fake
        self.proc: asyncio.subprocess.Process | None = None
        self.lines: list[str] = []
        self._changed = asyncio.Event()

    async def start(self) -> None:
        self.lines = []
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=self.cwd, env=self.env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        self._reader = asyncio.ensure_future(self._read(self.proc))
        if self.webhook:
            await self.wait_log("webhook server listening")
        else:
            await self.fake.wait_for_polling(timeout=GUARD)

    async def _read(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stderr is not None
        async for line in proc.stderr:
            self.lines.append(line.decode(errors="replace"))
            self._changed.set()
        self._changed.set()

    async def wait_log(self, text: str) -> None:
        async def seen() -> None:
            while not any(text in ln for ln in self.lines):
                if self.proc is not None and self.proc.returncode is not None and self._reader.done():
                    raise AssertionError("the bot exited:\n" + "".join(self.lines[-30:]))
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(seen(), GUARD)

    async def term(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        rc = await asyncio.wait_for(self.proc.wait(), GUARD)
        await asyncio.wait_for(self._reader, GUARD)
        return rc

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        await asyncio.wait_for(self.proc.wait(), GUARD)
        await asyncio.wait_for(self._reader, GUARD)

    async def close(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        with sqlite3.connect(self.db) as conn:
            return list(conn.execute(sql, params))


async def _post(url: str, body: str | bytes, secret: str | None = SECRET,
                header: str = "X-Telegram-Bot-Api-Secret-Token") -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[header] = secret
    async with (aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=GUARD)) as session,
                session.post(url, data=body, headers=headers) as r):
        await r.read()
        return r.status


async def _everyone_writes(bot: BotProcess, fake: FakeTelegram) -> None:
    """Each of the 60 people sends /start (queued for polling, or posted to the webhook)."""
    updates = [fake.user_command(u, "/start", first_name=f"Người {u}") for u in USERS]
    if bot.webhook:
        url = f"http://127.0.0.1:{bot.port}/hook"
        statuses = await asyncio.gather(*(fake.post_webhook(url, up, SECRET) for up in updates))
        assert statuses == [200] * PEOPLE


def _sends_arrived(fake: FakeTelegram) -> int:
    return len([c for c in fake.calls if c.method == "sendMessage"])


def _assert_each_answered_once(fake: FakeTelegram) -> None:
    """/start is answered with a welcome and the first profile question: exactly those
    two messages, once each, for every person."""
    for u in USERS:
        texts = fake.plain_texts(u)
        assert len(texts) == 2 and len(set(texts)) == 2, (u, texts)
        assert texts[0].startswith("Xin chào Người"), (u, texts)


def _everyone_has(fake: FakeTelegram, n: int = 2):
    return lambda: all(len(fake.sent(u)) >= n for u in USERS)


# -- SIGTERM -----------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_sigterm_with_60_in_flight_every_message_answered_once(tmp_path, fake, mode):
    # Slow enough that SIGTERM lands while replies go out, and a short grace so that
    # some are still waiting for a slot when it ends (they are sent after the restart).
    bot = BotProcess(tmp_path, fake, mode == "webhook", TELEGRAM_RATE="20",
                     NHANONG_STOP_GRACE="1")
    try:
        await bot.start()
        await _everyone_writes(bot, fake)
        await fake.wait_until(lambda: _sends_arrived(fake) >= 10, GUARD)
        assert await bot.term() == 0, bot.log
        assert "Traceback" not in bot.log
        await bot.start()
        await fake.wait_until(_everyone_has(fake), GUARD)
        assert await bot.term() == 0, bot.log
        _assert_each_answered_once(fake)
        # A clean stop leaves no reply whose fate is unknown.
        assert bot.rows("SELECT COUNT(*) FROM inbound_replies WHERE state = 'unknown'") == [(0,)]
        assert bot.rows("SELECT COUNT(*) FROM inbound WHERE state != 'done'") == [(0,)]
    finally:
        await bot.close()


# -- SIGKILL -----------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_sigkill_with_60_in_flight_every_message_answered_once(tmp_path, fake, mode):
    """The fake carries out every send but holds back the answers after the 20th: the
    bot is killed once each person has either both replies or a send whose answer is
    held (each reply marked "sending" has then reached Telegram).  After the restart
    the held ones are "unknown" and not sent again; the rest are sent."""
    bot = BotProcess(tmp_path, fake, mode == "webhook")
    fake.hold_sends_after(20)
    try:
        await bot.start()
        await _everyone_writes(bot, fake)

        def settled() -> bool:
            held = {c.params.get("chat_id") for c in fake.held_calls()}
            return all(len(fake.sent(u)) == 2 or u in held for u in USERS)

        await fake.wait_until(settled, GUARD)
        held = {int(c.params["chat_id"]) for c in fake.held_calls()}
        assert held  # some people are waiting for their second reply
        await bot.kill()
        fake.release_held()
        sending = {int(r[0]) for r in bot.rows(
            "SELECT chat_id FROM inbound_replies WHERE state = 'sending'")}
        assert held <= sending  # marked before the call
        await bot.start()
        await fake.wait_until(_everyone_has(fake), GUARD)
        assert await bot.term() == 0, bot.log
        _assert_each_answered_once(fake)
        unknown = {int(r[0]) for r in bot.rows(
            "SELECT chat_id FROM inbound_replies WHERE state = 'unknown'")}
        assert unknown == sending
    finally:
        fake.release_held()
        await bot.close()


async def test_sigkill_at_any_point_nobody_answered_twice_and_what_is_missing_is_unknown(
        tmp_path, fake):
    bot = BotProcess(tmp_path, fake, False)
    try:
        await bot.start()
        await _everyone_writes(bot, fake)
        await fake.wait_until(lambda: _sends_arrived(fake) >= 30, GUARD)
        await bot.kill()
        before = _sends_arrived(fake)
        await bot.start()
        await fake.wait_until(lambda: _sends_arrived(fake) > before, GUARD)  # recovered by now
        unknown: dict[int, int] = {}
        for (chat,) in bot.rows("SELECT chat_id FROM inbound_replies WHERE state = 'unknown'"):
            unknown[int(chat)] = unknown.get(int(chat), 0) + 1
        await fake.wait_until(
            lambda: all(len(fake.sent(u)) + unknown.get(u, 0) >= 2 for u in USERS), GUARD)
        assert await bot.term() == 0, bot.log
        for u in USERS:
            texts = fake.plain_texts(u)
            assert len(texts) == len(set(texts)) <= 2, (u, texts)  # nothing twice
            assert sum("Xin chào" in t or "Chào" in t for t in texts) <= 1, (u, texts)
            assert 2 - len(texts) <= unknown.get(u, 0), (u, texts)  # missing → recorded unknown
    finally:
        await bot.close()


# -- the webhook ---------------------------------------------------------------------------
async def _webhook_app(tmp_path, p, **env):
    app = await _app(tmp_path, p, NHANONG_WEBHOOK_LISTEN="127.0.0.1:0",
                     **p.webhook_env("/hook/x", SECRET), **env)
    return app, f"http://127.0.0.1:{app.webserver.port}/hook/x"


async def test_webhook_answers_200_only_once_the_update_is_in_the_database(tmp_path, fake):
    p = TelegramDriver(fake)
    app, url = await _webhook_app(tmp_path, p)
    try:
        update = fake.user_command(USERS[0], "/start")
        assert await fake.post_webhook(url, update, SECRET) == 200
        with sqlite3.connect(tmp_path / "bot.db") as conn:  # another connection, as after a crash
            rows = list(conn.execute("SELECT channel, payload FROM inbound WHERE update_id = ?",
                                     (str(update["update_id"]),)))
        assert [(ch, json.loads(payload)["message"]["text"]) for ch, payload in rows] == [
            ("telegram", "/start")]
        await fake.wait_for_sent(USERS[0], 2)
    finally:
        await app.stop()


async def test_the_same_update_posted_twice_is_answered_once(tmp_path, fake):
    p = TelegramDriver(fake)
    app, url = await _webhook_app(tmp_path, p)
    u = USERS[0]
    try:
        update = fake.user_command(u, "/start")
        assert await fake.post_webhook(url, update, SECRET) == 200
        assert await fake.post_webhook(url, update, SECRET) == 200  # Telegram retried
        await fake.wait_for_sent(u, 2)
        # The person's next message is answered after anything for the first one.
        assert await fake.post_webhook(url, fake.user_command(u, "/trogiup"), SECRET) == 200
        await fake.wait_for_sent(u, 3)
        texts = fake.plain_texts(u)
        assert len(texts) == 3 and sum(t.startswith("Xin chào") for t in texts) == 1, texts
    finally:
        await app.stop()


@pytest.mark.parametrize("body", ["[]", "5", '"update"', "null", '{"update_id": "7"}', "{"])
async def test_a_webhook_body_that_is_not_an_update_is_a_400(tmp_path, fake, body, caplog):
    p = TelegramDriver(fake)
    app, url = await _webhook_app(tmp_path, p)
    try:
        assert await _post(url, body) == 400
        assert not [r for r in caplog.records if r.exc_info]  # no traceback
    finally:
        await app.stop()


async def test_webhook_500_while_the_store_fails_and_telegram_retries(tmp_path, fake):
    p = TelegramDriver(fake)
    app, url = await _webhook_app(tmp_path, p)
    u = USERS[0]
    try:
        update = fake.user_command(u, "/start")
        await app.store.db.execute("ALTER TABLE inbound RENAME TO inbound_away")
        assert await fake.post_webhook(url, update, SECRET) == 500
        assert fake.pending_updates  # not confirmed: Telegram keeps it
        await app.store.db.execute("ALTER TABLE inbound_away RENAME TO inbound")
        assert await fake.post_webhook(url, update, SECRET) == 200
        await fake.wait_for_sent(u, 2)
    finally:
        await app.stop()


async def test_webhook_503_once_stopping(tmp_path, fake):
    p = TelegramDriver(fake)
    app, url = await _webhook_app(tmp_path, p)
    try:
        await app.inbox.stop()  # what SIGTERM does first
        update = fake.user_command(USERS[0], "/start")
        assert await fake.post_webhook(url, update, SECRET) == 503
        assert fake.pending_updates and fake.sent(USERS[0]) == []
    finally:
        await app.stop()


# -- Zalo ------------------------------------------------------------------------------------
async def test_zalo_webhook_stores_before_answering_and_a_message_id_is_answered_once(tmp_path):
    p = await driver("zalo")
    app, url = await _webhook_app(tmp_path, p)
    u = p.user(0)
    try:
        event = p.fake.user_text(u, "/start")
        mid = event["message"]["message_id"]
        assert await p.fake.post_webhook(url, event, SECRET) == 200
        with sqlite3.connect(tmp_path / "bot.db") as conn:
            assert list(conn.execute("SELECT channel FROM inbound WHERE update_id = ?", (mid,))) \
                == [("zalo",)]
        assert await p.fake.post_webhook(url, event, SECRET) == 200  # delivered again
        first = len(await p.fake.wait_for_sent(u, 1))
        assert await p.fake.post_webhook(url, p.fake.user_text(u, "/trogiup"), SECRET) == 200
        await p.fake.wait_for_sent(u, first + 1)
        texts = p.texts(u)
        assert sum(t.startswith("Xin chào") for t in texts) == 1, texts
        for body in ("[]", "5", '{"ok": true, "result": 5}'):
            assert await _post(url, body, header="X-Bot-Api-Secret-Token") == 400
    finally:
        await app.stop()
        await p.fake.stop()


# -- recovery and housekeeping -----------------------------------------------------------------
async def test_at_start_unfinished_updates_are_handled_and_pending_replies_sent_but_not_unknown_ones(
        tmp_path, fake):
    clock = FakeClock(auto=True)
    store = await Store(tmp_path / "bot.db").open()
    j = store.journal
    # Handled before a crash: its first reply was being sent, its second not yet.
    done = await j.add("telegram", "900", {"update_id": 900}, clock.now())
    await j.finish(done.id, "telegram:71", [("telegram", "71", Rendered("một")),
                                            ("telegram", "71", Rendered("hai"))], None, clock.now())
    [first, _] = await j.pending(done.id)
    await j.mark_soon(first.id, "sending", clock.now())
    # Stored, not handled yet.
    update = fake.user_command(72, "/start")
    await j.add("telegram", str(update["update_id"]), update, clock.now())
    await store.close()

    app = await _app(tmp_path, fake, clock=clock)
    try:
        assert [m["text"] for m in await fake.wait_for_sent(71, 1)] == ["hai"]  # "một" not again
        await fake.wait_for_sent(72, 2)
        counts = await app.store.journal.counts()
        assert counts["reply_unknown"] == 1 and counts.get("new", 0) == 0
    finally:
        await app.stop()
    assert fake.texts(71) == ["hai"]


async def test_done_updates_are_pruned_after_the_configured_time(tmp_path):
    from datetime import timedelta

    clock = FakeClock()
    store = await Store(tmp_path / "a.db").open()
    j = store.journal
    old = await j.add("telegram", "1", {"text": "số điện thoại của tôi"}, clock.now())
    await j.finish(old.id, "telegram:1", [], None, clock.now())
    waiting = await j.add("telegram", "2", {}, clock.now())
    await j.finish(waiting.id, "telegram:2", [("telegram", "2", Rendered("x"))], None, clock.now())
    unhandled = await j.add("telegram", "3", {}, clock.now())
    clock.advance(3600 * 25)
    fresh = await j.add("telegram", "4", {}, clock.now())
    await j.finish(fresh.id, "telegram:4", [], None, clock.now())
    assert await j.prune(clock.now() - timedelta(hours=24)) == 1
    left = {r[0] for r in await store.db.fetchall("SELECT update_id FROM inbound")}
    assert left == {"2", "3", "4"}  # replies still to send and unhandled updates stay
    assert unhandled is not None
    assert await j.add("telegram", "4", {}, clock.now()) is None  # a duplicate
    await store.close()
