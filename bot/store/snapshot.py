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
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import aiosqlite

from .broadcasts import Broadcasts
from .courses import Courses
from .db import StoreError
from .reporting import Reporting


class ReadOnlyDatabase:
    """The reading half of :class:`bot.store.db.Database` over ``mode=ro`` connections:
    a couple of them, so that two reads (the indicators, the streamed answers) run at
    the same time, each on its own SQLite thread."""

    def __init__(self, path: Path | str, *, connections: int = 2, busy_timeout: float = 5.0) -> None:
        self.path = Path(path)
        self.connections = max(1, connections)
        self.busy_timeout = busy_timeout
        self._all: list[aiosqlite.Connection] = []
        self._idle: asyncio.Queue[aiosqlite.Connection] | None = None

    async def open(self) -> ReadOnlyDatabase:
        if not self.path.is_file():
            raise StoreError(f"{self.path}: no database there (check NHANONG_DB)")
        try:
            for _ in range(self.connections):
                self._all.append(await self._connect())
        except BaseException:
            await self.close()
            raise
        self._idle = asyncio.Queue()
        for conn in self._all:
            self._idle.put_nowait(conn)
        return self

    async def _connect(self) -> aiosqlite.Connection:
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

    @asynccontextmanager
    async def _reader(self) -> AsyncIterator[aiosqlite.Connection]:
        if self._idle is None:
            raise StoreError("database is not open")
        idle = self._idle
        conn = await idle.get()
        try:
            yield conn
        finally:
            idle.put_nowait(conn)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        async with self._reader() as conn, conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self._reader() as conn, conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def close(self) -> None:
        conns, self._all, self._idle = self._all, [], None
        for conn in conns:
            with suppress(Exception):
                await conn.close()


class Snapshot:
    """What a report or an export reads, on a read-only connection (no audit: the
    process that asked for the files records them)."""

    def __init__(self, db: ReadOnlyDatabase) -> None:
        self.db = db
        self.reporting = Reporting(db)  # type: ignore[arg-type]
        self.courses = Courses(db)  # type: ignore[arg-type]
        self.broadcasts = Broadcasts(db)  # type: ignore[arg-type]

    @classmethod
    async def open(cls, path: Path | str) -> Snapshot:
        return cls(await ReadOnlyDatabase(path).open())

    async def close(self) -> None:
        await self.db.close()
