"""Conversations through the real engine, handlers and SQLite store."""

from __future__ import annotations

from bot.router import Route
from bot.types import InboundKind
from tests.helpers import actions_of, labels_of, text_of


async def test_start_greets_in_vietnamese_subscribes_and_offers_profile(bot):
    out = await bot.say("/start", name="Tèo")
    text = text_of(out)
    assert "Xin chào Tèo" in text
    assert "Hội Nông dân tỉnh Bắc Ninh" in text  # the organisation from configuration
    assert "/dung" in text
    assert actions_of(out) == ["pf:go", "pf:later"]
    m = await bot.member()
    assert m.subscribed and not m.blocked


async def test_organisation_name_comes_from_configuration(tmp_path):
    from tests.helpers import Harness

    h = await Harness(tmp_path, NHANONG_ORG_NAME="Hội Nông dân xã Thử").open()
    try:
        assert "Hội Nông dân xã Thử" in text_of(await h.say("/start"))
    finally:
        await h.close()


async def test_full_onboarding_with_buttons(bot):
    await bot.say("/start")
    out = await bot.press("pf:go")
    assert "Câu 1/4" in text_of(out)
    out = await bot.say("xa son dong")
    assert "Đã lưu: Xã Sơn Động" in text_of(out)
    assert "Câu 2/4" in text_of(out)
    assert "Hội viên nông dân" in labels_of(out)
    out = await bot.press("pf:r:coop")
    assert "Câu 3/4" in text_of(out)
    assert out[-1].ask_contact
    out = await bot.say("0912 345 678")
    assert "0912 345 678" in text_of(out)
    assert out[0].remove_keyboard  # the contact keyboard goes away
    assert "Câu 4/4" in text_of(out)
    await bot.press("pf:t:ocop")
    out = await bot.press("pf:t:chain")
    assert "✅ OCOP" in labels_of(out)
    out = await bot.press("pf:td")
    assert "Cảm ơn" in text_of(out)
    m = await bot.member()
    assert m.commune_code == "7615" and m.role == "coop" and m.phone == "+84912345678"
    assert sorted(m.topics) == ["chain", "ocop"]
    assert m.profile_done
    assert (await bot.state()).flow is None


async def test_every_step_can_be_skipped(bot):
    await bot.say("/start")
    await bot.press("pf:go")
    for _ in range(4):
        out = await bot.press("pf:skip")
    assert "Cảm ơn" in text_of(out)
    m = await bot.member()
    assert m.profile_done and m.commune_code is None and m.role is None and m.phone is None


async def test_skip_by_typing_the_button_words_with_or_without_accents(bot):
    await bot.say("/start")
    await bot.press("pf:go")
    assert "Câu 2/4" in text_of(await bot.say("Bỏ qua"))
    assert "Câu 3/4" in text_of(await bot.say("bo qua"))


async def test_commune_typed_many_ways(bot):
    for typed in ("Sơn Động", "son dong", "XÃ SƠN ĐỘNG", "xa son dong", "Sơn Động"):
        await bot.say("/start", user=typed)
        await bot.press("pf:go", user=typed)
        out = await bot.say(typed, user=typed)
        assert "Đã lưu: Xã Sơn Động" in text_of(out), typed


async def test_ambiguous_commune_offers_the_best_few_as_buttons(bot):
    await bot.say("/start")
    await bot.press("pf:go")
    out = await bot.say("son")
    choices = [a for a in actions_of(out) if a.startswith("pf:cm:")]
    assert 2 <= len(choices) <= 4
    assert "Xã Sơn Động" in labels_of(out)
    out = await bot.press(choices[0])
    assert "Đã lưu" in text_of(out)


async def test_unknown_commune_keeps_the_question(bot):
    await bot.say("/start")
    await bot.press("pf:go")
    out = await bot.say("Thành phố Hồ Chí Minh quận 1")
    assert "không tìm thấy" in text_of(out)
    st = await bot.state()
    assert (st.flow, st.step) == ("profile", "commune")


async def test_bad_phone_is_refused_and_asked_again(bot):
    await bot.say("/start")
    await bot.press("pf:go")
    await bot.press("pf:skip")
    await bot.press("pf:skip")
    out = await bot.say("12345")
    assert "không phải số điện thoại" in text_of(out)
    assert (await bot.state()).step == "phone"
    assert (await bot.member()).phone is None


async def test_shared_contact_must_be_ones_own(bot):
    await bot.say("/start")
    await bot.press("pf:go")
    await bot.press("pf:skip")
    await bot.press("pf:skip")
    out = await bot.other(InboundKind.CONTACT, phone="84987654321", phone_is_own=False)
    assert "của chính mình" in text_of(out)
    out = await bot.other(InboundKind.CONTACT, phone="84987654321")
    assert "0987 654 321" in text_of(out)
    assert (await bot.member()).phone == "+84987654321"


async def test_restart_mid_profile_resumes_at_the_same_question(bot):
    await bot.say("/start")
    await bot.press("pf:go")
    await bot.say("son dong")
    await bot.restart()
    out = await bot.press("pf:r:farmer")  # the role question, still open after the restart
    assert "Câu 3/4" in text_of(out)
    assert (await bot.member()).role == "farmer"


async def test_profile_card_and_edit_one_field(bot):
    await bot.say("/start")
    await bot.press("pf:later")
    out = await bot.say("/hoso")
    assert "Hồ sơ của bạn" in text_of(out)
    assert "(chưa có)" in text_of(out)
    await bot.press("hs:commune")
    out = await bot.say("tu son")
    assert "Phường Từ Sơn" in text_of(out)
    assert "Hồ sơ của bạn" in text_of(out)  # back to the card, not to question 2
    assert (await bot.state()).flow is None


async def test_profile_keyword_without_accents(bot):
    await bot.say("/start")
    assert "Hồ sơ của bạn" in text_of(await bot.say("ho so"))


async def test_language_switch_to_english_and_back(bot):
    await bot.say("/start")
    out = await bot.press("hs:lang")
    assert "Your profile" in text_of(out)
    out = await bot.say("/menu")
    assert "What would you like to do?" in text_of(out)
    out = await bot.press("hs:lang")
    assert "Hồ sơ của bạn" in text_of(out)


async def test_delete_phone(bot):
    await bot.say("/start")
    await bot.press("pf:go")
    await bot.press("pf:skip")
    await bot.press("pf:skip")
    await bot.say("0912345678")
    out = await bot.press("hs:nophone")
    assert "Đã xoá" in text_of(out)
    assert (await bot.member()).phone is None


async def test_stop_and_resume(bot):
    await bot.say("/start")
    out = await bot.say("/dung")
    assert "/start" in text_of(out)
    m = await bot.member()
    assert not m.subscribed
    assert await bot.app.store.members.reachable() == []
    out = await bot.say("/start")
    assert "quay lại" in text_of(out)
    assert [x.id for x in await bot.app.store.members.reachable()] == [m.id]


async def test_stop_words_with_and_without_accents(bot):
    for i, word in enumerate(["dừng", "dung", "DỪNG", "stop", "hủy nhận tin", "huy nhan tin",
                              "huỷ nhận tin"]):
        user = f"s{i}"
        await bot.say("/start", user=user)
        await bot.say(word, user=user)
        assert not (await bot.member(user)).subscribed, word


async def test_yes_with_accents_never_stops_the_news(bot):
    # "đúng" (right) folds to the same letters as "dừng" (stop).
    await bot.say("/start")
    await bot.say("đúng")
    assert (await bot.member()).subscribed


async def test_menu_shows_only_existing_features(bot):
    await bot.say("/start")
    out = await bot.say("/menu")
    assert actions_of(out) == ["m:news", "m:ask", "m:training", "m:profile", "m:help", "m:stop"]
    out = await bot.say("MENU")
    assert actions_of(out) == ["m:news", "m:ask", "m:training", "m:profile", "m:help", "m:stop"]


async def test_help_lists_registered_commands_in_vietnamese(bot):
    out = await bot.say("/trogiup")
    text = text_of(out)
    for cmd in ("/start", "/menu", "/hoso", "/dung", "/trogiup"):
        assert cmd in text
    assert "/thongke" not in text  # staff only
    assert text.startswith("<b>Cách dùng Nhà Nông</b>")
    assert text_of(await bot.say("tro giup")) == text


async def test_staff_command_refused_politely_for_members(bot):
    out = await bot.say("/thongke")
    assert "chỉ dành cho cán bộ" in text_of(out)
    assert await bot.app.store.audit.recent() == []


async def test_staff_stats_are_audited(bot):
    await bot.say("/start", user="u1")
    await bot.say("/start", user="u2")
    await bot.say("/dung", user="u2")
    out = await bot.say("/thongke", user="staff1")
    text = text_of(out)
    assert "Tổng số: 3" in text and "Đang nhận tin: 1" in text and "Đã dừng nhận tin: 1" in text
    audit = await bot.app.store.audit.recent()
    assert audit[0]["actor"] == "rec:staff1" and audit[0]["action"] == "stats.view"


async def test_staff_menu_has_stats(bot):
    out = await bot.say("/menu", user="staff1")
    assert "m:stats" in actions_of(out)


async def test_cancel_leaves_the_flow(bot):
    await bot.say("/start")
    await bot.press("pf:go")
    out = await bot.say("huy")
    assert "Đã hủy" in text_of(out)
    assert (await bot.state()).flow is None


async def test_text_only_channel_numbers_pick_choices(textbot):
    out = await textbot.say("/start")
    assert "1. Điền hồ sơ" in text_of(out)
    assert out[-1].buttons == ()
    out = await textbot.say("1")
    assert "Câu 1/4" in text_of(out)
    await textbot.say("son dong")
    out = await textbot.say("3")  # the third role
    assert "Câu 3/4" in text_of(out)
    assert (await textbot.member()).role == "coop"


async def test_number_out_of_range_on_text_channel_keeps_the_question(textbot):
    await textbot.say("/start")
    await textbot.say("1")
    await textbot.say("son dong")
    out = await textbot.say("99")
    assert "vai trò" in text_of(out)
    assert (await textbot.state()).step == "role"


async def test_a_crash_is_reported_to_the_staff_chat(tmp_path, monkeypatch):
    from tests.helpers import Harness

    h = Harness(tmp_path)
    h.settings = h.settings.model_copy(update={"staff_chat": ("rec", "staffroom")})
    await h.open()
    try:
        async def boom(ctx):
            raise RuntimeError("database on fire")

        monkeypatch.setitem(h.app.router.flows, "profile", Route(boom))
        await h.say("/start")
        await h.press("pf:go")
        out = await h.say("son dong")
        assert "trục trặc" in text_of(out)
        staff = [m.text for chat, m in h.channel.sent if chat == "staffroom"]
        assert len(staff) == 1 and "database on fire" in staff[0]
        assert "son dong" not in staff[0]  # what the person typed is not passed on
    finally:
        await h.close()


async def test_editing_topics_starts_from_the_saved_choice(bot):
    await bot.say("/start")
    await bot.press("pf:go")
    for _ in range(3):
        await bot.press("pf:skip")
    await bot.press("pf:t:ocop")
    await bot.press("pf:td")
    out = await bot.press("hs:topics")
    assert "✅ OCOP" in labels_of(out)
    await bot.press("pf:t:htx")
    out = await bot.press("pf:td")
    assert "Hồ sơ của bạn" in text_of(out)
    assert sorted((await bot.member()).topics) == ["htx", "ocop"]


# -- the flow tables (bot.flows) ------------------------------------------------------------
def test_typed_callback_data_packs_and_unpacks():
    from dataclasses import dataclass

    import pytest

    from bot.flows import CallbackData

    @dataclass(frozen=True)
    class Score(CallbackData, prefix="tr:fb"):
        registration: int
        score: int

    assert Score(12, 5).pack() == "tr:fb:12:5"
    assert Score.unpack("tr:fb:12:5") == Score(12, 5)
    for bad in ("tr:fb:12", "tr:fb:x:5", "tr:x:12:5", "", None, "tr:fb:1:2:3"):
        assert Score.unpack(bad) is None, bad

    @dataclass(frozen=True)
    class Long(CallbackData, prefix="zz"):
        text: str

    with pytest.raises(ValueError):
        Long("x" * 70).pack()  # over Telegram's 64 bytes
    with pytest.raises(ValueError):
        Long("a:b").pack()


async def test_declared_flows_are_introspectable(bot):
    tables = bot.app.router.tables
    assert {"profile", "signup", "feedback", "checkin"} <= set(tables)
    profile = tables["profile"].describe()
    assert list(profile["steps"])[:4] == ["commune", "role", "phone", "topics"]
    assert profile["steps"]["role"]["choices"] == ["r", "skip"]
    assert profile["steps"]["phone"]["typed"] is True
    assert "contact" in profile["steps"]["phone"]["accepts"]
    # The same shared step asks the role in the profile and in training sign-up.
    assert tables["signup"].describe()["steps"]["role"]["choices"] == ["r"]


async def test_a_stale_step_button_keeps_the_question(bot):
    await bot.say("/start")
    await bot.press("pf:go")
    out = await bot.press("pf:r:farmer")  # a role button, but the question is the commune
    assert "hết hiệu lực" in text_of(out) and "xã" in text_of(out).lower()
    assert (await bot.state()).step == "commune" and (await bot.member()).role is None
