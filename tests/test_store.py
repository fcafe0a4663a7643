"""The SQLite store: migrations, members, dialog state, audit, backup."""

from __future__ import annotations

import sqlite3

import pytest

from bot.clock import FakeClock
from bot.store import DialogState, Store, StoreError
from bot.store.db import migrations


async def test_migrations_apply_once_and_are_recorded(tmp_path):
    s = await Store(tmp_path / "a.db").open()
    assert await s.db.migrate() == []  # already applied at open
    rows = await s.db.fetchall("SELECT version FROM schema_migrations")
    assert [r[0] for r in rows] == [v for v, _, _ in migrations()]
    assert [r[0] for r in rows][:5] == [1, 2, 3, 4, 5]
    names = [name for _, name, _ in migrations()]
    assert names[-3:] == ["0016_direct.sql", "0017_question_inbox.sql", "0018_member_search.sql"]
    assert len(names) == 18 == int(names[-1][:4])  # every shipped file, numbered without a gap
    mode = await s.db.fetchone("PRAGMA journal_mode")
    fk = await s.db.fetchone("PRAGMA foreign_keys")
    assert mode[0] == "wal" and fk[0] == 1
    await s.close()


async def test_newer_schema_is_refused(tmp_path):
    s = await Store(tmp_path / "a.db").open()
    await s.db.execute("INSERT INTO schema_migrations VALUES (999, 'future.sql', 'now')")
    await s.close()
    with pytest.raises(StoreError, match="newer"):
        await Store(tmp_path / "a.db").open()


async def test_member_is_one_row_per_person_and_channel(tmp_path):
    clock = FakeClock()
    s = await Store(tmp_path / "a.db").open()
    a = await s.members.seen("telegram", "1", "1", "A", "vi", clock.now())
    b = await s.members.seen("telegram", "1", "1", None, "vi", clock.now())
    c = await s.members.seen("zalo", "1", "1", "A", "vi", clock.now())
    assert a.id == b.id != c.id
    assert b.display_name == "A"
    await s.close()


async def test_speaking_again_clears_a_block(tmp_path):
    clock = FakeClock()
    s = await Store(tmp_path / "a.db").open()
    m = await s.members.seen("telegram", "1", "1", "A", "vi", clock.now())
    await s.members.mark_blocked("telegram", "1", clock.now())
    assert (await s.members.get(m.id)).blocked
    await s.members.seen("telegram", "1", "1", "A", "vi", clock.now())
    assert not (await s.members.get(m.id)).blocked
    await s.close()


async def test_dialog_state_survives_reopen(tmp_path):
    clock = FakeClock()
    s = await Store(tmp_path / "a.db").open()
    m = await s.members.seen("telegram", "1", "1", "A", "vi", clock.now())
    st = DialogState()
    st.enter("profile", "role", mode="onboarding", topics=["ocop"])
    st.offered = [("Bỏ qua", "pf:skip")]
    await s.dialogs.put(m.id, st, clock.now())
    await s.close()
    s = await Store(tmp_path / "a.db").open()
    again = await s.dialogs.get(m.id)
    assert (again.flow, again.step, again.data, again.offered) == (
        "profile", "role", {"mode": "onboarding", "topics": ["ocop"]}, [("Bỏ qua", "pf:skip")]
    )
    await s.close()


async def test_failed_transaction_leaves_nothing_behind(tmp_path):
    clock = FakeClock()
    s = await Store(tmp_path / "a.db").open()
    m = await s.members.seen("telegram", "1", "1", "A", "vi", clock.now())
    await s.members.set_topics(m.id, ["ocop"])
    with pytest.raises(sqlite3.IntegrityError):
        await s.members.set_topics(999, ["htx"])  # no such member: foreign key
    assert (await s.members.get(m.id)).topics == ["ocop"]
    await s.close()


async def test_online_backup_is_a_usable_copy(tmp_path):
    clock = FakeClock()
    s = await Store(tmp_path / "a.db").open()
    await s.members.seen("telegram", "1", "1", "Tèo", "vi", clock.now())
    await s.db.backup(tmp_path / "copy.db")
    with pytest.raises(StoreError, match="exists"):
        await s.db.backup(tmp_path / "copy.db")
    await s.close()
    copy = await Store(tmp_path / "copy.db").open()
    assert (await copy.members.find("telegram", "1")).display_name == "Tèo"
    await copy.close()


async def test_audit_records_who_did_what(tmp_path):
    clock = FakeClock()
    s = await Store(tmp_path / "a.db").open()
    await s.audit.record("telegram:42", "stats.view", clock.now(), rows=3)
    [row] = await s.audit.recent()
    assert row["actor"] == "telegram:42" and row["detail"] == {"rows": 3}
    await s.close()
