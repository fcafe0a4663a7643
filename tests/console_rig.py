"""The staff console under test (issue #16): the real app on a real SQLite file, the
fake Telegram Bot API over real HTTP, the console on 127.0.0.1, and a real headless
Chromium (Debian's, driven by Playwright) for the browser tests.

A staff member logs in as they would: they send /web to the bot over the fake Bot
API, read the link from what the bot sent them, and open it.  Each browser test
saves a screenshot in ``test-results/console/`` (kept by CI beside its results)."""

from __future__ import annotations

import os
import re
import shutil
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from bot.app import App
from bot.clock import FakeClock
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import NOON, make_settings
from tests.platforms import TelegramDriver
from tests.waits import GUARD

STAFF = 777  # the staff member's Telegram id (NHANONG_ADMINS)
RESULTS = Path(__file__).resolve().parent.parent / "test-results" / "console"
LINK = re.compile(r"https?://\S+/console/login/[A-Za-z0-9_\-]+")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--no-first-run", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium_path() -> str:
    """Debian's Chromium (``.ci/run`` installs it when it is missing)."""
    path = os.environ.get("NHANONG_TEST_CHROMIUM") or shutil.which("chromium") \
        or shutil.which("chromium-browser")
    if not path:
        raise RuntimeError("Chromium is not installed: apt-get install chromium (see .ci/run)")
    return path


class Rig:
    """The app with its console, and ways in for staff and for a test's own requests."""

    def __init__(self, tmp_path: Path, **env: str) -> None:
        self.tmp_path = tmp_path
        self.env = env
        self.fake = FakeTelegram()
        self.clock = FakeClock(NOON, auto=True)
        self.app: App | None = None
        self.base = ""

    async def start(self) -> Rig:
        await self.fake.start()
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        env = {"NHANONG_ADMINS": f"telegram:{STAFF}", "NHANONG_PUBLIC_URL": self.base,
               "NHANONG_WEBHOOK_LISTEN": f"127.0.0.1:{port}", "NHANONG_QUIET_HOURS": "",
               "NHANONG_STAFF_CHAT": "telegram:-100500", **TelegramDriver(self.fake).env()}
        env.update(self.env)
        self.settings = make_settings(self.tmp_path, **env)
        self.app = await App(self.settings, clock=self.clock).open()
        for ch in self.app.channels:
            ch.poll_timeout = 1.0
        await self.app.start()
        return self

    async def stop(self) -> None:
        if self.app is not None:
            await self.app.stop()
        await self.fake.stop()

    @property
    def store(self):
        assert self.app is not None
        return self.app.store

    async def link(self, user: int = STAFF) -> str:
        """The login link the bot sends ``user`` for /web (over the fake Bot API)."""
        before = len(self.fake.sent(user))
        self.fake.user_command(user, "/web")
        sent = await self.fake.wait_for_sent(user, before + 1)
        text = " ".join(str(m.get("text", "")) for m in sent[before:])
        found = LINK.search(text)
        assert found, f"no login link in what the bot sent: {text!r}"
        return found.group()

    @asynccontextmanager
    async def http(self, link: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
        """An HTTP client, logged in through ``link`` when given (as a browser would:
        open the link, press the button)."""
        async with httpx.AsyncClient(base_url=self.base, follow_redirects=False,
                                     timeout=GUARD) as client:
            if link is not None:
                r = await client.post(link)
                assert r.status_code == 303, (r.status_code, r.text[:300])
            yield client


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


async def browser_page(playwright: Any, name: str):
    """A fresh headless Chromium and page; the caller closes the browser."""
    browser = await playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = await context.new_page()
    page.set_default_timeout(GUARD * 1000)  # a hang, not a slow machine (tests/waits.py)
    return browser, page


async def screenshot(page: Any, name: str) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path
