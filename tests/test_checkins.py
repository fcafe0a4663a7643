"""Check-ins: questionnaire validation, the question-by-question flow (buttons,
typed answers with and without accents, invalid answers, skip, back, resume
after a restart, review), versions, and the scheduler on a controllable clock."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.content import check
from bot.segments import parse_segment
from tests.helpers import TEXT_ONLY, Harness, actions_of, text_of

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # Monday 10:00 in Vietnam
CONTENT = Path(__file__).resolve().parent.parent / "content"


@pytest.fixture
async def bot(tmp_path):
    h = await Harness(tmp_path).open()
    h.clock.set(NOW)
    yield h
    await h.close()


async def _member(h: Harness, user: str, role: str = "coop") -> None:
    await h.say("/start", user=user)
    m = await h.member(user)
    await h.app.store.members.update(m.id, role=role, commune_code="7615")


async def _answers(h: Harness, user: str) -> dict:
    m = await h.member(user)
    rows = await h.app.store.db.fetchall(
        "SELECT a.question_id, a.value, a.number FROM checkin_answers a JOIN checkin_responses r"
        " ON r.id = a.response_id WHERE r.member_id = ?", (m.id,))
    return {r[0]: r[2] if r[2] is not None else r[1] for r in rows}


# -- questionnaire files --------------------------------------------------------------
def test_shipped_questionnaires_are_valid():
    assert check(CONTENT) == []


def test_questionnaire_problems_are_reported_with_file_and_line(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    bad = root / "checkins" / "bad.yaml"
    bad.write_text(
        "id: thu-nghiem\n"
        "title: Thử\n"
        "audience: nghe=nong\n"
        "schedule: {months: [13], day: first-mon, time: '08:00'}\n"
        "questions:\n"
        "  - id: a\n"
        "    type: slider\n"
        "    text: Câu A\n"
        "  - id: b\n"
        "    type: choice\n"
        "    text: Câu B\n"
        "    options: {x: chỉ một}\n"
        "  - id: c\n"
        "    type: number\n"
        "    text: Câu C\n"
        "    if: {d: 'yes'}\n", encoding="utf-8")
    problems = "\n".join(check(root))
    assert f"{bad}:3: audience: unknown segment field 'nghe'" in problems
    assert f"{bad}:4: schedule.months must be a list of months 1-12" in problems
    assert f"{bad}:7: unknown type 'slider'" in problems
    assert f"{bad}:12: a choice question needs at least 2 options" in problems
    assert f"{bad}:16: condition on 'd', which is not an earlier question" in problems


# -- the flow -------------------------------------------------------------------------
async def test_only_the_audience_is_offered_a_check_in(bot):
    await _member(bot, "farmer", role="farmer")
    assert "chưa có báo cáo nào dành cho bạn" in text_of(await bot.say("/baocao", user="farmer"))
    await _member(bot, "coop")
    out = await bot.say("bao cao", user="coop")  # typed, no accents
    assert "ck:c:ocop-quy" in actions_of(out) and "ck:c:hoat-dong-co-so" not in actions_of(out)


async def test_a_whole_ocop_check_in_with_invalid_answers_skip_and_review(bot):
    await _member(bot, "u1")
    await bot.say("/baocao", user="u1")
    out = await bot.press("ck:c:ocop-quy", user="u1")
    assert "Báo cáo quý về sản phẩm OCOP" in text_of(out) and "Câu 1." in text_of(out)
    assert actions_of(out)[:2] == ["ck:o:yes", "ck:o:no"]
    await bot.press("ck:o:yes", user="u1")
    out = await bot.say("Mật ong rừng Sơn Động", user="u1")
    assert "mấy sao" in text_of(out)
    out = await bot.say("hai sao", user="u1")  # text where a choice was expected
    assert "chọn một trong các phương án" in text_of(out) and "mấy sao" in text_of(out)
    out = await bot.say("4 sao", user="u1")  # the option's words
    assert "Ngày cấp" in text_of(out)
    out = await bot.say("15/06/2027", user="u1")
    assert "không thể ở tương lai" in text_of(out) and "Ngày cấp" in text_of(out)
    out = await bot.say("31/02/2025", user="u1")
    assert "không có thật" in text_of(out)
    await bot.say("15/06/2025", user="u1")
    out = await bot.say("ko", user="u1")  # online: no → the platforms question is skipped
    assert "liên kết chuỗi" in text_of(out)
    await bot.say("có", user="u1")
    await bot.say("Siêu thị BigC", user="u1")
    out = await bot.say("abc", user="u1")
    assert "gõ một con số" in text_of(out)
    out = await bot.say("200000", user="u1")
    assert "từ 0 đến 100000" in text_of(out)
    await bot.say("12,5 ha", user="u1")
    await bot.press("ck:o:yes", user="u1")  # the chain runs well
    out = await bot.press("ck:d", user="u1")  # Done with nothing chosen
    assert "chọn ít nhất một" in text_of(out)
    await bot.press("ck:t:0", user="u1")
    out = await bot.press("ck:t:2", user="u1")
    assert [b for b in actions_of(out) if b.startswith("ck:t:")] == ["ck:t:0", "ck:t:1", "ck:t:2",
                                                                      "ck:t:3", "ck:t:4"]
    assert "✅ Chợ, đại lý" in [b.label for m in out for row in m.buttons for b in row]
    await bot.press("ck:d", user="u1")
    await bot.press("ck:s", user="u1")  # difficulties: skipped
    out = await bot.press("ck:s", user="u1")  # photo: skipped
    review = text_of(out)
    assert "kiểm tra lại câu trả lời" in review
    assert "4 sao" in review and "15/06/2025" in review and "12,5" in review
    out = await bot.press("ck:send", user="u1")
    assert "Đã gửi" in text_of(out)
    got = await _answers(bot, "u1")
    assert got == {"has_product": "yes", "product": "Mật ong rừng Sơn Động", "stars": "4",
                   "certified_on": "2025-06-15", "online": "no", "chain": "yes",
                   "partner": "Siêu thị BigC", "material_area": 12.5, "chain_model": "yes",
                   "channels": '["market", "online"]'}
    assert "Bạn đã gửi" in text_of(await bot.press("ck:c:ocop-quy", user="u1"))
    seg = parse_segment("has_ocop=1", bot.app.services.communes, set())
    assert await bot.app.store.broadcasts.matches((await bot.member("u1")).id, seg)


async def test_back_changes_an_answer_and_drops_what_no_longer_applies(bot):
    await _member(bot, "u1")
    await bot.press("ck:c:ocop-quy", user="u1")
    await bot.press("ck:o:yes", user="u1")
    await bot.say("Gạo nếp cái hoa vàng", user="u1")
    out = await bot.press("ck:b", user="u1")
    assert "Tên sản phẩm" in text_of(out) and "Gạo nếp cái hoa vàng" in text_of(out)
    await bot.press("ck:b", user="u1")
    out = await bot.press("ck:o:no", user="u1")  # no product: only the common questions follow
    assert "kênh nào" in text_of(out)
    await bot.press("ck:t:1", user="u1")
    await bot.press("ck:d", user="u1")
    await bot.press("ck:s", user="u1")
    await bot.press("ck:s", user="u1")
    await bot.press("ck:send", user="u1")
    assert await _answers(bot, "u1") == {"has_product": "no", "channels": '["shop"]'}


async def test_stop_and_continue_after_a_restart(bot):
    await _member(bot, "off", role="official")
    await bot.press("ck:c:hoat-dong-co-so", user="off")
    out = await bot.say("3", user="off")
    assert "lượt hội viên" in text_of(out)
    out = await bot.press("ck:l", user="off")
    assert "gõ /baocao để làm tiếp" in text_of(out)
    await bot.restart()
    out = await bot.say("/baocao", user="off")
    assert "đang làm dở" in text_of(out)
    out = await bot.press(actions_of(out)[0], user="off")
    assert "lượt hội viên" in text_of(out) and "Câu 2." in text_of(out)
    await bot.say("1.200", user="off")  # Vietnamese thousands
    await bot.say("2", user="off")
    await bot.press("ck:s", user="off")
    await bot.press("ck:send", user="off")
    assert await _answers(bot, "off") == {"meetings": 3.0, "reached": 1200.0, "new_groups": 2.0}


async def test_choices_by_number_on_a_text_only_channel(tmp_path):
    h = await Harness(tmp_path, caps=TEXT_ONLY).open()
    try:
        h.clock.set(NOW)
        await _member(h, "z")
        await h.press("ck:c:ocop-quy", user="z")
        out = await h.say("1", user="z")  # 1. Có
        assert "Tên sản phẩm" in text_of(out)
    finally:
        await h.close()


async def test_an_edited_questionnaire_keeps_old_answers_on_their_version(bot):
    from dataclasses import replace

    await _member(bot, "a", role="official")
    await _member(bot, "b", role="official")
    await bot.press("ck:c:hoat-dong-co-so", user="a")
    lib = bot.app.services.library
    old = lib.checkins["hoat-dong-co-so"]
    edited = replace(old, questions=(replace(old.questions[0], text="Số buổi họp?"), *old.questions[1:]))
    # An editor's change, as a reload would bring it (a new library; the cached one untouched).
    bot.app.services.library = replace(lib, checkins={**lib.checkins, old.id: edited})
    await bot.press("ck:c:hoat-dong-co-so", user="b")
    rows = await bot.app.store.db.fetchall(
        "SELECT v.digest FROM checkin_responses r JOIN checkin_versions v ON v.id = r.version_id"
        " ORDER BY r.id")
    assert [r[0] for r in rows] == [old.digest, edited.digest] and old.digest != edited.digest


# -- the schedule -------------------------------------------------------------------------
async def test_scheduler_opens_invites_and_reminds_once_each(bot):
    for u, role in (("c1", "coop"), ("c2", "coop"), ("o1", "official"), ("f1", "farmer")):
        await _member(bot, u, role)
    first_monday = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam, the quarter's last month
    bot.clock.set(first_monday - timedelta(minutes=1))
    assert await bot.app.checkin_tick() == []
    bot.clock.set(first_monday)
    made = await bot.app.checkin_tick()
    assert len(made) == 2  # one invitation per questionnaire
    assert await bot.app.checkin_tick() == []  # never twice
    start = len(bot.channel.sent)
    await bot.app.broadcaster.tick()
    sent = {c: m.text for c, m in bot.channel.sent[start:]}
    assert "Báo cáo quý về sản phẩm OCOP" in sent["c1"] and "/baocao" in sent["c1"]
    assert "Hoạt động của Hội cơ sở" in sent["o1"] and "f1" not in sent
    # c1 answers; a week later only c2 is reminded.
    await bot.press("ck:c:ocop-quy", user="c1")
    await bot.press("ck:o:no", user="c1")
    await bot.press("ck:t:0", user="c1")
    for action in ("ck:d", "ck:s", "ck:s", "ck:send"):
        await bot.press(action, user="c1")
    run = await bot.app.store.checkins.run_for("ocop-quy", "2027-Q1")
    assert run.opens_at == first_monday
    bot.clock.set(first_monday + timedelta(days=7))
    await bot.restart()  # the rows decide, whatever restarts happen
    assert len(await bot.app.checkin_tick()) == 2
    await bot.app.broadcaster.tick()
    reminded = [c for c, m in bot.channel.sent if "Nhắc nhở" in m.text]  # the new process's channel
    assert sorted(reminded) == ["c2", "o1"]


async def test_a_questionnaire_whose_audience_cannot_be_read_does_not_hold_up_the_others(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    path = content / "checkins" / "hoat-dong-co-so.yaml"  # read first
    path.write_text(path.read_text(encoding="utf-8").replace(
        "audience: role=official", "audience: role=official, commune=Quận 1"), encoding="utf-8")
    h = await Harness(tmp_path, NHANONG_CONTENT=str(content)).open()
    try:
        await _member(h, "c1", "coop")
        await _member(h, "o1", "official")
        first_monday = datetime(2027, 3, 1, 1, 0, tzinfo=UTC)
        h.clock.set(first_monday)
        assert len(await h.app.checkin_tick()) == 1  # the OCOP one goes out
        await h.app.broadcaster.tick()
        sent = {c: m.text for c, m in h.channel.sent}
        assert "Báo cáo quý về sản phẩm OCOP" in sent["c1"] and "Hoạt động" not in sent.get("o1", "")
        # Nothing of the broken one was claimed: once the editors fix it, it opens.
        path.write_text(path.read_text(encoding="utf-8").replace(", commune=Quận 1", ""),
                        encoding="utf-8")
        assert await h.app.reload_content()
        assert len(await h.app.checkin_tick()) == 1
        await h.app.broadcaster.tick()
        assert any("Hoạt động của Hội cơ sở" in m.text for c, m in h.channel.sent if c == "o1")
    finally:
        await h.close()
