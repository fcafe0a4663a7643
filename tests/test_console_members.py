"""The console's Members area (issue #16): search by name with or without accents,
by phone however it is typed, by commune, a page at a time; a member's profile with
their phone (the view audited), registrations and questions; names shown as text."""

from __future__ import annotations

import html
import re

from bot.training import parse_course
from tests.console_rig import STAFF
from tests.helpers import record_reads


async def _member(rig, uid: str, name: str, phone: str | None = None, code: str | None = None,
                  role: str = "farmer") -> int:
    s = rig.store
    m = await s.members.seen("telegram", uid, uid, name.split()[-1], "vi", rig.clock.now())
    await s.members.update(m.id, full_name=name, phone=phone, commune_code=code, role=role)
    await s.members.subscribe(m.id, rig.clock.now())
    return m.id


def _names(page: str) -> list[str]:
    return [html.unescape(x) for x in re.findall(r'<a href="/console/members/\d+">([^<]*)</a>', page)]


async def test_members_are_found_by_name_with_or_without_accents_by_phone_and_by_commune(rig):
    communes = list(rig.app.services.communes)
    here, there = communes[0], communes[1]
    await _member(rig, "5001", "Nguyễn Văn An", "+84912345678", here.code)
    await _member(rig, "5002", "Trần Thị Bình", "+84987654321", here.code)
    await _member(rig, "5003", "Đỗ Văn Cường", None, there.code)
    async with rig.http(await rig.link()) as client:
        for typed in ("nguyen van an", "Nguyễn Văn An", "NGUYEN VAN", "0912 345 678",
                      "+84912345678", "0912.345.678"):
            r = await client.get("/console/members", params={"q": typed})
            assert r.status_code == 200 and _names(r.text) == ["Nguyễn Văn An"], (typed, _names(r.text))
        assert _names((await client.get("/console/members", params={"q": "do van cuong"})).text) \
            == ["Đỗ Văn Cường"]
        r = await client.get("/console/members", params={"commune": here.name})
        assert _names(r.text) == ["Nguyễn Văn An", "Trần Thị Bình"]
        r = await client.get("/console/members", params={"q": "binh", "commune": here.name})
        assert _names(r.text) == ["Trần Thị Bình"]
        r = await client.get("/console/members", params={"q": "binh", "commune": there.name})
        assert _names(r.text) == [] and "Không tìm thấy ai." in r.text
        r = await client.get("/console/members", params={"commune": "Xã Không Có Thật"})
        assert "Trong tỉnh không có xã/phường" in r.text
        listed = (await client.get("/console/members", params={"q": "nguyen"})).text
        assert "0912 345 678" not in listed.split("<tbody>", 1)[1]  # phones on the profile only
    finds = [a for a in await rig.store.audit.recent() if a["action"] == "web.members.find"]
    assert finds and all(a["actor"] == f"telegram:{STAFF}" for a in finds)


async def test_results_come_a_page_at_a_time(rig):
    for i in range(25):
        await _member(rig, str(6000 + i), f"Lê Văn Số {i:02d}")
    async with rig.http(await rig.link()) as client:
        first = (await client.get("/console/members", params={"q": "le van so"})).text
        assert len(_names(first)) == 20 and "Trang sau" in first and "Trang trước" not in first
        second = (await client.get("/console/members", params={"q": "le van so", "page": "2"})).text
        assert _names(second) == [f"Lê Văn Số {i}" for i in range(20, 25)]
        assert "Trang trước" in second and "Trang sau" not in second


async def test_a_profile_shows_phone_registrations_and_questions_and_the_view_is_audited(rig):
    mid = await _member(rig, "5001", "Nguyễn Văn An", "+84912345678",
                        next(iter(rig.app.services.communes)).code)
    s = rig.app.services
    now = rig.clock.now()
    fields = parse_course({"title": "Lập hồ sơ sản phẩm OCOP", "start": "08:00 10/03/2026",
                           "end": "11:30", "venue": "Hội trường UBND xã", "capacity": "5"},
                          s.communes, s.settings, now)
    cid = await rig.store.courses.create(fields, "telegram:777", now)
    assert await rig.store.courses.register(cid, mid, now, lambda c: [], waitlist=False) \
        == "registered"
    await rig.store.questions.add(mid, "Con trâu nhà em bỏ ăn thì làm thế nào?", "con trau",
                                  None, 0.0, now)
    async with rig.http(await rig.link()) as client:
        r = await client.get(f"/console/members/{mid}")
        assert r.status_code == 200
        text = html.unescape(r.text)
        assert "0912 345 678" in text and "Đang nhận tin" in text and "Hội viên nông dân" in text
        assert "Lập hồ sơ sản phẩm OCOP" in text and "Đã đăng ký" in text
        assert "Con trâu nhà em bỏ ăn thì làm thế nào?" in text
        assert (await client.get("/console/members/999999")).status_code == 404
        assert (await client.get("/console/members/99999999999999999999999")).status_code == 404
        r = await client.get("/console/members", params={"q": "nguyen", "page": "9" * 30})
        assert r.status_code == 200
    views = [a for a in await rig.store.audit.recent() if a["action"] == "web.member.view"]
    assert len(views) == 1 and views[0]["actor"] == f"telegram:{STAFF}"


async def test_a_name_like_a_script_shows_as_text(rig):
    mid = await _member(rig, "5009", "<script>alert(1)</script>")
    async with rig.http(await rig.link()) as client:
        for r in (await client.get("/console/members", params={"q": "script alert"}),
                  await client.get(f"/console/members/{mid}")):
            assert r.status_code == 200
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
            assert "<script>alert(1)" not in r.text


async def test_the_search_by_phone_and_by_commune_reads_an_index(rig):
    """At 250,000 members a search must not read every row: the phone and the commune
    are looked up through their indexes (a name is matched on its kept folded form)."""
    import sqlite3

    db = rig.store.db
    fetchall, fetchone = db.fetchall, db.fetchone
    seen = record_reads(db, this_task=True)  # the bot's workers read meanwhile
    try:
        await rig.store.people.search(phone="+84912345678")
        await rig.store.people.search(commune_code="7615", offset=20)
        await rig.store.people.search(folded="nguyen van an")
    finally:
        db.fetchall, db.fetchone = fetchall, fetchone
    conn = sqlite3.connect(rig.store.db.path)
    try:
        plans = [[r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
                 for sql, params in seen[:2]]
    finally:
        conn.close()
    assert any("members_phone" in line for line in plans[0]), plans[0]
    assert any(line.startswith("SEARCH m USING INDEX members_commune") for line in plans[1]) \
        or any("commune" in line and "SEARCH" in line for line in plans[1]), plans[1]
    assert any("name_folded" in sql for sql, _ in seen[2:3])


async def test_on_a_phone_screen_staff_find_a_member_and_open_their_profile(rig, page):
    await _member(rig, "5101", "Nguyễn Thị Hoa", "+84912000111", "7615")
    await _member(rig, "5102", "Nguyễn Văn Hòa", None, "7627")
    await page.set_viewport_size({"width": 390, "height": 844})  # a cheap phone
    await page.goto(await rig.link())
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.get_by_role("navigation").get_by_role("link", name="Hội viên").click()
    await page.get_by_label("Họ tên hoặc số điện thoại").fill("nguyen thi hoa")
    await page.get_by_label("Họ tên hoặc số điện thoại").press("Enter")
    await page.get_by_role("link", name="Nguyễn Thị Hoa").click()
    await page.get_by_text("0912 000 111").wait_for()
    # Nothing is wider than the screen: the page never scrolls sideways.
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
