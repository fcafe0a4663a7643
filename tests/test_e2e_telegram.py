"""End to end: the real app against fake platform servers on 127.0.0.1, over real
HTTP (polling and webhook): python-telegram-bot against a fake Telegram Bot API,
the Zalo channel against a fake Zalo Bot API.  Scenarios that take the
``platform`` fixture run on both, through one driver interface (tests/platforms.py)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.delivery import Delivery
from bot.types import Rendered
from tests.helpers import make_settings
from tests.platforms import TelegramDriver, driver
from tests.waits import guarded, until

USER = 4242


@pytest.fixture(params=["telegram", "zalo", "zalo_oa"])
async def platform(request):
    p = await driver(request.param)
    yield p
    await p.fake.stop()


async def _app(tmp_path, fake, clock=None, **env) -> App:
    """The app on one platform: ``fake`` is a driver or the fake Telegram."""
    p = fake if hasattr(fake, "env") else TelegramDriver(fake)
    settings = make_settings(tmp_path, **{"NHANONG_ADMINS": "telegram:777", **p.env(), **env})
    # The pacer runs on a virtual clock that jumps ahead whenever the loop is idle:
    # pacing is kept (and measured) without the tests waiting in real time.
    app = await App(settings, clock=clock or FakeClock(auto=True)).open()
    for ch in app.channels:
        ch.poll_timeout = 1.0
    await app.start()
    p.attach(app)
    return app


async def _member(app, user=USER):
    return await app.store.members.find("telegram", str(user))


async def test_telegram_command_lists(tmp_path, fake):
    app = await _app(tmp_path, fake)
    try:
        # Vietnamese command list registered with Telegram, English for 'en' users.
        names = [c["command"] for c in fake.commands()]
        assert names[:7] == ["start", "dung", "tin", "hoi", "taphuan", "baocao", "hoso"]
        assert "thongke" not in names
        assert "help" in [c["command"] for c in fake.commands(language_code="en")]
        assert "thongke" in [c["command"] for c in fake.commands(scope={"type": "chat", "chat_id": 777})]
        fake.user_command(USER, "/start")
        sent = await fake.wait_for_sent(USER, 2)
        keyboard = sent[-1]["reply_markup"]["inline_keyboard"]
        assert [b["callback_data"] for b in keyboard[0]] == ["pf:go", "pf:later"]
        fake.user_callback(USER, "pf:go")
        assert await fake.wait_for_call("answerCallbackQuery")
    finally:
        await app.stop()


async def test_start_profile_and_menu_over_polling(tmp_path, platform):
    p = platform
    app = await _app(tmp_path, p)
    u = p.user(0)
    try:
        p.command(u, "/start", name="Tèo")
        assert "Xin chào Tèo" in (await p.wait_for_sent(u, 2))[0]
        p.choose(u, "Điền hồ sơ")
        await p.wait_for_sent(u, 3)
        p.say(u, "son dong")
        await p.wait_for_sent(u, 5)  # "saved" and question 2
        p.choose(u, "Hội viên nông dân")
        await p.wait_for_sent(u, 6)
        p.share_phone(u, "84912345678")
        await p.wait_for_sent(u, 8)
        p.choose(u, app.services.library.topics["ocop"]["vi"])
        await p.wait_for_sent(u, 9)
        p.choose(u, "Xong")
        await p.wait_for_sent(u, 10)
        m = await app.store.members.find(p.name, str(u))
        assert (m.commune_code, m.role, m.phone, m.topics) == ("7615", "farmer", "+84912345678",
                                                               ["ocop"])
        p.command(u, "/hoso")
        assert "0912 345 678" in (await p.wait_for_sent(u, 11))[-1]
    finally:
        await app.stop()


async def test_stop_then_no_pushes(tmp_path, platform):
    p = platform
    app = await _app(tmp_path, p)
    u, v = p.user(0), p.user(1)
    try:
        p.command(u, "/start")
        p.command(v, "/start")
        await p.wait_for_sent(u, 2)
        await p.wait_for_sent(v, 2)
        p.say(u, "dung")  # typed without accents
        await p.wait_for_sent(u, 3)
        assert not (await app.store.members.find(p.name, str(u))).subscribed
        # A push goes to reachable members only (what the broadcast outbox will use).
        for m in await app.store.members.reachable(p.name):
            await app.delivery.send(p.name, m.chat_id, Rendered("Thông báo họp"), high=False)
        assert "Thông báo họp" in p.texts(v)
        assert "Thông báo họp" not in p.texts(u)
    finally:
        await app.stop()


async def test_429_pauses_the_channel_until_retry_after(tmp_path, platform):
    p = platform
    clock = FakeClock()
    app = await _app(tmp_path, p, clock=clock)
    u = p.user(0)
    try:
        pause = p.fail_429()
        p.command(u, "/start")
        status, text = await p.wait_failed_send()
        assert status == 429
        pacer = app.delivery.pacers[p.name]
        await guarded(pacer.paused_event.wait())
        assert pacer.paused and p.texts(u) == []
        clock.advance(pause + 0.01)
        clock.auto = True  # from here pacing may run on
        await p.wait_for_sent(u, 2)
        assert p.raw_texts(u)[0] == text  # the same message, once
        assert p.ok_sends() == len(p.raw_texts(u))
    finally:
        await app.stop()


async def test_403_marks_the_member_blocked(tmp_path, fake):
    app = await _app(tmp_path, fake)
    try:
        fake.user_command(USER, "/start")
        await fake.wait_for_sent(USER, 2)
        fake.fail_next("sendMessage", "403", chat_id=USER)
        outcome = await app.delivery.send("telegram", str(USER), Rendered("tin"), high=False)
        assert outcome.status == "blocked"
        assert (await _member(app)).blocked
        assert await app.store.members.reachable("telegram") == []
    finally:
        await app.stop()


async def test_migrated_group_and_bad_request_outcomes(tmp_path, fake):
    app = await _app(tmp_path, fake)
    d: Delivery = app.delivery
    try:
        fake.fail_next("sendMessage", "migrate", migrate_to_chat_id=-100123)
        out = await d.send("telegram", "-55", Rendered("x"), high=False)
        assert out.status == "sent" and fake.sent(-100123)
        out = await d.send("telegram", "1", Rendered("<b>broken", html=True), high=False)
        assert out.status == "failed" and "parse" in out.reason.lower()
    finally:
        await app.stop()


async def test_webhook_checks_the_secret(tmp_path, platform):
    p = platform
    app = await _app(tmp_path, p, NHANONG_WEBHOOK_LISTEN="127.0.0.1:0",
                     **p.webhook_env("/hook/x", "s3cret-token"))
    u = p.user(0)
    try:
        if p.sets_webhook:  # (an OA's webhook is set in its app's settings, by hand)
            assert p.fake.webhook_url == "https://bot.example.vn/hook/x"
            assert p.fake.webhook_secret == "s3cret-token"
        local = f"http://127.0.0.1:{app.webserver.port}/hook/x"
        update = p.command(u, "/start")
        assert await p.post_webhook(local, update, "wrong") == 403
        assert await p.post_webhook(local, update, "s3cret-tokeN") == 403
        assert await p.post_webhook(local, update, None) == 403
        assert p.texts(u) == []
        assert await p.post_webhook(local, update, "s3cret-token") == 200
        await p.wait_for_sent(u, 2)
        assert (await app.store.members.find(p.name, str(u))).subscribed
    finally:
        await app.stop()


async def test_every_shipped_article_is_accepted(tmp_path, platform):
    p = platform
    app = await _app(tmp_path, p, TELEGRAM_RATE="1000", ZALO_RATE="1000")
    u = p.user(0)
    try:
        lib = app.services.library
        p.command(u, "/start")
        await p.wait_for_sent(u, 2)
        total = 2
        for art in lib.newest("vi"):
            await p.press(app, u, f"n:a:{art.id}")
            total = len(await p.wait_for_sent(u, total + 1))
        assert p.failed_sends() == []
        shown = "\n".join(p.texts(u))
        for art in lib.newest("vi"):
            assert art.title in shown
    finally:
        await app.stop()


async def test_question_to_staff_chat_and_answer_back(tmp_path, fake):
    staff_chat = -100500
    app = await _app(tmp_path, fake, NHANONG_STAFF_CHAT=f"telegram:{staff_chat}")
    try:
        fake.user_command(USER, "/start")
        await fake.wait_for_sent(USER, 2)
        fake.user_text(USER, "con trâu nhà em bỏ ăn mấy hôm nay thì làm thế nào")
        sent = await fake.wait_for_sent(USER, 3)
        buttons = [b["callback_data"] for row in sent[-1]["reply_markup"]["inline_keyboard"]
                   for b in row]
        assert buttons[-1].startswith("q:s:")
        fake.user_callback(USER, buttons[-1])
        [post] = await fake.wait_for_sent(staff_chat, 1)
        await fake.wait_for_sent(USER, 4)  # "sent to the union's staff"
        assert "con trâu nhà em bỏ ăn" in post["text"]
        post_id = fake.sent_messages(staff_chat)[0]["message_id"]
        # A staff member (in NHANONG_ADMINS) replies to the post inside the staff group.
        n = len(fake.sent(USER))
        fake.user_text(777, "Gọi ngay thú y xã nhé.", chat_id=staff_chat,
                       reply_to_message_id=post_id)
        await fake.wait_for_sent(staff_chat, 2)  # "answer sent"
        await fake.wait_for_sent(USER, n + 1)
        texts = fake.plain_texts(USER)
        assert "Gọi ngay thú y xã nhé." in texts[-1]
        # Chatter in the staff group that is not a reply to a post is left alone.
        fake.user_text(889, "mọi người ăn trưa chưa", chat_id=staff_chat)
        fake.user_command(USER, "/menu")
        await fake.wait_for_sent(USER, len(texts) + 1)
        assert len(fake.sent(staff_chat)) == 2
    finally:
        await app.stop()


async def test_the_run_command_serves_telegram_and_zalo_and_stops_cleanly_on_sigterm(tmp_path, fake):
    """`python -m bot run` as an operator starts it with both tokens: a real process,
    real polling on both platforms at once."""
    import os
    import signal
    import sys

    zalo = await driver("zalo")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NHANONG_", "TELEGRAM_", "ZALO_"))}
    env.update(NHANONG_DB=str(tmp_path / "run.db"), **TelegramDriver(fake).env(), **zalo.env())
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        await fake.wait_for_polling()
        await zalo.fake.wait_for_polling()
        fake.user_command(USER, "/start", first_name="Tèo")
        zalo.command(zalo.user(0), "/start", name="Tý")
        await fake.wait_for_sent(USER, 2)
        await zalo.fake.wait_for_sent(zalo.user(0), 2)
        assert "Xin chào Tèo" in fake.plain_texts(USER)[0]
        assert "Xin chào Tý" in zalo.texts(zalo.user(0))[0]
        proc.send_signal(signal.SIGTERM)
        _, err = await guarded(proc.communicate())
        assert proc.returncode == 0, err.decode()
        assert "Xin chào" not in err.decode()  # message text is never logged at INFO
        assert fake.token.split(":")[1] not in err.decode()  # nor the tokens
        assert zalo.fake.token.split(":")[1] not in err.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await zalo.fake.stop()


@pytest.mark.parametrize("urgent_too", [False, True], ids=["one", "urgent-beside-normal"])
async def test_broadcast_survives_sigkill_without_double_sends(tmp_path, fake, urgent_too):
    """The CLI plans a broadcast (and, beside it, an urgent one: both send at once);
    `run` sends them; the process is killed mid-way and restarted: nobody gets two
    copies of a broadcast, and only rows reported unknown may be missing."""
    import contextlib
    import json
    import os
    import signal
    import sqlite3
    import sys

    from bot.clock import SystemClock
    from bot.store import Store

    people = 400
    db = tmp_path / "run.db"
    store = await Store(db).open()
    now = SystemClock().now()
    for i in range(people):
        m = await store.members.seen("telegram", str(10_000 + i), str(10_000 + i), None, "vi", now)
        await store.members.subscribe(m.id, now)
    await store.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NHANONG_", "TELEGRAM_"))}
    env.update(NHANONG_DB=str(db), TELEGRAM_BOT_TOKEN=fake.token, TELEGRAM_BASE_URL=fake.base_url,
               TELEGRAM_RATE="150", NHANONG_QUIET_HOURS="")
    fake.fail_next("sendMessage", "403", chat_id=10_007)
    fake.fail_next("sendMessage", "500", chat_id=10_399, count=2)  # retried with backoff

    async def cli(*args: str) -> str:
        p = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", *args, cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await guarded(p.communicate())
        assert p.returncode == 0, err.decode()
        return out.decode()

    async def start():
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)

    texts = {int((await cli("broadcast", "create", "--text", "Thông báo họp Hội")).strip()):
             "Thông báo họp Hội"}
    if urgent_too:
        texts[int((await cli("broadcast", "create", "--text", "Họp khẩn sáng mai",
                             "--urgent")).strip())] = "Họp khẩn sáng mai"
    proc = await start()
    try:
        await fake.wait_for_call("sendMessage", 60)
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        before = len(fake.calls_to("sendMessage"))
        proc = await start()
        await fake.wait_for_call("sendMessage", before + 1)
        # Until the restarted process has finished the broadcasts (another program: no
        # event to wait on, so the rows are looked at again until they say so).
        def finished() -> bool:
            with contextlib.closing(sqlite3.connect(db)) as c:
                states = [c.execute("SELECT state FROM broadcasts WHERE id = ?", (b,)).fetchone()[0]
                          for b in texts]
            return all(state == "done" for state in states)

        await until(finished, "the restarted process finishing the broadcasts")
        for bid, text in texts.items():
            unknown_chats = {int(r[0]) for r in sqlite3.connect(db).execute(
                "SELECT m.chat_id FROM deliveries d JOIN members m ON m.id = d.member_id"
                " WHERE d.status = 'unknown' AND d.broadcast_id = ?", (bid,))}
            status = json.loads(await cli("broadcast", "status", str(bid), "--json"))
            assert status["planned"] == people and status["pending"] == 0
            assert status["unknown"] == len(unknown_chats)
            assert status["blocked"] <= 1
            assert status["blocked"] + status["sent"] + len(unknown_chats) == people
            blocked = {10_007}
            copies: dict[int, int] = {}
            for c in fake.calls_to("sendMessage"):
                if c.ok and text in c.params.get("text", ""):
                    copies[int(c.params["chat_id"])] = copies.get(int(c.params["chat_id"]), 0) + 1
            assert max(copies.values()) == 1  # nobody got two copies of one broadcast
            missing = set(range(10_000, 10_000 + people)) - set(copies) - blocked
            assert missing <= unknown_chats
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            await guarded(proc.wait())


async def test_paid_broadcast_flag_reaches_telegram_only_when_configured(tmp_path, fake):
    from bot.broadcast import create_broadcast

    for paid, user in ((False, 111), (True, 222)):
        app = await _app(tmp_path / str(user), fake, TELEGRAM_PAID_BROADCAST="1" if paid else "0")
        try:
            m = await app.store.members.seen("telegram", str(user), str(user), None, "vi",
                                             app.clock.now())
            await app.store.members.subscribe(m.id, app.clock.now())
            await create_broadcast(app.store, app.settings, app.services.communes,
                                   set(app.services.library.topics), by="t", text="Tin",
                                   now=app.clock.now())
            await app.broadcaster.tick()
            [params] = await fake.wait_for_sent(user, 1)
            assert (params.get("allow_paid_broadcast") is True) is paid
        finally:
            await app.stop()


async def test_staff_broadcast_a_picture_from_telegram(tmp_path, fake):
    app = await _app(tmp_path, fake)
    staff = 777
    try:
        m = await app.store.members.seen("telegram", "333", "333", None, "vi", app.clock.now())
        await app.store.members.subscribe(m.id, app.clock.now())
        fake.user_command(staff, "/guitin")
        await fake.wait_for_sent(staff, 1)
        update = fake.user_photo(staff, caption="Mời bà con dự **hội chợ** OCOP")
        file_id = update["message"]["photo"][-1]["file_id"]
        await fake.wait_for_sent(staff, 2)  # who should get it?
        fake.user_callback(staff, "bc:all")
        sent = await fake.wait_for_sent(staff, 5)  # the preview is a photo with its caption
        assert any(p.get("photo") == file_id and "hội chợ" in p.get("caption", "") for p in sent)
        fake.user_callback(staff, "bc:now")
        await fake.wait_for_sent(staff, 6)
        await app.broadcaster.tick()
        [copy] = await fake.wait_for_sent(333, 1)
        assert copy["photo"] == file_id and "<b>hội chợ</b>" in copy["caption"]
    finally:
        await app.stop()


async def test_training_signup_end_to_end(tmp_path, platform):
    """A course created as the CLI would is found, joined and confirmed over the platform."""
    from bot.training import parse_course

    p = platform
    app = await _app(tmp_path, p)
    u = p.user(1)
    s = app.services
    fields = parse_course({"title": "Lập hồ sơ sản phẩm OCOP", "start": "08:00 04/12/2026",
                           "end": "11:30", "venue": "Hội trường xã", "capacity": "30"},
                          s.communes, s.settings, app.clock.now())
    cid = await app.store.courses.create(fields, "cli:test", app.clock.now())
    try:
        p.command(u, "/start")
        await p.wait_for_sent(u, 2)
        p.say(u, "dang ky tap huan")
        assert "Khóa tập huấn sắp tới" in (await p.wait_for_sent(u, 3))[-1]
        p.choose(u, "04/12/2026 · Lập hồ sơ sản phẩm OCOP")
        assert "Còn 30/30 chỗ" in (await p.wait_for_sent(u, 4))[-1]
        p.choose(u, "✍️ Đăng ký")
        assert "Họ và tên" in (await p.wait_for_sent(u, 5))[-1]
        p.say(u, "Lê Văn Tám")
        await p.wait_for_sent(u, 6)
        p.share_phone(u, "84912345678")
        await p.wait_for_sent(u, 8)  # "saved" and the commune question
        p.say(u, "son dong")
        await p.wait_for_sent(u, 9)
        p.choose(u, "Hội viên nông dân")
        confirm = (await p.wait_for_sent(u, 10))[-1]
        assert "Lê Văn Tám" in confirm and "0912 345 678" in confirm
        p.choose(u, "✅ Xác nhận")
        assert "đăng ký thành công" in (await p.wait_for_sent(u, 11))[-1]
        people = await app.store.courses.registrants(cid)
        assert [(x.name, x.status) for x in people] == [("Lê Văn Tám", "registered")]
    finally:
        await app.stop()


async def test_checkin_end_to_end(tmp_path, platform):
    """A grassroots official answers the quarterly activity check-in over the platform."""
    p = platform
    # Mid-April: no questionnaire opens now (the app's check-in job runs at start, and
    # on the fake clock's default day it would invite the official in the middle of
    # this answer); /baocao opens the quarter's run on demand.
    app = await _app(tmp_path, p, clock=FakeClock(datetime(2026, 4, 15, 1, 0, tzinfo=UTC), auto=True))
    u = p.user(2)
    try:
        p.command(u, "/start")
        await p.wait_for_sent(u, 2)
        m = await app.store.members.find(p.name, str(u))
        await app.store.members.update(m.id, role="official", commune_code="7615")
        p.say(u, "bao cao")
        assert "Báo cáo tiến độ" in (await p.wait_for_sent(u, 3))[-1]
        p.choose(u, "Hoạt động của Hội cơ sở trong quý")
        assert "Câu 1." in (await p.wait_for_sent(u, 5))[-1]  # intro, then question 1
        p.say(u, "nhiều lắm")
        assert "gõ một con số" in (await p.wait_for_sent(u, 7))[-2]
        p.say(u, "4")
        p_texts = await p.wait_for_sent(u, 8)
        assert "lượt hội viên" in p_texts[-1]
        p.say(u, "350")
        await p.wait_for_sent(u, 9)
        p.say(u, "1")
        await p.wait_for_sent(u, 10)
        p.choose(u, "Bỏ qua")
        assert "kiểm tra lại câu trả lời" in (await p.wait_for_sent(u, 11))[-1]
        p.choose(u, "📤 Gửi")
        assert "Đã gửi" in (await p.wait_for_sent(u, 12))[-1]
        rows = await app.store.db.fetchall("SELECT state FROM checkin_responses")
        assert [r[0] for r in rows] == ["submitted"]
    finally:
        await app.stop()


async def test_staff_get_the_report_and_a_course_list_as_files(tmp_path, fake, monkeypatch):
    """/xuat on Telegram: the Đề án chart arrives as a photo and the workbook as a document,
    and a course's registrants as a document, all accepted by the Bot API; the files made
    for them (names and phones) do not stay on the server once sent."""
    import tempfile

    from bot.training import parse_course

    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    app = await _app(tmp_path, fake)
    s = app.services
    fields = parse_course({"title": "Lớp OCOP", "start": "08:00 04/12/2026", "end": "11:00",
                           "venue": "Hội trường", "capacity": "5"}, s.communes, s.settings, app.clock.now())
    cid = await app.store.courses.create(fields, "cli:test", app.clock.now())
    staff = 777
    try:
        fake.user_command(staff, "/xuat")
        sent = await fake.wait_for_sent(staff, 1)
        actions = [b["callback_data"] for row in sent[-1]["reply_markup"]["inline_keyboard"] for b in row]
        assert "rp:q" in actions and f"kh:e:{cid}" in actions
        fake.user_callback(staff, "rp:q")
        sent = await fake.wait_for_sent(staff, 2)
        period = sent[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
        fake.user_callback(staff, period)
        [photo] = await fake.wait_for_call("sendPhoto")
        docs = await fake.wait_for_call("sendDocument")
        assert photo.ok and docs[0].ok
        fake.user_callback(staff, f"kh:e:{cid}")
        docs = await fake.wait_for_call("sendDocument", 2)
        assert all(d.ok for d in docs)
        await until(lambda: not any(tmp.iterdir()))  # deleted after the send, not kept
    finally:
        await app.stop()


def test_a_contact_is_ones_own_only_with_ones_own_user_id():
    """Bot API ``Contact``: ``user_id`` is there when the contact is a Telegram user; the
    "share my number" button sends the sender's own.  A contact without one is someone
    from the address book who is not on Telegram."""
    from bot.channels.telegram import TelegramChannel

    ch = TelegramChannel("1:x", base_url="http://127.0.0.1:9/bot", rate=30)
    sender = {"id": USER, "is_bot": False, "first_name": "Tư"}

    def shared(**contact) -> dict:  # an update as the journal stores it: the Bot API's JSON
        return {"update_id": 1, "message": {
            "message_id": 5, "date": 1767225600, "from": sender,
            "chat": {"id": USER, "type": "private", "first_name": "Tư"},
            "contact": {"phone_number": "+84987654321", "first_name": "Ba", **contact}}}

    assert ch.to_inbound(shared(user_id=USER)).phone_is_own
    assert not ch.to_inbound(shared(user_id=USER + 1)).phone_is_own
    without = ch.to_inbound(shared())
    assert without.phone == "+84987654321" and not without.phone_is_own


async def test_a_contact_from_the_address_book_is_not_saved_as_the_members_phone(tmp_path, fake):
    app = await _app(tmp_path, fake)
    p = TelegramDriver(fake)
    try:
        p.command(USER, "/start")
        await p.wait_for_sent(USER, 2)
        p.choose(USER, "Điền hồ sơ")
        await p.wait_for_sent(USER, 3)
        p.say(USER, "son dong")
        await p.wait_for_sent(USER, 5)
        p.choose(USER, "Hội viên nông dân")
        await p.wait_for_sent(USER, 6)  # the phone question
        fake.user_contact(USER, "+84987654321", contact_user_id=0)  # no user_id: not on Telegram
        answer = (await p.wait_for_sent(USER, 7))[6]
        assert "của chính mình" in answer
        keyboard = fake.sent(USER)[6]["reply_markup"]["keyboard"]
        assert keyboard[0][0]["request_contact"]  # the button to share their own is offered again
        assert (await _member(app)).phone is None
        p.share_phone(USER, "+84912345678")  # their own, with the button
        await p.wait_for_sent(USER, 8)
        assert (await _member(app)).phone == "+84912345678"
    finally:
        await app.stop()


def test_a_button_with_a_link_opens_it_on_telegram():
    """A button with ``url`` (an article the union also publishes elsewhere) is a link
    button in Telegram's inline keyboard; the others send their action back."""
    from bot.channels.telegram import TelegramChannel
    from bot.types import Button, Rendered

    ch = TelegramChannel("1:x", base_url="http://127.0.0.1:9/bot", rate=30)
    markup = ch._markup(Rendered("Tin", buttons=((Button("📖 Đọc bài", "n:a:x",
                                                         url="https://hoind.vn/a"),
                                                  Button("Menu", "m:menu")),)))
    [[link, menu]] = markup.to_dict()["inline_keyboard"]
    assert link == {"text": "📖 Đọc bài", "url": "https://hoind.vn/a"}
    assert menu == {"text": "Menu", "callback_data": "m:menu"}
