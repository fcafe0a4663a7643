"""Issue #13: farmers' own words understood, the profile shows what sign-up collected,
prompts fit the channel, typed numbers stay answers, and bad input says what is valid.
Every conversation test runs on a text-only channel (console, Zalo) and on Telegram."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.checkin import AnswerError, parse_date, yes_no
from bot.flows.common import parse_role
from bot.training import parse_course
from tests.helpers import BUTTONS, TEXT_ONLY, Harness, actions_of, labels_of, text_of

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # Monday 10:00 in Vietnam
ZONE = __import__("zoneinfo").ZoneInfo("Asia/Ho_Chi_Minh")
TOPIC_IDS = ["ocop", "htx", "chain", "quality", "policy", "union"]  # content/topics.yaml order


@pytest.fixture(params=["text-only", "telegram"])
async def h(request, tmp_path):
    bot = await Harness(tmp_path, caps=TEXT_ONLY if request.param == "text-only" else BUTTONS).open()
    bot.clock.set(NOW)
    bot.kind = request.param
    yield bot
    await bot.close()


async def _at(h: Harness, step: str, user: str = "u1") -> None:
    """Onboarding, up to ``step`` (the earlier questions skipped by typing "bỏ qua")."""
    await h.say("/start", user=user)
    await h.press("pf:go", user=user)
    for _ in range(["commune", "role", "phone", "topics"].index(step)):
        await h.say("bỏ qua", user=user)
    assert (await h.state(user)).step == step


# -- roles ---------------------------------------------------------------------------------
ROLE_WORDS = [
    ("nong dan", "farmer"), ("nông dân", "farmer"), ("Nông Dân", "farmer"),
    ("tôi là nông dân", "farmer"), ("hoi vien", "farmer"),
    ("hop tac xa", "coop"), ("htx", "coop"), ("HTX", "coop"), ("hợp tác xã", "coop"),
    ("to hop tac", "group"), ("tổ hợp tác", "group"), ("tht", "group"),
    ("doanh nghiep", "business"), ("doanh nghiệp", "business"),
    ("can bo hoi", "official"), ("cán bộ Hội", "official"), ("khac", "other"),
]


@pytest.mark.parametrize(("typed", "role"), ROLE_WORDS)
def test_role_words(typed, role):
    assert parse_role(typed) == role


async def test_role_typed_as_farmers_say_it_in_onboarding(h):
    for i, (typed, role) in enumerate(ROLE_WORDS[:12]):
        user = f"r{i}"
        await _at(h, "role", user)
        out = await h.say(typed, user=user)
        assert (await h.member(user)).role == role, typed
        assert "Câu 3/4" in text_of(out), typed


async def test_role_typed_in_training_sign_up(h):
    s = h.app.services
    fields = parse_course({"title": "Lớp OCOP", "start": "08:00 04/12/2026", "end": "11:00",
                           "venue": "Hội trường", "capacity": "5"}, s.communes, s.settings, NOW)
    cid = await s.store.courses.create(fields, "t", NOW)
    await h.say("/start")
    m = await h.member()
    await s.store.members.update(m.id, full_name="Trần Văn Ba", phone="+84912345678",
                                 commune_code="7615")
    await h.press(f"tr:s:{cid}")
    assert (await h.state()).step == "role"
    out = await h.say("nong dan")
    assert (await h.member()).role == "farmer"
    assert (await h.state()).step == "confirm" and "Trần Văn Ba" in text_of(out)
    out = await h.say("dc")  # yes, confirm
    assert "đã đăng ký thành công" in text_of(out)


# -- several topics at once ---------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["1 3", "1,3", "1, 3", "1 và 3", "1 va 3"])
async def test_two_topics_typed_at_once(h, typed):
    await _at(h, "topics")
    out = await h.say(typed)
    assert sorted((await h.member()).topics) == sorted([TOPIC_IDS[0], TOPIC_IDS[2]])
    assert "Cảm ơn" in text_of(out) and (await h.state()).flow is None


async def test_one_topic_number_toggles_then_done(h):
    await _at(h, "topics")
    out = await h.say("2")
    assert "✅ Hợp tác xã và tổ hợp tác" in (text_of(out) if h.kind == "text-only"
                                           else " ".join(labels_of(out)))
    await h.say("xong")
    assert (await h.member()).topics == ["htx"]


async def test_topic_number_out_of_range_says_which_are_valid(h):
    await _at(h, "topics")
    out = await h.say("1 9")
    assert "từ 1 đến 6" in text_of(out)
    assert (await h.state()).step == "topics" and (await h.member()).topics == []


# -- yes and no ----------------------------------------------------------------------------------
@pytest.mark.parametrize("typed", ["dc", "được", "duoc", "ok", "OK", "uh", "ừ", "co", "có",
                                   "vâng", "đồng ý"])
def test_yes_words(typed):
    assert yes_no(typed) == "yes"


@pytest.mark.parametrize("typed", ["ko", "k", "không", "khong", "kg", "chưa", "hông"])
def test_no_words(typed):
    assert yes_no(typed) == "no"


async def _checkin(h: Harness, user: str = "u1") -> None:
    await h.say("/start", user=user)
    m = await h.member(user)
    await h.app.store.members.update(m.id, role="coop", commune_code="7615")
    await h.press("ck:c:ocop-quy", user=user)


@pytest.mark.parametrize(("typed", "value"), [("dc", "yes"), ("được", "yes"), ("ok", "yes"),
                                               ("ừ", "yes"), ("ko", "no"), ("k", "no")])
async def test_yes_no_words_in_a_check_in(h, typed, value):
    await _checkin(h)
    await h.say(typed)
    rows = await h.app.store.db.fetchall("SELECT value FROM checkin_answers")
    assert [r[0] for r in rows] == [value]


# -- dates ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("typed", "day"), [
    ("15/6/25", date(2025, 6, 15)), ("15/06/2025", date(2025, 6, 15)),
    ("15-6-2025", date(2025, 6, 15)), ("15.6.2025", date(2025, 6, 15)),
    ("15/6", date(2026, 6, 15)), ("2025-06-15", date(2025, 6, 15)),
    ("15 / 6 / 2025", date(2025, 6, 15)), ("ngày 15 tháng 6 năm 2025", date(2025, 6, 15)),
    ("20/12", date(2025, 12, 20)),  # not yet this year: last year's
])
def test_dates_as_people_write_them(typed, day):
    assert parse_date(typed, NOW, ZONE) == day


@pytest.mark.parametrize("typed", ["31/2/25", "15/13", "hôm qua", "15/6/2030"])
def test_dates_that_do_not_fit(typed):
    with pytest.raises(AnswerError):
        parse_date(typed, NOW, ZONE)


async def test_a_two_digit_year_in_a_check_in(h):
    await _checkin(h)
    await h.say("có")
    await h.say("Mật ong rừng")
    await h.say("4 sao")
    out = await h.say("15/6/25")
    assert "sàn thương mại điện tử" in text_of(out)  # the next question: the date was taken
    rows = await h.app.store.db.fetchall(
        "SELECT question_id, value FROM checkin_answers ORDER BY rowid")
    assert ("certified_on", "2025-06-15") in [tuple(r) for r in rows]


# -- the profile shows and edits what sign-up collected ---------------------------------------------
async def test_profile_shows_the_full_name_and_organisation_and_edits_them(h):
    await h.say("/start", name="Bạn")
    m = await h.member()
    await h.app.store.members.update(m.id, full_name="Nguyễn Thị Hoa", organisation="HTX Rau sạch")
    out = await h.say("/hoso")
    card = text_of(out)
    assert "Nguyễn Thị Hoa" in card and "HTX Rau sạch" in card
    assert "Bạn\n" not in card and ": Bạn" not in card
    assert "hs:name" in [a for _, a in (await h.state()).offered]
    assert "hs:organisation" in [a for _, a in (await h.state()).offered]
    await h.press("hs:name")
    out = await h.say("Nguyễn Thị Hoà")
    assert "Nguyễn Thị Hoà" in text_of(out) and "Hồ sơ của bạn" in text_of(out)
    await h.press("hs:organisation")
    out = await h.say("HTX Nông sản Sơn Động")
    assert "HTX Nông sản Sơn Động" in text_of(out)
    m = await h.member()
    assert (m.full_name, m.organisation) == ("Nguyễn Thị Hoà", "HTX Nông sản Sơn Động")


# -- prompts fit the channel -----------------------------------------------------------------------
async def test_onboarding_prompts_fit_the_channel(h):
    texts = [text_of(await h.say("/start")), text_of(await h.press("pf:go"))]
    texts.append(text_of(await h.say("bỏ qua")))  # role
    texts.append(text_of(await h.say("bỏ qua")))  # phone
    texts.append(text_of(await h.say("bỏ qua")))  # topics
    joined = "\n".join(texts).lower()
    if h.kind == "text-only":
        assert "bấm" not in joined and "nhấn" not in joined, joined
        assert "gõ “bỏ qua”" in joined and "gõ số" in joined
    else:  # Telegram has the buttons: "chọn" (choose) names them without telling how
        assert "gõ “bỏ qua”" not in joined and "chọn" in joined


# -- a typed number is an answer, never a button ------------------------------------------------------
async def test_a_number_at_the_commune_question_is_not_the_skip_button(h):
    await _at(h, "commune")
    out = await h.say("1")
    assert (await h.state()).step == "commune"  # not skipped to the role question
    assert "không tìm thấy" in text_of(out)


async def test_a_number_at_a_number_question_is_the_answer(h):
    await h.say("/start")
    m = await h.member()
    await h.app.store.members.update(m.id, role="official", commune_code="7615")
    await h.press("ck:c:hoat-dong-co-so")
    await h.say("2")  # 2 meetings, not the second button
    await h.say("1")  # 1 person reached, not the first button
    rows = await h.app.store.db.fetchall("SELECT question_id, number FROM checkin_answers")
    assert sorted(tuple(r) for r in rows) == [("meetings", 2.0), ("reached", 1.0)]


# -- bad input says what is valid ---------------------------------------------------------------------
async def test_a_number_out_of_range_at_the_menu_says_which_are_valid(h):
    await h.say("/start")
    menu = await h.say("/menu")
    n = len(actions_of(menu)) or len((await h.state()).offered)
    out = await h.say("99")
    assert f"từ 1 đến {n}" in text_of(out)
    assert len((await h.state()).offered) == n  # the same choices, offered again


async def test_a_number_out_of_range_at_the_role_question(h):
    await _at(h, "role")
    out = await h.say("99")
    text = text_of(out)
    assert "vai trò" in text.lower() and (await h.state()).step == "role"
    if h.kind == "text-only":
        assert "từ 1 đến 7" in text  # six roles and "Bỏ qua"


@pytest.mark.parametrize("word", ["hủy", "huy", "thôi", "thoi", "Thôi"])
async def test_cancel_words_leave_any_flow_with_a_way_forward(h, word):
    await _at(h, "phone")
    out = await h.say(word)
    assert (await h.state()).flow is None and "/menu" in text_of(out)


async def test_back_goes_to_the_previous_question(h):
    await _at(h, "phone")
    out = await h.say("quay lại")
    assert (await h.state()).step == "role" and "Câu 2/4" in text_of(out)
    out = await h.say("quay lai")
    assert (await h.state()).step == "commune"
