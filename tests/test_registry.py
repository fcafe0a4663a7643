"""The channel registry (bot/channels): a channel is one module there plus one line in
``bot.channels.MODULES``; its settings, its admins and staff chat, segment values,
platform file references, linking and the webhook server all follow from it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import bot.channels as registry
from bot.app import App
from bot.broadcast import BroadcastError, create_broadcast
from bot.clock import FakeClock
from bot.config import ConfigError, load_settings
from bot.geo import communes_of
from bot.i18n import Translator
from bot.segments import SegmentError, parse_segment
from bot.types import Inbound, InboundKind
from tests.helpers import RecordingChannel, make_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def pigeon(monkeypatch):
    """The test channel of tests/pigeon_channel.py, registered by one more line."""
    from handlers import link

    monkeypatch.setattr(registry, "MODULES", (*registry.MODULES, "tests.pigeon_channel"))
    link._account_words.cache_clear()
    yield
    link._account_words.cache_clear()


def test_no_channel_is_named_outside_bot_channels():
    """Platform names live in bot/channels only: code, strings, comments and catalogs."""
    found = subprocess.run(
        ["git", "grep", "--untracked", "-n", "-i", "-E", "telegram|zalo", "--",
         "bot", "handlers", ":!bot/channels"],
        cwd=ROOT, capture_output=True, text=True)
    assert found.returncode in (0, 1), found.stderr
    assert found.stdout == "", "channel names outside bot/channels:\n" + found.stdout


def test_the_registered_channels(pigeon):
    assert registry.names() == ("telegram", "zalo", "zalo_oa", "console", "pigeon")
    assert registry.title("pigeon") == "Bồ câu" and registry.title("fax") == "fax"
    assert registry.is_file_ref("pigeon-file:AbC") and registry.is_file_ref("telegram-file:x")
    assert not registry.is_file_ref("fax-file:AbC") and not registry.is_file_ref("/tmp/a.jpg")


async def test_a_new_channel_is_configured_by_its_own_keys_and_built(tmp_path, pigeon):
    f = tmp_path / "nhanong.toml"
    f.write_text('PIGEON_RATE = 5\n')  # a channel's key is a known key in the file too
    assert load_settings({}, file=f).channels["pigeon"].rate == 5
    with pytest.raises(ConfigError, match=r"^PIGEON_RATE: must be a number of messages"):
        load_settings({"PIGEON_RATE": "0"}, file=tmp_path / "none.toml")
    settings = make_settings(tmp_path, PIGEON_TOKEN="s3cret-token", PIGEON_RATE="7",
                             NHANONG_ADMINS="pigeon:42,telegram:1", NHANONG_STAFF_CHAT="pigeon:-100")
    assert "s3cret-token" not in repr(settings)
    assert settings.is_admin("pigeon", "42") and not settings.needs_webserver()
    app = await App(settings, clock=FakeClock(auto=True)).open()
    try:
        [ch] = app.channels  # the other channels have no token: not built
        assert ch.name == "pigeon" and ch.rate == 7 and app.webserver is None
        w = ch.wiring
        assert w.admins == ("42",) and w.staff_chat == "-100" and w.store is app.store
        assert any(name == "start" for name, _ in w.commands["vi"])
        await w.notify("kênh bồ câu: mã bị từ chối")  # a channel tells the staff chat
        assert [m.text for c, m in ch.sent if c == "-100"] == ["kênh bồ câu: mã bị từ chối"]
        await app.engine.handle(Inbound("pigeon", "9", "9", kind=InboundKind.TEXT, text="/start",
                                        display_name="Ba"))
        assert any(c == "9" for c, _ in ch.sent)  # the bot answers on it
    finally:
        await app.stop()


def test_addresses_name_registered_channels_only(tmp_path, pigeon, monkeypatch):
    s = load_settings({"NHANONG_ADMINS": "pigeon:42", "NHANONG_STAFF_CHAT": "pigeon:-7"},
                      file=tmp_path / "none.toml")
    assert ("pigeon", "42") in s.admins and s.staff_chat == ("pigeon", "-7")
    monkeypatch.setattr(registry, "MODULES", registry.MODULES[:-1])  # not registered
    with pytest.raises(ConfigError, match=r"^NHANONG_ADMINS: 'pigeon:42' is not CHANNEL:ID "
                                          r"\(channel telegram, zalo, zalo_oa, console\)"):
        load_settings({"NHANONG_ADMINS": "pigeon:42"}, file=tmp_path / "none.toml")
    f = tmp_path / "nhanong.toml"
    f.write_text('PIGEON_RATE = 5\n')
    with pytest.raises(ConfigError, match="unknown key PIGEON_RATE"):
        load_settings({}, file=f)


def test_segment_channels_come_from_the_registry(pigeon, monkeypatch):
    communes = communes_of("Bắc Ninh")
    assert parse_segment("channel=pigeon|zalo", communes, set()).text == "channel=pigeon|zalo"
    with pytest.raises(SegmentError) as e:
        parse_segment("channel=fax", communes, set())
    assert e.value.say(Translator("vi")) == \
        "không có kênh “fax” (các kênh: telegram, zalo, zalo\\_oa, console, pigeon)"
    monkeypatch.setattr(registry, "MODULES", registry.MODULES[:-1])
    with pytest.raises(SegmentError, match="pigeon"):
        parse_segment("channel=pigeon", communes, set())


@pytest.mark.parametrize(("env", "served"), [
    ({}, False),
    ({"TELEGRAM_BOT_TOKEN": "1:abc"}, False),
    ({"NHANONG_WEBHOOK_URL": "https://bot.example.vn/tg"}, True),
    ({"ZALO_WEBHOOK_URL": "https://bot.example.vn/zalo"}, True),
    ({"PIGEON_WEBHOOK_URL": "https://bot.example.vn/pigeon"}, True),
])
def test_the_web_server_runs_when_a_channel_has_a_webhook(tmp_path, pigeon, env, served):
    assert load_settings(env, file=tmp_path / "none.toml").needs_webserver() is served


async def test_a_new_channels_webhook_gets_the_shared_server(tmp_path, pigeon):
    with pytest.raises(ConfigError, match=r"^PIGEON_WEBHOOK_URL: must have another path than "
                                          r"ZALO_WEBHOOK_URL"):
        load_settings({"ZALO_WEBHOOK_URL": "https://a.vn/hook", "PIGEON_WEBHOOK_URL": "https://b.vn/hook"},
                      file=tmp_path / "none.toml")
    settings = make_settings(tmp_path, PIGEON_TOKEN="t", PIGEON_WEBHOOK_URL="https://bot.example.vn/p")
    app = await App(settings, clock=FakeClock(auto=True)).open()
    try:
        assert app.webserver is not None and app.channels[0].wiring.webserver is app.webserver
    finally:
        await app.stop()


async def test_a_picture_kept_by_a_new_channel_is_not_read_as_a_file(tmp_path, pigeon):
    app = await App(make_settings(tmp_path), channels=[RecordingChannel()],
                    clock=FakeClock(auto=True)).open()
    try:
        s = app.services
        bid, _ = await create_broadcast(app.store, app.settings, s.communes, set(), by="t",
                                        text="Tin", image="pigeon-file:AbC", now=app.clock.now())
        assert (await app.store.broadcasts.get(bid)).image == "pigeon-file:AbC"
        with pytest.raises(BroadcastError, match="cannot read file fax-file:AbC"):
            await create_broadcast(app.store, app.settings, s.communes, set(), by="t",
                                   text="Tin", image="fax-file:AbC", now=app.clock.now())
    finally:
        await app.stop()


async def test_linking_names_the_channels_by_their_titles(tmp_path, pigeon):
    from handlers.link import is_code_attempt

    tg, pg = RecordingChannel(name="telegram"), RecordingChannel(name="pigeon")
    app = await App(make_settings(tmp_path, NHANONG_QUIET_HOURS=""), channels=[tg, pg],
                    clock=FakeClock(auto=True)).open()
    try:
        await app.engine.handle(Inbound("telegram", "t1", "t1", kind=InboundKind.TEXT,
                                        text="/hoso", display_name="Ba"))
        labels = [b.label for _, m in tg.sent for row in m.buttons for b in row]
        assert "Liên kết tài khoản còn lại (Bồ câu)" in labels
    finally:
        await app.stop()
    assert is_code_attempt(["bồ", "câu"]) and is_code_attempt(["tài", "khoản", "telegram"])
    assert not is_code_attempt(["chuỗi", "giá", "trị"])


async def test_no_channel_configured_names_every_channels_key(tmp_path, pigeon, capsys):
    from bot.__main__ import _run

    settings = make_settings(tmp_path)
    assert await _run(settings, Translator("en")) == 2
    assert ("set one of TELEGRAM_BOT_TOKEN, ZALO_BOT_TOKEN, ZALO_OA_APP_ID, PIGEON_TOKEN"
            in capsys.readouterr().err)
