"""The console's door (issue #16): a one-time link from /web, sessions, CSRF, escaping.

The real app and its console on 127.0.0.1, the fake Telegram Bot API over real HTTP;
requests by httpx as a browser makes them, and one login in a real Chromium."""

from __future__ import annotations

from datetime import timedelta

from bot.web.pages import AREAS
from tests.console_rig import STAFF, csrf_of

FARMER = 4242


async def test_a_staff_member_logs_in_with_the_link_from_web_in_a_real_browser(rig, page):
    link = await rig.link()
    await page.goto(link)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url("**/console/overview")
    nav = page.get_by_role("navigation")
    for title in ("Tổng quan", "Tin gửi", "Hỏi đáp", "Tập huấn", "Báo cáo", "Hội viên"):
        await nav.get_by_role("link", name=title).wait_for()
    actions = [a["action"] for a in await rig.store.audit.recent()]
    assert "web.login" in actions and "web.link" in actions
    await page.get_by_role("button", name="Đăng xuất").click()
    await page.get_by_text("Nhắn /web cho bot.").wait_for()
    await page.goto(rig.base + "/console/overview")
    await page.get_by_text("Bạn chưa đăng nhập").wait_for()


async def test_every_page_refuses_without_a_session(rig):
    async with rig.http() as client:
        home = await client.get("/console/")
        assert home.status_code == 200 and "/web" in home.text  # the login page explains
        for area in AREAS:
            r = await client.get("/console" + area.path)
            assert r.status_code == 401 and "Bạn chưa đăng nhập" in r.text, area.path
            assert "Đăng xuất" not in r.text
        r = await client.post("/console/logout")
        assert r.status_code == 401
        r = await client.get("/console/overview", headers={"HX-Request": "true"})
        assert r.status_code == 401 and r.headers["HX-Redirect"] == "/console/"
        client.cookies.set("nhanong_console", "made-up")
        r = await client.get("/console/overview")
        assert r.status_code == 401


async def test_a_link_works_once(rig):
    link = await rig.link()
    async with rig.http(link) as first:
        assert (await first.get("/console/overview")).status_code == 200
    async with rig.http() as second:
        page = await second.get(link)
        assert page.status_code == 403 and "đã được dùng hoặc đã hết hạn" in page.text
        r = await second.post(link)
        assert r.status_code == 403 and "nhanong_console" not in r.headers.get("set-cookie", "")


async def test_a_link_expires_after_ten_minutes_and_a_session_after_its_hours(rig):
    link = await rig.link()
    rig.clock.advance(timedelta(minutes=10, seconds=1).total_seconds())
    async with rig.http() as client:
        assert (await client.post(link)).status_code == 403
    link = await rig.link()
    rig.clock.advance(timedelta(minutes=9).total_seconds())
    async with rig.http(link) as client:
        assert (await client.get("/console/overview")).status_code == 200
        rig.clock.advance(timedelta(hours=rig.settings.console_session_hours).total_seconds())
        assert (await client.get("/console/overview")).status_code == 401


async def test_a_link_opened_by_a_previewer_is_not_spent(rig):
    link = await rig.link()
    async with rig.http() as previewer:
        assert (await previewer.get(link)).status_code == 200  # only shows the button
    async with rig.http(link) as client:  # the person's own press still works
        assert (await client.get("/console/overview")).status_code == 200


async def test_a_farmer_gets_no_link(rig):
    rig.fake.user_command(FARMER, "/web")
    await rig.fake.wait_until(lambda: any("dành cho cán bộ" in t for t in rig.fake.texts(FARMER)))
    assert not any("/console/login/" in t for t in rig.fake.texts(FARMER))
    assert await rig.store.db.fetchone("SELECT 1 FROM web_logins") is None


async def test_the_link_is_not_posted_in_a_group(rig):
    rig.fake.user_command(STAFF, "/web", chat_id=-100500)
    sent = await rig.fake.wait_for_sent(-100500, 1)
    assert "/console/login/" not in sent[-1]["text"] and "riêng" in sent[-1]["text"]


async def test_logout_ends_the_session(rig):
    link = await rig.link()
    async with rig.http(link) as client:
        page = await client.get("/console/overview")
        r = await client.post("/console/logout", data={"csrf": csrf_of(page.text)})
        assert r.status_code == 303
        cookie = client.cookies.get("nhanong_console")
        assert not cookie
    async with rig.http() as client:
        rows = await rig.store.db.fetchall("SELECT ended_at FROM web_sessions")
        assert [r["ended_at"] is not None for r in rows] == [True]
    actions = [a["action"] for a in await rig.store.audit.recent()]
    assert "web.logout" in actions


async def test_a_form_without_its_csrf_token_is_refused(rig):
    link = await rig.link()
    async with rig.http(link) as client:
        r = await client.post("/console/logout")
        assert r.status_code == 403 and "hết hạn" in r.text
        r = await client.post("/console/logout", data={"csrf": "wrong"})
        assert r.status_code == 403
        assert (await client.get("/console/overview")).status_code == 200  # still logged in


async def test_the_console_is_off_without_a_public_address(tmp_path):
    from tests.console_rig import Rig

    rig = await Rig(tmp_path, NHANONG_PUBLIC_URL="").start()
    try:
        assert rig.app.webserver is None
        rig.fake.user_command(STAFF, "/web")
        sent = await rig.fake.wait_for_sent(STAFF, 1)
        assert "NHANONG_PUBLIC_URL" in sent[-1]["text"]
    finally:
        await rig.stop()


async def test_the_nightly_retention_forgets_spent_links_and_ended_sessions(rig):
    link = await rig.link()
    async with rig.http(link) as client:
        assert (await client.get("/console/overview")).status_code == 200
    unused = await rig.link()
    rig.clock.advance(timedelta(hours=rig.settings.console_session_hours).total_seconds())
    await rig.app.retention.console(rig.clock.now())
    assert await rig.store.db.fetchone("SELECT 1 FROM web_sessions") is not None  # ended today
    rig.clock.advance(timedelta(days=1, seconds=1).total_seconds())
    await rig.app.retention.console(rig.clock.now())
    assert await rig.store.db.fetchone("SELECT 1 FROM web_sessions") is None
    assert await rig.store.db.fetchone("SELECT 1 FROM web_logins") is None
    async with rig.http() as client:
        assert (await client.post(unused)).status_code == 403


async def test_staff_may_type_the_words_with_or_without_diacritics(rig):
    for typed in ("đăng nhập web", "dang nhap web", "Đăng Nhập Web"):
        before = len(rig.fake.texts(STAFF))
        rig.fake.user_text(STAFF, typed)
        await rig.fake.wait_for_sent(STAFF, before + 1)
        assert "/console/login/" in rig.fake.texts(STAFF)[before], typed
