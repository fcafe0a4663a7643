"""The console's Training area (issue #16): a course made from the page, a farmer
signing up for it through the bot over the fake Bot API, the registrant with their
phone (the view audited), attendance ticked, the Excel export (the same sheet as
/xuat and the command line); editing and cancelling tell the registrants; bad input
is refused politely with what was typed kept."""

from __future__ import annotations

import re
from datetime import timedelta

import openpyxl

from tests.console_rig import csrf_of

FARMER = 4242
FORM = {"title": "Lập hồ sơ sản phẩm OCOP", "start": "2026-03-02T14:00", "end": "2026-03-02T16:30",
        "venue": "Hội trường UBND xã", "commune": "", "capacity": "20", "audience": "",
        "deadline": "", "description": "Mang theo giấy tờ sản phẩm."}


async def _farmer_signs_up(rig, cid: int) -> None:
    """A farmer with a profile registers through the bot (as in tests/test_training.py)."""
    rig.fake.user_command(FARMER, "/start")
    await rig.fake.wait_for_sent(FARMER, 2)
    member = await rig.store.members.find("telegram", str(FARMER))
    assert member is not None
    await rig.store.members.update(member.id, full_name="Nguyễn Văn Ba", phone="+84912345678",
                                   commune_code=next(iter(rig.app.services.communes)).code,
                                   role="farmer")
    for data in (f"tr:c:{cid}", f"tr:s:{cid}", "tr:ok"):
        answered = len(rig.fake.calls_to("answerCallbackQuery"))
        rig.fake.user_callback(FARMER, data)
        await rig.fake.wait_until(
            lambda n=answered: len(rig.fake.calls_to("answerCallbackQuery")) > n)
    await rig.fake.wait_until(
        lambda: any("đăng ký thành công" in x for x in rig.fake.texts(FARMER)))
    regs = await rig.store.courses.registrants(cid)
    assert [p.status for p in regs] == ["registered"], regs


async def _create(rig, client, **over) -> int:
    form = (await client.get("/console/training/new")).text
    r = await client.post("/console/training/new", data={**FORM, **over, "csrf": csrf_of(form)})
    assert r.status_code == 303, r.text[:500]
    return int(re.search(r"/training/(\d+)$", r.headers["Location"]).group(1))


async def test_staff_run_a_course_from_the_page_in_a_real_browser(rig, page):
    link = await rig.link()
    await page.goto(link)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.goto(rig.base + "/console/training")
    await page.get_by_role("link", name="Tạo khóa học", exact=True).click()
    await page.get_by_label("Tên khóa học").fill(FORM["title"])
    await page.get_by_label("Giờ bắt đầu").fill(FORM["start"])
    await page.get_by_label("Giờ kết thúc").fill(FORM["end"])
    await page.get_by_label("Địa điểm").fill(FORM["venue"])
    await page.get_by_label("Số chỗ").fill("20")
    await page.get_by_role("button", name="Tạo khóa học này").click()
    await page.wait_for_url(re.compile(r".*/console/training/\d+$"))
    cid = int(page.url.rsplit("/", 1)[1])
    await page.goto(rig.base + "/console/training")
    row = page.get_by_role("row").filter(has_text=FORM["title"])
    await row.get_by_text("0/20").wait_for()

    await _farmer_signs_up(rig, cid)
    await page.reload()
    await row.get_by_text("1/20").wait_for()  # seats taken / capacity
    await row.get_by_role("link", name=FORM["title"]).click()
    await page.wait_for_url(f"**/console/training/{cid}")
    person = page.get_by_role("row").filter(has_text="Nguyễn Văn Ba")
    await person.get_by_text("0912 345 678").wait_for()
    actions = [a["action"] for a in await rig.store.audit.recent()]
    assert "web.course.create" in actions and "web.course.registrants" in actions

    rig.clock.advance(timedelta(hours=2, minutes=30).total_seconds())  # the course has begun
    await page.reload()
    await person.get_by_role("checkbox").check()
    await page.get_by_role("button", name="Lưu điểm danh").click()
    await page.get_by_text("Đã lưu điểm danh.").wait_for()
    assert [p.status for p in await rig.store.courses.registrants(cid)] == ["attended"]

    async with page.expect_download() as info:
        await page.get_by_role("link", name="Xuất Excel").click()
    download = await info.value
    path = rig.tmp_path / "export.xlsx"
    await download.save_as(path)
    book = openpyxl.load_workbook(path)
    rows = [list(r) for r in book["Người đăng ký"].iter_rows(values_only=True)]
    head = next(i for i, r in enumerate(rows) if r and r[0] == "STT")
    assert rows[head + 1][2:4] == ["Nguyễn Văn Ba", "0912 345 678"]
    assert rows[head + 1][9] == "x"
    assert "export.registrations" in [a["action"] for a in await rig.store.audit.recent()]


async def test_editing_and_cancelling_a_course_tell_the_registrants(rig):
    link = await rig.link()
    async with rig.http(link) as client:
        cid = await _create(rig, client)
        await _farmer_signs_up(rig, cid)
        page = (await client.get(f"/console/training/{cid}/edit")).text
        assert 'value="Hội trường UBND xã"' in page
        n = len(rig.fake.sent(FARMER))
        r = await client.post(f"/console/training/{cid}/edit", data={
            **FORM, "venue": "Nhà văn hóa thôn 3", "capacity": "30", "csrf": csrf_of(page)})
        assert r.status_code == 303
        course = await rig.store.courses.get(cid)
        assert course.venue == "Nhà văn hóa thôn 3" and course.capacity == 30
        page = (await client.get(f"/console/training/{cid}")).text
        r = await client.post(f"/console/training/{cid}/cancel", data={"csrf": csrf_of(page)})
        assert r.status_code == 303
        assert (await rig.store.courses.get(cid)).state == "cancelled"
        rig.clock.advance(21)  # the notice sender's round (every 20 s)
        sent = await rig.fake.wait_for_sent(FARMER, n + 1)
        assert any("đã bị hủy" in str(m.get("text", "")) and "Nhà văn hóa thôn 3" in str(m.get("text", ""))
                   for m in sent[n:]), sent[n:]
        actions = [a["action"] for a in await rig.store.audit.recent()]
        assert "web.course.edit" in actions and "web.course.cancel" in actions


async def test_bad_course_input_is_refused_politely_and_what_was_typed_is_kept(rig):
    link = await rig.link()
    async with rig.http(link) as client:
        form = (await client.get("/console/training/new")).text
        token = csrf_of(form)
        for over, says in (({"end": "2026-03-02T13:00"}, "giờ kết thúc phải sau giờ bắt đầu"),
                           ({"capacity": "0"}, "số chỗ"), ({"capacity": "abc"}, "số chỗ")):
            r = await client.post("/console/training/new", data={**FORM, **over, "csrf": token})
            assert r.status_code == 400
            assert "Vui lòng kiểm tra" in r.text and says in r.text.lower(), (over, r.text[-2000:])
            assert 'value="Hội trường UBND xã"' in r.text
            assert f'value="{over.get("capacity", "20")}"' in r.text
        assert await rig.store.courses.listing(rig.clock.now() - timedelta(days=400)) == []
        cid = await _create(rig, client)
        page = (await client.get(f"/console/training/{cid}/edit")).text
        r = await client.post(f"/console/training/{cid}/edit", data={
            **FORM, "capacity": "abc", "venue": "Chỗ khác", "csrf": csrf_of(page)})
        assert r.status_code == 400 and 'value="abc"' in r.text and 'value="Chỗ khác"' in r.text
        course = await rig.store.courses.get(cid)
        assert course.capacity == 20 and course.venue == FORM["venue"]


async def test_a_course_under_way_can_still_be_edited(rig):
    """The form sends every field back; only those changed are checked, so a start that
    is now in the past is not refused."""
    link = await rig.link()
    async with rig.http(link) as client:
        cid = await _create(rig, client)
        rig.clock.advance(timedelta(hours=2, minutes=30).total_seconds())
        page = (await client.get(f"/console/training/{cid}/edit")).text
        values = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
        r = await client.post(f"/console/training/{cid}/edit", data={
            **FORM, "start": values["start"], "end": values["end"],
            "deadline": values["deadline"], "venue": "Nhà văn hóa thôn 3",
            "csrf": csrf_of(page)})
        assert r.status_code == 303, r.text[-1500:]
        assert (await rig.store.courses.get(cid)).venue == "Nhà văn hóa thôn 3"
