"""The console's Tin gửi area (issue #16): compose a broadcast to a segment with the live
count and the exact copy per channel, send it and follow its progress, the approval
queue with a second admin, cancel, re-send to failed, CSRF, escaping.

The real app on a real SQLite file, the fake Telegram Bot API over HTTP; one test in a
real Chromium, the rest by httpx as a browser sends them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.console_rig import Rig, csrf_of, screenshot
from tests.waits import GUARD, until

SON_DONG = "7615"  # Xã Sơn Động (Bắc Ninh)
DAI_SON = "7627"  # Xã Đại Sơn
INSIDE = (5101, 5102, 5103)
OUTSIDE = (5201, 5202)
SCRIPT = "<script>alert(1)</script>"


async def _farmers(rig: Rig) -> None:
    """Three farmers in Sơn Động and two in Đại Sơn, all receiving news (the store's own API,
    as the profile flow writes them)."""
    store = rig.store
    for ids, commune in ((INSIDE, SON_DONG), (OUTSIDE, DAI_SON)):
        for uid in ids:
            m = await store.members.seen("telegram", str(uid), str(uid), f"Nông dân {uid} {SCRIPT}",
                                         "vi", rig.clock.now())
            await store.members.subscribe(m.id, rig.clock.now())
            await store.members.update(m.id, commune_code=commune)


async def _finished(rig: Rig, bid: int) -> None:
    """Until the sender has finished the broadcast (its outcomes are written)."""
    async with asyncio.timeout(GUARD):  # the outcomes are written behind: no event to wait on
        while (await rig.store.broadcasts.get(bid)).state != "done":  # noqa: ASYNC110
            await asyncio.sleep(0.05)


def _copies(rig: Rig, uid: int) -> list[str]:
    return [t for t in rig.fake.texts(uid) if "Họp chi hội" in t]


async def _compose(client, **fields) -> tuple[int, str]:
    page = await client.get("/console/broadcasts/new")
    assert page.status_code == 200
    data = {"csrf": csrf_of(page.text), "text": "Họp chi hội **thứ Bảy**", "send": "now",
            "commune": SON_DONG, **fields}
    r = await client.post("/console/broadcasts", data=data)
    assert r.status_code == 303, r.text[:500]
    return int(r.headers["Location"].rsplit("/", 1)[1]), r.headers["Location"]


async def test_staff_compose_and_send_to_one_commune_in_a_real_browser(rig, page):
    await _farmers(rig)
    dialogs = []
    page.on("dialog", lambda d: dialogs.append(d.message))
    await page.goto(await rig.link())
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url("**/console/overview")
    await page.get_by_role("navigation").get_by_role("link", name="Tin gửi").click()
    await page.get_by_role("link", name="Soạn tin mới").click()
    await page.get_by_text("Sẽ gửi tới 5 hội viên.").wait_for()  # everyone, before choosing
    await page.locator("textarea[name=text]").fill(f"Họp chi hội **thứ Bảy** {SCRIPT}")
    await page.locator("select[name=commune]").select_option(SON_DONG)
    await page.get_by_text("Sẽ gửi tới 3 hội viên.").wait_for()  # the count follows the choice
    copy = page.locator(".bc-copy .bc-html").first
    await copy.wait_for()
    shown = await copy.inner_text()  # the copy as the channel shows it: formatted, script as text
    assert f"Họp chi hội thứ Bảy {SCRIPT}" in shown
    assert await copy.locator("b").inner_text() == "thứ Bảy"
    assert "/dung" in shown
    await screenshot(page, "broadcasts-compose")  # for the README
    await page.get_by_role("button", name="Gửi", exact=True).click()
    await page.wait_for_url("**/console/broadcasts/*")
    await page.get_by_text("Đã gửi 3 / 3").wait_for()  # progress (polled while it runs)
    await page.get_by_text("commune=Xã Sơn Động").wait_for()  # who gets it, by name
    for uid in INSIDE:
        await rig.fake.wait_for_sent(uid, 1)
    await rig.fake.wait_until(lambda: all(len(_copies(rig, u)) == 1 for u in INSIDE))
    for uid in INSIDE:
        assert len(_copies(rig, uid)) == 1
    for uid in OUTSIDE:
        assert _copies(rig, uid) == []
    assert dialogs == []  # nothing a farmer or staff typed ran as script
    actions = [a["action"] for a in await rig.store.audit.recent()]
    assert "web.broadcasts.create" in actions


async def test_the_live_count_and_preview_follow_the_segment_and_escape(rig):
    await _farmers(rig)
    async with rig.http(await rig.link()) as client:
        everyone = await client.get("/console/broadcasts/preview", params={"text": SCRIPT})
        assert "Sẽ gửi tới 5 hội viên." in everyone.text
        assert "&lt;script&gt;alert(1)" in everyone.text  # shown as text, never as a tag
        assert SCRIPT not in everyone.text
        one = await client.get("/console/broadcasts/preview",
                               params=[("text", "x"), ("commune", SON_DONG), ("role", "farmer")])
        assert "Sẽ gửi tới 0 hội viên." in one.text  # no role given yet: nobody is a farmer
        both = await client.get("/console/broadcasts/preview",
                                params=[("text", "x"), ("commune", SON_DONG), ("commune", DAI_SON)])
        assert "Sẽ gửi tới 5 hội viên." in both.text
        bad = await client.get("/console/broadcasts/preview", params={"course": "abc"})
        assert "course “abc” không phải là số" in bad.text


async def test_a_form_without_its_csrf_token_creates_nothing(rig):
    await _farmers(rig)
    async with rig.http(await rig.link()) as client:
        r = await client.post("/console/broadcasts", data={"text": "Họp chi hội", "send": "now"})
        assert r.status_code == 403
    assert [b for b in await rig.store.broadcasts.page(20) if b.created_by == "telegram:777"] == []


async def test_with_approval_it_waits_for_a_second_admin(tmp_path):
    rig = await Rig(tmp_path, NHANONG_ADMINS="telegram:777,telegram:778", NHANONG_APPROVAL="1").start()
    try:
        await _farmers(rig)
        async with rig.http(await rig.link()) as first:
            bid, where = await _compose(first)
            assert (await rig.store.broadcasts.get(bid)).state == "awaiting_approval"
            await rig.fake.wait_until(lambda: any(f"#{bid}" in t and "duyệt" in t
                                                  for t in rig.fake.texts(-100500)))
            listing = await first.get("/console/broadcasts")
            assert "Chờ duyệt" in listing.text and f"#{bid}" in listing.text
            own = await first.post(f"{where}/approve", data={"csrf": csrf_of(listing.text)})
            assert own.status_code == 403  # the one who made it cannot approve it
        assert (await rig.store.broadcasts.get(bid)).state == "awaiting_approval"
        assert all(_copies(rig, u) == [] for u in INSIDE)
        async with rig.http(await rig.link(778)) as second:
            listing = await second.get("/console/broadcasts")
            r = await second.post(f"{where}/approve", data={"csrf": csrf_of(listing.text)})
            assert r.status_code == 303
        await rig.fake.wait_until(lambda: all(len(_copies(rig, u)) == 1 for u in INSIDE))
        assert all(_copies(rig, u) == [] for u in OUTSIDE)
        audit = await rig.store.audit.recent()
        assert any(a["action"] == "web.broadcasts.approve" and a["actor"] == "telegram:778"
                   for a in audit)
    finally:
        await rig.stop()


async def test_cancel_a_scheduled_broadcast(rig):
    await _farmers(rig)
    later = (rig.clock.now() + timedelta(hours=3)).astimezone(rig.settings.zone)
    async with rig.http(await rig.link()) as client:
        bid, where = await _compose(client, send="at", when=f"{later:%Y-%m-%dT%H:%M}")
        assert (await rig.store.broadcasts.get(bid)).state == "scheduled"
        detail = await client.get(where)
        r = await client.post(f"{where}/cancel", data={"csrf": csrf_of(detail.text)})
        assert r.status_code == 303
        assert (await rig.store.broadcasts.get(bid)).state == "cancelled"
        again = await client.post(f"{where}/cancel", data={"csrf": csrf_of(detail.text)})
        assert again.status_code == 409
        past = (rig.clock.now() - timedelta(hours=1)).astimezone(rig.settings.zone)
        page = await client.get("/console/broadcasts/new")
        r = await client.post("/console/broadcasts", data={
            "csrf": csrf_of(page.text), "text": "Họp chi hội", "send": "at",
            "when": f"{past:%Y-%m-%dT%H:%M}", "commune": SON_DONG})
        assert r.status_code == 400 and 'value="at" checked' in r.text  # what was typed stays
        assert 'selected>Xã Sơn Động' in r.text
    rig.clock.advance(timedelta(hours=4).total_seconds())
    assert any(a["action"] == "web.broadcasts.cancel" for a in await rig.store.audit.recent())
    assert all(_copies(rig, u) == [] for u in INSIDE)


async def test_resend_to_failed(rig):
    await _farmers(rig)
    rig.fake.fail_next("sendMessage", "400", chat_id=INSIDE[0], description="Bad Request: thử <b>")
    async with rig.http(await rig.link()) as client:
        bid, where = await _compose(client)
        await until(lambda: all(len(_copies(rig, u)) == 1 for u in INSIDE[1:]), "the others sent")
        await _finished(rig, bid)
        detail = await client.get(where)
        assert "Thử &lt;b&gt;" in detail.text  # the reason, as text
        r = await client.post(f"{where}/resend", data={"csrf": csrf_of(detail.text)})
        assert r.status_code == 303
        await rig.fake.wait_until(lambda: len(_copies(rig, INSIDE[0])) == 1)
    assert all(len(_copies(rig, u)) == 1 for u in INSIDE)
    assert any(a["action"] == "web.broadcasts.resend" for a in await rig.store.audit.recent())


PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


async def test_a_picture_uploaded_and_an_article_from_the_library(rig):
    await _farmers(rig)
    async with rig.http(await rig.link()) as client:
        page = await client.get("/console/broadcasts/new")
        r = await client.post("/console/broadcasts", data={
            "csrf": csrf_of(page.text), "text": "Họp chi hội: sơ đồ", "send": "now",
            "commune": SON_DONG}, files={"image_file": ("so-do.png", PNG, "image/png")})
        assert r.status_code == 303, r.text[:300]
        bid = int(r.headers["Location"].rsplit("/", 1)[1])
        image = (await rig.store.broadcasts.get(bid)).image
        assert image and image.endswith(".png") and "console-pictures" in image
        await rig.fake.wait_until(lambda: all(
            any("photo" in p for p in rig.fake.sent(u)) for u in INSIDE))
        bad = await client.post("/console/broadcasts", data={
            "csrf": csrf_of(page.text), "text": "x", "send": "now"},
            files={"image_file": ("x.png", b"not a picture", "image/png")})
        assert bad.status_code == 400 and "chỉ đính kèm được ảnh" in bad.text

        art = rig.app.services.library.newest("vi")[0]
        shown = await client.get("/console/broadcasts/preview", params={"article": art.id})
        assert "Đọc bài" in shown.text  # the article's button is in the copy
        r = await client.post("/console/broadcasts", data={
            "csrf": csrf_of(page.text), "article": art.id, "send": "now", "commune": SON_DONG})
        assert r.status_code == 303
        made = await rig.store.broadcasts.get(int(r.headers["Location"].rsplit("/", 1)[1]))
        assert made.article_id == art.id and made.text.startswith("**")


def test_a_channel_copy_keeps_its_formatting_and_nothing_else():
    from bot.web.render import channel_html

    shown = str(channel_html('<b>Họp</b> &lt;script&gt; <script>x</script> <img src=x onerror=alert(1)>'
                             ' <a href="https://hoi.vn/a?x=1&amp;y=2">bài</a>'
                             ' <a href="javascript:alert(1)">x</a>'))
    assert shown.startswith("<b>Họp</b> &lt;script&gt; &lt;script&gt;x&lt;/script&gt; &lt;img")
    assert '<a href="https://hoi.vn/a?x=1&amp;y=2"' in shown
    assert "<script" not in shown and "<img" not in shown and 'href="javascript' not in shown
