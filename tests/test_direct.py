"""Messages staff send one person from outside a chat (bot/direct.py): stored before
the console says "sent", sent once by the bot's worker, nothing lost or doubled by a
restart.  The real app and store, the fake Telegram Bot API over real HTTP."""

from __future__ import annotations

from bot.app import App
from bot.direct import send_later
from bot.types import Reply
from tests.console_rig import Rig
from tests.waits import until_async

FARMER = 4242


async def _farmer(rig: Rig) -> int:
    rig.fake.user_command(FARMER, "/start")
    await rig.fake.wait_for_sent(FARMER, 1)
    member = await rig.store.members.find("telegram", str(FARMER))
    assert member is not None
    return member.id


async def test_a_stored_message_is_sent_once_on_the_persons_channel(rig):
    member_id = await _farmer(rig)
    mid = await rig.app.services.send_later(member_id, Reply("Trả lời **riêng** của Hội"),
                                            "telegram:777")
    assert await rig.store.direct.state(mid) is not None  # stored when the call returns
    await until_async(lambda: _is(rig, mid, "sent"), "the message recorded as sent")
    await rig.app.direct.tick()  # looking again sends nothing more
    assert _answers(rig) == ["Trả lời <b>riêng</b> của Hội"]


async def _is(rig: Rig, mid: int, state: str) -> bool:
    return (await rig.store.direct.state(mid))[0] == state


def _answers(rig: Rig, word: str = "Trả lời") -> list[str]:
    return [t for t in rig.fake.texts(FARMER) if word in t]


async def test_a_message_stored_while_the_bot_is_down_is_sent_after_the_start(tmp_path):
    rig = await Rig(tmp_path).start()
    try:
        member_id = await _farmer(rig)
        await rig.app.stop()
        # Another process (a console on its own) stores while the bot is down.
        app = await App(rig.settings, clock=rig.clock).open()
        sending = await send_later(app.store, member_id, Reply("Tin một"), "telegram:777", rig.clock.now())
        await app.store.direct.claim(sending)  # it died while sending this one
        waiting = await send_later(app.store, member_id, Reply("Tin hai"), "telegram:777", rig.clock.now())
        await app.store.close()
        rig.app = await App(rig.settings, clock=rig.clock).open()
        await rig.app.start()
        await until_async(lambda: _is(rig, waiting, "sent"), "the stored message sent")
        await rig.app.direct.tick()
        assert _answers(rig, "một") == []  # not sent twice
        assert _answers(rig, "hai") == ["Tin hai"]
        assert (await rig.store.direct.state(sending))[0] == "unknown"
        assert (await rig.store.direct.state(waiting))[0] == "sent"
    finally:
        await rig.stop()
