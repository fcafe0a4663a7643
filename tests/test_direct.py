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
    return await _stored(rig.store, mid, state)


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


async def test_sigkill_while_an_answer_is_on_the_wire_neither_loses_nor_doubles(tmp_path, fake):
    """The real ``python -m bot run``, SIGKILLed while it sends a stored answer: after the
    restart that one is "unknown" and not sent again; one stored while the bot was down
    (as the console on its own stores it) is sent once."""
    from bot.clock import SystemClock
    from bot.store import Store
    from tests.test_journal import BotProcess

    bot = BotProcess(tmp_path, fake, webhook=False)
    await bot.start()
    store = await Store(bot.db).open()  # another process's view, as `python -m bot web` has
    try:
        now = SystemClock().now()
        member = await store.members.seen("telegram", str(FARMER), str(FARMER), "Nông", "vi", now)
        fake.hold_sends_after(0)  # the next send is made, its answer held back
        on_wire = await send_later(store, member.id, Reply("Tin đang gửi"), "telegram:777", now)

        def sent(text: str) -> int:
            return sum(1 for c in fake.calls if c.method == "sendMessage"
                       and text in str(c.params.get("text", "")))

        await fake.wait_until(lambda: sent("Tin đang gửi") == 1)
        await bot.kill()
        fake.release_held()
        waiting = await send_later(store, member.id, Reply("Tin lưu khi bot dừng"), "telegram:777", now)
        await bot.start()
        await until_async(lambda: _stored(store, waiting, "sent"), "the stored answer sent")
        assert (await store.direct.state(on_wire))[0] == "unknown"
        assert sent("Tin đang gửi") == 1 and sent("Tin lưu khi bot dừng") == 1
        assert await bot.term() == 0
    finally:
        await store.close()
        await bot.close()


async def _stored(store, mid: int, state: str) -> bool:
    return (await store.direct.state(mid))[0] == state
