"""Reports and exports streamed: the files written row by row (openpyxl's write-only
mode, answers read a page at a time) open back cell by cell equal to what the
in-memory path wrote (tests/legacy_reports.py) — headers, values, numbers as numbers
with their formats, dates, Vietnamese text; and in the bot, the report is built in a
child process while farmers are answered, its failures told politely."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import sys
import tempfile
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot import report_parts, report_worker, reports
from bot.content import load_library
from bot.geo import communes_of
from bot.i18n import Problem, translator
from bot.indicators import compute, parse_period
from bot.reports import build_report, export_checkins, progress_sheets, rates, rates_sheet
from bot.store import reporting as reporting_store
from tests import legacy_reports as legacy
from tests.helpers import Harness, text_of
from tests.reporting_data import CONTENT, build, local

COMMUNES = communes_of("Bắc Ninh")
T = translator("vi")
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


async def _ties(store) -> None:
    """Three more answers sent at the very same second (the keyset's tie on id), one with
    a note in Vietnamese that starts with a space and holds XML's special characters."""
    lib = load_library(CONTENT)
    row = await store.db.fetchone("SELECT id FROM checkin_runs WHERE checkin_id = 'hoat-dong-co-so'"
                                  " AND period = '2026-Q3'")
    ver = await store.db.fetchone("SELECT id FROM checkin_versions WHERE checkin_id = 'hoat-dong-co-so'")
    assert lib.checkins["hoat-dong-co-so"].question("notes").type == "text"
    at = local(2026, 8, 1).isoformat()
    for i, note in enumerate([" Đường <xã> & “ruộng” ", "Lúa mùa", "Ổn định"]):
        mid = await store.db.execute(
            "INSERT INTO members (channel, user_id, chat_id, full_name, phone, commune_code, role,"
            " subscribed, profile_done, created_at) VALUES ('rec', ?, ?, ?, ?, '7616', 'official', 1, 1,"
            " ?)", (f"t{i}", f"t{i}", f"Trần Thị Hồng {i}", f"+8424383{i:05d}", at))
        rid = await store.db.execute(
            "INSERT INTO checkin_responses (run_id, member_id, version_id, state, started_at, updated_at,"
            " submitted_at) VALUES (?, ?, ?, 'submitted', ?, ?, ?)", (row[0], mid, ver[0], at, at, at))
        for qid, kind, value, number in [("meetings", "number", "2.5", 2.5), ("notes", "text", note, None)]:
            await store.db.execute(
                "INSERT INTO checkin_answers (response_id, question_id, kind, value, number, answered_at)"
                " VALUES (?, ?, ?, ?, ?, ?)", (rid, qid, kind, value, number, at))


def _cells(path: Path) -> dict[str, list[list[tuple]]]:
    """Each sheet as rows of (value, number format, bold) for its non-empty cells, with
    the column widths and the frozen pane."""
    wb = load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        rows = []
        for r in ws.iter_rows():
            cells = [(c.value, c.number_format, bool(c.font and c.font.b)) if c.value is not None
                     else None for c in r]
            while cells and cells[-1] is None:
                cells.pop()
            rows.append(cells)
        while rows and not rows[-1]:
            rows.pop()
        widths = {k: d.width for k, d in ws.column_dimensions.items() if d.width}
        out[ws.title] = [rows, [(widths, ws.freeze_panes, len(ws._images))]]
    return out


@pytest.fixture(params=[2, 2000, "parts"], ids=["pages-of-2", "one-page", "in-parts"])
def page(request, monkeypatch):
    """Streamed in pages of 2 responses (many pages, ties across them) or in one; or
    "parts": the rows written by three child processes, each a run of the responses
    (bot.report_parts), in pages of 2 — and checked to have been."""
    if request.param != "parts":
        monkeypatch.setattr(reporting_store, "PAGE", request.param)
        yield request.param
        return
    monkeypatch.setattr(reporting_store, "PAGE", 2)
    monkeypatch.setattr(report_parts, "PARALLEL_MIN", 1)
    monkeypatch.setattr(report_parts, "workers", lambda: 3)
    written = []
    real = reports.write_in_parts

    async def spy(*a, **kw):
        got = await real(*a, **kw)
        written.append(got)
        return got

    monkeypatch.setattr(reports, "write_in_parts", spy)
    yield 2
    assert written and all(n for n in written)  # in parts indeed, not in this process


async def test_streamed_export_opens_back_equal_to_the_in_memory_one(store, tmp_path, page):
    await _ties(store)
    lib = load_library(CONTENT)
    since, until = date(2026, 4, 1), date(2026, 9, 30)
    n = await export_checkins(store, lib, COMMUNES, since, until, tmp_path / "new.xlsx", T, by="cli:test",
                              now=NOW)
    start, end = (datetime.combine(d, datetime.min.time(), T.zone) for d in (since, date(2026, 10, 1)))
    answered = await store.reporting.submitted(None, since=start, until=end)
    versions = await store.reporting.versions({a.version_id for a in answered})
    assert n == len(answered) == 13
    about = [(T.plain("Answers"), f"{T.date(since)} – {T.date(until)}"),
             (T.plain("Exported by"), "cli:test"), (T.plain("Exported at"), T.datetime(NOW))]
    legacy.write(tmp_path / "old.xlsx", legacy.answer_sheets(T, answered, versions, COMMUNES), "xlsx",
                 about)
    new, old = _cells(tmp_path / "new.xlsx"), _cells(tmp_path / "old.xlsx")
    assert list(new) == list(old) == ["Trả lời hoat-dong-co-so", "Trả lời ocop-quy", "About"]
    assert new == old
    # What the cells hold: numbers as numbers, dates the Vietnamese way, text as typed.
    rows = new["Trả lời hoat-dong-co-so"][0]
    header = [c[0] for c in rows[0]]
    assert header[:6] == ["STT", "Số phiếu", "Kỳ", "Thời điểm gửi", "Họ và tên", "Số điện thoại"]
    assert all(c[2] for c in rows[0])  # headers in bold
    tie = next(r for r in rows if r[4][0] == "Trần Thị Hồng 0")
    assert tie[3][0] == "09:00 ngày 01/08/2026" and tie[5] == ("024 3830 0000", "@", False)
    assert (2.5, "#,##0.##", False) in tie and (" Đường <xã> & “ruộng” ", "@", False) in tie
    ocop = new["Trả lời ocop-quy"][0]
    honey = next(r for r in ocop if r[4] and r[4][0] == "HTX Mật ong" and "4 sao" in {c[0] for c in r if c})
    assert "02/05/2026" in {c[0] for c in honey if c}  # certified_on, a date question
    assert isinstance(honey[1][0], int)  # the response number: a number cell


async def test_streamed_csv_is_byte_for_byte_the_in_memory_one(store, tmp_path, page):
    await _ties(store)
    lib = load_library(CONTENT)
    since, until = date(2026, 4, 1), date(2026, 9, 30)
    await export_checkins(store, lib, COMMUNES, since, until, tmp_path / "new.csv", T, by="x", now=NOW)
    start, end = (datetime.combine(d, datetime.min.time(), T.zone) for d in (since, date(2026, 10, 1)))
    answered = await store.reporting.submitted(None, since=start, until=end)
    versions = await store.reporting.versions({a.version_id for a in answered})
    legacy.write(tmp_path / "old.csv", [legacy.answers_long(T, answered, versions, COMMUNES)], "csv")
    new = (tmp_path / "new.csv").read_bytes()
    assert new == (tmp_path / "old.csv").read_bytes()
    text = new.decode("utf-8-sig")
    assert "Trần Thị Hồng 0" in text and "\"Đường <xã> & “ruộng” \"" not in text  # csv quotes only if needed
    assert ",2.5\r\n" in text and ",3\r\n" in text  # numbers bare: 3, not 3.0


async def test_streamed_report_opens_back_equal_to_the_in_memory_one(store, tmp_path, page):
    await _ties(store)
    lib = load_library(CONTENT)
    period = parse_period("2026")
    built = await build_report(store, lib, COMMUNES, period, tmp_path / "new.xlsx", T, by="cli:test",
                               now=NOW)
    since, until = period.bounds(T.zone)
    progress = await compute(store, lib.targets, period, T.zone, COMMUNES)
    answered = await store.reporting.submitted(None, since=since, until=until)
    versions = await store.reporting.versions({a.version_id for a in answered})
    assert built.answers == len(answered) == 14
    sheets = progress_sheets(T, progress, COMMUNES)
    sheets[0].image = built.png
    sheets += legacy.answer_sheets(T, answered, versions, COMMUNES)
    sheets.append(rates_sheet(T, await rates(store, lib, COMMUNES, since, until)))
    about = load_about(built.xlsx)  # the same words, the old way
    legacy.write(tmp_path / "old.xlsx", sheets, "xlsx", about)
    new, old = _cells(built.xlsx), _cells(tmp_path / "old.xlsx")
    assert list(new) == list(old) and new == old
    assert dict(about)[T.plain("Exported at")] == T.datetime(NOW)
    summary = new["Tổng hợp"][0]
    assert summary[1][1][1] == "0.0%" and isinstance(summary[1][1][0], float)  # a share, as a percent
    assert new["Tổng hợp"][1][0][2] == 1  # the chart beside the summary


def load_about(path: Path) -> list[tuple[str, str]]:
    ws = load_workbook(path)["About"]
    return [(r[0], r[1]) for r in ws.iter_rows(values_only=True)]


async def test_rows_in_parts_are_written_again_here_when_a_response_comes_meanwhile(
        store, tmp_path, monkeypatch):
    """A response sent between the count of each part's rows and the parts' writing (here:
    just before the children start, dated inside the first part) would give two rows
    one number: the parts are dropped and the rows written in this process, so that
    the file still holds every response once, numbered 1, 2, 3…"""
    await _ties(store)
    monkeypatch.setattr(report_parts, "PARALLEL_MIN", 1)
    monkeypatch.setattr(report_parts, "workers", lambda: 2)
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    lib = load_library(CONTENT)
    real = report_parts.rows_job
    added = []

    def late(*a, **kw):
        if not added:  # once: after each part's rows were counted, before any is written
            added.append(True)
            with contextlib.closing(sqlite3.connect(store.db.path)) as other, other:
                row = other.execute(
                    "SELECT r.id FROM checkin_responses r JOIN checkin_runs u ON u.id = r.run_id"
                    " WHERE u.checkin_id = 'hoat-dong-co-so' AND r.state = 'submitted'"
                    " ORDER BY r.submitted_at, r.id LIMIT 1").fetchone()
                mid = other.execute(
                    "INSERT INTO members (channel, user_id, chat_id, full_name, commune_code, role,"
                    " subscribed, profile_done, created_at) VALUES ('rec', 'late', 'late',"
                    " 'Lê Văn Muộn', '7616', 'farmer', 1, 1, ?)",
                    (local(2026, 4, 1).isoformat(),)).lastrowid
                other.execute(  # sent at the same moment as the first response
                    "INSERT INTO checkin_responses (run_id, member_id, version_id, state, started_at,"
                    " updated_at, submitted_at) SELECT run_id, ?, version_id, state, started_at,"
                    " updated_at, submitted_at FROM checkin_responses WHERE id = ?", (mid, row[0]))
        return real(*a, **kw)

    monkeypatch.setattr(report_parts, "rows_job", late)
    since, until = date(2026, 4, 1), date(2026, 9, 30)
    n = await export_checkins(store, lib, COMMUNES, since, until, tmp_path / "new.xlsx", T,
                              by="cli:test", now=NOW)
    start, end = (datetime.combine(d, datetime.min.time(), T.zone) for d in (since, date(2026, 10, 1)))
    answered = await store.reporting.submitted(None, since=start, until=end)
    versions = await store.reporting.versions({a.version_id for a in answered})
    assert added and n == len(answered) == 14
    about = [(T.plain("Answers"), f"{T.date(since)} – {T.date(until)}"),
             (T.plain("Exported by"), "cli:test"), (T.plain("Exported at"), T.datetime(NOW))]
    legacy.write(tmp_path / "old.xlsx", legacy.answer_sheets(T, answered, versions, COMMUNES), "xlsx",
                 about)
    new = _cells(tmp_path / "new.xlsx")
    assert new == _cells(tmp_path / "old.xlsx")
    rows = new["Trả lời hoat-dong-co-so"][0][1:]
    assert [r[0][0] for r in rows] == list(range(1, len(rows) + 1))
    assert _parts_left(tmp_path / "tmp") == []  # the parts' files: gone


def _parts_left(folder: Path) -> list[str]:
    return [p.name for p in folder.glob("nhanong-*")]


async def test_pages_hold_at_most_page_responses_and_add_up_to_the_list(store, monkeypatch):
    await _ties(store)
    since, until = local(2026, 1, 1), local(2027, 1, 1)
    pages = [p async for p in store.reporting.stream(since=since, until=until, page=3)]
    assert [len(p) for p in pages] == [3, 3, 3, 3, 2]
    flat = [a for p in pages for a in p]
    assert flat == await store.reporting.submitted(None, since=since, until=until)


# -- in the bot: a child process ---------------------------------------------------------------
# Run before the worker: say "started" through one pipe, then wait until the test
# writes to the other (the build is held half-way while the bot answers a farmer).
GATE = """
import runpy, sys
started, gate = sys.argv[1], sys.argv[2]
with open(started, "w") as f:
    f.write("started")
with open(gate) as f:
    f.read()
sys.argv = ["bot.report_worker"]
runpy.run_module("bot.report_worker", run_name="__main__")
"""


@pytest.fixture
async def staff(tmp_path):
    from tests.test_reports import FILES

    h = Harness(tmp_path, caps=FILES)
    await h.open()
    await build(h.app.store)
    h.clock.set(NOW)
    await h.say("/start", user="staff1")
    yield h
    await h.close()


async def test_a_farmer_is_answered_while_a_report_is_built(staff, tmp_path, monkeypatch):
    started, gate = tmp_path / "started", tmp_path / "gate"
    os.mkfifo(started)
    os.mkfifo(gate)
    monkeypatch.setattr(report_worker, "WORKER", (sys.executable, "-c", GATE, str(started), str(gate)))
    report = asyncio.create_task(staff.press("rp:r:2026-Q3", user="staff1"))
    assert await asyncio.wait_for(asyncio.to_thread(started.read_text), 60) == "started"
    menu = await asyncio.wait_for(staff.say("/menu", user="u1"), 30)  # the child is held meanwhile
    assert menu and not report.done()
    await asyncio.to_thread(gate.write_text, "go")
    got = await asyncio.wait_for(report, 120)
    assert got[0].image and "Quý 3/2026" in got[0].text and got[1].document.endswith(".xlsx")
    wb = load_workbook(BytesIO(staff.channel.files[got[1].document][2]))
    about = {r[0]: r[1] for r in wb["About"].iter_rows(values_only=True)}
    assert about[T.plain("Exported at")] == T.datetime(NOW)  # the bot's clock, not the child's
    assert about[T.plain("Exported by")].startswith("rec:")
    audit = await staff.app.store.audit.recent(1)
    assert audit[0]["action"] == "report.build"  # recorded by the bot, the child only reads


async def test_a_child_that_fails_gives_the_polite_message(staff, monkeypatch):
    crash = "import sys; sys.stderr.write('Traceback (most recent call last):\\nMemoryError\\n'); sys.exit(3)"
    monkeypatch.setattr(report_worker, "WORKER", (sys.executable, "-c", crash))
    got = text_of(await staff.press("rp:r:2026-Q3", user="staff1"))
    assert got.startswith("Xin lỗi") and "Traceback" not in got and "MemoryError" not in got
    monkeypatch.setattr(report_worker, "WORKER", (sys.executable, "-c", "print('not json')"))
    assert text_of(await staff.press("rp:r:2026-Q3", user="staff1")).startswith("Xin lỗi")


async def test_a_problem_in_the_child_comes_back_in_the_catalog(staff, tmp_path):
    where = report_worker.Where.of(staff.app.settings)
    (tmp_path / "old.xlsx").write_bytes(b"")
    with pytest.raises(Problem) as e:
        await report_worker.build_report_apart(staff.app.store, where, parse_period("2026-Q3"),
                                               tmp_path / "old.xlsx", T, by="x", now=NOW)
    said = T.plain(e.value.msgid, **e.value.values)
    assert said == f"{tmp_path / 'old.xlsx'}: tệp đã có; hãy chọn tên tệp khác"
    n = await report_worker.export_checkins_apart(staff.app.store, where, date(2026, 7, 1),
                                                  date(2026, 9, 30), tmp_path / "a.csv", T, by="x",
                                                  now=NOW)
    assert n == 7 and (tmp_path / "a.csv").read_text(encoding="utf-8-sig").startswith("Phiếu báo cáo")


def test_a_write_that_fails_leaves_no_file_and_no_rows_behind(tmp_path, monkeypatch):
    import tempfile

    from bot.sheets import Book, Num, Sheet

    scratch = tmp_path / "scratch"  # the system's temporary folder, for this test
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with pytest.raises(RuntimeError), Book(tmp_path / "a.xlsx", "xlsx") as book:
        add = book.sheet(Sheet("Trả lời", ["Họ và tên", "Số"]))
        add(["Nguyễn Thị Lan", Num(3)])
        raise RuntimeError("the store went away")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scratch"]
    assert not [p for p in scratch.iterdir() if p.suffix == ".rows"]


def test_characters_excel_cannot_hold_are_dropped_and_markup_kept_as_text(tmp_path):
    from bot.sheets import Num, Sheet, write

    write(tmp_path / "a.xlsx", [Sheet("Trả lời", ["Ghi chú", "Số"], rows=iter([
        ["Chuông\x07 báo <b>&</b>", Num(1.5)], ["", Num(2.0, "#,##0")]]))], "xlsx")
    ws = load_workbook(tmp_path / "a.xlsx")["Trả lời"]
    assert [[c.value for c in r] for r in ws.iter_rows()] == [
        ["Ghi chú", "Số"], ["Chuông báo <b>&</b>", 1.5], [None, 2]]
    assert ws["B3"].number_format == "#,##0" and isinstance(ws["B3"].value, int)


def test_the_row_writer_names_columns_and_drops_characters_as_openpyxl_does():
    """The processes that write rows in parts do not import openpyxl: their column names
    and the characters they drop are openpyxl's own."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.utils import get_column_letter

    from bot import sheets

    assert [sheets._column_letter(i) for i in range(1, 18279)] == [
        get_column_letter(i) for i in range(1, 18279)]
    every = "".join(chr(i) for i in range(0x3000))
    assert sheets._ILLEGAL.sub("", every) == ILLEGAL_CHARACTERS_RE.sub("", every)
