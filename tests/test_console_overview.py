"""The console's Overview (issue #16): members receiving news, stopped and blocked, by
channel and commune, new members per week, the Đề án indicators against their targets
and the last broadcasts, as /thongke counts them; in a real browser and over httpx."""

from __future__ import annotations

import re
import shutil

from bot.broadcast import create_broadcast
from bot.web import charts
from tests.console_rig import Rig
from tests.reporting_data import CONTENT

SON_DONG, DAI_SON = "7615", "7627"  # Xã Sơn Động, Xã Đại Sơn


async def _members(rig) -> str:
    """Four receiving news (three in Sơn Động, one in Đại Sơn), one stopped, one blocked;
    through the store's own calls, as the bot's flows make them.  The figures counted
    at start are then too old to be shown (the page counts them again)."""
    await rig.app._warm
    channel = rig.app.channels[0].name
    store = rig.store
    now = rig.clock.now()
    for i, commune in enumerate([SON_DONG, SON_DONG, SON_DONG, DAI_SON, SON_DONG, DAI_SON]):
        m = await store.members.seen(channel, str(9000 + i), str(9000 + i), f"Bà {i}", "vi", now)
        await store.members.update(m.id, commune_code=commune)
        await store.members.subscribe(m.id, now)
        if i == 4:
            await store.members.stop(m.id, now)
        if i == 5:
            await store.members.mark_blocked(channel, str(9000 + i), now)
    rig.clock.advance(11 * 60)
    return channel


async def test_the_overview_shows_the_members_a_test_added_in_a_real_browser(rig, page):
    await _members(rig)
    bid, _ = await create_broadcast(rig.store, rig.settings, rig.app.services.communes, set(),
                                    by="telegram:777", text="Lịch tiêm phòng cúm gia cầm",
                                    segment=f"commune={SON_DONG}", now=rig.clock.now())
    link = await rig.link()
    await page.goto(link)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url("**/console/overview")
    # Receiving news: the four subscribed and not blocked (the blocked one is subscribed too).
    assert await page.locator("#reachable").inner_text() == "4"
    assert await page.locator("#stopped").inner_text() == "1"
    assert await page.locator("#blocked").inner_text() == "1"
    assert await page.locator("#total").inner_text() == "7"  # and the staff member who sent /web
    row = page.locator("#by-channel tbody tr").first
    assert (await row.locator("td").all_inner_texts()) == ["Telegram", "4", "1", "1", "7"]
    communes = page.locator("#by-commune tbody tr")
    # Subscribed by commune, as /thongke counts them: Sơn Động 3 (one stopped), Đại Sơn 2.
    assert await communes.nth(0).locator("td").all_inner_texts() == ["Xã Sơn Động", "3"]
    assert await communes.nth(1).locator("td").all_inner_texts() == ["Xã Đại Sơn", "2"]
    await page.get_by_text("7 hội viên mới trong 26 tuần qua.").wait_for()
    await page.get_by_role("heading", name=re.compile("Tiến độ thực hiện chỉ tiêu Đề án")).wait_for()
    assert await page.locator("svg.chart").count() == 2
    await page.get_by_text("Cơ sở Hội tuyên truyền", exact=True).wait_for()  # an indicator's bar
    await page.get_by_text(re.compile(r"Số liệu lúc \d\d:\d\d")).first.wait_for()
    link_to = page.locator(f'#overview-broadcasts a[href="/console/broadcasts/{bid}"]')
    assert await link_to.inner_text() == f"#{bid}"
    await page.get_by_text("Lịch tiêm phòng cúm gia cầm").wait_for()


async def test_counts_are_kept_a_minute_then_counted_again_in_the_background(rig):
    channel = await _members(rig)
    link = await rig.link()

    async def joins(user: str) -> None:
        m = await rig.store.members.seen(channel, user, user, "Ông Mới", "vi", rig.clock.now())
        await rig.store.members.subscribe(m.id, rig.clock.now())

    async with rig.http(link) as client:
        async def reachable() -> str:
            r = await client.get("/console/overview")
            return re.search(r'id="reachable">([^<]*)<', r.text).group(1)

        assert await reachable() == "4"
        await joins("9100")
        rig.clock.auto = False  # the minutes are the test's to spend
        assert await reachable() == "4"  # kept
        rig.clock.advance(61)
        assert await reachable() == "4"  # still shown, while they are counted again
        for _ in range(200):  # each request lets the count in the background go on
            if await reachable() == "5":
                break
        assert await reachable() == "5"
        await joins("9101")
        rig.clock.advance(11 * 60)  # too old to show: this request waits for the count
        assert await reachable() == "6"


async def test_all_communes_on_request(rig):
    await _members(rig)
    link = await rig.link()
    async with rig.http(link) as client:
        r = await client.get("/console/overview?communes=all")
        assert r.status_code == 200 and "Xã Đại Sơn" in r.text
        assert "Chỉ xem 10 xã đông nhất" in r.text


def test_a_chart_label_is_text_not_markup():
    svg = charts.bars([charts.Bar("<script>alert(1)</script>", 0.5, "1 / 2 (50%)")], title="<b>t</b>")
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "<b>" not in svg
    svg = charts.columns([("<script>", 3)], title="x")
    assert "<script>" not in svg and "&lt;script&gt;" in svg


async def test_an_indicator_named_like_a_script_shows_as_text_on_the_page(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    targets = content / "targets.yaml"
    targets.write_text(targets.read_text(encoding="utf-8").replace(
        "short: Cơ sở Hội tuyên truyền", 'short: "<script>alert(1)<b>x"', 1), encoding="utf-8")
    rig = await Rig(tmp_path, NHANONG_CONTENT=str(content)).start()
    try:
        link = await rig.link()
        async with rig.http(link) as client:
            r = await client.get("/console/overview")
        assert r.status_code == 200
        assert "<script>alert" not in r.text and "&lt;script&gt;alert(1)&lt;b&gt;x" in r.text
    finally:
        await rig.stop()


async def test_the_figures_are_counted_at_start_so_the_first_visit_does_not_wait(rig):
    await rig.app._warm  # `run` counts them beside serving
    link = await rig.link()
    calls = []
    real = rig.store.members.counts_by_channel

    async def spy():
        calls.append(1)
        return await real()

    rig.store.members.counts_by_channel = spy
    async with rig.http(link) as client:
        assert (await client.get("/console/overview")).status_code == 200
    assert calls == []  # the page used what was counted at start
