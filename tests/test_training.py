"""Training courses: sign-up with a full and an empty profile, the waiting list,
cancelling, course cancellation, reminders on a controllable clock, the
last-seat race, attendance and the export — real engine, real SQLite file."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook

from bot.course_sheets import export_registrations, import_attendance
from bot.i18n import Problem, translator
from bot.sheets import SheetError
from bot.store import Store
from bot.training import parse_course, planner
from tests.helpers import Harness, actions_of, labels_of, text_of

# Monday 30 Nov 2026, 10:00 in Vietnam; the course is on Friday 4 Dec, 08:00-11:30.
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
COURSE = {"title": "Lập hồ sơ sản phẩm OCOP", "start": "08:00 04/12/2026", "end": "11:30",
          "venue": "Hội trường UBND xã", "commune": "Sơn Động", "capacity": "2",
          "audience": "", "description": "Mang theo giấy tờ sản phẩm."}


@pytest.fixture
async def bot(tmp_path):
    h = await Harness(tmp_path).open()
    h.clock.set(NOW)
    yield h
    await h.close()


async def _course(h: Harness, **over: str) -> int:
    s = h.app.services
    fields = parse_course({**COURSE, **over}, s.communes, s.settings, h.clock.now())
    return await h.app.store.courses.create(fields, "rec:staff1", h.clock.now())


async def _profiled(h: Harness, user: str, role: str = "farmer", **extra) -> None:
    await h.say("/start", user=user)
    m = await h.member(user)
    await h.app.store.members.update(m.id, full_name=f"Nguyễn Văn {user}", phone="+84912345678",
                                     commune_code="7615", role=role, **extra)


async def _signup(h: Harness, user: str, cid: int) -> list:
    await h.press(f"tr:c:{cid}", user=user)
    await h.press(f"tr:s:{cid}", user=user)
    return await h.press("tr:ok", user=user)


async def _status(h: Harness, cid: int) -> dict[str, str]:
    return {p.name: p.status for p in await h.app.store.courses.registrants(cid)}


def _sent_to(h: Harness, chat: str) -> str:
    return "\n\n".join(m.text for c, m in h.channel.sent if c == chat)


# -- staff input ------------------------------------------------------------------
@pytest.mark.parametrize(("field", "value", "why"), [
    ("start", "08:00 01/01/2026", "in the past"),
    ("capacity", "0", "whole number from 1"),
    ("capacity", "hai mươi", "whole number from 1"),
    ("commune", "Quận 1", "unknown commune"),
    ("end", "07:00", "end after it starts"),
    ("deadline", "09:00 04/12/2026", "close before the course starts"),
    ("audience", "chủ tịch", "unknown role"),
    ("start", "thứ sáu tuần sau", "not a time"),
])
async def test_bad_course_input_is_refused_and_creates_nothing(bot, field, value, why):
    s = bot.app.services
    with pytest.raises(Problem, match=why):
        parse_course({**COURSE, field: value}, s.communes, s.settings, bot.clock.now())
    assert await bot.app.store.courses.upcoming(bot.clock.now()) == []


def test_commune_and_roles_typed_any_way(tmp_path):
    h = Harness(tmp_path)
    from bot.geo import communes_of

    fields = parse_course({**COURSE, "commune": "son dong", "audience": "Cán bộ Hội, htx|coop"},
                          communes_of("Bắc Ninh"), h.settings, NOW)
    assert fields["commune_code"] == "7615"
    assert fields["audience"] == ("official", "coop")
    assert fields["deadline_at"] == fields["starts_at"]


# -- signing up --------------------------------------------------------------------
async def test_signup_with_a_complete_profile_asks_nothing(bot):
    cid = await _course(bot)
    await _profiled(bot, "u1")
    out = await bot.say("/taphuan")
    assert "Lập hồ sơ sản phẩm OCOP" in labels_of(out)[0] and f"tr:c:{cid}" in actions_of(out)
    card = await bot.press(f"tr:c:{cid}")
    assert "08:00 ngày 04/12/2026 đến 11:30" in text_of(card)
    assert "Còn 2/2 chỗ" in text_of(card) and f"tr:s:{cid}" in actions_of(card)
    confirm = await bot.press(f"tr:s:{cid}")
    assert "Nguyễn Văn u1" in text_of(confirm) and "0912 345 678" in text_of(confirm)
    assert actions_of(confirm)[0] == "tr:ok"
    done = await bot.press("tr:ok")
    assert "đã đăng ký thành công" in text_of(done)
    assert await _status(bot, cid) == {"Nguyễn Văn u1": "registered"}
    listed = await bot.say("/taphuan")
    assert "Khóa bạn đã đăng ký" in text_of(listed) and "tr:x:" in actions_of(listed)[0]


@pytest.mark.parametrize("commune", ["Sơn Động", "son dong"])
async def test_signup_with_an_empty_profile_asks_what_is_missing(bot, commune):
    cid = await _course(bot)
    await bot.say("/start")
    await bot.press(f"tr:c:{cid}")
    out = await bot.press(f"tr:s:{cid}")
    assert "họ và tên" in text_of(out).lower()
    assert "2 đến 100 chữ" in text_of(await bot.say("🙂"))  # not a name: asked again
    out = await bot.say("Trần Thị Bình")
    assert "Số điện thoại" in text_of(out) and out[0].ask_contact
    assert "không phải số điện thoại" in text_of(await bot.say("12ab"))
    await bot.say("0912 345 678")
    out = await bot.say(commune)
    assert "vai trò" in text_of(out).lower()
    out = await bot.press("tr:r:coop")
    assert "HTX, tổ hợp tác" in text_of(out)
    out = await bot.say("HTX Rau sạch Sơn Động")
    assert "HTX Rau sạch Sơn Động" in text_of(out) and "Sơn Động" in text_of(out)
    await bot.press("tr:ok")
    m = await bot.member()
    assert (m.full_name, m.phone, m.commune_code, m.role, m.organisation) == (
        "Trần Thị Bình", "+84912345678", "7615", "coop", "HTX Rau sạch Sơn Động")
    assert await _status(bot, cid) == {"Trần Thị Bình": "registered"}


async def test_typed_words_open_the_courses_with_or_without_accents(bot):
    await _course(bot)
    await bot.say("/start")
    for words in ("đăng ký tập huấn", "dang ky tap huan", "Tập huấn", "khoa hoc"):
        assert "Khóa tập huấn sắp tới" in text_of(await bot.say(words)), words


async def test_course_for_other_roles_is_not_offered(bot):
    cid = await _course(bot, audience="official")
    await _profiled(bot, "u1", role="farmer")
    assert f"tr:c:{cid}" not in actions_of(await bot.say("/taphuan"))
    out = await bot.press(f"tr:s:{cid}")
    assert "chỉ dành cho" in text_of(out)
    assert await _status(bot, cid) == {}


# -- the waiting list, cancelling -----------------------------------------------------
async def test_full_course_offers_the_waiting_list_and_a_freed_seat_moves_the_first_in(bot):
    cid = await _course(bot, capacity="1")
    for u in ("a", "b", "c"):
        await _profiled(bot, u)
    await _signup(bot, "a", cid)
    card = await bot.press(f"tr:c:{cid}", user="b")
    assert "Đã đủ chỗ" in text_of(card) and f"tr:w:{cid}" in actions_of(card)
    await bot.press(f"tr:w:{cid}", user="b")
    out = await bot.press("tr:ok", user="b")
    assert "danh sách chờ" in text_of(out)
    await bot.press(f"tr:w:{cid}", user="c")
    await bot.press("tr:ok", user="c")
    assert "danh sách chờ, thứ 2" in text_of(await bot.say("/taphuan", user="c"))
    # a cancels: b (first in line) takes the seat and is told; c moves up.
    listed = await bot.say("/taphuan", user="a")
    reg = next(x for x in actions_of(listed) if x.startswith("tr:x:"))
    assert "Hủy đăng ký" in text_of(await bot.press(reg, user="a"))
    await bot.press(reg.replace("tr:x:", "tr:xx:"), user="a")
    assert (await _status(bot, cid)) == {"Nguyễn Văn a": "cancelled", "Nguyễn Văn b": "registered",
                                         "Nguyễn Văn c": "waitlisted"}
    assert await bot.app.notices.tick() == 1
    assert "Đã có chỗ trống dành cho bạn" in _sent_to(bot, "b")
    # a notice about a course the person registered for (a Zalo OA transaction message)
    assert {m.purpose for c, m in bot.channel.sent if c == "b" and "Đã có chỗ trống" in m.text} \
        == {"notice"}
    assert "danh sách chờ, thứ 1" in text_of(await bot.say("/taphuan", user="c"))


async def test_someone_else_cannot_cancel_my_registration(bot):
    cid = await _course(bot)
    await _profiled(bot, "a")
    await _profiled(bot, "b")
    await _signup(bot, "a", cid)
    reg = (await bot.app.store.courses.registrants(cid))[0].registration_id
    out = await bot.press(f"tr:xx:{reg}", user="b")
    assert "không (còn) đăng ký" in text_of(out)
    assert await _status(bot, cid) == {"Nguyễn Văn a": "registered"}


async def test_last_seat_taken_while_confirming_offers_the_waiting_list(bot):
    cid = await _course(bot, capacity="1")
    await _profiled(bot, "a")
    await _profiled(bot, "b")
    await bot.press(f"tr:c:{cid}", user="b")
    await bot.press(f"tr:s:{cid}", user="b")  # b looks at the confirmation screen …
    await _signup(bot, "a", cid)  # … while a takes the seat
    out = await bot.press("tr:ok", user="b")
    assert "chỗ cuối cùng vừa có người đăng ký" in text_of(out)
    await bot.press("tr:ok", user="b")
    assert await _status(bot, cid) == {"Nguyễn Văn a": "registered", "Nguyễn Văn b": "waitlisted"}


async def test_last_seat_race_only_one_gets_it(bot, tmp_path):
    cid = await _course(bot, capacity="1")
    ids = []
    for i in range(30):
        m = await bot.app.store.members.seen("rec", f"r{i}", f"r{i}", None, "vi", NOW)
        ids.append(m.id)
    # Two connections to the same file (as the bot and another process would be).
    other = await Store(bot.settings.db).open()
    try:
        plan = planner(bot.settings, NOW)
        results = await asyncio.gather(*[
            (bot.app.store if i % 2 else other).courses.register(cid, mid, NOW, plan, waitlist=False)
            for i, mid in enumerate(ids)])
    finally:
        await other.close()
    assert sorted(results).count("registered") == 1 and results.count("full") == 29
    course = await bot.app.store.courses.get(cid)
    assert course.taken == 1


async def _one_seat_and_one_waiting(h: Harness) -> int:
    """A one-seat course: a holds the seat, b waits."""
    cid = await _course(h, capacity="1")
    await _profiled(h, "a")
    await _profiled(h, "b")
    await _signup(h, "a", cid)
    await h.press(f"tr:w:{cid}", user="b")
    await h.press("tr:ok", user="b")
    return cid


async def test_course_cancellation_tells_everyone_and_drops_reminders(bot):
    cid = await _one_seat_and_one_waiting(bot)
    out = await bot.press(f"kh:x:{cid}", user="staff1")
    assert "Hủy khóa" in text_of(out)
    out = await bot.press(f"kh:xx:{cid}", user="staff1")
    assert "sẽ báo cho 2 người" in text_of(out)
    assert await bot.app.notices.tick() == 2
    assert "khóa học này đã bị hủy" in _sent_to(bot, "a") and "đã bị hủy" in _sent_to(bot, "b")
    bot.clock.set(datetime(2026, 12, 3, 1, 0, tzinfo=UTC))
    assert await bot.app.notices.tick() == 0  # no reminder for a cancelled course
    assert f"tr:c:{cid}" not in actions_of(await bot.say("/taphuan", user="a"))


async def test_staff_buttons_are_refused_to_members(bot):
    cid = await _course(bot)
    await _profiled(bot, "a")
    out = await bot.press(f"kh:xx:{cid}", user="a")
    assert "chỉ dành cho cán bộ" in text_of(out)
    assert (await bot.app.store.courses.get(cid)).state == "open"


# -- reminders ------------------------------------------------------------------------
def _at(day: int, hh: int, mm: int = 0) -> datetime:
    """A local (Vietnam) time in December 2026, as UTC."""
    return datetime(2026, 12, day, hh, mm, tzinfo=UTC) - timedelta(hours=7)


async def _ticks_until(h: Harness, when: datetime) -> None:
    h.clock.set(when)
    await h.app.notices.tick()


async def test_reminders_three_days_before_the_day_before_and_on_the_day(bot):
    cid = await _course(bot, start="08:00 10/12/2026", end="11:30")
    await _profiled(bot, "a")
    await _signup(bot, "a", cid)
    await _ticks_until(bot, _at(7, 7, 59))
    assert "Nhắc lịch" not in _sent_to(bot, "a")
    await _ticks_until(bot, _at(7, 8, 0))
    assert "còn 3 ngày nữa" in _sent_to(bot, "a")
    await _ticks_until(bot, _at(9, 6, 59))
    assert "ngày mai" not in _sent_to(bot, "a")
    await _ticks_until(bot, _at(9, 7, 0))
    assert "ngày mai" in _sent_to(bot, "a")
    await _ticks_until(bot, _at(10, 6, 0))
    text = _sent_to(bot, "a")
    assert "Hôm nay là buổi tập huấn" in text and "Hội trường UBND xã, Xã Sơn Động" in text
    assert text.count("⏰") == 3
    await _ticks_until(bot, _at(10, 7, 0))
    assert _sent_to(bot, "a").count("⏰") == 3  # each once


async def test_reminder_times_are_configurable(tmp_path):
    h = await Harness(tmp_path, NHANONG_REMINDERS="2d 18:30").open()
    try:
        h.clock.set(NOW)
        cid = await _course(h, start="08:00 10/12/2026")
        await _profiled(h, "a")
        await _signup(h, "a", cid)
        await _ticks_until(h, _at(8, 18, 29))
        assert "Nhắc lịch" not in _sent_to(h, "a")
        await _ticks_until(h, _at(8, 18, 30))
        assert "còn 2 ngày nữa" in _sent_to(h, "a")
    finally:
        await h.close()


async def test_bot_down_sends_the_latest_missed_reminder_if_the_course_has_not_started(bot):
    cid = await _course(bot, start="08:00 10/12/2026")
    await _profiled(bot, "a")
    await _signup(bot, "a", cid)
    await bot.restart()  # down from now until the morning of the course
    bot.clock.set(_at(10, 7, 0))
    await bot.app.notices.tick()
    text = _sent_to(bot, "a")
    assert "Hôm nay là buổi tập huấn" in text and text.count("⏰") == 1


async def test_bot_down_past_the_start_drops_the_reminders(bot):
    cid = await _course(bot, start="08:00 10/12/2026")
    await _profiled(bot, "a")
    await _signup(bot, "a", cid)
    await bot.restart()
    bot.clock.set(_at(10, 8, 30))
    assert await bot.app.notices.tick() == 0
    assert "⏰" not in _sent_to(bot, "a")
    counts = await bot.app.store.courses.notice_counts()
    assert counts == {("d0", "dropped"): 1, ("d1", "dropped"): 1, ("d3", "dropped"): 1}


async def test_quiet_hours_hold_a_notice_until_morning(bot):
    cid = await _course(bot, start="08:00 10/12/2026", capacity="1")
    await _profiled(bot, "a")
    await _profiled(bot, "b")
    await _signup(bot, "a", cid)
    await bot.press(f"tr:w:{cid}", user="b")
    await bot.press("tr:ok", user="b")
    bot.clock.set(_at(5, 22, 0))
    reg = (await bot.app.store.courses.registrants(cid))[0].registration_id
    await bot.press(f"tr:xx:{reg}", user="a")
    assert await bot.app.notices.tick() == 0  # 22:00: not now
    await _ticks_until(bot, _at(6, 6, 0))
    assert "Đã có chỗ trống" in _sent_to(bot, "b")


# -- attendance, feedback, export ---------------------------------------------------------
async def _past_course_with(h: Harness, users: list[str]) -> int:
    cid = await _course(h, capacity="10")
    for u in users:
        await _profiled(h, u, role="coop", organisation=f"HTX {u}")
        await _signup(h, u, cid)
    h.clock.set(_at(4, 12, 0))  # after the course
    return cid


async def test_export_opened_back_cell_by_cell(bot, tmp_path):
    cid = await _past_course_with(bot, ["a", "b"])
    path = tmp_path / "ds.xlsx"
    t = translator("vi")
    n = await export_registrations(bot.app.store, cid, path, "xlsx", t, bot.app.services.communes,
                                   by="cli:tester", now=bot.clock.now())
    assert n == 2
    wb = load_workbook(path)
    ws = wb["Người đăng ký"]
    assert [c.value for c in ws[1]][:10] == [
        "STT", "Mã đăng ký", "Họ và tên", "Số điện thoại", "Xã/phường", "Vai trò", "Tổ chức",
        "Trạng thái", "Ngày đăng ký", "Có mặt (x)"]
    row = [c.value for c in ws[2]]
    assert row[2] == "Nguyễn Văn a" and row[3] == "0912 345 678" and ws.cell(2, 4).number_format == "@"
    assert row[4] == "Xã Sơn Động" and row[6] == "HTX a" and row[7] == "Đã đăng ký"
    assert row[8] == "10:00 ngày 30/11/2026"
    about = dict(wb["About"].iter_rows(values_only=True))
    assert about["Người xuất"] == "cli:tester"
    audit = await bot.app.store.db.fetchall("SELECT actor, action FROM audit_log WHERE action LIKE 'export%'")
    assert [tuple(r) for r in audit] == [("cli:tester", "export.registrations")]
    csv_path = tmp_path / "ds.csv"
    await export_registrations(bot.app.store, cid, csv_path, "csv", t, bot.app.services.communes,
                               by="cli:tester", now=bot.clock.now())
    lines = csv_path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("STT,Mã đăng ký,Họ và tên,Số điện thoại") and "0912 345 678" in lines[1]


async def test_sign_in_sheet_import_marks_attendance_and_attendees_get_feedback(bot, tmp_path):
    cid = await _past_course_with(bot, ["a", "b", "c"])
    people = {p.name: p.registration_id for p in await bot.app.store.courses.registrants(cid)}
    sheet = tmp_path / "ky-ten.csv"
    sheet.write_text("Mã đăng ký;Họ và tên;Có mặt\n"
                     f"{people['Nguyễn Văn a']};Nguyễn Văn a;x\n"
                     f";nguyen van b;có\n"
                     f"{people['Nguyễn Văn c']};Nguyễn Văn c;\n", encoding="utf-8")
    found = await import_attendance(bot.app.store, cid, sheet, by="cli:t", now=bot.clock.now())
    assert (len(found.present), len(found.absent)) == (2, 1)
    assert await _status(bot, cid) == {"Nguyễn Văn a": "attended", "Nguyễn Văn b": "attended",
                                       "Nguyễn Văn c": "no_show"}
    assert await bot.app.notices.tick() == 2
    assert "Khóa học có ích" in _sent_to(bot, "a") and "Khóa học có ích" not in _sent_to(bot, "c")
    out = await bot.press(f"tr:fb:{people['Nguyễn Văn a']}:5", user="a")
    assert "góp ý" in text_of(out)
    await bot.say("Rất hữu ích, cần thêm ví dụ", user="a")
    p = next(x for x in await bot.app.store.courses.registrants(cid) if x.name == "Nguyễn Văn a")
    assert (p.feedback_score, p.feedback_comment) == (5, "Rất hữu ích, cần thêm ví dụ")
    await bot.press(f"tr:fb:{people['Nguyễn Văn b']}:4", user="b")
    card = await bot.press(f"kh:c:{cid}", user="staff1")
    assert "Đánh giá: 4,5/5 từ 2 người" in text_of(card)
    trained = await bot.app.store.courses.trained()
    assert trained == [("coop", "7615", 2)]


@pytest.mark.parametrize(("content", "why"), [
    ("Tuổi;Quê quán\n3;Bắc Ninh\n", "must name a column"),
    ("Mã đăng ký;Có mặt\n999;x\n", "no registrant matches line"),
    ("", "empty"),
])
async def test_malformed_sign_in_sheet_changes_nothing(bot, tmp_path, content, why):
    cid = await _past_course_with(bot, ["a"])
    sheet = tmp_path / "bad.csv"
    sheet.write_text(content, encoding="utf-8")
    with pytest.raises(SheetError, match=why):
        await import_attendance(bot.app.store, cid, sheet, by="cli:t", now=bot.clock.now())
    assert await _status(bot, cid) == {"Nguyễn Văn a": "registered"}


async def test_damaged_xlsx_is_refused(bot, tmp_path):
    cid = await _past_course_with(bot, ["a"])
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(SheetError, match="cannot be read as a spreadsheet"):
        await import_attendance(bot.app.store, cid, bad, by="cli:t", now=bot.clock.now())


async def test_attendance_in_the_chat(bot):
    cid = await _past_course_with(bot, ["a", "b"])
    out = await bot.press(f"kh:a:{cid}:0", user="staff1")
    toggles = [a for a in actions_of(out) if a.startswith("kh:t:")]
    assert len(toggles) == 2 and "⬜" in labels_of(out)[0]
    out = await bot.press(toggles[0], user="staff1")
    assert "✅" in labels_of(out)[0]
    out = await bot.press(f"kh:ad:{cid}", user="staff1")
    assert "1 có mặt, 1 vắng" in text_of(out)
    assert await _status(bot, cid) == {"Nguyễn Văn a": "attended", "Nguyễn Văn b": "no_show"}


async def test_staff_create_a_course_in_the_chat(bot):
    await bot.say("/khoahoc", user="staff1")
    out = await bot.press("kh:new", user="staff1")
    assert "bước 1/9" in text_of(out)
    await bot.say("Kỹ năng bán hàng trên sàn TMĐT", user="staff1")
    out = await bot.say("08:00 01/01/2026", user="staff1")
    assert "“08:00 01/01/2026” là thời điểm đã qua" in text_of(out)
    assert "Bước 2/9" in text_of(out)
    for answer in ("8h 15/12/2026", "11:00", "Nhà văn hoá thôn Đông", "son dong"):
        await bot.say(answer, user="staff1")
    out = await bot.say("không", user="staff1")
    assert "số nguyên" in text_of(out)
    await bot.say("30", user="staff1")
    await bot.press("kh:skip", user="staff1")
    await bot.press("kh:skip", user="staff1")
    out = await bot.say("Học cách đưa sản phẩm lên sàn", user="staff1")
    assert "Tạo khóa học này?" in text_of(out) and "08:00 ngày 15/12/2026 đến 11:00" in text_of(out)
    out = await bot.press("kh:save", user="staff1")
    assert "Đã tạo khóa học số" in text_of(out)
    course = (await bot.app.store.courses.upcoming(bot.clock.now()))[0]
    assert (course.title, course.capacity, course.commune_code) == (
        "Kỹ năng bán hàng trên sàn TMĐT", 30, "7615")


async def test_broadcast_segment_course_reaches_its_registrants_only(bot):
    from bot.broadcast import create_broadcast

    cid = await _course(bot)
    for u in ("a", "b"):
        await _profiled(bot, u)
    await _signup(bot, "a", cid)
    s = bot.app.services
    _, audience = await create_broadcast(bot.app.store, bot.settings, s.communes, set(s.library.topics),
                                         by="rec:staff1", text="Đổi phòng học", segment=f"course={cid}",
                                         now=bot.clock.now())
    assert audience == 1
    await bot.app.broadcaster.tick()
    assert "Đổi phòng học" in _sent_to(bot, "a") and "Đổi phòng học" not in _sent_to(bot, "b")


async def test_staff_edit_a_course_in_the_chat(bot):
    cid = await _one_seat_and_one_waiting(bot)
    out = await bot.press(f"kh:ed:{cid}", user="staff1")
    seats = next(b.action for m in out for row in m.buttons for b in row if b.label == "Số chỗ")
    await bot.press(seats, user="staff1")
    out = await bot.say("không", user="staff1")
    assert "số nguyên" in text_of(out)
    out = await bot.say("3", user="staff1")
    assert "1 người trong danh sách chờ đã được chuyển vào" in text_of(out)
    assert "Còn 1/3 chỗ" in text_of(out)
    assert await _status(bot, cid) == {"Nguyễn Văn a": "registered", "Nguyễn Văn b": "registered"}
    start = next(b.action for m in await bot.press(f"kh:ed:{cid}", user="staff1")
                 for row in m.buttons for b in row if b.label == "Giờ bắt đầu")
    await bot.press(start, user="staff1")
    out = await bot.say("08:00 11/12/2026", user="staff1")
    assert "phải sau giờ bắt đầu" in text_of(out)  # the old end is now before the start


async def test_feedback_score_typed_on_a_text_only_channel(tmp_path):
    """The feedback notice on Zalo or the console lists 1-5: typing "5" gives the score
    (not whatever was offered before), then the comment question follows."""
    from tests.helpers import TEXT_ONLY

    h = await Harness(tmp_path, caps=TEXT_ONLY).open()
    try:
        h.clock.set(NOW)
        cid = await _past_course_with(h, ["a"])
        reg = (await h.app.store.courses.registrants(cid))[0].registration_id
        await h.say("/menu", user="a")  # something else offered meanwhile
        await h.app.store.courses.set_attendance(cid, {reg}, set(), h.clock.now(), h.clock.now())
        assert await h.app.notices.tick() == 1
        assert "1. 1" in _sent_to(h, "a") and "5. 5" in _sent_to(h, "a")
        out = await h.say("5", user="a")
        assert "góp ý" in text_of(out)
        await h.say("Rất hữu ích", user="a")
        p = (await h.app.store.courses.registrants(cid))[0]
        assert (p.feedback_score, p.feedback_comment) == (5, "Rất hữu ích")
    finally:
        await h.close()
