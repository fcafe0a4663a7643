"""A read-only view of the database for a worker process (the report and export
builder): connections of its own opened with ``mode=ro`` and ``query_only``, so
the worker can neither write nor take the bot's write lock, and the repositories
that the report reads (reporting, courses, broadcasts' audience counts) on it.

WAL lets this reader run beside the bot's connections; each read is one statement
taken whole, so no snapshot is held between the pages of a streamed export.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import aiosqlite

from .broadcasts import Broadcasts
from .courses import Courses
from .db import Database, StoreError
from .reporting import Reporting


class ReadOnlyDatabase(Database):
    """:class:`bot.store.db.Database` with only its readers, over ``mode=ro``
    connections: a couple of them, so that two reads (the indicators, the streamed
    answers) run at the same time, each on its own SQLite thread.  No writer, no
    check, no migration: the bot's own process does those."""

    def __init__(self, path: Path | str, *, connections: int = 2, busy_timeout: float = 5.0) -> None:
        super().__init__(path, readers=connections, busy_timeout=busy_timeout)

    async def open(self) -> ReadOnlyDatabase:  # type: ignore[override]
        if not self.path.is_file():
            raise StoreError(f"{self.path}: no database there (check NHANONG_DB)")
        self._idle = self._staff_idle = asyncio.Queue()  # one lane: nobody chats here
        try:
            for _ in range(self.readers):
                conn = await self._connect(reader=True)
                self._pool.append(conn)
                self._idle.put_nowait(conn)
        except BaseException:
            await self.close()
            raise
        return self

    async def _connect(self, reader: bool = True) -> aiosqlite.Connection:
        try:
            conn = await aiosqlite.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                           isolation_level=None, timeout=self.busy_timeout)
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: cannot open the database: {e}") from e
        conn.row_factory = aiosqlite.Row
        try:
            await conn.execute("PRAGMA query_only=ON")
            await conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
        except BaseException:
            await conn.close()
            raise
        return conn


class Snapshot:
    """What a report or an export reads, on a read-only connection (no audit: the
    process that asked for the files records them)."""

    def __init__(self, db: ReadOnlyDatabase) -> None:
        self.db = db
        self.reporting = Reporting(db)
        self.courses = Courses(db)
        self.broadcasts = Broadcasts(db)

    @classmethod
    async def open(cls, path: Path | str) -> Snapshot:
        return cls(await ReadOnlyDatabase(path).open())

    async def close(self) -> None:
        await self.db.close()
