"""Anything a person can type gets a short polite answer and keeps the flow in place."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.router import Route
from bot.types import InboundKind
from tests.helpers import Harness, actions_of, text_of


async def _at_commune_question(bot, user="u1"):
    await bot.say("/start", user=user)
    await bot.press("pf:go", user=user)


async def test_empty_text(bot):
    await _at_commune_question(bot)
    out = await bot.say("   ")
    assert len(out) >= 1 and len(text_of(out)) < 600
    assert (await bot.state()).step == "commune"


async def test_ten_thousand_characters(bot):
    await _at_commune_question(bot)
    out = await bot.say("Sơn Động " * 1200)
    assert out and all(len(m.text) <= 4096 for m in out)
    assert (await bot.state()).step == "commune"


async def test_emoji_and_zero_width_characters(bot):
    await _at_commune_question(bot)
    out = await bot.say("🌾🐃🌾")
    assert "không tìm thấy" in text_of(out)
    out = await bot.say("Sơn\u200b Động\u200d")
    assert "Xã Sơn Động" in text_of(out)


async def test_html_in_a_name_is_shown_as_typed(bot):
    out = await bot.say("/start", name="<b>Tèo</b>")
    assert "&lt;b&gt;Tèo&lt;/b&gt;" in out[0].text
    assert "<b>Tèo</b>" not in out[0].text


async def test_sticker_or_photo_where_text_was_asked(bot):
    await _at_commune_question(bot)
    out = await bot.other(InboundKind.STICKER)
    assert "bằng chữ" in text_of(out)
    out = await bot.other(InboundKind.PHOTO)
    assert "bằng chữ" in text_of(out)
    assert (await bot.state()).step == "commune"


async def test_sticker_outside_a_flow(bot):
    out = await bot.other(InboundKind.STICKER)
    assert "chỉ đọc được tin nhắn chữ" in text_of(out)


async def test_unknown_and_stale_buttons(bot):
    await _at_commune_question(bot)
    for action in ("zz:1", "pf:r:farmer", "pf:c:99999999", "m:nothing", "x" * 200, ""):
        out = await bot.press(action)
        assert "hết hiệu lực" in text_of(out), action
    assert (await bot.state()).step == "commune"


async def test_commands_with_junk_arguments(bot):
    out = await bot.say("/menu 12 !! <script>")
    assert "m:profile" in actions_of(out)
    out = await bot.say("/start@nhanong_bot deep-link-payload")
    assert (await bot.member()).subscribed
    out = await bot.say("/khongcolenhnay abc")
    assert "/khongcolenhnay" in text_of(out) and "/trogiup" in text_of(out)


async def test_a_handler_crash_is_answered_with_an_apology(bot, monkeypatch):
    async def boom(ctx):
        raise RuntimeError("bug")

    monkeypatch.setitem(bot.app.router.flows, "profile", Route(boom))
    await _at_commune_question(bot)
    out = await bot.say("son dong")
    assert "trục trặc" in text_of(out)
    assert (await bot.state()).step == "commune"  # nothing changed


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=0, max_size=300
)


def test_router_answers_any_text_and_never_crashes(tmp_path):
    """Property: whatever the text, at the commune question the bot answers within
    Telegram's limits, never crashes, and the person stays in the flow unless a
    command or keyword took them elsewhere."""
    import asyncio
    import itertools

    loop = asyncio.new_event_loop()
    h = loop.run_until_complete(Harness(tmp_path).open())
    users = itertools.count()

    @settings(max_examples=150, deadline=None)
    @given(text=_text)
    def check(text: str) -> None:
        async def run() -> None:
            user = f"p{next(users)}"
            await _at_commune_question(h, user)
            out = await h.say(text, user=user)
            assert out, "every message gets an answer"
            assert all(0 < len(m.text) <= 4096 for m in out)
            assert (await h.state(user)).flow in ("profile", None)

        loop.run_until_complete(run())

    try:
        check()
    finally:
        loop.run_until_complete(h.close())
        loop.close()


async def _state_key(bot, user):
    s = await bot.state(user)
    return (s.flow, s.step)


async def _in_signup(bot, user="s1"):
    from datetime import UTC, datetime

    from bot.training import parse_course

    s = bot.app.services
    bot.clock.set(datetime(2026, 11, 30, 3, 0, tzinfo=UTC))
    fields = parse_course({"title": "Lớp OCOP", "start": "08:00 04/12/2026", "end": "11:00",
                           "venue": "Hội trường", "capacity": "5"}, s.communes, s.settings, s.clock.now())
    cid = await s.store.courses.create(fields, "t", s.clock.now())
    await bot.say("/start", user=user)
    await bot.press(f"tr:s:{cid}", user=user)  # asks the full name


async def _in_checkin(bot, user="k1"):
    await bot.say("/start", user=user)
    m = await bot.member(user)
    await bot.app.store.members.update(m.id, role="official")
    await bot.press("ck:c:hoat-dong-co-so", user=user)  # asks a number


BAD = [
    ("text", ""), ("text", "Sơn Động " * 1200), ("text", "🌾🐃🌾"), ("text", "<b>x</b>"),
    ("sticker", None), ("photo", None),
]


async def test_bad_input_in_sign_up_and_check_in_keeps_the_question(bot):
    await _in_signup(bot)
    await _in_checkin(bot)
    for user in ("s1", "k1"):
        where = await _state_key(bot, user)
        for kind, text in BAD:
            if kind == "text":
                out = await bot.say(text, user=user)
            else:
                out = await bot.other(InboundKind.STICKER if kind == "sticker" else InboundKind.PHOTO,
                                      user=user)
            assert out and all(len(m.text) <= 4096 for m in out), (user, kind, text and text[:10])
            assert "<b>x</b>" not in text_of(out)
            assert await _state_key(bot, user) == where, (user, kind)
    assert (await bot.app.store.courses.registrants(1)) == []
    rows = await bot.app.store.db.fetchall("SELECT COUNT(*) FROM checkin_answers")
    assert rows[0][0] == 0
