"""The database file itself: its size, giving free pages back (VACUUM).

Deleting rows (retention) leaves free pages inside the file: SQLite reuses them,
so the file stops growing, but it does not shrink.  ``vacuum`` rewrites the file
(full VACUUM, which also turns on incremental auto-vacuum) or, once incremental
auto-vacuum is on, gives the free pages back without rewriting (``incremental``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from .db import Database

INCREMENTAL = 2  # PRAGMA auto_vacuum's value for "incremental"


def file_size(path: Path | str) -> int:
    """Bytes on disk: the database file and its write-ahead log."""
    path = Path(path)
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def _give_back(conn: sqlite3.Connection, most: int | None) -> int:
    """Free pages back to the file system.  (Python's execute() steps a statement that
    returns no rows once, and incremental_vacuum frees one page per step: a script
    steps it to the end.)"""
    before = conn.execute("PRAGMA freelist_count").fetchone()[0]
    conn.executescript(f"PRAGMA incremental_vacuum({int(most)});" if most
                       else "PRAGMA incremental_vacuum;")
    return int(before) - int(conn.execute("PRAGMA freelist_count").fetchone()[0])


def _vacuum(path: Path, incremental: bool, timeout: float) -> bool:
    conn = sqlite3.connect(path, isolation_level=None, timeout=timeout)
    try:
        mode = conn.execute("PRAGMA auto_vacuum").fetchone()[0]
        if incremental and mode == INCREMENTAL:
            _give_back(conn, None)
            done_incrementally = True
        else:
            conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
            conn.execute("VACUUM")
            done_incrementally = False
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        return done_incrementally
    finally:
        conn.close()


async def vacuum(path: Path | str, *, incremental: bool = False, lock_wait: float = 30.0) -> bool:
    """VACUUM the database at ``path`` (its own connection, in a thread; the bot may
    run meanwhile: it waits for the write lock up to ``lock_wait`` seconds).  With
    ``incremental`` and incremental auto-vacuum on, only the free pages are given
    back.  Returns whether it was incremental."""
    return await asyncio.to_thread(_vacuum, Path(path), incremental, lock_wait)


async def free_pages(db: Database, most: int = 4096, lock_wait: float = 5.0) -> int:
    """Give up to ``most`` free pages back to the file system, if incremental
    auto-vacuum is on (the retention job's last step); returns how many.  On a
    connection of its own: one short write transaction, like any other writer's."""
    row = await db.fetchone("PRAGMA auto_vacuum")
    if not row or row[0] != INCREMENTAL:
        return 0

    def give_back() -> int:
        conn = sqlite3.connect(db.path, isolation_level=None, timeout=lock_wait)
        try:
            return _give_back(conn, most)
        finally:
            conn.close()

    return await asyncio.to_thread(give_back)
