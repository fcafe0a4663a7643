"""Linking a person's Telegram and Zalo accounts, and pushes to one of them only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.app import App
from bot.broadcast import create_broadcast
from bot.clock import FakeClock
from bot.types import Inbound, InboundKind
from tests.helpers import TEXT_ONLY, RecordingChannel, make_settings

PHONE = "+84912345678"


class Two:
    """The app on a recording Telegram and a recording (text-only) Zalo channel."""

    def __init__(self, app: App, tg: RecordingChannel, zl: RecordingChannel) -> None:
        self.app, self.tg, self.zl = app, tg, zl
        self.ch = {"telegram": tg, "zalo": zl}

    async def send(self, channel: str, user: str, **kw) -> str:
        ch = self.ch[channel]
        before = len(ch.sent)
        await self.app.engine.handle(Inbound(channel, user, user, display_name="Ba", **kw))
        return "\n\n".join(m.text for c, m in ch.sent[before:] if c == user)

    async def say(self, channel: str, user: str, text: str) -> str:
        return await self.send(channel, user, kind=InboundKind.TEXT, text=text)

    async def press(self, channel: str, user: str, action: str) -> str:
        return await self.send(channel, user, kind=InboundKind.ACTION, action=action)

    async def member(self, channel: str, user: str, phone: str | None = PHONE):
        await self.say(channel, user, "/start")
        m = await self.app.store.members.find(channel, user)
        if phone:
            await self.app.store.members.update(m.id, phone=phone)
        return m

    async def code(self, channel: str = "telegram", user: str = "t1") -> str:
        text = await self.press(channel, user, "lk:start")
        return re.search(r"\b(\d{6})\b", text).group(1)

    async def broadcast(self, text: str) -> dict[str, list[str]]:
        """Send a broadcast to everyone; who got it on which channel."""
        app = self.app
        before = {n: len(c.sent) for n, c in self.ch.items()}
        await create_broadcast(app.store, app.settings, app.services.communes,
                               set(app.services.library.topics), by="t", text=text,
                               now=app.clock.now())
        await app.broadcaster.tick()
        return {n: [chat for chat, m in c.sent[before[n]:] if text in m.text]
                for n, c in self.ch.items()}


@pytest.fixture
async def two(tmp_path):
    tg = RecordingChannel(name="telegram")
    zl = RecordingChannel(name="zalo", caps=TEXT_ONLY)
    settings = make_settings(tmp_path, NHANONG_QUIET_HOURS="")
    app = await App(settings, channels=[tg, zl], clock=FakeClock(auto=True)).open()
    yield Two(app, tg, zl)
    await app.stop()


async def test_link_then_pushes_go_to_the_chosen_account_only(two):
    await two.member("telegram", "t1")
    await two.member("zalo", "z1")
    await two.member("zalo", "z2", phone=None)  # someone else, not linked
    first = await two.code()
    code = await two.code()  # a second press gives a new code that replaces the first
    if first != code:
        assert "sai hoặc đã hết hạn" in await two.say("zalo", "z1", f"liên kết {first}")
    answer = await two.say("zalo", "z1", f"lien ket {code}")  # typed without accents
    assert "liên kết" in answer.lower() and "1. Nhận tin qua Telegram" in answer
    assert "2. Nhận tin qua Zalo" in answer
    # Until the person chooses, news goes to the account that made the code.
    assert await two.broadcast("Tin một") == {"telegram": ["t1"], "zalo": ["z2"]}
    assert "Zalo" in await two.say("zalo", "z1", "2")  # picked by its number on Zalo
    assert await two.broadcast("Tin hai") == {"telegram": [], "zalo": ["z1", "z2"]}
    card = await two.say("telegram", "t1", "/hoso")
    assert "Đã liên kết: Telegram, Zalo; tin gửi qua Zalo" in card
    # The chosen account blocked the bot: the person is still reached on the other.
    await two.app.store.members.mark_blocked("zalo", "z1", two.app.clock.now())
    assert await two.broadcast("Tin ba") == {"telegram": ["t1"], "zalo": ["z2"]}
    await two.say("zalo", "z1", "/menu")  # talking again clears the block
    await two.press("telegram", "t1", "lk:off")
    assert await two.broadcast("Tin bốn") == {"telegram": ["t1"], "zalo": ["z1", "z2"]}
    assert "Liên kết tài khoản" in await two.say("zalo", "z1", "/hoso")


async def test_a_code_needs_the_same_phone_the_other_channel_and_time(two):
    await two.member("telegram", "t1")
    await two.member("zalo", "z1", phone="+84987654321")
    await two.member("telegram", "t2")
    code = await two.code()
    assert "sai hoặc đã hết hạn" in await two.say("zalo", "z1", f"/lienket {code}")  # other phone
    assert "sai hoặc đã hết hạn" in await two.say("telegram", "t2", f"/lienket {code}")  # same channel
    await two.app.store.members.update((await two.app.store.members.find("zalo", "z1")).id,
                                       phone=PHONE)
    two.app.clock.advance(timedelta(minutes=11).total_seconds())
    assert "sai hoặc đã hết hạn" in await two.say("zalo", "z1", f"/lienket {code}")  # expired
    assert await two.app.store.links.accounts((await two.app.store.members.find("zalo", "z1")).id) == []


async def test_wrong_guesses_burn_the_code(two):
    await two.member("telegram", "t1")
    await two.member("zalo", "z1")
    code = await two.code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        assert "sai hoặc đã hết hạn" in await two.say("zalo", "z1", f"/lienket {wrong}")
    assert "sai hoặc đã hết hạn" in await two.say("zalo", "z1", f"/lienket {code}")


async def test_linking_asks_for_a_phone_and_a_code(two):
    await two.member("telegram", "t1", phone=None)
    await two.member("zalo", "z1", phone=None)
    assert "số điện thoại" in await two.press("telegram", "t1", "lk:start")
    assert "mã 6 chữ số" in await two.say("zalo", "z1", "/lienket")
    assert "số điện thoại" in await two.say("zalo", "z1", "/lienket 123456")


@pytest.mark.parametrize("question", [
    "lien ket chuoi la gi",
    "liên kết chuỗi giá trị là gì",
    "lien ket san xuat dc ho tro gi",
    "Liên kết sản xuất được hỗ trợ gì?",
])
async def test_a_question_that_begins_with_lien_ket_is_a_question(two, question):
    """"liên kết" is linking only when a code (or nothing) follows; otherwise the FAQ."""
    await two.member("zalo", "z1")
    answer = await two.say("zalo", "z1", question)
    assert "mã 6 chữ số" not in answer and "sai hoặc đã hết hạn" not in answer
    assert "liên kết" in answer.lower() and "chuỗi" in answer.lower()


@pytest.mark.parametrize("typed", ["liên kết", "lien ket", "lien ket tai khoan", "liên kết 12345"])
async def test_lien_ket_with_nothing_or_a_code_is_still_linking(two, typed):
    await two.member("zalo", "z1")
    assert "mã 6 chữ số" in await two.say("zalo", "z1", typed)
