from __future__ import annotations

import pytest

from bot.store import Store
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import NOON, TEXT_ONLY, Harness
from tests.reporting_data import build


@pytest.fixture
async def bot(tmp_path):
    h = await Harness(tmp_path).open()
    yield h
    await h.close()


@pytest.fixture
async def textbot(tmp_path):
    h = await Harness(tmp_path, caps=TEXT_ONLY).open()
    yield h
    await h.close()


@pytest.fixture
async def fake():
    """A fake Telegram Bot API on 127.0.0.1 (tests/fakes/telegram_api.py)."""
    f = FakeTelegram()
    await f.start()
    yield f
    await f.stop()


@pytest.fixture
async def store(tmp_path):
    """A store holding the hand-built reporting dataset (tests/reporting_data.py)."""
    s = await Store(tmp_path / "r.db").open()
    await build(s)
    yield s
    await s.close()


@pytest.fixture
async def hb(tmp_path):
    """The real app on a recording channel, its clock at noon (no quiet hours)."""
    h = Harness(tmp_path)
    h.clock.set(NOON)
    await h.open()
    yield h
    await h.close()


# -- the staff console (tests/console_rig.py) ----------------------------------------------
@pytest.fixture
async def rig(tmp_path):
    """The real app with its web console on 127.0.0.1 and the fake Telegram Bot API."""
    from tests.console_rig import Rig

    r = await Rig(tmp_path).start()
    yield r
    await r.stop()


@pytest.fixture
async def page(request):
    """A page in a real headless Chromium; a screenshot of it is saved when the test ends
    (test-results/console/<test>.png)."""
    from playwright.async_api import async_playwright

    from tests.console_rig import browser_page, screenshot

    async with async_playwright() as p:
        browser, pg = await browser_page(p, request.node.name)
        try:
            yield pg
            await screenshot(pg, request.node.name)
        finally:
            await browser.close()
