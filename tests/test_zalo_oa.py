"""The Zalo Official Account channel against the fake OA platform (OAuth v4, message API
v3, signed webhooks) over real HTTP: signatures, tokens that survive a crash, the kind of
message per purpose, errors mapped to outcomes, buttons, follow and unfollow."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import sys
from datetime import UTC, datetime, time
from pathlib import Path

import pytest

from bot.app import App
from bot.broadcast import create_broadcast
from bot.channels.zalo_oa import (
    MORE,
    OAError,
    ZaloOAChannel,
    ZaloOASettings,
    send_error,
)
from bot.clock import FakeClock
from bot.config import DEFAULT_CONTENT as CONTENT
from bot.config import ConfigError, load_settings
from bot.errors import (
    Blocked,
    OutsideWindow,
    OverQuota,
    Permanent,
    RetryLater,
    Transient,
    Unauthorized,
)
from bot.types import Button, InboundKind, Rendered
from tests.fakes.zalo_oa_api import FakeZaloOA, message_buttons, message_text
from tests.helpers import make_settings
from tests.platforms import ZaloOADriver
from tests.waits import GUARD, guarded, until

U = "8412345678901234567"


@pytest.fixture
async def oa():
    fake = FakeZaloOA()
    await fake.start()
    yield ZaloOADriver(fake)
    await fake.stop()


async def _app(tmp_path, p: ZaloOADriver, clock=None, **env) -> App:
    settings = make_settings(tmp_path, **{**p.env(), "NHANONG_QUIET_HOURS": "", **env})
    app = await App(settings, clock=clock or FakeClock(auto=True)).open()
    await app.start()
    p.attach(app)
    return app


def _oa(app: App) -> ZaloOAChannel:
    [ch] = [c for c in app.channels if c.name == "zalo_oa"]
    assert isinstance(ch, ZaloOAChannel)
    return ch


def _stored(db) -> tuple[str, str]:
    with contextlib.closing(sqlite3.connect(db)) as c:
        row = c.execute("SELECT access_token, refresh_token FROM channel_tokens"
                        " WHERE channel = 'zalo_oa'").fetchone()
    return row


# -- settings and tables ------------------------------------------------------------------
def test_error_codes_map_to_outcomes():
    for code in (-216, -220, -124):
        assert isinstance(send_error(OAError(code, "token")), Unauthorized)
    for code in (-230, -232, -305, -234):
        assert isinstance(send_error(OAError(code, "window")), OutsideWindow)
    for code in (-211, -218, -311):
        assert isinstance(send_error(OAError(code, "quota")), OverQuota)
    for code in (-213, -217, -227, -244):
        assert isinstance(send_error(OAError(code, "gone")), Blocked)
    assert isinstance(send_error(OAError(-32, "rate")), RetryLater)
    assert isinstance(send_error(OAError(429, "HTTP 429", 429)), RetryLater)
    assert isinstance(send_error(OAError(502, "HTTP 502", 502)), Transient)
    assert isinstance(send_error(OAError(-201, "Parameters are invalid")), Permanent)


def _oa_settings(env: dict[str, str]) -> ZaloOASettings:
    """The OA's settings as the bot reads them (bot.config.load_settings, the registry)."""
    return load_settings(env, file=Path("/nonexistent/nhanong.toml")).channels["zalo_oa"]


def test_settings_defaults_and_missing_keys():
    s = _oa_settings({})
    assert not s.enabled
    full = {"ZALO_OA_APP_ID": "123", "ZALO_OA_SECRET_KEY": "k", "ZALO_OA_REFRESH_TOKEN": "rt-9",
            "ZALO_OA_WEBHOOK_URL": "https://x.vn/oa", "ZALO_OA_WEBHOOK_SECRET": "w"}
    s = _oa_settings(full)
    assert s.window_hours == 168 and s.monthly_quota == 1 and s.daily_quota == 1
    assert s.constraints().monthly_quota == 1 and s.constraints().window is None
    assert s.constraints().hours == (time(8, 0), time(22, 0))
    cs = _oa_settings({**full, "ZALO_OA_BROADCAST_AS": "consultation",
                                  "ZALO_OA_WINDOW_HOURS": "48"})
    assert cs.constraints().window == 48 * 3600 and cs.constraints().monthly_quota is None
    for key in ("ZALO_OA_SECRET_KEY", "ZALO_OA_REFRESH_TOKEN", "ZALO_OA_WEBHOOK_URL",
                "ZALO_OA_WEBHOOK_SECRET"):
        with pytest.raises(ConfigError, match=f"^{key}: "):
            _oa_settings({k: v for k, v in full.items() if k != key})
    for key, bad in (("ZALO_OA_APP_ID", "abc"), ("ZALO_OA_BASE_URL", "openapi"),
                     ("ZALO_OA_BROADCAST_HOURS", "8h-22h"), ("ZALO_OA_RATE", "0")):
        with pytest.raises(ConfigError, match=f"^{key}: "):
            _oa_settings({**full, key: bad})
    assert "k" not in repr(s.secret_key)


def test_real_shaped_events_become_inbounds():
    fake = FakeZaloOA()
    ch = ZaloOAChannel(_oa_settings(ZaloOADriver(fake).env()), store=None,
                       webserver=None, clock=FakeClock())
    text = ch.to_inbound(fake.user_text(U, "Xin chào"))
    assert (text.kind, text.text, text.user_id, text.chat_id) == (InboundKind.TEXT, "Xin chào", U, U)
    assert text.message_id
    photo = ch.to_inbound(fake.user_image(U, "https://photo-stal.zadn.vn/a.jpg", "Lúa bị vàng"))
    assert (photo.kind, photo.media, photo.text) == (
        InboundKind.PHOTO, "https://photo-stal.zadn.vn/a.jpg", "Lúa bị vàng")
    voice = ch.to_inbound(fake.user_audio(U, "https://voice-aac.zadn.vn/v.aac"))
    assert (voice.kind, voice.media) == (InboundKind.VOICE, "https://voice-aac.zadn.vn/v.aac")
    assert ch.to_inbound(fake.user_sticker(U)).kind is InboundKind.STICKER
    assert ch.to_inbound(fake.user_location(U)).kind is InboundKind.OTHER
    assert ch.to_inbound(fake.user_link(U, "https://hoinongdan.vn/a")).kind is InboundKind.OTHER
    contact = ch.to_inbound(fake.user_submit_info(U, "84912345678"))
    assert (contact.kind, contact.phone, contact.phone_is_own) == (
        InboundKind.CONTACT, "84912345678", True)
    assert ch.to_inbound(fake.follow(U)).kind is InboundKind.FOLLOW
    assert ch.to_inbound(fake.unfollow(U)).kind is InboundKind.UNFOLLOW
    pressed = ch.to_inbound(fake.user_text(U, "#nn:pf:go"))
    assert (pressed.kind, pressed.action) == (InboundKind.ACTION, "pf:go")
    echo = {"app_id": fake.app_id, "event_name": "oa_send_text", "timestamp": "1",
            "sender": {"id": fake.oa_id}, "recipient": {"id": U},
            "message": {"msg_id": "x", "text": "Xin chào"}}
    seen = {**echo, "event_name": "user_seen_message"}
    for junk in (echo, seen, None, [], {}, {"event_name": "user_send_text", "sender": {"id": {}}}):
        assert ch.to_inbound(junk) is None


# -- webhooks -----------------------------------------------------------------------------
async def test_forged_webhooks_are_refused_and_not_stored(tmp_path, oa):
    oa.manual = True  # the test posts every request itself
    app = await _app(tmp_path, oa)
    url = f"http://127.0.0.1:{app.webserver.port}{oa.path}"
    fake = oa.fake
    try:
        event = fake.user_text(U, "/start")
        assert await fake.post_webhook(url, event, "not-the-secret") == 403
        assert await fake.post_webhook(url, event, None) == 403
        body, headers = fake.signed(event)
        assert await _post(url, body.replace(b"/start", b"/dung"), headers) == 403
        other_app = {**event, "app_id": "1"}
        assert await fake.post_webhook(url, other_app, fake.oa_secret) == 403
        odd = {**event, "app_id": "ứng dụng", "timestamp": "ngày"}  # not ASCII: still a 403
        assert await fake.post_webhook(url, odd, "chữ ký") == 403
        assert await _post(url, b"not json", {"X-ZEvent-Signature": "mac=đ"}) == 403
        assert await app.store.db.fetchall("SELECT * FROM inbound") == []
        assert fake.ok_calls() == []
        assert await fake.post_webhook(url, event, fake.oa_secret) == 200
        assert await fake.post_webhook(url, event, fake.oa_secret) == 200  # redelivered
        await oa.wait_for_sent(U, 2)
        [row] = await app.store.db.fetchall("SELECT update_id FROM inbound")
        assert row[0] == "oa:" + event["message"]["msg_id"]
        assert "Xin chào" in oa.texts(U)[0]
    finally:
        await app.stop()


async def _post(url: str, body: bytes, headers: dict) -> int:
    import aiohttp

    async with aiohttp.ClientSession() as s, s.post(url, data=body, headers=headers) as r:
        return r.status


async def test_the_oas_own_echoes_are_not_answered(tmp_path, oa):
    app = await _app(tmp_path, oa)
    try:
        oa.command(U, "/start")
        await oa.wait_for_sent(U, 2)
        oa.command(U, "/menu")
        await oa.wait_for_sent(U, 3)
        # Every OA send came back as an oa_send_* event: stored, never answered.
        await oa.fake.wait_until(lambda: sum(1 for e, _ in oa.fake.deliveries
                                             if e["event_name"] == "oa_send_text") >= 3, "echoes")
        assert all(status == 200 for _, status in oa.fake.deliveries)
        assert len(oa.texts(U)) == 3
    finally:
        await app.stop()


# -- tokens -------------------------------------------------------------------------------
async def test_the_rotated_refresh_token_is_stored_before_the_access_token_is_used(tmp_path, oa):
    fake = oa.fake
    fake.hold_messages()
    app = await _app(tmp_path, oa)
    try:
        assert fake.refresh_calls == [fake.seed]  # no access token configured: refreshed
        oa.command(U, "/start")
        await fake.wait_until(lambda: fake.calls_to("cs"), "the first send")
        # While the first send is still in flight, the new pair is already committed.
        access, refresh = _stored(app.settings.db)
        assert fake.calls_to("cs")[0].headers["access_token"] == access
        assert refresh != fake.seed and refresh in fake._refresh
        fake.release()
        await oa.wait_for_sent(U, 2)
    finally:
        await app.stop()
    # A restart reads the stored pair: the configured (spent) refresh token is not sent again.
    app = await _app(tmp_path, oa)
    try:
        oa.command(U, "/menu")
        await oa.wait_for_sent(U, 3)
        assert fake.refresh_calls == [fake.seed]
    finally:
        await app.stop()


async def test_a_revoked_access_token_is_renewed_once_for_concurrent_sends(tmp_path, oa):
    fake = oa.fake
    app = await _app(tmp_path, oa)
    users = [f"{U}{i}" for i in range(4)]
    try:
        for u in users:  # they wrote to the OA (elsewhere): consultation messages may go
            fake.last_interaction[u] = fake.now()
        fake.revoke_access_tokens()
        ch = _oa(app)
        sent = await asyncio.gather(*(ch.send(u, Rendered("Họp Hội")) for u in users))
        assert all(s.message_id for s in sent)
        assert len(fake.refresh_calls) == 2  # the start, then one renewal for all four
        assert len(set(fake.refresh_calls)) == 2  # never the same refresh token twice
        assert _stored(app.settings.db)[1] in fake._refresh
        # Refused again right after a renewal: Unauthorized, without a loop of refreshes.
        fake.fail_next("cs", -216)
        fake.fail_next("cs", -216)
        with pytest.raises(Unauthorized):
            await ch.send(users[0], Rendered("Họp Hội"))
        assert len(fake.refresh_calls) == 3
    finally:
        await app.stop()


async def test_a_new_authorisation_in_the_configuration_replaces_the_stored_pair(tmp_path, oa):
    fake = oa.fake
    app = await _app(tmp_path, oa)
    await app.stop()
    again = fake.authorise_again()
    app = await _app(tmp_path, oa, ZALO_OA_REFRESH_TOKEN=again)
    try:
        assert fake.refresh_calls == [fake.seed, again]
        oa.command(U, "/start")
        await oa.wait_for_sent(U, 2)
    finally:
        await app.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _process_env(tmp_path, oa: ZaloOADriver, port: int, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NHANONG_", "TELEGRAM_", "ZALO_"))}
    env.update(oa.env(), NHANONG_DB=str(tmp_path / "run.db"), NHANONG_LOG_LEVEL="WARNING",
               NHANONG_WEBHOOK_LISTEN=f"127.0.0.1:{port}", NHANONG_LOCALE="en", **extra)
    return env


async def test_a_process_killed_between_the_refresh_and_the_first_use_loses_nothing(tmp_path, oa):
    """`python -m bot run` refreshes at start (the refresh token is single-use), is killed
    with SIGKILL while its first send is in flight, and starts again with the same
    configuration: it goes on with the stored pair (the spent token is never sent again)
    and finishes answering the message it had stored."""
    fake = oa.fake
    port = _free_port()
    env = _process_env(tmp_path, oa, port)
    fake.deliver_to(f"http://127.0.0.1:{port}{oa.path}")
    fake.hold_messages()

    async def start():
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)

    proc = await start()
    try:
        oa.command(U, "/start", name="Tèo")
        await fake.wait_until(lambda: fake.calls_to("cs"), "the first send")
        assert fake.refresh_calls == [fake.seed]
        proc.send_signal(signal.SIGKILL)
        await proc.wait()
        stored_access, stored_refresh = _stored(tmp_path / "run.db")
        assert stored_refresh in fake._refresh and stored_refresh != fake.seed
        held = len(fake.calls_to("cs"))
        fake.release()
        proc = await start()
        await fake.wait_until(lambda: len(fake.calls_to("cs")) > held and fake.calls[-1].ok,
                              "a send from the restarted process")
        # The greeting was in flight at the kill (the journal does not send it twice);
        # the rest of the answer to the stored /start goes out, with the stored token.
        await until(lambda: any("4 short questions" in t for t in fake.texts(U)), "the answer")
        assert fake.refresh_calls == [fake.seed]  # the stored pair was enough
        assert fake.calls_to("cs")[-1].headers["access_token"] == stored_access
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            _, err = await guarded(proc.communicate())
            assert proc.returncode == 0, err.decode()


async def test_a_refused_refresh_token_stops_the_start_with_one_line(tmp_path, oa):
    env = _process_env(tmp_path, oa, _free_port(), ZALO_OA_REFRESH_TOKEN="rt-spent-long-ago")
    loop = asyncio.get_running_loop()
    began = loop.time()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), GUARD)
    lines = err.decode().splitlines()
    assert proc.returncode != 0 and loop.time() - began < 10
    assert len(lines) == 1 and lines[0].startswith("error: zalo_oa: the refresh token was refused")
    assert "ZALO_OA_REFRESH_TOKEN" in lines[0] and "rt-spent" not in lines[0]
    assert oa.fake.refresh_calls == ["rt-spent-long-ago"]


# -- sending ------------------------------------------------------------------------------
async def test_the_purpose_picks_the_kind_of_message(tmp_path, oa):
    fake = oa.fake
    app = await _app(tmp_path, oa)
    ch = _oa(app)
    try:
        fake.followers.add(U)  # follows and wrote (no event: nothing else is sent to U)
        fake.last_interaction[U] = fake.now()
        await ch.send(U, Rendered("Trả lời câu hỏi"))
        await ch.send(U, Rendered("Nhắc lịch tập huấn\n\nSáng mai 8:00 tại hội trường xã.",
                                  purpose="notice"))
        await ch.send(U, Rendered("Hội chợ OCOP\n\nMời bà con tham dự.", purpose="broadcast",
                                  image="https://hoinongdan.vn/a.jpg"))
        assert [c.kind for c in fake.ok_calls(U)][-3:] == ["cs", "transaction", "promotion"]
        promo = fake.ok_calls(U, "promotion")[0].message["attachment"]["payload"]
        assert promo["template_type"] == "promotion"
        assert [e["type"] for e in promo["elements"]] == ["banner", "header", "text"]
        # Too long for a promotion template: refused as it is, never cut short.
        with pytest.raises(Permanent, match="too long"):
            await ch.send(U, Rendered("Tin\n\n" + "lúa " * 200, purpose="broadcast"))
        # A notice too long for a transaction template goes as a consultation message.
        await ch.send(U, Rendered("Nhắc lịch\n\n" + "lúa " * 200, purpose="notice"))
        assert fake.ok_calls(U)[-1].kind == "cs"
    finally:
        await app.stop()


async def test_outside_the_window_and_over_quota_are_their_own_outcomes(tmp_path, oa):
    fake = oa.fake
    fake.monthly_quota = 1
    app = await _app(tmp_path, oa)
    ch = _oa(app)
    quiet, member = "841111", "842222"
    try:
        fake.followers.add(member)  # (no events: the bot sends nothing else meanwhile)
        fake.last_interaction[member] = fake.now()
        fake.followers.add(quiet)  # follows, never wrote: no consultation message for them
        with pytest.raises(OutsideWindow):
            await ch.send(quiet, Rendered("Trả lời"))
        await ch.send(member, Rendered("Tin tháng này", purpose="broadcast"))
        with pytest.raises(OverQuota):
            await ch.send(member, Rendered("Tin thứ hai", purpose="broadcast"))
        fake.followers.discard(member)
        fake.unfollowed.add(member)
        with pytest.raises(Blocked):
            await ch.send(member, Rendered("Trả lời"))
        fake.fail_next("cs", "http500")
        with pytest.raises(Transient):
            await ch.send(quiet, Rendered("x"))
        assert [c.kind for c in fake.ok_calls()].count("promotion") == 1
    finally:
        await app.stop()


async def test_buttons_are_real_and_pressing_one_runs_its_action(tmp_path, oa):
    fake = oa.fake
    app = await _app(tmp_path, oa)
    ch = _oa(app)
    try:
        oa.command(U, "/start")
        await oa.wait_for_sent(U, 2)
        buttons = message_buttons(fake.ok_calls(U)[1].message)
        assert [b["title"] for b in buttons] == ["Điền hồ sơ", "Để sau"]
        assert all(b["type"] == "oa.query.hide" and b["payload"].startswith("#nn:") for b in buttons)
        oa.choose(U, "Điền hồ sơ")
        await oa.wait_for_sent(U, 3)
        state = await app.store.dialogs.get((await app.store.members.find("zalo_oa", U)).id)
        assert state.flow == "profile"
        # Seven choices: five on the message, two on a message that only carries buttons;
        # a label too long for Zalo is shortened.
        many = tuple((Button("x" * 150 if i == 0 else f"Chọn {i}", f"t:{i}"),) for i in range(7))
        await ch.send(U, Rendered("Chọn chủ đề", buttons=many))
        first, more = fake.ok_calls(U)[-2:]
        assert first.message["text"] == "Chọn chủ đề" and more.message["text"] == MORE
        assert len(message_buttons(first.message)) == 5 and len(message_buttons(more.message)) == 2
        assert len(message_buttons(first.message)[0]["title"]) == 100
    finally:
        await app.stop()


async def test_the_phone_form_is_offered_and_its_answer_saved(tmp_path, oa):
    fake = oa.fake
    app = await _app(tmp_path, oa)
    try:
        oa.command(U, "/start")
        await oa.wait_for_sent(U, 2)
        oa.choose(U, "Điền hồ sơ")
        await oa.wait_for_sent(U, 3)
        oa.say(U, "son dong")
        await oa.wait_for_sent(U, 5)
        oa.choose(U, "Hội viên nông dân")
        await oa.wait_for_sent(U, 6)  # the phone question, then Zalo's form

        def form() -> dict:
            return fake.ok_calls(U)[-1].message.get("attachment", {}).get("payload", {})

        await fake.wait_until(lambda: form().get("template_type") == "request_user_info",
                              "the phone form")
        assert form()["elements"][0]["title"]
        oa.share_phone(U, "84912345678")
        await oa.wait_for_sent(U, 7)
        member = await app.store.members.find("zalo_oa", U)
        assert member.phone == "+84912345678"
    finally:
        await app.stop()


async def test_follow_is_greeted_and_unfollow_stops_broadcasts(tmp_path, oa):
    fake = oa.fake
    app = await _app(tmp_path, oa)
    stays, leaves = "843333", "844444"
    try:
        for u in (stays, leaves):
            fake.names[u] = "Tư"
            fake.follow(u)
            assert "Xin chào Tư" in (await oa.wait_for_sent(u, 2))[0]
        handled = app.engine.handled
        fake.unfollow(leaves)
        await until(lambda: app.engine.handled > handled, "the unfollow handled")
        assert (await app.store.members.find("zalo_oa", leaves)).blocked
        reachable = {m.user_id for m in await app.store.members.reachable("zalo_oa")}
        assert reachable == {stays}
        n = len(oa.texts(leaves))
        await create_broadcast(app.store, app.settings, app.services.communes,
                               set(app.services.library.topics), by="t", text="Tin của Hội",
                               now=app.clock.now())
        await app.broadcaster.tick()
        await oa.wait_for_sent(stays, 3)
        assert "Tin của Hội" in oa.texts(stays)[-1]
        assert len(oa.texts(leaves)) == n
    finally:
        await app.stop()


def test_oa_settings_come_from_the_environment_and_the_toml_file(tmp_path):
    from bot.config import load_settings

    toml = tmp_path / "nhanong.toml"
    toml.write_text('ZALO_OA_APP_ID = "123"\nZALO_OA_MONTHLY_QUOTA = 4\n'
                    'NHANONG_ADMINS = "zalo_oa:8412"\n', encoding="utf-8")
    s = load_settings({"ZALO_OA_SECRET_KEY": "k", "ZALO_OA_REFRESH_TOKEN": "rt-9",
                       "ZALO_OA_WEBHOOK_URL": "https://x.vn/oa", "ZALO_OA_WEBHOOK_SECRET": "w"},
                      file=toml)
    oa = s.channels["zalo_oa"]
    assert oa.enabled and oa.monthly_quota == 4 and oa.app_id == "123"
    assert s.is_admin("zalo_oa", "8412")
    assert "rt-9" not in repr(oa)


async def test_a_refused_refresh_while_running_is_unauthorized_once(tmp_path, oa):
    fake = oa.fake
    app = await _app(tmp_path, oa)
    try:
        fake.last_interaction[U] = fake.now()
        fake.revoke_access_tokens()
        fake._refresh.clear()  # the OA admin withdrew the app's permission
        with pytest.raises(Unauthorized, match="refresh token was refused"):
            await _oa(app).send(U, Rendered("Họp Hội"))
        assert len(fake.refresh_calls) == 2 and fake.ok_calls() == []
    finally:
        await app.stop()


async def test_a_renewed_pair_that_could_not_be_stored_is_not_used(tmp_path, oa, monkeypatch):
    """The store fails right after Zalo rotated the refresh token: the send fails (Transient,
    retried by delivery) without using the new access token; the next one stores it first,
    and a store opened again holds the pair Zalo now expects."""
    from bot.store import Store, Tokens

    fake = oa.fake
    app = await _app(tmp_path, oa)
    real = Tokens.put
    calls = {"n": 0}

    async def failing_once(self, channel, pair, now):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk I/O error")
        await real(self, channel, pair, now)

    try:
        fake.last_interaction[U] = fake.now()
        fake.revoke_access_tokens()
        monkeypatch.setattr(Tokens, "put", failing_once)
        before = len(fake.calls_to("cs"))
        with pytest.raises(Transient, match="not stored"):
            await _oa(app).send(U, Rendered("Họp Hội"))
        assert len(fake.calls_to("cs")) == before + 1  # only the refused call, none after
        await _oa(app).send(U, Rendered("Họp Hội"))
        assert fake.ok_calls(U)[-1].headers["access_token"] in fake._access
    finally:
        await app.stop()
    store = await Store(app.settings.db).open()
    try:
        pair = await store.tokens.get("zalo_oa")
        assert pair.refresh_token in fake._refresh and len(fake.refresh_calls) == 2
    finally:
        await store.close()


# -- broadcasts through the outbox, with the OA's limits ------------------------------------
async def _follows_and_writes(oa: ZaloOADriver, user: str, name: str = "Tư") -> None:
    oa.fake.names[user] = name
    oa.fake.follow(user)
    await oa.wait_for_sent(user, 2)
    n = len(oa.texts(user))
    oa.fake.user_text(user, "cảm ơn")
    await oa.wait_for_sent(user, n + 1)


async def _broadcast(app: App, text: str) -> int:
    bid, _ = await create_broadcast(app.store, app.settings, app.services.communes,
                                    set(app.services.library.topics), by="t", text=text,
                                    now=app.clock.now())
    await app.broadcaster.tick()
    return bid


def _got(oa: ZaloOADriver, text: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in oa.fake.ok_calls():
        if c.user and text in message_text(c.message):
            out[c.user] = out.get(c.user, 0) + 1
    return out


async def test_a_broadcast_to_followers_over_their_monthly_quota_is_sent_once_to_the_others(
        tmp_path, oa):
    """Promotion messages: one a month per follower (the defaults).  A follower who got
    this month's is counted "over quota" and never attempted; one who followed since gets
    it, once; nothing is tried again."""
    clock = FakeClock(auto=True)
    clock.set(datetime(2026, 3, 10, 3, 0, tzinfo=UTC))  # 10:00 in Vietnam: inside 08-22
    app = await _app(tmp_path, oa, clock=clock)
    try:
        for u in ("841001", "841002"):
            await _follows_and_writes(oa, u)
        first = await _broadcast(app, "Hội chợ OCOP tháng Ba")
        await oa.fake.wait_until(lambda: len(_got(oa, "Hội chợ OCOP")) == 2, "both told")
        assert {k: v for k, v in (await app.store.broadcasts.status(first)).items() if v} == {
            "sent": 2}
        await _follows_and_writes(oa, "841003", "Năm")  # followed after the first
        second = await _broadcast(app, "Họp chi hội thứ Bảy")
        await oa.fake.wait_until(lambda: _got(oa, "Họp chi hội") == {"841003": 1}, "the new one")
        for _ in range(3):
            await app.broadcaster.tick()  # nothing left to try
        assert _got(oa, "Họp chi hội") == {"841003": 1}
        assert [c.kind for c in oa.fake.ok_calls()].count("promotion") == 3
        assert not [c for c in oa.fake.calls_to("promotion") if not c.ok]  # none refused
        status = {k: v for k, v in (await app.store.broadcasts.status(second)).items() if v}
        assert status == {"sent": 1, "over_quota": 2}
    finally:
        await app.stop()


async def test_consultation_broadcasts_reach_only_those_who_wrote_within_the_window(tmp_path, oa):
    """Sent as consultation messages (ZALO_OA_BROADCAST_AS=consultation), a broadcast
    reaches only followers whose last message is within the window (7 days by default);
    the others are counted "outside window", not attempted."""
    clock = FakeClock(auto=True)
    clock.set(datetime(2026, 3, 10, 3, 0, tzinfo=UTC))
    app = await _app(tmp_path, oa, clock=clock, ZALO_OA_BROADCAST_AS="consultation")
    try:
        await _follows_and_writes(oa, "842001")
        clock.set(datetime(2026, 3, 18, 3, 0, tzinfo=UTC))  # 8 days later
        await _follows_and_writes(oa, "842002", "Sáu")
        bid = await _broadcast(app, "Lịch tiêm phòng cúm gia cầm")
        await oa.fake.wait_until(lambda: _got(oa, "tiêm phòng") == {"842002": 1}, "the recent one")
        for _ in range(3):
            await app.broadcaster.tick()
        assert _got(oa, "tiêm phòng") == {"842002": 1}
        assert not [c for c in oa.fake.calls_to("cs") if c.user == "842001" and "tiêm" in
                    message_text(c.message)]
        status = {k: v for k, v in (await app.store.broadcasts.status(bid)).items() if v}
        assert status == {"sent": 1, "outside_window": 1}
    finally:
        await app.stop()


async def test_an_article_the_union_publishes_on_its_oa_opens_there(tmp_path, oa):
    """An article whose front matter links it on the OA (``links: {zalo_oa: …}``): the
    broadcast's "Read the article" button opens the OA article (oa.open.url) instead of
    sending a choice back."""
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    page = content / "articles" / "vi" / "ocop-la-gi.md"
    url = "https://oa.zalo.me/article/ocop-la-gi"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "locale: vi\n", f"locale: vi\nlinks:\n  zalo_oa: {url}\n", 1), encoding="utf-8")
    clock = FakeClock(auto=True)
    clock.set(datetime(2026, 3, 10, 3, 0, tzinfo=UTC))
    app = await _app(tmp_path, oa, clock=clock, NHANONG_CONTENT=str(content))
    try:
        await _follows_and_writes(oa, "843001")
        await create_broadcast(app.store, app.settings, app.services.communes,
                               set(app.services.library.topics), by="t", text="Tìm hiểu OCOP",
                               article_id="ocop-la-gi", now=app.clock.now())
        await app.broadcaster.tick()
        await oa.fake.wait_until(lambda: _got(oa, "Tìm hiểu OCOP") == {"843001": 1}, "the push")
        [push] = [c for c in oa.fake.ok_calls("843001") if "Tìm hiểu OCOP" in message_text(c.message)]
        assert [(b["type"], b["payload"]) for b in message_buttons(push.message)] == [
            ("oa.open.url", {"url": url})]
    finally:
        await app.stop()


def test_article_links_name_a_channel_and_an_https_address(tmp_path):
    from bot.content import ContentError, load_library

    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    page = content / "articles" / "vi" / "ocop-la-gi.md"
    text = page.read_text(encoding="utf-8")
    for links, said in [("  fax: https://x.vn/a", "unknown channel 'fax'"),
                        ("  zalo_oa: http://x.vn/a", "zalo_oa must be an https:// address")]:
        page.write_text(text.replace("locale: vi\n", f"locale: vi\nlinks:\n{links}\n", 1),
                        encoding="utf-8")
        with pytest.raises(ContentError, match=said):
            load_library(content)
