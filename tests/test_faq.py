"""Answering questions: normalisation, ranking, abstention, the staff hand-off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.content import load_library
from bot.faq import FaqRanker, Normaliser
from bot.faq.evaluate import evaluate, read_set
from tests.helpers import BUTTONS, TEXT_ONLY, Harness, actions_of, text_of

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content"


@pytest.fixture(scope="module")
def ranker() -> FaqRanker:
    return FaqRanker(load_library(CONTENT).faq["vi"], Normaliser.from_content(CONTENT))


def folds(norm: Normaliser, text: str) -> list[str]:
    return [t.fold for t in norm.tokens(text)]


def test_normaliser_expands_abbreviations_and_drops_fillers():
    norm = Normaliser.from_content(CONTENT)
    assert folds(norm, "cho em hỏi htx cần mấy thành viên ạ") == \
        ["hop", "tac", "xa", "can", "may", "thanh", "vien"]
    assert folds(norm, "cho em hoi htx can may thanh vien a") == \
        folds(norm, "cho em hỏi htx cần mấy thành viên ạ")
    assert folds(norm, "sp đc đk ko") == ["san", "pham", "duoc", "dang", "ky", "khong"]
    assert folds(norm, "khônggggg") == ["khong"]
    assert folds(norm, "e hoi sp ocop 3 sao thi dc gi") == \
        folds(norm, "em hỏi sản phẩm ocop 3 sao thì được gì") == \
        ["san", "pham", "ocop", "3", "sao", "duoc", "gi"]
    accented = [t.acc for t in norm.tokens("Hủy HOÀ")]
    assert accented == ["huỷ", "hoà"]  # one tone placement, lower case


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("OCOP là gì?", "ocop.what"),
        ("ocop la gi", "ocop.what"),
        ("cho em hỏi 85 điểm thì được mấy sao ạ", "ocop.stars"),
        ("70 diem dc may sao", "ocop.stars"),
        ("logo ocop", "ocop.logo"),
        ("giấy chứng nhận ocop có hạn bao lâu", "ocop.validity"),
        ("giay chung nhan ocop co han bao lau", "ocop.validity"),
        ("vay vốn quỹ hỗ trợ nông dân", "hoi.loan"),
        ("vay von quy ho tro nong dan", "hoi.loan"),
        ("lam sao de dung nhan tin", "bot.stop"),
        # What a 3-star product gets, not who awards the stars (issue #13):
        ("e hoi sp ocop 3 sao thi dc gi", "ocop.benefits"),
        ("em hỏi sản phẩm OCOP 3 sao thì được gì", "ocop.benefits"),
        ("ai công nhận sao ocop", "ocop.level"),
    ],
)
def test_answers_with_and_without_diacritics(ranker, question, expected):
    assert ranker.answer(question).id == expected


@pytest.mark.parametrize("chatter", ["giá lợn hơi hôm nay bao nhiêu", "mai trời có mưa không",
                                     "đội tuyển việt nam đá mấy giờ", "haha"])
def test_abstains_on_what_the_faq_does_not_cover(ranker, chatter):
    a = ranker.answer(chatter)
    assert a.id is None and len(a.suggestions) <= 3


def test_accuracy_on_the_dev_and_held_out_sets(ranker, capsys):
    """Reports top-1 and abstention; the calibration and threshold were fitted on dev
    only (tools/tune_faq.py). The aim on held-out: 90% top-1 / 85% abstention."""
    dev = evaluate(ranker, read_set(ROOT / "tests" / "data" / "faq_dev.tsv"))
    held = evaluate(ranker, read_set(ROOT / "tests" / "data" / "faq_heldout.tsv"))
    with capsys.disabled():
        print(f"\nFAQ dev:      {dev}\nFAQ held-out: {held}")
    assert dev.covered >= 150 and dev.uncovered >= 30
    assert held.top1_rate >= 0.90 and held.abstain_rate >= 0.85


def test_the_calibration_is_for_the_signals_the_ranker_computes(ranker):
    from bot.faq.ranker import CALIBRATION, SIGNALS

    cal = json.loads(CALIBRATION.read_text(encoding="utf-8"))
    assert cal["signals"] == list(SIGNALS) and ranker.coef == cal["coef"]
    assert len(ranker.signals(ranker.raw("ocop la gi"))) == len(SIGNALS)


# -- in the chat ----------------------------------------------------------------------
async def test_free_text_gets_the_answer_and_related_buttons(bot):
    out = await bot.say("ocop la gi vay")
    assert "Chương trình Mỗi xã một sản phẩm" in text_of(out)
    acts = actions_of(out)
    assert any(a.startswith("f:") for a in acts) and any(a.startswith("n:a:") for a in acts)


async def test_hoi_command_with_and_without_a_question(bot):
    assert "gõ câu hỏi" in text_of(await bot.say("/hoi"))
    assert "Mỗi xã một sản phẩm" in text_of(await bot.say("/hoi OCOP là gì"))


async def test_not_confident_offers_suggestions_and_staff(tmp_path):
    h = Harness(tmp_path)
    h.settings = h.settings.model_copy(update={"staff_chat": ("rec", "-100500")})
    await h.open()
    try:
        out = await h.say("con bò nhà em bị chướng bụng thì làm sao")
        assert "chưa chắc" in text_of(out) or "chưa có câu trả lời" in text_of(out)
        acts = actions_of(out)
        assert acts[-1].startswith("q:s:")
        assert len([a for a in acts if a.startswith("f:")]) <= 3
    finally:
        await h.close()


async def test_without_a_staff_chat_there_is_no_staff_button(bot):
    out = await bot.say("con bò nhà em bị chướng bụng thì làm sao")
    assert not any(a.startswith("q:s:") for a in actions_of(out))
    assert "chi hội" in text_of(out)


async def _handoff(tmp_path, caps=BUTTONS):
    h = Harness(tmp_path, caps)
    h.settings = h.settings.model_copy(update={"staff_chat": ("rec", "-100500"),
                                               "admins": h.settings.admins | {("rec", "staff9")}})
    await h.open()
    await h.say("/start", name="Bà Tư")
    await h.press("pf:go")
    await h.say("son dong")
    await h.press("pf:r:farmer")
    await h.press("pf:skip")  # phone
    await h.press("pf:skip")  # topics: the profile is done
    out = await h.say("con bò nhà em bị chướng bụng thì làm sao")
    offered = actions_of(out) or [a for _, a in (await h.state()).offered]  # buttons or a list
    qid = int(next(a for a in offered if a.startswith("q:s:")).split(":")[2])
    return h, qid


async def test_question_goes_to_staff_and_the_answer_comes_back(tmp_path):
    from bot.types import Inbound, InboundKind

    h, qid = await _handoff(tmp_path)
    try:
        out = await h.press(f"q:s:{qid}")
        assert "Đã gửi câu hỏi" in text_of(out)
        [(chat, post)] = [(c, m) for c, m in h.channel.sent if c == "-100500"]
        assert f"Câu hỏi #{qid}" in post.text and "Nông Dân" in post.text  # their Telegram name
        assert "Xã Sơn Động" in post.text and "Hội viên nông dân" in post.text
        post_id = str(h.channel.sent.index((chat, post)) + 1)  # the recording channel's ids
        # A staff member (in NHANONG_ADMINS) replies to the post in the staff chat.
        before = len(h.channel.sent)
        await h.app.engine.handle(Inbound("rec", "staff9", "-100500", InboundKind.TEXT,
                                          text="Bà gọi thú y xã ngay nhé.", reply_to=post_id,
                                          is_group=True, display_name="Cán bộ"))
        sent = h.channel.sent[before:]
        to_farmer = [m for c, m in sent if c == "u1"]
        assert "Bà gọi thú y xã ngay nhé." in to_farmer[0].text
        assert [b.action for b in to_farmer[0].buttons[0]] == [f"q:r:{qid}:1", f"q:r:{qid}:0"]
        assert any(f"#{qid}" in m.text for c, m in sent if c == "-100500")  # confirmation
        out = await h.press(f"q:r:{qid}:1")
        assert "Cảm ơn" in text_of(out)
        audit = await h.app.store.audit.recent()
        assert audit[0]["actor"] == "rec:staff9" and audit[0]["action"] == "faq.staff_answer"
    finally:
        await h.close()


async def test_traloi_command_and_the_gaps_list(tmp_path):
    h, qid = await _handoff(tmp_path)
    try:
        await h.press(f"q:s:{qid}")
        out = await h.say(f"/traloi {qid} Gọi thú y xã.", user="staff1")
        assert f"#{qid}" in text_of(out)
        assert any("Gọi thú y xã." in m.text for c, m in h.channel.sent if c == "u1")
        out = await h.say(f"/traloi {qid}", user="staff1")
        assert "/traloi 12" in text_of(out)
        out = await h.say(f"/traloi {qid} x", user="u1")  # a farmer cannot answer
        assert "chỉ dành cho cán bộ" in text_of(out)
        gaps = await h.app.store.questions.gaps()
        assert gaps[0][0] == "con bò nhà em bị chướng bụng thì làm sao" and gaps[0][2] == 1
    finally:
        await h.close()


@pytest.mark.parametrize("caps", [BUTTONS, TEXT_ONLY], ids=["telegram-like", "zalo-like"])
async def test_a_long_staff_answer_reaches_the_farmer_whole(tmp_path, caps):
    h, qid = await _handoff(tmp_path, caps)
    try:
        await h.press(f"q:s:{qid}")
        paras = [f"Bước {i}: " + "cho bò uống nước ấm và theo dõi " * 8 + f"hết bước {i}." for i in range(13)]
        answer = "\n\n".join(paras)
        assert 3000 < len(answer) < 3950
        before = len(h.channel.sent)
        out = await h.say(f"/traloi {qid} {answer}", user="staff1")
        assert f"#{qid}" in text_of(out)
        got = [m.text for c, m in h.channel.sent[before:] if c == "u1"]
        assert len(got) >= (1 if caps is BUTTONS else 2)
        for para in paras:  # every paragraph arrives, none cut
            assert sum(para in text for text in got) == 1, para
    finally:
        await h.close()


async def test_a_staff_answer_too_long_to_read_whole_is_refused_not_cut(tmp_path):
    h, qid = await _handoff(tmp_path)
    try:
        await h.press(f"q:s:{qid}")
        before = len(h.channel.sent)
        out = await h.say(f"/traloi {qid} " + "Gọi thú y xã ngay. " * 230, user="staff1")
        assert "Chưa gửi" in text_of(out) and "4.000" in text_of(out)
        assert [c for c, _ in h.channel.sent[before:] if c == "u1"] == []
        assert not (await h.app.store.questions.get(qid)).answered
    finally:
        await h.close()


async def test_one_person_cannot_flood_the_staff_chat(tmp_path):
    h, _ = await _handoff(tmp_path)
    try:
        for i in range(4):
            out = await h.say(f"câu hỏi lạ số {i} về con trâu bị ốm")
            qid = next(a for a in actions_of(out) if a.startswith("q:s:"))
            out = await h.press(qid)
        assert "khá nhiều câu hỏi" in text_of(out)
        assert len([c for c, _ in h.channel.sent if c == "-100500"]) == 3
    finally:
        await h.close()


async def test_messages_in_other_groups_are_ignored(tmp_path):
    from bot.types import Inbound, InboundKind

    h = await Harness(tmp_path).open()
    try:
        before = len(h.channel.sent)
        await h.app.engine.handle(Inbound("rec", "x", "-999", InboundKind.TEXT, text="/start",
                                          is_group=True))
        assert len(h.channel.sent) == before
    finally:
        await h.close()


# -- small talk, prices, weather (issue #13) ------------------------------------------
SMALL_TALK = {
    "xin chao": "Chào bạn", "xin chào": "Chào bạn", "chào bạn": "Chào bạn", "chao ban": "Chào bạn",
    "hi": "Chào bạn", "alo": "Chào bạn",
    "cam on nhe": "Không có gì", "cảm ơn nhé": "Không có gì", "ok cảm ơn bạn nhiều": "Không có gì",
    "ok": "👍", "🙏": "👍", "dạ vâng": "👍", "ừ": "👍",
}


@pytest.mark.parametrize("typed", list(SMALL_TALK))
async def test_small_talk_gets_a_short_friendly_answer_with_a_way_forward(bot, typed):
    out = text_of(await bot.say(typed))
    assert SMALL_TALK[typed] in out and "/menu" in out
    assert "Có phải bạn muốn hỏi" not in out and not out.startswith("Hoặc")


@pytest.mark.parametrize("caps", [BUTTONS, TEXT_ONLY])
async def test_a_bare_number_that_is_no_choice_is_not_understood(tmp_path, caps):
    h = await Harness(tmp_path, caps).open()
    try:
        out = text_of(await h.say("12345"))
        assert "Mình chưa hiểu “12345”" in out and "/menu" in out
        assert "Có phải bạn muốn hỏi" not in out
    finally:
        await h.close()


async def test_a_number_out_of_the_list_shows_the_list_again_on_text_channels(textbot):
    await textbot.say("ocop la gi")  # an answer with a numbered list of related questions
    listed = (await textbot.state()).offered
    assert listed
    out = text_of(await textbot.say("99"))
    assert f"từ 1 đến {len(listed)}" in out and "1. " in out
    assert (await textbot.state()).offered == listed  # still choosing from the same list


@pytest.mark.parametrize("typed", ["giá lúa hôm nay", "gia lua hom nay", "gia tieu bao nhieu",
                                   "giá tiêu bao nhiêu"])
async def test_a_price_question_is_told_honestly_there_are_no_prices(bot, typed):
    out = text_of(await bot.say(typed))
    assert "không có giá cả thị trường" in out and "khuyến nông" in out
    assert "Có phải bạn muốn hỏi" not in out


@pytest.mark.parametrize("typed", ["thời tiết mai", "thoi tiet", "mai có mưa không"])
async def test_a_weather_question_is_told_where_to_look(bot, typed):
    out = text_of(await bot.say(typed))
    assert "không có dự báo thời tiết" in out and "nchmf.gov.vn" in out


@pytest.mark.parametrize("typed", ["chào bạn, ocop là gì", "xin chao, ocop la gi",
                                   "tham gia ocop bao nhieu tien", "chuỗi giá trị là gì",
                                   "được mùa mất giá là gì", "gia han giay chung nhan ocop"])
def test_questions_with_greetings_or_the_word_gia_are_still_questions(typed):
    from bot.faq.smalltalk import classify

    assert classify(typed) is None


def test_no_covered_question_of_the_faq_sets_is_taken_for_small_talk():
    from bot.faq.smalltalk import classify

    rows = read_set(ROOT / "tests" / "data" / "faq_dev.tsv") + \
        read_set(ROOT / "tests" / "data" / "faq_heldout.tsv")
    taken = [(fid, q, classify(q)) for fid, q in rows if fid != "-" and classify(q)]
    assert taken == []


@pytest.mark.parametrize("staff", [False, True])
async def test_the_not_sure_answer_starts_no_sentence_with_hoac(tmp_path, staff):
    h = Harness(tmp_path, TEXT_ONLY)
    if staff:
        h.settings = h.settings.model_copy(update={"staff_chat": ("rec", "-100500")})
    await h.open()
    try:
        out = text_of(await h.say("con bò nhà em bị chướng bụng thì làm sao"))
        assert "Hoặc" not in out and "bấm" not in out
        assert ("Gửi câu hỏi cho cán bộ Hội" in out) == staff
    finally:
        await h.close()
