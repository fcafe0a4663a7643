"""The report against the Đề án targets: the workbook opened back, the chart as a
PNG of sensible size, the export by dates, the reporting calendar on a
controllable clock (no double send after a restart), the staff chat, and the
command line."""

from __future__ import annotations

import sqlite3
import struct
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.content import load_library
from bot.geo import communes_of
from bot.i18n import Problem, translator
from bot.indicators import parse_period
from bot.report_calendar import due
from bot.reports import build_report, export_checkins
from bot.store import Store
from bot.types import Capabilities
from tests.helpers import BUTTONS, Harness, actions_of, text_of
from tests.reporting_data import CONTENT, EXPECTED, build, local
from tests.test_cli import run

COMMUNES = communes_of("Bắc Ninh")
T = translator("vi")
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
FILES = Capabilities(buttons=True, max_text=4096, markup="html", documents=True)


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def rows(ws) -> list[tuple]:
    return [tuple(c for c in r) for r in ws.iter_rows(values_only=True)]


# -- the workbook and the chart ---------------------------------------------------------
async def test_the_report_opens_back_with_the_right_numbers(store, tmp_path):
    built = await build_report(store, load_library(CONTENT), COMMUNES, parse_period("2026-Q3"),
                               tmp_path / "q3.xlsx", T, by="cli:test", now=NOW)
    wb = load_workbook(built.xlsx)
    assert wb.sheetnames[0] == "Tổng hợp" and wb.sheetnames[-2:] == ["Tỷ lệ trả lời", "About"]
    summary = rows(wb["Tổng hợp"])
    assert summary[0][:6] == ("Chỉ tiêu", "Kết quả", "Mục tiêu", "% so với chỉ tiêu", "Kỳ trước (Quý 2/2026)",
                              "Tăng/giảm")
    by_title = {r[0]: r for r in summary[1:]}
    stars = by_title["Sản phẩm được công nhận OCOP từ 3 sao trở lên"]
    assert stars[1:6] == (2, 40, 0.05, 2, 0)
    online = by_title["Sản phẩm OCOP bán trên sàn thương mại điện tử"]
    assert online[1:6] == (3, 200, 0.015, 1, 2)
    trained = by_title["Cán bộ Hội được tập huấn về quản lý, tổ chức sản xuất, liên kết, thương mại"]
    assert trained[1:6] == (0.5, 1, 0.5, 0, 0.5)  # percentages as fractions …
    assert wb["Tổng hợp"]["B3"].number_format == "0.0%"  # … shown as percent
    assert len(wb["Tổng hợp"]._images) == 1  # the chart beside the summary
    groups = by_title["Tổ hợp tác, HTX mới thành lập có Hội hỗ trợ (trong kỳ)"]
    assert groups[1:6] == (EXPECTED["new_groups"], None, "(không đặt mục tiêu)", 4, -1)
    # A sheet per indicator, with its breakdown by commune.
    sheet = rows(wb["Cán bộ Hội được tập huấn"])
    header = sheet.index(("Xã/phường", "Đã tập huấn", "Số hội viên có vai trò này", "Tỷ lệ"))
    assert ("Xã Sơn Động", 1, 2, 0.5) in sheet[header + 1:]
    assert ("Xã Đại Sơn", 1, 1, 1) in sheet[header + 1:]
    # The answers of the period, labelled with the questions and the options.
    answers = rows(wb["Trả lời ocop-quy"])
    assert "Sản phẩm hiện được xếp hạng mấy sao?" in answers[0]
    honey = next(r for r in answers if r[4] == "HTX Mật ong")
    assert "4 sao" in honey and "Postmart; Shopee" in honey and "Có" in honey
    assert len(answers) == 1 + 3  # c1, g1, b2: not the open one nor the one sent in October
    rates = rows(wb["Tỷ lệ trả lời"])
    assert ("Báo cáo quý về sản phẩm OCOP", "2026-Q3", "06/07/2026", "03/08/2026", 6, 5, 4) == rates[2][:7]
    assert rates[2][7] == pytest.approx(4 / 6)
    assert dict(rows(wb["About"]))["Người xuất"] == "cli:test"


async def test_the_chart_is_a_png_of_sensible_size(store, tmp_path):
    built = await build_report(store, load_library(CONTENT), COMMUNES, parse_period("2026-Q3"),
                               tmp_path / "q3.xlsx", T, by="cli:test", now=NOW)
    assert built.png == tmp_path / "q3.png"
    assert png_size(built.png) == (1200, 900)
    assert 10_000 < built.png.stat().st_size < 300_000


async def test_an_empty_period_still_gives_a_report_and_a_chart(tmp_path):
    s = await Store(tmp_path / "e.db").open()
    try:
        built = await build_report(s, load_library(CONTENT), COMMUNES, parse_period("2025"),
                                   tmp_path / "y.xlsx", T, by="x", now=NOW)
        assert png_size(built.png) == (1200, 900)
        assert rows(load_workbook(built.xlsx)["Tổng hợp"])[1][1] == 0
    finally:
        await s.close()


async def test_existing_or_bad_files_are_refused_and_nothing_is_written(store, tmp_path):
    (tmp_path / "old.png").write_bytes(b"x")
    for out, why in [(tmp_path / "old.xlsx", "already exists"), (tmp_path / "r.csv", ".xlsx"),
                     (tmp_path / "nowhere" / "r.xlsx", "does not exist")]:
        with pytest.raises(Problem, match=why):
            await build_report(store, load_library(CONTENT), COMMUNES, parse_period("2026-Q3"), out, T,
                               by="x", now=NOW)
    assert not (tmp_path / "old.xlsx").exists() and not list(tmp_path.glob("*.part"))


# -- the export -------------------------------------------------------------------------------
async def test_export_labels_old_answers_with_their_own_version(store, tmp_path):
    n = await export_checkins(store, load_library(CONTENT), COMMUNES, date(2026, 4, 1), date(2026, 9, 30),
                              tmp_path / "a.xlsx", T, by="cli:test", now=NOW)
    assert n == 10  # 5 unit reports; c1 twice, g1, b1, b2 (not the open one, nor October's)
    ocop = rows(load_workbook(tmp_path / "a.xlsx")["Trả lời ocop-quy"])
    honey = [r for r in ocop if r[4] == "HTX Mật ong"]
    assert any("Ba sao (cũ)" in r for r in honey) and any("4 sao" in r for r in honey)
    audit = await store.audit.recent(1)
    assert audit[0]["action"] == "export.checkins" and audit[0]["actor"] == "cli:test"


async def test_export_to_csv_has_an_answer_per_line(store, tmp_path):
    await export_checkins(store, load_library(CONTENT), COMMUNES, date(2026, 7, 1), date(2026, 7, 10),
                          tmp_path / "a.csv", T, by="x", now=NOW)
    text = (tmp_path / "a.csv").read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Phiếu báo cáo,Kỳ,Số phiếu")
    assert "Cán bộ A" in text and ",3\n" in text.replace("\r", "")  # 3 meetings, not 3.0
    assert "Mật ong" not in text  # sent on 15 July


# -- the reporting calendar ---------------------------------------------------------------------
def test_due_reports_on_the_calendar():
    zone = T.zone
    assert due(local(2026, 9, 30, 16), zone, set()) == []
    assert due(local(2026, 9, 30, 17), zone, set()) == ["2026-Q3"]
    assert due(local(2026, 7, 3), zone, set()) == ["2026-Q2", "2026-H1"]
    assert due(local(2026, 7, 8), zone, set()) == []  # more than a week late: not sent any more
    assert due(local(2026, 11, 5, 8), zone, {"2026-Q3"}) == ["2026"]
    assert due(local(2027, 1, 2), zone, {"2026-Q4"}) == ["2026-H2"]


@pytest.fixture
async def staff_bot(tmp_path):
    """Makes the app (staff chat "staffroom") holding the dataset; closes it afterwards."""
    made: list[Harness] = []

    async def make(caps=FILES) -> Harness:
        h = Harness(tmp_path, caps=caps)
        h.settings = h.settings.model_copy(update={"staff_chat": ("rec", "staffroom")})
        await h.open()
        await build(h.app.store)
        made.append(h)
        return h

    yield make
    for h in made:
        await h.close()


async def test_reports_reach_the_staff_chat_once_even_after_a_restart(staff_bot):
    h = await staff_bot()
    h.clock.set(local(2026, 9, 30, 16))
    assert await h.app.reports.tick() == []
    h.clock.set(local(2026, 9, 30, 17))
    assert await h.app.reports.tick() == ["2026-Q3"]
    sent = [m for c, m in h.channel.sent if c == "staffroom"]
    assert [bool(m.image) for m in sent] == [True, False] and sent[1].document.endswith(".xlsx")
    assert "Báo cáo Đề án: Quý 3/2026" in sent[0].text and "OCOP từ 3 sao: 2 / 40 (5%)" in sent[0].text
    assert png_size(Path(sent[0].image)) == (1200, 900)
    assert await h.app.reports.tick() == []
    await h.restart()
    h.clock.advance(3600)
    assert await h.app.reports.tick() == []
    assert [c for c, _ in h.channel.sent] == []
    h.clock.set(local(2026, 11, 5, 8))
    assert await h.app.reports.tick() == ["2026"]
    assert "Năm 2026" in h.channel.sent[0][1].text


async def test_a_report_missed_while_down_is_sent_within_a_week(tmp_path, staff_bot):
    h = await staff_bot(caps=BUTTONS)  # no documents: the chart only
    h.clock.set(local(2026, 7, 4))
    assert await h.app.reports.tick() == ["2026-Q2", "2026-H1"]
    assert [bool(m.image) for _, m in h.channel.sent] == [True, True]
    db = sqlite3.connect(tmp_path / "bot.db")
    assert [r[0] for r in db.execute("SELECT period FROM reports_sent ORDER BY period")] == [
        "2026-H1", "2026-Q2"]


async def test_a_failed_send_is_tried_again(staff_bot):
    from bot.errors import SendError

    h = await staff_bot()
    h.clock.set(local(2026, 9, 30, 17))
    h.channel.fail_chat["staffroom"] = [SendError("network down")] * 10
    assert await h.app.reports.tick() == []
    h.channel.fail_chat["staffroom"] = []
    assert await h.app.reports.tick() == ["2026-Q3"]


# -- the staff chat -----------------------------------------------------------------------------
async def test_thongke_shows_the_progress_against_the_targets(staff_bot):
    h = await staff_bot()
    h.clock.set(NOW)
    await h.say("/start", user="staff1")
    out = text_of(await h.say("/thongke", user="staff1"))
    assert "Tiến độ Đề án" in out and "Năm 2026" in out
    assert "OCOP trên sàn TMĐT: 3 / 200 (2%)" in out
    assert "Cán bộ Hội được tập huấn: 75% / 100% (75%)" in out
    assert "THT, HTX mới thành lập: 7" in out


async def test_xuat_offers_the_report_and_sends_chart_and_workbook(staff_bot):
    h = await staff_bot()
    h.clock.set(NOW)
    await h.say("/start", user="staff1")
    out = await h.say("/xuat", user="staff1")
    assert "rp:q" in actions_of(out)
    periods = actions_of(await h.press("rp:q", user="staff1"))
    assert periods == ["rp:r:2026-Q4", "rp:r:2026-Q3", "rp:r:2026"]
    got = await h.press("rp:r:2026-Q3", user="staff1")
    assert got[0].image and got[0].image.endswith(".png") and "Quý 3/2026" in got[0].text
    assert got[1].document.endswith("bao-cao-2026-Q3.xlsx")
    workbook = BytesIO(h.channel.files[got[1].document][2])  # as sent: the file is gone now
    assert "OCOP từ 3 sao" in load_workbook(workbook).sheetnames
    assert text_of(await h.press("rp:r:2026-Q9", user="staff1")).startswith("Nút này đã cũ")
    farmer = await h.press("rp:q", user="u1")
    assert "rp:r:2026" not in actions_of(farmer)  # staff only


async def test_files_sent_in_the_chat_are_private_and_gone_afterwards(staff_bot, tmp_path, monkeypatch):
    import tempfile

    from bot.errors import Permanent
    from bot.training import parse_course

    scratch = tmp_path / "scratch"  # the system's temporary folder, for this test
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    h = await staff_bot()
    h.clock.set(NOW)
    s = h.app.services
    fields = parse_course({"title": "Lớp OCOP", "start": "08:00 04/12/2026", "end": "11:00",
                           "venue": "Hội trường", "capacity": "5"}, s.communes, s.settings, NOW)
    cid = await h.app.store.courses.create(fields, "cli:test", NOW)
    await h.say("/start", user="staff1")
    got = await h.press("rp:r:2026-Q3", user="staff1")  # the Đề án report: chart and workbook
    listing = await h.say(f"/xuat {cid}", user="staff1")  # a course's registrants
    sent = [got[0].image, got[1].document, listing[0].document]
    assert sent[1].endswith(".xlsx") and sent[2].endswith(f"khoa-hoc-{cid}.xlsx")
    for path in sent:
        mode, folder_mode, data = h.channel.files[path]
        assert (mode, folder_mode) == (0o600, 0o700) and data, path  # private while it existed
    assert list(scratch.iterdir()) == []  # every file and folder gone
    # A send that fails deletes the file too.
    h.channel.fail_chat["staff1"] = [Permanent("Bad Request: file is too big")]
    failed = await h.say(f"/xuat {cid}", user="staff1")
    assert failed == [] and list(scratch.iterdir()) == []


# -- the command line ---------------------------------------------------------------------------
async def _cli_db(tmp_path: Path) -> None:
    s = await Store(tmp_path / "cli.db").open()
    await build(s)
    await s.close()


async def test_cli_report_writes_both_files_and_prints_their_paths(tmp_path):
    await _cli_db(tmp_path)
    p = run(tmp_path, "report", "--period", "2026-Q3", "--out", "bao-cao.xlsx")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["bao-cao.xlsx", "bao-cao.png"]
    assert png_size(tmp_path / "bao-cao.png") == (1200, 900)
    ws = load_workbook(tmp_path / "bao-cao.xlsx")["OCOP từ 3 sao"]
    assert ws["B3"].value == 2
    db = sqlite3.connect(tmp_path / "cli.db")
    assert db.execute("SELECT action FROM audit_log ORDER BY id DESC").fetchone() == ("report.build",)


async def test_cli_export_and_bad_input(tmp_path):
    await _cli_db(tmp_path)
    p = run(tmp_path, "export", "checkins", "--from", "01/07/2026", "--to", "2026-09-30", "--out", "a.csv",
            NHANONG_LOCALE="en")
    assert p.returncode == 0, p.stderr
    assert "7 response(s) written to a.csv" in p.stdout
    p = run(tmp_path, "export", "checkins", "--from", "2026-07-01", "--to", "2026-09-30")
    assert p.returncode == 0 and (tmp_path / "tra-loi-2026-07-01-2026-09-30.xlsx").exists()
    (tmp_path / "bao-cao.xlsx").write_bytes(b"")
    for args, why in [
        (("report", "--period", "2026-Q5", "--out", "x.xlsx"), "is not a period"),
        (("report", "--period", "2026-Q3", "--out", "bao-cao.xlsx"), "already exists"),
        (("export", "checkins", "--from", "hôm qua", "--to", "2026-09-30", "--out", "b.csv"), "not a date"),
        (("export", "checkins", "--from", "2026-09-30", "--to", "2026-07-01", "--out", "b.csv"),
         "--to is before --from"),
        (("export", "checkins", "--from", "2026-07-01", "--to", "2026-09-30", "--out", "b.pdf"),
         ".xlsx or .csv"),
    ]:
        p = run(tmp_path, *args, NHANONG_LOCALE="en")
        assert p.returncode != 0 and why in p.stderr, (args, p.stderr)
        assert len(p.stderr.strip().splitlines()) == 1, p.stderr
    assert not (tmp_path / "x.xlsx").exists() and not (tmp_path / "b.csv").exists()
