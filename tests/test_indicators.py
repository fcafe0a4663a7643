"""Indicators against the Đề án targets on a hand-built dataset with known totals
(tests/reporting_data.py), periods, and the targets file's checks."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import indicators
from bot.content import check, load_library
from bot.content.targets import KINDS
from bot.geo import communes_of
from bot.i18n import Problem, translator
from bot.indicators import compute, parse_period, quarter_of
from bot.store import Store
from tests.reporting_data import CONTENT, EXPECTED, EXPECTED_Q2, A, B, C

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
COMMUNES = communes_of("Bắc Ninh")


async def _results(store, label: str):
    progress = await compute(store, load_library(CONTENT).targets, parse_period(label), ZONE, COMMUNES)
    return {r.indicator.id: r for r in progress.results}


# -- periods ---------------------------------------------------------------------------
@pytest.mark.parametrize(("label", "start", "end", "prev"), [
    ("2026-Q3", date(2026, 7, 1), date(2026, 10, 1), "2026-Q2"),
    ("2026-q1", date(2026, 1, 1), date(2026, 4, 1), "2025-Q4"),
    ("2026-Q4", date(2026, 10, 1), date(2027, 1, 1), "2026-Q3"),
    ("2026-H1", date(2026, 1, 1), date(2026, 7, 1), "2025-H2"),
    ("2026-H2", date(2026, 7, 1), date(2027, 1, 1), "2026-H1"),
    ("2026", date(2026, 1, 1), date(2027, 1, 1), "2025"),
])
def test_periods_parse_with_their_previous(label, start, end, prev):
    p = parse_period(label)
    assert (p.start, p.end, p.previous().label) == (start, end, prev)
    since, until = p.bounds(ZONE)
    assert since.utcoffset().total_seconds() == 7 * 3600 and since.date() == start
    assert until.date() == end


@pytest.mark.parametrize("bad", ["2026-Q5", "Q3", "2026-H3", "quý 3", "", "1999"])
def test_bad_periods_are_refused(bad):
    with pytest.raises(Problem, match="is not a period"):
        parse_period(bad)


def test_period_titles_in_vietnamese():
    t = translator("vi")
    assert parse_period("2026-Q3").title(t) == "Quý 3/2026"
    assert parse_period("2026-H1").title(t) == "6 tháng đầu năm 2026"
    assert parse_period("2026").title(t) == "Năm 2026"
    assert quarter_of(date(2026, 11, 5)).label == "2026-Q4"


# -- one test per indicator -----------------------------------------------------------------
async def test_units_informing_counts_communes_with_official_meetings(store):
    r = (await _results(store, "2026-Q3"))["units_informing"]
    assert r.value == pytest.approx(EXPECTED["units_informing"])
    assert (r.numerator, r.denominator, r.target) == (1, 99, 100)
    rows = {row.code: row.value for row in r.rows}
    assert len(rows) == 99 and rows[A] == 4 and rows[B] == 0  # the farmer's 2 meetings do not count
    assert r.rows[0].code == A
    assert r.previous == pytest.approx(EXPECTED_Q2["units_informing"])  # commune C in Q2


async def test_officials_trained_up_to_the_period_end(store):
    r = (await _results(store, "2026-Q3"))["officials_trained"]
    assert (r.value, r.numerator, r.denominator) == (50.0, 2, 4)
    assert {row.code: (row.value, row.out_of) for row in r.rows} == {A: (1, 2), B: (1, 1), C: (0, 1)}
    assert r.previous == 0.0 and r.change == 50.0
    year = (await _results(store, "2026"))["officials_trained"]
    assert year.value == 75.0  # the November course counts in the year


async def test_directors_trained_counts_coop_and_group_roles(store):
    r = (await _results(store, "2026-Q3"))["directors_trained"]
    assert (r.value, r.numerator, r.denominator) == (50.0, 1, 2)
    assert r.of_target == pytest.approx(0.5)


async def test_ocop_3_stars_reads_each_members_latest_answer(store):
    r = (await _results(store, "2026-Q3"))["ocop_3_stars"]
    # c1 (4★ now, 3★ before) and b1 (5★ in Q2, nothing since); not the open response
    # (b3) nor the one sent after the quarter (b4).
    assert r.value == EXPECTED["ocop_3_stars"] and r.target == 40
    assert {row.code: row.value for row in r.rows} == {A: 1, C: 1}
    assert r.previous == EXPECTED_Q2["ocop_3_stars"] and r.change == 0
    assert r.of_target == pytest.approx(2 / 40)


async def test_ocop_online(store):
    r = (await _results(store, "2026-Q3"))["ocop_online"]
    assert (r.value, r.previous, r.target) == (3, 1, 200)


async def test_chain_products_need_a_chain_and_a_raw_material_area(store):
    r = (await _results(store, "2026-Q3"))["chain_products"]
    assert r.value == 1 and [row.code for row in r.rows] == [B]  # c1's area is 0 now
    assert r.previous == 1  # c1 had 10 ha in Q2


async def test_chain_models(store):
    r = (await _results(store, "2026-Q3"))["chain_models"]
    assert (r.value, r.previous, r.target) == (1, 0, 4)


async def test_new_groups_sums_answers_within_the_period(store):
    r = (await _results(store, "2026-Q3"))["new_groups"]
    assert (r.value, r.previous, r.target, r.of_target) == (3, 4, None, None)
    assert {row.code: row.value for row in r.rows} == {A: 2, B: 1}


async def test_every_expected_value_and_the_programme(store):
    progress = await compute(store, load_library(CONTENT).targets, parse_period("2026-Q3"), ZONE, COMMUNES)
    assert progress.programme.id == "de-an-2022-2025"
    assert {r.indicator.id: r.value for r in progress.results} == pytest.approx(EXPECTED)


async def test_an_empty_database_gives_zeros(tmp_path):
    s = await Store(tmp_path / "e.db").open()
    try:
        progress = await compute(s, load_library(CONTENT).targets, parse_period("2026"), ZONE, COMMUNES)
        assert all(r.value == 0 for r in progress.results)
    finally:
        await s.close()


# -- the targets file ----------------------------------------------------------------------
def test_every_kind_has_a_computation():
    assert set(KINDS) == set(indicators.KINDS)


def _content_with(tmp_path: Path, targets: str) -> Path:
    import shutil

    root = tmp_path / "content"
    shutil.copytree(CONTENT, root)
    (root / "targets.yaml").write_text(targets, encoding="utf-8")
    return root


GOOD = """programmes:
  - id: de-an-2026-2030
    title: Giai đoạn mới
    from: 2026-01-01
    until: 2030-12-31
    indicators:
      - id: ocop_4_stars
        title: Sản phẩm 4 sao
        short: OCOP 4 sao
        kind: latest_count
        params: {checkin: ocop-quy, where: {stars: ["4", "5"]}}
        target: 10
"""


async def test_a_new_programme_is_data_not_code(tmp_path, store):
    root = _content_with(tmp_path, GOOD)
    assert check(root) == []
    targets = load_library(root).targets
    progress = await compute(store, targets, parse_period("2026-Q3"), ZONE, COMMUNES)
    assert progress.programme.id == "de-an-2026-2030"
    assert [(r.indicator.id, r.value) for r in progress.results] == [("ocop_4_stars", 2)]


@pytest.mark.parametrize(("change", "line", "why"), [
    ("kind: latest_count", 10, "unknown kind 'sum_of_everything'"),
    ("checkin: ocop-quy,", 11, "check-in 'ocop-quyy' does not exist"),
    ("stars:", 11, "has no question 'sao'"),
    ('"4", "5"', 11, "'four' is not an answer to 'stars'"),
    ("target: 10", 12, "target must be a positive number"),
    ("from: 2026-01-01", 4, "not a date"),
])
def test_bad_targets_are_reported_with_file_and_line(tmp_path, change, line, why):
    broken = {"kind: latest_count": "kind: sum_of_everything",
              "checkin: ocop-quy,": "checkin: ocop-quyy,",
              "stars:": "sao:",
              '"4", "5"': '"four", "5"',
              "target: 10": "target: nhiều",
              "from: 2026-01-01": "from: 01/01/2026"}[change]
    root = _content_with(tmp_path, GOOD.replace(change, broken))
    problems = check(root)
    assert any(p.startswith(f"{root / 'targets.yaml'}:{line}:") and why in p for p in problems), problems
