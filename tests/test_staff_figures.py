"""The figures staff screens read at a province's size (issue #14): counts kept up to
date as people act (each member's newest check-in answers, article readers) must say
exactly what counting every row again says, whatever happened in between; and staff
reads have connections of their own, so farmers never queue behind them."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from bot.content.checkins import condition_holds
from bot.store import Store

T0 = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
COMMUNES = ["10001", "10002", "10003", None]
ROLES = ["farmer", "coop", "official", None]
QUESTIONS = {"stars": "choice", "online": "yesno", "area": "number", "channels": "multi"}
CONDITIONS = [
    (("stars", ("3", "4", "5")),),
    (("online", ("yes",)),),
    (("online", ("yes",)), ("area", (">0",))),
    (("channels", ("market",)),),
]


@pytest.fixture
async def opened(tmp_path):
    """Opens stores in tmp_path and closes them after the test, failed or not."""
    stores: list[Store] = []

    async def open_(name: str) -> Store:
        stores.append(await Store(tmp_path / name).open())
        return stores[-1]

    yield open_
    for s in stores:
        await s.close()

def reference(answered, cond) -> Counter:
    """The count from every response, as the indicators counted before (one by one)."""
    return Counter(r.commune_code for r in answered if condition_holds(cond, r.answers))


def tallied(tallies, cond) -> Counter:
    out: Counter = Counter()
    for t in tallies:
        if condition_holds(cond, t.answers):
            out[t.commune_code] += t.n
    return out


async def _answer_all(s: Store, rid: int, rng: random.Random, at: datetime) -> list[str]:
    asked = []
    for qid, kind in QUESTIONS.items():
        if rng.random() < 0.15:
            continue  # skipped
        value = {"choice": lambda: rng.choice(["none", "3", "4", "5"]),
                 "yesno": lambda: rng.choice(["yes", "no"]),
                 "number": lambda: rng.choice([0, 0, 2.5, 10]),
                 "multi": lambda: rng.sample(["market", "shop", "online"], rng.randint(1, 2)),
                 }[kind]()
        asked.append(qid)
        await s.checkins.answer(rid, qid, kind, value, asked, at)
    return asked


async def test_newest_answers_stay_exact_through_submit_reopen_moves_and_forgetting(opened):
    rng = random.Random(14)
    s = await opened("f.db")
    version = await s.checkins.version("ocop-quy", "d1", {"questions": []}, T0)
    runs = [await s.checkins.ensure_run("ocop-quy", f"2026-Q{q}", T0 + timedelta(days=91 * (q - 1)),
                                        None, T0 + timedelta(days=91 * q - 1), T0) for q in (1, 2, 3)]
    members = []
    for i in range(40):
        m = await s.members.seen("telegram", f"u{i}", f"u{i}", f"Người {i}", "vi", T0)
        await s.members.update(m.id, commune_code=rng.choice(COMMUNES), role=rng.choice(ROLES))
        members.append(m.id)
    responses = []
    for run in runs:
        for mid in rng.sample(members, 30):
            at = run.opens_at + timedelta(hours=rng.randint(1, 500))
            r = await s.checkins.start(run.id, mid, version, at)
            asked = await _answer_all(s, r.id, rng, at)
            if rng.random() < 0.9:
                assert await s.checkins.submit(r.id, asked, at)
                responses.append(r.id)
    # What happens afterwards: some reopen (their older report counts again), some move
    # commune or change role, one is forgotten.
    for rid in rng.sample(responses, 8):
        await s.checkins.reopen(rid, version, T0 + timedelta(days=300))
    for mid in rng.sample(members, 10):
        await s.members.update(mid, commune_code=rng.choice(COMMUNES), role=rng.choice(ROLES))
    await s.people.forget([members[0]], T0 + timedelta(days=301))

    until = T0 + timedelta(days=400)  # a period not ended: the kept table is read
    every = await s.reporting.submitted("ocop-quy", until=until, latest=True)
    assert len(every) > 20
    for cond in CONDITIONS:
        qs = tuple(sorted({q for q, _ in cond}))
        kept = await s.reporting.grouped("ocop-quy", qs, until=until, latest=True)
        assert tallied(kept, cond) == reference(every, cond), cond
        by_role = Counter()
        for t in kept:
            if condition_holds(cond, t.answers):
                by_role[t.role] += t.n
        assert by_role == Counter(r.role for r in every if condition_holds(cond, r.answers))
    # A period that ended before the newest reports: ranked from every response instead.
    mid_year = runs[1].opens_at + timedelta(days=10)
    then = await s.reporting.submitted("ocop-quy", until=mid_year, latest=True)
    for cond in CONDITIONS:
        qs = tuple(sorted({q for q, _ in cond}))
        ranked = await s.reporting.grouped("ocop-quy", qs, until=mid_year, latest=True)
        assert tallied(ranked, cond) == reference(then, cond), cond
    # Rebuilt from scratch (as after a bulk import), the kept rows are the same.
    before = await s.db.fetchall("SELECT * FROM checkin_latest_answers ORDER BY 1, 2, 3")
    await s.reporting.rebuild_latest()
    assert [tuple(r) for r in await s.db.fetchall(
        "SELECT * FROM checkin_latest_answers ORDER BY 1, 2, 3")] == [tuple(r) for r in before]


async def test_window_counts_match_the_responses_one_by_one(opened):
    rng = random.Random(7)
    s = await opened("w.db")
    version = await s.checkins.version("hoat-dong-co-so", "d1", {"questions": []}, T0)
    run = await s.checkins.ensure_run("hoat-dong-co-so", "2026-Q1", T0, None, T0 + timedelta(days=90), T0)
    for i in range(25):
        m = await s.members.seen("zalo", f"z{i}", f"z{i}", None, "vi", T0)
        await s.members.update(m.id, commune_code=rng.choice(COMMUNES), role=rng.choice(ROLES))
        r = await s.checkins.start(run.id, m.id, version, T0)
        at = T0 + timedelta(days=rng.randint(0, 80))
        await s.checkins.answer(r.id, "meetings", "number", rng.choice([0, 1, 3]), ["meetings"], at)
        if i % 5:
            await s.checkins.submit(r.id, ["meetings"], at)
    since, until = T0 + timedelta(days=10), T0 + timedelta(days=60)
    every = await s.reporting.submitted("hoat-dong-co-so", since=since, until=until)
    sums: Counter = Counter()
    for r in every:
        sums[(r.commune_code, r.role)] += r.answers["meetings"]
    got: Counter = Counter()
    for t in await s.reporting.grouped("hoat-dong-co-so", ("meetings",), since=since, until=until):
        got[(t.commune_code, t.role)] += t.answers["meetings"] * t.n
    assert +got == +sums and sum(sums.values()) > 0


async def test_article_readers_are_counted_as_they_read_and_survive_compaction(opened):
    rng = random.Random(3)
    s = await opened("a.db")
    ids = []
    for i in range(12):
        ids.append((await s.members.seen("telegram", f"r{i}", f"r{i}", None, "vi", T0)).id)
    at = T0
    for _ in range(200):
        at += timedelta(hours=3)
        await s.reads.record(rng.choice(ids), rng.choice(["a", "b", "c", "d"]), at)

    async def counted_again():
        rows = await s.db.fetchall(
            "SELECT article_id, COUNT(DISTINCT member_id) FROM article_reads GROUP BY article_id")
        return {r[0]: r[1] for r in rows}

    readers = await counted_again()
    assert {a: n for a, _, n in await s.reads.most_read(10)} == readers
    openings = {a: o for a, o, _ in await s.reads.most_read(10)}
    assert sum(openings.values()) == 200
    seen = {m: await s.reads.opened(m) for m in ids}

    removed = await s.reads.compact(T0 + timedelta(days=20), step=7)
    assert removed > 0
    rows = await s.db.fetchone("SELECT COUNT(*) FROM article_reads")
    assert rows[0] == 200 - removed
    # What /thongke shows and what each member has opened stay the same …
    assert await s.reads.most_read(10) == sorted(
        [(a, openings[a], n) for a, n in readers.items()], key=lambda x: (-x[2], x[0]))[:10]
    assert {m: await s.reads.opened(m) for m in ids} == seen
    # … and a member opening an article again after compaction is not a new reader.
    member, article = next((m, next(iter(a))) for m, a in seen.items() if a)
    await s.reads.record(member, article, at + timedelta(days=1))
    after = {a: n for a, _, n in await s.reads.most_read(10)}
    assert after == readers == await counted_again()


async def test_staff_reads_never_take_the_connections_farmers_wait_for(opened):
    """Three heavy staff reads run while a farmer's read is asked for: with the staff
    lane the farmer's read is answered first; without it, it would queue behind them
    (the pool has three readers)."""
    s = await opened("l.db")
    heavy = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000)"
             " SELECT COUNT(*) FROM n")
    finished: list[str] = []

    async def staff(i: int) -> None:
        with s.db.staff_lane():
            await s.db.fetchone(heavy)
        finished.append(f"staff{i}")

    async def farmer() -> None:
        await s.db.fetchone("SELECT COUNT(*) FROM members")
        finished.append("farmer")

    staff_tasks = [asyncio.create_task(staff(i)) for i in range(3)]
    await asyncio.sleep(0)  # the staff reads have asked for their connections first
    await asyncio.gather(farmer(), *staff_tasks)
    assert finished[0] == "farmer", finished


async def test_the_nightly_job_summarises_old_reads_and_keeps_what_thongke_shows(tmp_path):
    from tests.helpers import Harness

    h = Harness(tmp_path, NHANONG_READS_KEEP_DAYS="30")
    h.clock.set(T0)
    await h.open()
    try:
        s = h.app.store
        ids = [(await s.members.seen("telegram", f"n{i}", f"n{i}", None, "vi", T0)).id
               for i in range(3)]
        for day in range(40):  # each member opens article "a" every day
            for m in ids:
                await s.reads.record(m, "a", T0 + timedelta(days=day))
        shown = await s.reads.most_read(5)
        assert shown == [("a", 120, 3)]
        h.clock.set(T0 + timedelta(days=45))
        result = await h.app.retention.run()
        # Openings before day 15 (45 - 30) became one per member: 3 × 14 repeats go.
        assert result["reads"] == 3 * 14
        assert await s.reads.most_read(5) == shown
        assert [await s.reads.opened(m) for m in ids] == [{"a"}] * 3
    finally:
        await h.close()
