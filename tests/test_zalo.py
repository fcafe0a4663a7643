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
from bot.errors import Permanent, RetryLater, Transient, Unauthorized
from bot.i18n import translator
from bot.store import Store
from bot.types import InboundKind, Rendered, Reply
from tests.helpers import make_settings
from tests.platforms import TelegramDriver, ZaloDriver, driver
from tests.waits import until

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
    for code in (400, 404):
        assert isinstance(send_error(ZaloApiError(code, "x")), Permanent)
    # A reset token: the channel stops (not one failed message after another).
    assert isinstance(send_error(ZaloApiError(401, "Unauthorized")), Unauthorized)


def test_events_become_inbounds():
    ch = ZaloChannel("1:x", base_url="http://127.0.0.1:9/bot", rate=5)
    base = {"from": {"id": U, "display_name": "Ted", "is_bot": False},
            "chat": {"id": U, "chat_type": "PRIVATE"}, "message_id": "2d75", "date": 1750316131602}
    text = ch.to_inbound({"event_name": "message.text.received", "message": {**base, "text": "Xin chào"}})
    assert (text.kind, text.text, text.user_id, text.chat_id, text.display_name, text.message_id) == (
        InboundKind.TEXT, "Xin chào", U, U, "Ted", "2d75")
    # Real events carry photo_url (the documentation's table says photo: still read).
    photo = ch.to_inbound({"event_name": "message.image.received", "message": {
        **base, "photo_url": "https://photo-stal-1.zdn.vn/a.jpg", "caption": "Lúa",
        "message_type": "CHAT_PHOTO"}})
    assert (photo.kind, photo.media, photo.text) == (
        InboundKind.PHOTO, "https://photo-stal-1.zdn.vn/a.jpg", "Lúa")
    old = ch.to_inbound({"event_name": "message.image.received",
                         "message": {**base, "photo": "https://f.zalo.me/a.jpg"}})
    assert (old.kind, old.media) == (InboundKind.PHOTO, "https://f.zalo.me/a.jpg")
    voice = ch.to_inbound({"event_name": "message.voice.received", "message": {
        **base, "voice_url": "https://f2-voice-aac-dl.zdn.vn/x/v.aac", "message_type": "CHAT_VOICE"}})
    assert (voice.kind, voice.media) == (InboundKind.VOICE, "https://f2-voice-aac-dl.zdn.vn/x/v.aac")
    junk_url = ch.to_inbound({"event_name": "message.voice.received",
                              "message": {**base, "voice_url": "file:///etc/passwd"}})
    assert (junk_url.kind, junk_url.media) == (InboundKind.VOICE, None)
    assert ch.to_inbound({"event_name": "message.sticker.received", "message": base}).kind \
        is InboundKind.STICKER
    assert ch.to_inbound({"event_name": "message.unsupported.received", "message": base}).kind \
        is InboundKind.UNSUPPORTED
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


# -- what Zalo really sends (#15) -----------------------------------------------------------
STAFF_CHAT = -100500


async def _with_staff(tmp_path, zl, tg=None, **env):
    """The app on Zalo, with the staff chat on Telegram (tg) when given."""
    drivers = (tg, zl) if tg else (zl,)
    extra = {"NHANONG_STAFF_CHAT": f"telegram:{STAFF_CHAT}", "NHANONG_ADMINS": "telegram:888"} \
        if tg else {}
    return await _app(tmp_path, *drivers, **extra, **env)


async def _idle(fake) -> None:
    """Every queued event fetched (stored or dropped) and the bot polling again."""
    await until(lambda: not fake._updates and fake._pollers > 0, "the bot to drain the queue")


async def _stored(app) -> list[dict]:
    import json

    return [json.loads(r[0]) for r in await app.store.db.fetchall("SELECT payload FROM inbound")]


async def test_a_photo_reaches_the_staff_hand_off_with_its_picture(tmp_path):
    tg, zl = await driver("telegram"), await driver("zalo")
    app = await _with_staff(tmp_path, zl, tg)
    u = zl.user(1)
    url = "https://photo-stal-1.zdn.vn/2025/lua.jpg"
    try:
        zl.command(u, "/start")
        await zl.wait_for_sent(u, 2)
        zl.fake.user_image(u, url, caption="Lá lúa nhà em bị vàng")  # photo_url, as real events
        [post] = await tg.fake.wait_for_sent(STAFF_CHAT, 1)
        assert post["photo"] == url  # the picture itself, in the staff chat
        assert "Lá lúa nhà em bị vàng" in post["caption"] and "Ảnh #" in post["caption"]
        texts = await zl.wait_for_sent(u, 3)
        assert "Ảnh của bạn đã được gửi tới cán bộ Hội" in texts[-1]
        post_id = tg.fake.sent_messages(STAFF_CHAT)[0]["message_id"]
        tg.fake.user_text(888, "Bón thêm kali nhé.", chat_id=STAFF_CHAT, reply_to_message_id=post_id)
        texts = await zl.wait_for_sent(u, 4)
        assert "Bón thêm kali nhé." in texts[-1]
    finally:
        await app.stop()
        await tg.fake.stop()
        await zl.fake.stop()


async def test_a_photo_answers_the_check_in_question_that_asks_for_one(tmp_path, zalo):
    app = await _app(tmp_path, zalo)
    u = zalo.user(2)
    url = "https://photo-stal-1.zdn.vn/2025/tem-ocop.jpg"
    try:
        zalo.command(u, "/start")
        await zalo.wait_for_sent(u, 2)
        m = await app.store.members.find("zalo", u)
        await app.store.members.update(m.id, role="coop", commune_code="7615")
        c = app.services.library.checkins["ocop-quy"]
        n = len(await zalo.wait_for_sent(u, 2))
        zalo.say(u, "/baocao")
        n = len(await zalo.wait_for_sent(u, n + 1))
        zalo.choose(u, c.title)
        await until(lambda: any("Câu 1." in t for t in zalo.texts(u)), "the first question")
        # Every question before the photo skipped, as if answered one by one.
        state = await app.store.dialogs.get(m.id)
        ids = [q.id for q in c.questions]
        before = c.questions[:ids.index("photo")]
        for i, q in enumerate(before):
            await app.store.checkins.answer(state.data["response"], q.id, q.type, None,
                                            [x.id for x in before[:i + 1]], app.clock.now())
        n = len(zalo.texts(u))
        await zalo.press(app, u, f"ck:go:{state.data['run']}")
        texts = await zalo.wait_for_sent(u, n + 1)
        assert "Gửi một ảnh sản phẩm" in texts[-1]
        zalo.fake.user_image(u, url)
        texts = await zalo.wait_for_sent(u, n + 2)
        assert "kiểm tra lại câu trả lời" in texts[-1] and "📷" in texts[-1]
        got = await app.store.checkins.answers(state.data["response"])
        assert got["photo"] == url
    finally:
        await app.stop()


async def test_a_voice_message_is_answered_and_forwarded_with_its_link(tmp_path):
    tg, zl = await driver("telegram"), await driver("zalo")
    app = await _with_staff(tmp_path, zl, tg)
    u = zl.user(3)
    try:
        zl.command(u, "/start")
        await zl.wait_for_sent(u, 2)
        event = zl.fake.user_voice(u)
        [post] = await tg.fake.wait_for_sent(STAFF_CHAT, 1)
        assert event["message"]["voice_url"] in post["text"] and "Tin nhắn thoại #" in post["text"]
        texts = await zl.wait_for_sent(u, 3)
        assert "chưa nghe được tin nhắn thoại" in texts[-1] and "cán bộ sẽ nghe" in texts[-1]
        assert "Mình chỉ đọc được" not in "\n".join(texts)
    finally:
        await app.stop()
        await tg.fake.stop()
        await zl.fake.stop()


async def test_a_voice_message_in_the_middle_of_a_question_keeps_the_question(tmp_path, zalo):
    app = await _app(tmp_path, zalo)  # no staff chat: the person is asked to write instead
    u = zalo.user(4)
    try:
        zalo.command(u, "/start")
        await zalo.wait_for_sent(u, 2)
        zalo.choose(u, "Điền hồ sơ")
        texts = await zalo.wait_for_sent(u, 3)
        question = texts[-1]  # onboarding's first question
        zalo.fake.user_voice(u)
        texts = await zalo.wait_for_sent(u, 5)
        assert "chưa nghe được tin nhắn thoại" in texts[-2]
        assert texts[-1] == question
        zalo.say(u, "hủy")  # still gets out of the flow
        texts = await zalo.wait_for_sent(u, 6)
        assert (await app.store.dialogs.get((await app.store.members.find("zalo", u)).id)).flow \
            is None
    finally:
        await app.stop()


async def test_a_protected_account_is_told_what_the_bot_does_and_how_to_reach_a_person(
        tmp_path, zalo):
    app = await _app(tmp_path, zalo)
    u = zalo.user(5)
    try:
        zalo.fake.user_unsupported(u)
        [text] = await zalo.wait_for_sent(u, 1)
        assert "không cho mình xem nội dung" in text and "chi hội" in text
        assert app.settings.org_name in text
        assert "/menu" not in text and "bấm" not in text  # nothing it could type or press
    finally:
        await app.stop()


async def test_the_bots_own_sends_coming_back_are_ignored(tmp_path, zalo):
    app = await _app(tmp_path, zalo)
    u = zalo.user(6)
    try:
        zalo.command(u, "/start")
        await zalo.wait_for_sent(u, 2)
        await _idle(zalo.fake)  # the two echoes of those sends were fetched
        zalo.say(u, "/trogiup")  # anything answered to an echo would come before this
        n = len(await zalo.wait_for_sent(u, 3))
        await _idle(zalo.fake)
        assert len(zalo.texts(u)) == n
        senders = {e["message"]["from"]["id"] for e in await _stored(app)}
        assert senders == {u}  # echoes never stored
        assert await app.store.members.find("zalo", zalo.fake.bot_id) is None
    finally:
        await app.stop()


async def test_one_message_delivered_twice_is_answered_once_also_across_a_restart(tmp_path, zalo):
    app = await _app(tmp_path, zalo)
    u = zalo.user(7)
    try:
        event = zalo.command(u, "/start")
        await zalo.wait_for_sent(u, 2)
        zalo.fake.redeliver(event)
        await _idle(zalo.fake)
        zalo.say(u, "/trogiup")
        n = len(await zalo.wait_for_sent(u, 3))
        help_replies = n - 2
    finally:
        await app.stop()
    app = await _app(tmp_path, zalo)
    try:
        zalo.fake.redeliver(event)
        await _idle(zalo.fake)
        zalo.say(u, "/trogiup")
        texts = await zalo.wait_for_sent(u, n + help_replies)
        assert len(texts) == n + help_replies  # the /start was not answered again
    finally:
        await app.stop()


async def test_empty_probes_get_200_and_forged_updates_are_refused(tmp_path, zalo):
    app = await _app(tmp_path, zalo, NHANONG_WEBHOOK_LISTEN="127.0.0.1:0",
                     **zalo.webhook_env("/zalo/hook", "s3cret-token"))
    u = zalo.user(8)
    try:
        local = f"http://127.0.0.1:{app.webserver.port}/zalo/hook"
        assert await zalo.fake.post_probe(local) == 200  # no body, no secret
        assert await zalo.fake.post_probe(local, b"{}") == 200
        assert await zalo.fake.post_probe(local, b'{"ok": true, "result": {}}', "s3cret-token") == 200
        assert await _stored(app) == []
        event = zalo.command(u, "/start")
        assert await zalo.post_webhook(local, event, None) == 403
        assert await zalo.post_webhook(local, event, "wrong-secret") == 403
        assert await _stored(app) == [] and zalo.texts(u) == []
        assert await zalo.post_webhook(local, event, "s3cret-token") == 200
        await zalo.wait_for_sent(u, 2)
        echo = zalo.fake._updates[0]  # the first echo of those sends, posted as Zalo would
        assert echo["message"]["from"]["id"] == zalo.fake.bot_id
        assert await zalo.post_webhook(local, echo, "s3cret-token") == 200
        assert [e["message"]["from"]["id"] for e in await _stored(app)] == [u]
    finally:
        await app.stop()


async def test_a_refused_token_on_a_send_raises_unauthorized(zalo):
    from bot.channels.telegram import TelegramChannel

    ch = ZaloChannel(zalo.fake.token, base_url=zalo.fake.base_url, rate=5)
    try:
        zalo.fake.fail_next("sendMessage", "401")
        with pytest.raises(Unauthorized):
            await ch.send(U, Rendered("x"))
        reset = ZaloChannel(zalo.fake.bot_id + ":an-old-token", base_url=zalo.fake.base_url, rate=5)
        with pytest.raises(Unauthorized):
            await reset.send(U, Rendered("x", image="https://x.vn/a.jpg"))
        await reset.stop()
    finally:
        await ch.stop()
    tg = await driver("telegram")
    tch = TelegramChannel(tg.fake.token, base_url=tg.fake.base_url, rate=30)
    try:
        await tch.bot.initialize()
        tg.fake.token = "999999:revoked-" + "x" * 30  # the token was revoked in BotFather
        with pytest.raises(Unauthorized) as e:
            await tch.send("4242", Rendered("x"))
        assert tg.fake.token not in str(e.value)
    finally:
        await tch.stop()
        await tg.fake.stop()


async def test_a_telegram_voice_message_is_voice_for_the_core(tmp_path):
    tg = await driver("telegram")
    app = await _app(tmp_path, tg, NHANONG_STAFF_CHAT=f"telegram:{STAFF_CHAT}",
                     NHANONG_ADMINS="telegram:888")
    u = tg.user(1)
    try:
        tg.command(u, "/start")
        await tg.wait_for_sent(u, 2)
        sent = tg.fake.user_voice(u)
        [post] = await tg.fake.wait_for_sent(STAFF_CHAT, 1)
        # The recording itself in the staff chat (same channel), the post as its caption.
        assert post["voice"] == sent["message"]["voice"]["file_id"]
        assert "Tin nhắn thoại #" in post["caption"]
        texts = await tg.wait_for_sent(u, 3)
        assert "cán bộ sẽ nghe" in texts[-1]
        [payload] = [e for e in await _stored(app) if "voice" in e.get("message", {})]
        inbound = app.channels[0].to_inbound(payload)
        assert inbound.kind is InboundKind.VOICE
        assert inbound.media == "telegram-file:" + payload["message"]["voice"]["file_id"]
        # A staff member answers by replying to the voice post: the farmer gets it.
        post_id = tg.fake.sent_messages(STAFF_CHAT)[0]["message_id"]
        tg.fake.user_text(888, "Hội sẽ gọi lại bác chiều nay.", chat_id=STAFF_CHAT,
                          reply_to_message_id=post_id)
        texts = await tg.wait_for_sent(u, 4)
        assert "Hội sẽ gọi lại bác chiều nay." in texts[-1]
    finally:
        await app.stop()
        await tg.fake.stop()


async def test_follow_is_a_first_contact_and_unfollow_a_block_until_they_write_again(tmp_path):
    """What the Official Account channel reports, as the core answers it on any channel."""
    from tests.helpers import TEXT_ONLY, Harness, text_of

    h = await Harness(tmp_path, caps=TEXT_ONLY).open()
    try:
        greeting = text_of(await h.other(InboundKind.FOLLOW))
        assert "Nhà Nông" in greeting and "/dung" in greeting and "Điền hồ sơ" in greeting
        m = await h.member()
        assert m.subscribed and not m.blocked
        assert await h.other(InboundKind.UNFOLLOW) == []  # nothing said: they cannot read it
        m = await h.member()
        assert m.blocked and m.id not in [x.id for x in await h.app.store.members.reachable()]
        await h.say("xin chào")  # writing again: reachable again, still subscribed
        m = await h.member()
        assert not m.blocked and m.subscribed
        assert m.id in [x.id for x in await h.app.store.members.reachable()]
    finally:
        await h.close()


async def test_a_recording_telegram_will_not_send_as_a_voice_still_arrives_as_text():
    from bot.channels.telegram import TelegramChannel

    tg = await driver("telegram")
    ch = TelegramChannel(tg.fake.token, base_url=tg.fake.base_url, rate=30)
    try:
        await ch.bot.initialize()
        voice = tg.fake.user_voice(4243)["message"]["voice"]["file_id"]
        await ch.send(str(STAFF_CHAT), Rendered("Tin nhắn thoại #1", audio=f"telegram-file:{voice}"))
        [post] = tg.fake.sent(STAFF_CHAT)
        assert post["voice"] == voice and post["caption"] == "Tin nhắn thoại #1"
        # A music file's id (not a voice's): Telegram refuses it as a voice; the text goes.
        await ch.send(str(STAFF_CHAT), Rendered("Tin nhắn thoại #2",
                                                audio="telegram-file:CQACAgIAAxkBAAIaudio"))
        assert tg.fake.texts(STAFF_CHAT)[-1] == "Tin nhắn thoại #2"
        assert [c.status for c in tg.fake.calls_to("sendVoice")] == [200, 400]
    finally:
        await ch.stop()
        await tg.fake.stop()
