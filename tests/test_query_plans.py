"""The queries behind the staff screens (/thongke, the Đề án progress, segment
previews) use the indexes made for them (issue #14): each statement they run is
given to SQLite's EXPLAIN QUERY PLAN, and a plain scan of a table that grows with the
province (members, reads, responses, answers, deliveries), even through an index,
fails the test (the member totals alone count a covering index), so a later
change cannot silently turn one back into a scan.  The store is a fresh one, without
ANALYZE statistics, as a new installation has."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime

import pytest

from bot.geo import communes_of
from bot.segments import parse_segment
from bot.store import Store
from tests.helpers import record_reads
from tests.reporting_data import build

BIG = ("members", "article_reads", "checkin_responses", "checkin_answers", "checkin_latest",
       "checkin_latest_answers", "deliveries", "registrations", "member_topics", "inbound")
_SCAN = re.compile(r"\bSCAN (\w+)")
UNTIL = datetime(2027, 1, 1, tzinfo=UTC)
SINCE = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
async def recorded(tmp_path):
    """A store with the reporting dataset whose reads are written down (sql, params)."""
    s = await Store(tmp_path / "p.db").open()
    await build(s)
    seen = record_reads(s.db)
    yield s, seen
    await s.close()


def plan(path, sql: str, params: tuple) -> list[str]:
    conn = sqlite3.connect(path)
    try:
        return [r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
    finally:
        conn.close()


def scans(lines: list[str]) -> list[str]:
    """The big tables read whole, through an index or not (a SEARCH reads a range)."""
    out = []
    for line in lines:
        m = _SCAN.search(line)
        if m and m.group(1) in BIG:
            out.append(line)
    return out


async def _staff_screen_reads(s: Store) -> None:
    await s.members.count_by("role")
    await s.members.count_by("commune_code")
    await s.reads.most_read(5)
    await s.reporting.members_by_commune(("official",))
    await s.reporting.members_by_commune(("coop", "group"))
    await s.courses.trained(until=UNTIL)
    await s.reporting.grouped("ocop-quy", ("stars",), until=UNTIL, latest=True)
    await s.reporting.grouped("ocop-quy", ("chain", "material_area"), until=UNTIL, latest=True)
    await s.reporting.grouped("hoat-dong-co-so", ("meetings",), since=SINCE, until=UNTIL)


async def test_staff_screens_read_indexes_not_tables(recorded, tmp_path):
    s, seen = recorded
    await _staff_screen_reads(s)
    assert len(seen) >= 9
    found = {sql: scans(plan(tmp_path / "p.db", sql, params)) for sql, params in seen}
    assert {sql: lines for sql, lines in found.items() if lines} == {}


async def test_the_member_totals_count_an_index(recorded, tmp_path):
    s, seen = recorded
    await s.members.counts()
    lines = plan(tmp_path / "p.db", *seen[-1])
    assert any("COVERING INDEX" in ln for ln in lines), lines


@pytest.mark.parametrize("expr", ["commune=Xã Hợp Thịnh", "role=coop", "commune=xa hop thinh, role=official"])
async def test_segment_previews_use_an_index(recorded, tmp_path, expr):
    s, seen = recorded
    communes = communes_of("Bắc Ninh")
    seg = parse_segment(expr, communes, set())
    await s.broadcasts.count_audience(seg)
    sql, params = seen[-1]
    lines = plan(tmp_path / "p.db", sql, params)
    assert not scans(lines), lines


def test_the_check_can_fail(tmp_path):
    """A query that reads the whole members table is caught."""
    path = tmp_path / "x.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE members (id INTEGER PRIMARY KEY, phone TEXT)")
    conn.close()
    assert scans(plan(path, "SELECT COUNT(*) FROM members WHERE phone = ?", ("1",))) == ["SCAN members"]
