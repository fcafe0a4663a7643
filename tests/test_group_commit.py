"""Group commit: many people's writes share one transaction (one fsync), and one
bad write does not take the others down with it.

Real SQLite files; the writer's statements are watched with SQLite's own trace
callback to count the COMMITs.
"""

from __future__ import annotations

import asyncio

from bot.clock import FakeClock
from bot.store import Store
from bot.types import Rendered

PEOPLE = 100


async def _commits(store: Store) -> list[str]:
    """Every statement the writer runs from now on (SQLite's trace callback)."""
    seen: list[str] = []
    conn = store.db.conn
    await conn._execute(conn._conn.set_trace_callback, seen.append)
    return seen


async def test_a_hundred_people_answered_at_once_share_a_few_commits(tmp_path):
    clock = FakeClock()
    store = await Store(tmp_path / "bot.db").open()
    try:
        j = store.journal
        entries = [await j.add("telegram", str(i), {"update_id": i}, clock.now())
                   for i in range(PEOPLE)]
        statements = await _commits(store)
        rows = await asyncio.gather(*(
            j.finish(e.id, f"telegram:{i}", [("telegram", str(i), Rendered(f"chào {i}"))],
                     None, clock.now())
            for i, e in enumerate(entries)))
        commits = sum(s.strip().upper() == "COMMIT" for s in statements)
        assert 1 <= commits <= PEOPLE // 10, commits
        # Each finish returned its own reply, committed: a reader sees them all.
        assert [r[0].message.text for r in rows] == [f"chào {i}" for i in range(PEOPLE)]
        counts = await j.counts()
        assert counts["done"] == PEOPLE and counts["reply_pending"] == PEOPLE
    finally:
        await store.close()


async def test_one_write_that_fails_in_a_group_fails_alone(tmp_path):
    clock = FakeClock()
    store = await Store(tmp_path / "bot.db").open()
    try:
        j = store.journal
        entries = [await j.add("telegram", str(i), {"update_id": i}, clock.now())
                   for i in range(10)]
        finishes = [j.finish(e.id, f"telegram:{i}", [("telegram", str(i), Rendered("x"))],
                             None, clock.now()) for i, e in enumerate(entries)]
        # A reply for an update that is not stored breaks the foreign key.
        finishes.insert(5, j.finish(999_999, "telegram:x", [("telegram", "x", Rendered("x"))],
                                    None, clock.now()))
        out = await asyncio.gather(*finishes, return_exceptions=True)
        failed = [o for o in out if isinstance(o, BaseException)]
        assert len(failed) == 1 and out[5] is failed[0]
        counts = await j.counts()
        assert counts["done"] == 10 and counts["reply_pending"] == 10
    finally:
        await store.close()


async def test_a_returning_member_is_marked_seen_by_the_time_the_message_is_done(tmp_path):
    clock = FakeClock()
    store = await Store(tmp_path / "bot.db").open()
    try:
        m = await store.members.seen("telegram", "7", "7", "Lan", "vi", clock.now())
        first = await store.db.fetchone("SELECT last_seen_at FROM members WHERE id = ?", (m.id,))
        clock.advance(3600)
        e = await store.journal.add("telegram", "1", {"update_id": 1}, clock.now())
        again = await store.members.seen("telegram", "7", "7", None, "vi", clock.now())
        assert again.id == m.id and again.display_name == "Lan"
        await store.journal.finish(e.id, "telegram:7", [], None, clock.now())
        row = await store.db.fetchone("SELECT last_seen_at FROM members WHERE id = ?", (m.id,))
        assert row[0] == clock.now().isoformat() and row[0] > first[0]
        # A new chat id or a block cleared is written before seen returns.
        await store.members.mark_blocked("telegram", "7", clock.now())
        back = await store.members.seen("telegram", "7", "8", None, "vi", clock.now())
        assert not back.blocked and back.chat_id == "8"
        assert (await store.members.find("telegram", "7")).chat_id == "8"
    finally:
        await store.close()
