"""The console's Reports (issue #16): choose a period, see the indicators against their
targets and the check-in response rates by commune, download the workbook — the same
workbook ``python -m bot report --period`` writes for the same store."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import BytesIO

from openpyxl import load_workbook

from tests.console_rig import csrf_of
from tests.reporting_data import build, local
from tests.test_cli import run

IN_OCTOBER = local(2026, 10, 20)  # Q3 2026 is over: its report is whole


def _to(rig, when: datetime) -> None:
    rig.clock.advance((when - rig.clock.now()).total_seconds())


def _cells(book) -> dict[str, list[tuple]]:
    """Every sheet's values, without the lines that say who made the file and when."""
    out = {}
    for ws in book.worksheets:
        rows = [tuple(c.value for c in row) for row in ws.iter_rows()]
        out[ws.title] = [r for r in rows if r and r[0] not in ("Người xuất", "Thời điểm xuất")]
    return out


async def test_a_quarter_report_in_a_real_browser_is_the_one_the_command_line_writes(rig, page, tmp_path):
    await build(rig.store)
    _to(rig, IN_OCTOBER)
    link = await rig.link()
    await page.goto(link)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_url("**/console/overview")
    await page.get_by_role("navigation").get_by_role("link", name="Báo cáo").click()
    await page.get_by_label("Kỳ").fill("2026-Q3")
    await page.get_by_role("button", name="Xem", exact=True).click()
    await page.wait_for_url("**/console/reports?period=2026-Q3")
    assert await page.locator("#period-title").inner_text() == "Quý 3/2026"
    rows = page.locator("#indicators tbody tr")
    assert await rows.count() == 8
    first = await rows.nth(0).locator("td").all_inner_texts()
    assert first[1] == "1%"  # 1 of 99 communes reported activity (tests/reporting_data.py)
    assert await page.locator("svg.chart").count() == 1
    by_commune = page.locator("#rates-by-commune tbody tr")
    assert await by_commune.count() >= 2
    texts = [await r.locator("td").all_inner_texts() for r in await by_commune.all()]
    son_dong = next(t for t in texts if t[0] == "Xã Sơn Động")
    # Sơn Động's four members (two officials, a cooperative, a business) all answered a
    # check-in of Q3; in Đại Sơn two of four submitted (one only started, tests/reporting_data.py).
    assert son_dong == ["Xã Sơn Động", "4", "4", "4", "100 %"]
    dai_son = next(t for t in texts if t[0] == "Xã Đại Sơn")
    assert dai_son == ["Xã Đại Sơn", "4", "4", "3", "75 %"]
    async with page.expect_download() as got:
        await page.get_by_role("button", name="Tải báo cáo (Excel): bao-cao-2026-Q3.xlsx").click()
    download = await got.value
    assert download.suggested_filename == "bao-cao-2026-Q3.xlsx"
    saved = tmp_path / "from-console.xlsx"
    await download.save_as(saved)
    actions = [a["action"] for a in await rig.store.audit.recent()]
    assert "web.reports.download" in actions and "report.build" in actions
    # The command line, on the same store (a different moment and person: the About lines).
    p = run(tmp_path, "report", "--period", "2026-Q3", "--out", "from-cli.xlsx",
            NHANONG_DB=str(rig.settings.db))
    assert p.returncode == 0, p.stderr
    console_book = load_workbook(BytesIO(saved.read_bytes()))
    cli_book = load_workbook(tmp_path / "from-cli.xlsx")
    assert console_book.sheetnames == cli_book.sheetnames
    assert _cells(console_book) == _cells(cli_book)


async def test_a_bad_period_gets_a_polite_message_and_changes_nothing(rig):
    await build(rig.store)
    _to(rig, IN_OCTOBER)
    link = await rig.link()
    async with rig.http(link) as client:
        before = len(await rig.store.audit.recent(1000))
        r = await client.get("/console/reports", params={"period": "2026-Q5"})
        assert r.status_code == 400
        assert "“2026-Q5” không phải kỳ báo cáo như 2026-Q3, 2026-H1 hoặc 2026" in r.text
        r = await client.get("/console/reports", params={"period": "2027"})
        assert r.status_code == 400 and "chưa bắt đầu" in r.text
        html = (await client.get("/console/reports")).text
        r = await client.post("/console/reports/download",
                              data={"csrf": csrf_of(html), "period": "quý ba"})
        assert r.status_code == 400 and "không phải kỳ báo cáo" in r.text
        assert "attachment" not in r.headers.get("content-disposition", "")
        assert len(await rig.store.audit.recent(1000)) == before


async def test_the_download_is_audited_under_the_person_and_named_for_the_period(rig):
    await build(rig.store)
    _to(rig, IN_OCTOBER)
    link = await rig.link()
    async with rig.http(link) as client:
        html = (await client.get("/console/reports", params={"period": "2026"})).text
        assert "bao-cao-2026.xlsx" in html
        r = await client.post("/console/reports/download", data={"csrf": csrf_of(html), "period": "2026"})
        assert r.status_code == 200
        assert r.headers["content-disposition"] == 'attachment; filename="bao-cao-2026.xlsx"'
        assert load_workbook(BytesIO(r.content)).sheetnames[0] == "Tổng hợp"
        # Without its CSRF token the download is refused, and nothing is built.
        refused = await client.post("/console/reports/download", data={"period": "2026"})
        assert refused.status_code == 403
    audit = [a for a in await rig.store.audit.recent() if a["action"] == "web.reports.download"]
    assert len(audit) == 1 and audit[0]["actor"] == "telegram:777"
    assert audit[0]["detail"] == {"period": "2026", "file": "bao-cao-2026.xlsx"}


async def test_the_page_opens_on_the_current_quarter(rig):
    _to(rig, IN_OCTOBER + timedelta(days=1))
    link = await rig.link()
    async with rig.http(link) as client:
        r = await client.get("/console/reports")
        assert r.status_code == 200 and "Quý 4/2026" in r.text
