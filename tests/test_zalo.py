"""The Zalo channel: its wire format, error mapping and limits against the fake
Zalo Bot API, its settings, and broadcasts that mix Telegram and Zalo members."""

from __future__ import annotations

import logging

import pytest

from bot.app import App
from bot.broadcast import create_broadcast
from bot.channels.zalo import ZaloApiError, ZaloChannel, send_error
from bot.clock import FakeClock
from bot.config import ConfigError, load_settings
from bot.errors import Permanent, RetryLater, Transient
from bot.i18n import translator
from bot.store import Store
from bot.types import InboundKind, Rendered, Reply
from tests.helpers import make_settings
from tests.platforms import TelegramDriver, ZaloDriver, driver

U = "6ede9afa66b88fe6d6a9"


@pytest.fixture
async def zalo():
    z = await driver("zalo")
    yield z
    await z.fake.stop()


async def _app(tmp_path, *drivers, **env) -> App:
    channel_env = {k: v for d in drivers for k, v in d.env().items()}
    app = await App(make_settings(tmp_path, **channel_env, **env), clock=FakeClock(auto=True)).open()
    for ch in app.channels:
        ch.poll_timeout = 1.0
    await app.start()
    return app


def test_error_codes_map_to_outcomes():
    assert isinstance(send_error(ZaloApiError(429, "Quota exceeded")), RetryLater)
    assert send_error(ZaloApiError(429, "Quota exceeded", retry_after=7)).seconds == 7
    # The documentation's table calls 403 "internal server error": worth retrying.
    for code in (403, 408, 500, 502):
        assert isinstance(send_error(ZaloApiError(code, "x")), Transient)
    for code in (400, 401, 404):
        assert isinstance(send_error(ZaloApiError(code, "x")), Permanent)


def test_events_become_inbounds():
    ch = ZaloChannel("1:x", base_url="http://127.0.0.1:9/bot", rate=5)
    base = {"from": {"id": U, "display_name": "Ted", "is_bot": False},
            "chat": {"id": U, "chat_type": "PRIVATE"}, "message_id": "2d75", "date": 1750316131602}
    text = ch.to_inbound({"event_name": "message.text.received", "message": {**base, "text": "Xin chào"}})
    assert (text.kind, text.text, text.user_id, text.chat_id, text.display_name, text.message_id) == (
        InboundKind.TEXT, "Xin chào", U, U, "Ted", "2d75")
    photo = ch.to_inbound({"event_name": "message.image.received",
                           "message": {**base, "photo": "https://f.zalo.me/a.jpg", "caption": "Lúa"}})
    assert (photo.kind, photo.media, photo.text) == (InboundKind.PHOTO, "https://f.zalo.me/a.jpg", "Lúa")
    assert ch.to_inbound({"event_name": "message.sticker.received", "message": base}).kind \
        is InboundKind.STICKER
    assert ch.to_inbound({"event_name": "message.unsupported.received", "message": base}).kind \
        is InboundKind.OTHER
    group = {**base, "chat": {"id": "g1", "chat_type": "GROUP"}, "text": "hi"}
    assert ch.to_inbound({"event_name": "message.text.received", "message": group}).is_group
    bot = {**base, "from": {"id": "b", "is_bot": True}, "text": "hi"}
    for junk in (None, [], {}, {"message": "x"}, {"message": {"from": {}, "chat": {}}},
                 {"event_name": "message.text.received", "message": bot}):
        assert ch.to_inbound(junk) is None


def test_events_whose_ids_are_not_ids_are_ignored():
    ch = ZaloChannel("1:x", base_url="http://127.0.0.1:9/bot", rate=5)

    def event(sender_id, chat_id=U, **sender):
        return {"event_name": "message.text.received", "message": {
            "from": {"id": sender_id, "display_name": "Ted", "is_bot": False, **sender},
            "chat": {"id": chat_id, "chat_type": "PRIVATE"}, "message_id": "2d75", "text": "hi"}}

    for bad in ({"a": 1}, [U], True, False, 1.5, "  ", None):
        assert ch.to_inbound(event(bad)) is None, bad
        assert ch.to_inbound(event(U, chat_id=bad)) is None, bad
    number = ch.to_inbound(event(1234567, chat_id=1234567))
    assert (number.user_id, number.chat_id) == ("1234567", "1234567")
    assert ch.to_inbound(event(U, display_name={"x": 1})).display_name is None


async def test_an_event_with_object_ids_makes_no_member(tmp_path, zalo):
    app = await _app(tmp_path, zalo)
    try:
        junk = zalo.fake.user_text(U, "/start")
        junk["message"]["from"]["id"] = {"a": 1}  # before the bot polls it
        zalo.command(U, "/start")
        await zalo.wait_for_sent(U, 2)
        rows = await app.store.db.fetchall("SELECT user_id FROM members")
        assert [r[0] for r in rows] == [U]
    finally:
        await app.stop()


async def test_replies_split_at_2000_on_paragraphs_and_typing_is_shown(tmp_path, zalo):
    app = await _app(tmp_path, zalo)
    try:
        zalo.command(U, "/start")
        await zalo.wait_for_sent(U, 2)
        assert await zalo.fake.wait_for_call("sendChatAction")
        paras = [f"Đoạn {i}: " + "lúa " * 120 for i in range(12)]
        outcomes = await app.delivery.reply("zalo", U, [Reply("\n\n".join(paras))], translator("vi"))
        assert {o.status for o in outcomes} == {"sent"} and len(outcomes) >= 3
        texts = zalo.texts(U)[2:]
        assert all(len(t) <= 2000 for t in texts)
        assert all(t.startswith("Đoạn") for t in texts)  # every message starts a paragraph
        assert "".join(texts).count("Đoạn") == 12
    finally:
        await app.stop()


async def test_photo_by_url_with_caption_and_files_as_text(tmp_path, zalo):
    app = await _app(tmp_path, zalo)
    try:
        out = await app.delivery.send("zalo", U, Rendered("Hội chợ OCOP", image="https://x.vn/a.jpg"),
                                      high=True)
        assert out.status == "sent"
        [photo] = [c.params for c in zalo.fake.calls_to("sendPhoto")]
        assert photo == {"chat_id": U, "photo": "https://x.vn/a.jpg", "caption": "Hội chợ OCOP"}
        await app.delivery.send("zalo", U, Rendered("Ảnh trong máy", image="/srv/a.jpg"), high=True)
        assert zalo.texts(U)[-1] == "Ảnh trong máy"  # Zalo takes pictures by URL only
    finally:
        await app.stop()


async def test_send_errors_become_outcomes(tmp_path, zalo):
    app = await _app(tmp_path, zalo)
    d = app.delivery
    try:
        zalo.fake.fail_next("sendMessage", "404", chat_id="nobody")
        out = await d.send("zalo", "nobody", Rendered("x"), high=False)
        assert out.status == "failed" and "404" in out.reason
        zalo.fake.fail_next("sendMessage", "500", count=2)
        zalo.fake.fail_next("sendMessage", "403")
        assert (await d.send("zalo", U, Rendered("y"), high=False)).status == "sent"
        zalo.fake.fail_next("sendMessage", "drop")
        assert (await d.send("zalo", U, Rendered("z"), high=False)).status == "sent"
        assert zalo.texts(U) == ["y", "z"]
    finally:
        await app.stop()


async def test_the_token_is_never_logged(tmp_path, zalo, caplog):
    app = await _app(tmp_path, zalo)
    ch = app.channels[0]
    try:
        ch.base_url = "http://127.0.0.1:1/bot"  # nothing listens: a network error names the URL
        with caplog.at_level(logging.DEBUG):
            out = await app.delivery.send("zalo", U, Rendered("x"), high=False)
        assert out.status == "failed"
        secret = zalo.fake.token.split(":")[1]
        assert secret not in out.reason and secret not in caplog.text
    finally:
        ch.base_url = zalo.fake.base_url
        await app.stop()


@pytest.mark.parametrize(("env", "key"), [
    ({"ZALO_WEBHOOK_SECRET": "short"}, "ZALO_WEBHOOK_SECRET"),
    ({"ZALO_WEBHOOK_URL": "ftp://x"}, "ZALO_WEBHOOK_URL"),
    ({"ZALO_BOT_TOKEN": "no colon here"}, "ZALO_BOT_TOKEN"),
    ({"ZALO_RATE": "0"}, "ZALO_RATE"),
    ({"ZALO_BASE_URL": "bot-api"}, "ZALO_BASE_URL"),
    ({"NHANONG_WEBHOOK_URL": "https://x.vn/hook", "ZALO_WEBHOOK_URL": "https://x.vn/hook"},
     "ZALO_WEBHOOK_URL"),
])
def test_bad_zalo_settings_name_the_key(tmp_path, env, key):
    with pytest.raises(ConfigError, match=f"^{key}: "):
        load_settings(env, file=tmp_path / "none.toml")


def test_zalo_settings_defaults(tmp_path):
    s = load_settings({"ZALO_BOT_TOKEN": "123:abc-xyz"}, file=tmp_path / "none.toml")
    z = s.channels["zalo"]
    assert z.base_url == "https://bot-api.zaloplatforms.com/bot"
    assert z.rate > 0 and z.webhook_url is None
    assert "abc-xyz" not in repr(s)


async def test_a_broadcast_reaches_telegram_and_zalo_members_each_once_at_each_rate(tmp_path, zalo):
    tg = await driver("telegram")
    assert isinstance(tg, TelegramDriver) and isinstance(zalo, ZaloDriver)
    try:
        app = await _app(tmp_path, tg, zalo, TELEGRAM_RATE="20", ZALO_RATE="4",
                         NHANONG_QUIET_HOURS="")
        times: dict[str, list[float]] = {"telegram": [], "zalo": []}
        for ch in app.channels:  # note when each copy leaves, on the app's clock
            real = ch.send

            async def send(chat_id, msg, _real=real, _name=ch.name):
                times[_name].append(app.clock.monotonic())
                return await _real(chat_id, msg)

            ch.send = send
        now = app.clock.now()
        tg_users = [str(5000 + i) for i in range(40)]
        zalo_users = [f"z{i:03d}" for i in range(12)]
        for channel, users in (("telegram", tg_users), ("zalo", zalo_users)):
            for user in users:
                m = await app.store.members.seen(channel, user, user, None, "vi", now)
                await app.store.members.subscribe(m.id, now)
        bid, audience = await create_broadcast(app.store, app.settings, app.services.communes,
                                               set(app.services.library.topics), by="t",
                                               text="Lịch tập huấn", now=now)
        assert audience == 52
        # The app's own sender delivers it at its next look (a passive wait on the
        # clock: the test moves time there); wait for what the platforms received.
        app.clock.advance(app.broadcaster.every)
        for user in tg_users:
            await tg.wait_for_sent(int(user), 1)
        for user in zalo_users:
            await zalo.wait_for_sent(user, 1)
        await app.stop()  # outcomes are written in groups: all are written on stopping
        for user in tg_users:
            assert [t for t in tg.texts(int(user)) if "Lịch tập huấn" in t] != []
        for user in zalo_users:
            assert len([t for t in zalo.texts(user) if "Lịch tập huấn" in t]) == 1
        assert len(tg.fake.calls_to("sendMessage")) == 40  # each member once
        store = await Store(app.settings.db).open()
        try:
            status = await store.broadcasts.status(bid)
        finally:
            await store.close()
        assert status["sent"] == 52
        for name, rate, n in (("telegram", 20, 40), ("zalo", 4, 12)):
            ts = times[name]
            assert len(ts) == n
            assert ts[-1] - ts[0] >= (n - 2) / rate  # not faster than its own rate
            assert max(sum(1 for u in ts if t <= u < t + 1) for t in ts) <= rate + 1
    finally:
        await tg.fake.stop()


async def test_a_zalo_farmers_question_is_answered_from_the_telegram_staff_chat(tmp_path):
    """The hand-off across channels: asked on Zalo, answered by replying in the Telegram group."""
    from tests.platforms import driver

    tg, zl = await driver("telegram"), await driver("zalo")
    staff_chat = -100500
    app = await _app(tmp_path, tg, zl, NHANONG_STAFF_CHAT=f"telegram:{staff_chat}",
                     NHANONG_ADMINS="telegram:888")  # the staff member who answers
    u = zl.user(7)
    try:
        zl.command(u, "/start")
        await zl.wait_for_sent(u, 2)
        zl.say(u, "con trâu nhà em bỏ ăn mấy hôm nay thì làm thế nào")
        await zl.wait_for_sent(u, 3)
        zl.choose(u, "✉️ Gửi câu hỏi cho cán bộ Hội")
        [post] = await tg.fake.wait_for_sent(staff_chat, 1)
        assert "con trâu nhà em bỏ ăn" in post["text"]
        n = len(await zl.wait_for_sent(u, 4))
        post_id = tg.fake.sent_messages(staff_chat)[0]["message_id"]
        tg.fake.user_text(888, "Gọi ngay thú y xã nhé.", chat_id=staff_chat, reply_to_message_id=post_id)
        texts = await zl.wait_for_sent(u, n + 1)
        assert "Gọi ngay thú y xã nhé." in texts[-1]
    finally:
        await app.stop()
        await tg.fake.stop()
        await zl.fake.stop()
