"""Staff flows without dead ends (issue #13): /guitin's preview, the course wizard and
course edit, /huytin, attendance and /xuat, each on a text-only channel (console, Zalo)
and on a channel with buttons (Telegram) — the real app on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.training import parse_course
from bot.types import Capabilities
from tests.helpers import TEXT_ONLY, Harness, labels_of, text_of

# Monday 30 Nov 2026, 10:00 in Vietnam (the fourth quarter).
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
TELEGRAM = Capabilities(buttons=True, max_text=4096, markup="html", contact_button=True,
                        documents=True)
STAFF = "staff1"
COURSE = {"title": "Lập hồ sơ sản phẩm OCOP", "start": "08:00 04/12/2026", "end": "11:30",
          "venue": "Hội trường UBND xã", "commune": "Sơn Động", "capacity": "2",
          "audience": "", "description": "Mang theo giấy tờ sản phẩm."}


@pytest.fixture(params=["text", "telegram"])
async def h(request, tmp_path):
    caps = TEXT_ONLY if request.param == "text" else TELEGRAM
    harness = Harness(tmp_path, caps=caps)
    harness.clock.set(NOW)
    await harness.open()
    yield harness
    await harness.close()


def text_only(h: Harness) -> bool:
    return not h.channel.caps.buttons


class Staff:
    """Talks as the staff member and keeps every reply, to check the wording at the end."""

    def __init__(self, h: Harness) -> None:
        self.h = h
        self.seen: list[str] = []

    async def say(self, text: str):
        out = await self.h.say(text, user=STAFF)
        self.seen.append(text_of(out))
        return out

    async def choose(self, label: str):
        """Pick an offered option as the person would: its number typed on a text-only
        channel (from the numbered list), the button pressed on Telegram."""
        if text_only(self.h):
            state = await self.h.state(STAFF)
            labels = [lab for lab, _ in state.offered]
            if state.data.get("_typed"):  # listed as words to type, not numbered
                return await self.say(next(lab for lab in labels if label in lab))
            n = next(i for i, lab in enumerate(labels, 1) if label in lab)
            return await self.say(str(n))
        out = await self.h.press(self._action(label), user=STAFF)
        self.seen.append(text_of(out))
        return out

    def _action(self, label: str) -> str:
        for _, msg in reversed(self.h.channel.sent):
            for row in msg.buttons:
                for b in row:
                    if label in b.label:
                        return b.action
        raise AssertionError(f"no button {label!r}")

    async def state(self):
        return await self.h.state(STAFF)

    def no_buttons_talk(self) -> None:
        """On a text-only channel nobody is told to press a button or look "above"."""
        if text_only(self.h):
            for text in self.seen:
                low = text.lower()
                assert "bấm" not in low and "phía trên" not in low and "nút" not in low, text


def options(h: Harness, out) -> list[str]:
    """The options a reply offers, as the person sees them on this channel."""
    if not text_only(h):
        return labels_of(out)
    return [line.split(". ", 1)[1] for m in out for line in m.text.splitlines()
            if line[:1].isdigit() and ". " in line]


async def _course(h: Harness, **over: str) -> int:
    s = h.app.services
    fields = parse_course({**COURSE, **over}, s.communes, s.settings, h.clock.now())
    return await h.app.store.courses.create(fields, "rec:staff1", h.clock.now())


# -- 1. /guitin's preview ------------------------------------------------------------------
async def _to_preview(st: Staff):
    await st.say("/guitin")
    await st.say("Họp chi hội sáng thứ Bảy")
    return await st.choose("Mọi người")


async def test_guitin_typed_segment_at_the_preview_changes_the_audience(h):
    st = Staff(h)
    m = await h.app.store.members.seen("rec", "m1", "m1", "Hộ 1", "vi", h.clock.now())
    await h.app.store.members.subscribe(m.id, h.clock.now())
    await h.app.store.members.update(m.id, commune_code="7615", role="coop")
    out = await _to_preview(st)
    assert "Gửi ngay" in " ".join(options(h, out))
    out = await st.say("commune=son dong, role=coop")
    text = text_of(out)
    assert "commune=7615, role=coop" in text or "Sơn Động" in text
    assert "1" in text and "Gửi ngay" in " ".join(options(h, out))  # the options again
    assert (await st.state()).step == "confirm"
    out = await st.choose("Hẹn giờ")
    assert "Gửi lúc nào?" in text_of(out)
    out = await st.say("hủy")
    assert (await st.state()).flow is None and "Đã hủy" in text_of(out)
    st.no_buttons_talk()


async def test_guitin_preview_answers_bad_input_with_the_options_and_numbers_still_work(h):
    st = Staff(h)
    await _to_preview(st)
    for bad in ("gửi đi", "99", "commune=Quận Một"):
        out = await st.say(bad)
        assert "Gửi ngay" in " ".join(options(h, out)), bad  # shown again
        assert (await st.state()).step == "confirm", bad
    assert "không tìm thấy xã/phường" in text_of(out)
    if text_only(h):
        out = await st.say("2")
    else:
        out = await st.say("Hẹn giờ")  # the option's words typed
    assert "Gửi lúc nào?" in text_of(out)
    out = await st.say("07:00 01/01/2026")  # in the past
    assert "đã qua" in text_of(out) and "hủy" in text_of(out)
    assert (await st.state()).step == "at"
    out = await st.say("07:30 05/12/2026")
    assert "sẽ gửi tới" in text_of(out)
    st.no_buttons_talk()


async def test_guitin_segment_step_error_asks_again(h):
    st = Staff(h)
    await st.say("/guitin")
    await st.say("Họp chi hội")
    out = await st.say("xa=son dong")
    assert "không có trường “xa”" in text_of(out)
    assert "Mọi người" in " ".join(options(h, out))  # the question and its option again
    out = await st.choose("Mọi người")
    assert "Gửi ngay" in " ".join(options(h, out))
    st.no_buttons_talk()


# -- 2 and 3. The course wizard ------------------------------------------------------------
async def test_course_wizard_checks_each_step_against_the_earlier_ones(h):
    st = Staff(h)
    await st.say("/khoahoc")
    out = await st.choose("Tạo khóa học")
    assert "bước 1/9" in text_of(out)
    await st.say("Kỹ năng bán hàng")
    await st.say("08:00 10/12/2026")
    out = await st.say("07:00")  # ends before it starts
    assert "giờ kết thúc phải sau giờ bắt đầu" in text_of(out) and "Bước 3/9" in text_of(out)
    assert (await st.state()).step == "end"
    out = await st.say("08:00 09/12/2026")
    assert "Bước 3/9" in text_of(out)
    await st.say("11:00")
    await st.say("Nhà văn hoá thôn Đông")
    await st.say("son dong")
    out = await st.say("1")  # one seat: a typed number is the answer, never "1. Hủy"
    assert "Bước 7/9" in text_of(out)
    state = await st.state()
    assert state.flow == "course_new" and state.data["values"]["capacity"] == "1"
    await st.choose("Bỏ qua")
    out = await st.say("09:00 10/12/2026")  # registration closes after the start
    assert "hạn đăng ký phải trước giờ bắt đầu" in text_of(out) and "Bước 8/9" in text_of(out)
    assert (await st.state()).step == "deadline"
    out = await st.say("17:00 09/12/2026")
    assert "Bước 9/9" in text_of(out)
    out = await st.say("Học cách đưa sản phẩm lên sàn")
    assert "Tạo khóa học này?" in text_of(out)
    out = await st.say("có lẽ")  # neither option
    assert "Tạo" in " ".join(options(h, out)) and (await st.state()).step == "confirm"
    out = await st.choose("Tạo")
    assert "Đã tạo khóa học số 1" in text_of(out)
    course = await h.app.store.courses.get(1)
    assert course.capacity == 1 and course.ends_at.hour == 4  # 11:00 in Vietnam
    st.no_buttons_talk()


async def test_course_wizard_every_bad_answer_stays_and_hủy_gets_out(h):
    st = Staff(h)
    await st.say("/khoahoc")
    await st.choose("Tạo khóa học")
    for step, bad, good in [("title", "a", "Kỹ năng bán hàng"),
                            ("start", "mai", "08:00 10/12/2026"),
                            ("end", "99", "11:00"),
                            ("venue", "x", "Nhà văn hoá"),
                            ("commune", "Quận Một", "-"),
                            ("capacity", "0", "30"),
                            ("audience", "chu tich", "nong dan")]:
        out = await st.say(bad)
        assert "⚠️" in text_of(out), (step, bad)
        assert (await st.state()).step == step, (step, bad)
        assert "Hủy" in options(h, out) or "hủy" in text_of(out).lower()
        await st.say(good)
    assert (await st.state()).step == "deadline"
    out = await st.say("hủy")
    assert (await st.state()).flow is None
    assert await h.app.store.courses.get(1) is None
    st.no_buttons_talk()


async def test_course_edit_takes_a_typed_number_and_refuses_bad_times(h):
    st = Staff(h)
    cid = await _course(h)
    await h.press(f"kh:ed:{cid}", user=STAFF)
    out = await st.choose("Số chỗ")
    out = await st.say("1")
    assert "Đã lưu" in text_of(out)
    assert (await h.app.store.courses.get(cid)).capacity == 1
    await h.press(f"kh:ed:{cid}", user=STAFF)
    await st.choose("Giờ kết thúc")
    out = await st.say("07:00 04/12/2026")
    assert "giờ kết thúc phải sau giờ bắt đầu" in text_of(out)
    assert (await st.state()).flow == "course_edit"
    out = await st.say("hủy")
    assert (await st.state()).flow is None
    st.no_buttons_talk()


# -- 4. /xuat ------------------------------------------------------------------------------
async def test_xuat_out_of_range_choice_says_what_is_valid_and_stays(h):
    st = Staff(h)
    await st.say("/xuat")
    out = await st.choose("Báo cáo Đề án")
    assert "Báo cáo kỳ nào?" in text_of(out)
    out = await st.say("99")
    assert "từ 1 đến 3" in text_of(out) if text_only(h) else "bên dưới" in text_of(out)
    assert "Quý 4/2026" in " ".join(options(h, out))  # the choices again
    assert "Có phải bạn muốn hỏi" not in text_of(out)  # not the FAQ
    out = await st.say("hủy")
    assert (await st.state()).flow is None
    st.no_buttons_talk()


# -- 5. Leaks ------------------------------------------------------------------------------
async def test_xuat_period_is_shown_the_vietnamese_way_without_escapes(tmp_path):
    h = Harness(tmp_path, caps=TEXT_ONLY)  # cannot receive files: told the command instead
    h.clock.set(NOW)
    await h.open()
    try:
        await h.say("/xuat", user=STAFF)
        await h.say("1", user=STAFF)
        out = await h.say("1", user=STAFF)
        text = text_of(out)
        assert "Quý 4/2026" in text and "--period 2026-Q4" in text and "\\" not in text
    finally:
        await h.close()


async def test_course_card_labels_the_counts(h):
    cid = await _course(h)
    out = await h.say(f"/khoahoc {cid}", user=STAFF)
    text = text_of(out)
    assert "chưa ai đăng ký" in text and "— 0" not in text


async def test_huytin_of_a_missing_broadcast_says_so(h):
    out = await h.say("/huytin 99", user=STAFF)
    assert "không có tin số 99" in text_of(out).lower()
    out = await h.say("/guilai 99", user=STAFF)
    assert "không có tin số 99" in text_of(out).lower()
    out = await h.say("/huytin", user=STAFF)
    assert "Cách gõ: /huytin 12" in text_of(out)


# -- 6. Attendance -------------------------------------------------------------------------
async def test_attendance_wording_fits_the_channel(h):
    cid = await _course(h, start="08:00 01/12/2026")
    m = await h.app.store.members.seen("rec", "a", "a", "An", "vi", h.clock.now())
    await h.app.store.members.update(m.id, full_name="Nguyễn Văn An", phone="+84912345678",
                                     commune_code="7615", role="farmer")
    await h.press(f"tr:c:{cid}", user="a")
    await h.press(f"tr:s:{cid}", user="a")
    await h.press("tr:ok", user="a")
    out = await h.press(f"kh:a:{cid}:0", user=STAFF)  # not started: there is nothing to mark
    assert "chưa bắt đầu" not in text_of(out)  # the list itself is fine to show
    offered = [a for _, a in (await h.state(STAFF)).offered]
    toggle = next(a for a in offered if a.startswith("kh:t:"))
    out = await h.press(toggle, user=STAFF)
    assert "chưa bắt đầu" in text_of(out)
    assert f"kh:c:{cid}" in [a for _, a in (await h.state(STAFF)).offered]  # a way on
    out = await h.press(f"kh:a:{cid}:0", user=STAFF)
    if text_only(h):
        assert "bấm" not in text_of(out).lower()


# -- 4, end to end over the fake Telegram and Zalo servers ---------------------------------
@pytest.fixture(params=["telegram", "zalo"])
async def platform(request):
    from tests.platforms import driver

    p = await driver(request.param)
    yield p
    await p.fake.stop()


async def test_xuat_out_of_range_end_to_end(tmp_path, platform):
    from bot.app import App
    from bot.clock import FakeClock
    from tests.helpers import make_settings

    p = platform
    staff = p.user(0)
    settings = make_settings(tmp_path, NHANONG_ADMINS=f"{p.name}:{staff}", **p.env())
    clock = FakeClock(auto=True)
    clock.set(NOW)
    app = await App(settings, clock=clock).open()
    for ch in app.channels:
        ch.poll_timeout = 1.0
    await app.start()
    try:
        p.command(staff, "/xuat")
        await p.wait_for_sent(staff, 1)
        p.choose(staff, "Báo cáo Đề án (Excel + biểu đồ)")
        assert "Báo cáo kỳ nào?" in (await p.wait_for_sent(staff, 2))[-1]
        p.say(staff, "99")
        answer = (await p.wait_for_sent(staff, 3))[-1]
        assert ("từ 1 đến 3" in answer or "bên dưới" in answer) and "Có phải bạn muốn hỏi" not in answer
        p.choose(staff, "Quý 3/2026")  # still in the question: the choices work
        texts = await p.wait_for_sent(staff, 4)
        assert "Quý 3/2026" in texts[-1] or "Báo cáo" in texts[-1]
        if p.name == "zalo":
            assert "bấm" not in " ".join(texts).lower()
    finally:
        await app.stop()


async def test_guitin_article_preview_numbers_are_the_options_on_text_only(textbot):
    h = textbot
    h.clock.set(NOW)
    await h.say("/guitin", user=STAFF)
    await h.say("bai: vietgap", user=STAFF)
    await h.say("1", user=STAFF)  # the first article found
    out = await h.say("1", user=STAFF)  # everyone
    text = text_of(out)
    assert "1. 📤 Gửi ngay" in text and "2. ⏰ Hẹn giờ" in text
    assert "Đọc bài" in text and "1. 📖" not in text  # named, not a number of its own
    out = await h.say("2", user=STAFF)
    assert "Gửi lúc nào?" in text_of(out)


async def test_refusals_end_as_sentences(h):
    st = Staff(h)
    await _to_preview(st)
    await st.choose("Hẹn giờ")
    out = await st.say("07:00 01/01/2026")
    assert "đã qua. Hoặc gõ “hủy”" in text_of(out)


# -- 6. An explorer over the staff flows' declared steps ------------------------------------
# How to reach each step of each staff flow from a fresh chat (typed or pressed as on
# the channel); the test checks the path ends there, so a renamed step is noticed.
PATHS = {
    ("bc", "text"): ["/guitin"],
    ("bc", "segment"): ["/guitin", "Họp chi hội"],
    ("bc", "confirm"): ["/guitin", "Họp chi hội", "!bc:all"],
    ("bc", "at"): ["/guitin", "Họp chi hội", "!bc:all", "!bc:at"],
    ("bc", "expires"): ["/guitin", "Họp chi hội", "!bc:all", "!bc:exp"],
    ("xuat", "what"): ["/xuat"],
    ("xuat", "period"): ["/xuat", "!rp:q"],
    ("course_edit", "field"): ["!kh:ed:1"],
    ("course_edit", "capacity"): ["!kh:ed:1", "!kh:ef:1:5"],
    ("course_edit", "end"): ["!kh:ed:1", "!kh:ef:1:2"],
    ("course_new", "title"): ["!kh:new"],
}
_WIZARD = ["Kỹ năng bán hàng", "08:00 10/12/2026", "11:00", "Nhà văn hoá", "son dong", "30",
           "-", "-", "Mô tả ngắn"]
for i, name in enumerate(["start", "end", "venue", "commune", "capacity", "audience",
                          "deadline", "description", "confirm"]):
    PATHS[("course_new", name)] = ["!kh:new", *_WIZARD[:i + 1]]
INPUTS = ["", "99", "0", "1", "xin chào", "ý kiến " * 300, "😀", "/abc", "<photo>",
          "<sticker>", "hủy"]
# Inputs that are a valid answer at that step and may finish the flow.
FINISHES = {("bc", "confirm", "1"), ("xuat", "what", "1"), ("xuat", "period", "1"),
            ("course_new", "confirm", "1"), ("course_edit", "capacity", "1"),
            ("course_edit", "capacity", "99")}


async def _send(h: Harness, what: str):
    from bot.types import InboundKind

    if what.startswith("!"):
        return await h.press(what[1:], user=STAFF)
    if what == "<photo>":
        return await h.other(InboundKind.PHOTO, user=STAFF, media="telegram-file:x")
    if what == "<sticker>":
        return await h.other(InboundKind.STICKER, user=STAFF)
    return await h.say(what, user=STAFF)


async def test_every_staff_step_answers_every_input_and_hủy_gets_out(h, capsys):
    await _course(h)
    tables = h.app.services.router.tables
    declared = {(f, s) for f in ("bc", "xuat", "course_new", "course_edit")
                for s in tables[f].steps}
    assert declared <= set(PATHS) | {("course_edit", n) for n in tables["course_edit"].steps}
    reached = []
    for (flow, step), path in PATHS.items():
        for what in INPUTS:
            await h.say("hủy", user=STAFF)
            for p in path:
                await _send(h, p)
            state = await h.state(STAFF)
            assert (state.flow, state.step) == (flow, step), (flow, step)
            out = await _send(h, what)
            text = text_of(out)
            where = (flow, step, what[:20])
            assert text.strip(), where  # never silence
            if text_only(h):
                low = text.lower()
                assert "bấm" not in low and "phía trên" not in low, (where, text)
            assert "Something went wrong" not in text and "có lỗi" not in text.lower(), where
            state = await h.state(STAFF)
            if what == "hủy":
                assert state.flow is None, where
            elif (flow, step, what) not in FINISHES and what != "/abc":
                assert state.flow == flow, (where, text)
        reached.append(f"{flow}/{step}")
    with capsys.disabled():
        print(f"\nstaff flows explored ({h.channel.caps.markup}): {len(reached)} steps × "
              f"{len(INPUTS)} inputs: {', '.join(reached)}")


async def test_course_wizard_quay_lai_goes_back_one_step(h):
    st = Staff(h)
    await h.press("kh:new", user=STAFF)
    await st.say("Kỹ năng bán hàng")
    await st.say("08:00 10/12/2026")
    out = await st.say("quay lại")
    assert "Bước 2/9" in text_of(out) and (await st.state()).step == "start"
    out = await st.say("quay lai")  # without accents
    assert "bước 1/9" in text_of(out)
    st.no_buttons_talk()
