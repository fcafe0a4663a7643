"""Inbound throughput: replies per second end to end, this bot vs a bare echo bot.

    python bench/inbound.py [--people 2000]

N people each send one message through a fake Telegram Bot API server on
127.0.0.1 (the one the tests use, in this process, over real HTTP).  We time
from the first update offered to the last reply received, first for Nhà Nông
(real app: SQLite file, engine, handlers, rendering, pacer) and then, in the
same run against the same fake, for a bare python-telegram-bot echo bot
(an Application with one MessageHandler).  Our pacer is set to a rate the
fake never limits (TELEGRAM_RATE=10000) so that both measure their own
overhead, not Telegram's 30 messages/s.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Update  # noqa: E402
from telegram.ext import Application, ContextTypes, MessageHandler, filters  # noqa: E402

from bot.app import App  # noqa: E402
from bot.config import load_settings  # noqa: E402
from tests.fakes.telegram_api import FakeTelegram  # noqa: E402

BASE_USER = 10_000_000


async def _drive(fake: FakeTelegram, people: int, first_user: int) -> float:
    """Each person sends one message; replies per second until every one got its reply."""
    await fake.wait_for_polling()
    start = time.perf_counter()
    for i in range(people):
        fake.user_text(first_user + i, "menu")
    await fake.wait_for_call("sendMessage", people, timeout=120)
    elapsed = time.perf_counter() - start
    got = {int(c.params["chat_id"]) for c in fake.calls_to("sendMessage") if c.ok}
    assert got == set(range(first_user, first_user + people)), "someone got no reply"
    return people / elapsed


async def run_nhanong(fake: FakeTelegram, people: int, first_user: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            {
                "NHANONG_DB": str(Path(tmp) / "bench.db"),
                "TELEGRAM_BOT_TOKEN": fake.token,
                "TELEGRAM_BASE_URL": fake.base_url,
                "TELEGRAM_RATE": "10000",
                "NHANONG_LOG_LEVEL": "WARNING",
            },
            file=Path(tmp) / "none.toml",
        )
        app = await App(settings).open()
        await app.start()
        rate = await _drive(fake, people, first_user)
        await app.stop()
    return rate


async def run_echo(fake: FakeTelegram, people: int, first_user: int, concurrency: int = 256) -> float:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.effective_message.reply_text(update.effective_message.text)

    app = (
        Application.builder().token(fake.token).base_url(fake.base_url)
        .concurrent_updates(concurrency).connect_timeout(10).read_timeout(15).write_timeout(15)
        .pool_timeout(10).build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    await app.initialize()
    await app.start()
    await app.updater.start_polling(timeout=1)
    rate = await _drive(fake, people, first_user)
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    return rate


async def main(people: int) -> None:
    async with FakeTelegram() as fake:
        ours = await run_nhanong(fake, people, BASE_USER)
    echoes = {}
    for concurrency in (256, 32, 8):
        async with FakeTelegram() as fake:
            echoes[concurrency] = await run_echo(fake, people, BASE_USER, concurrency)
    best = max(echoes, key=echoes.get)
    print(f"people: {people}")
    print(f"nhanong replies/s: {ours:.0f}")
    for c, r in echoes.items():
        print(f"echo bot (concurrent_updates={c}) replies/s: {r:.0f}")
    print(f"ratio (nhanong / best echo, concurrent_updates={best}): {ours / echoes[best]:.2f}")


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--people", type=int, default=2000)
    asyncio.run(main(p.parse_args().people))
