"""The SQLite connection: pragmas, migrations, transactions and backup.

This is the only module that knows it talks to SQLite.  Repositories use plain
SQL with ``?`` placeholders and ``INSERT … ON CONFLICT`` upserts, which a
PostgreSQL backend can serve from a sibling module.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

_MIGRATION = re.compile(r"^(\d{4})_[\w-]+\.sql$")


class StoreError(Exception):
    """The database cannot be used (unreadable, newer schema than this code)."""


def migrations() -> list[tuple[int, str, str]]:
    """Shipped migrations as (version, name, sql), in order."""
    folder = resources.files("bot.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        m = _MIGRATION.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    """One aiosqlite connection in WAL mode, shared by every repository.

    Writes that must stand or fall together go through :meth:`transaction`,
    which also serialises them against each other.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        self._tx_lock = asyncio.Lock()

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StoreError("database is not open")
        return self._conn

    async def open(self, migrate: bool = True) -> None:
        if self.path.parent and not self.path.parent.exists():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = await aiosqlite.connect(self.path, isolation_level=None)
            self._conn.row_factory = aiosqlite.Row
            await self._conn.execute("PRAGMA journal_mode=WAL")
            await self._conn.execute("PRAGMA foreign_keys=ON")
            await self._conn.execute("PRAGMA busy_timeout=5000")
            await self._conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as e:
            raise StoreError(f"{self.path}: cannot open database: {e}") from e
        if migrate:
            try:
                await self.migrate()
            except BaseException:
                await self.close()
                raise

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    async def migrate(self) -> list[str]:
        """Apply shipped migrations not yet recorded; returns the names applied."""
        await self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        done = {r[0] for r in await self.fetchall("SELECT version FROM schema_migrations")}
        shipped = migrations()
        newest = max((v for v, _, _ in shipped), default=0)
        if done and max(done) > newest:
            raise StoreError(
                f"{self.path}: schema version {max(done)} is newer than this program ({newest})"
            )
        applied = []
        for version, name, sql in shipped:
            if version in done:
                continue
            async with self.transaction() as conn:
                for statement in _statements(sql):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at)"
                    " VALUES (?, ?, datetime('now'))",
                    (version, name),
                )
            log.info("applied migration %s", name)
            applied.append(name)
        return applied

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""
        async with self._tx_lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement on its own; returns the rows changed (or lastrowid for inserts)."""
        async with self._tx_lock:
            cur = await self.conn.execute(sql, params)
            n = cur.lastrowid if sql.lstrip().upper().startswith("INSERT") else cur.rowcount
            await cur.close()
            return n or 0

    async def fetchone_write(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        """A write that returns a row (``INSERT … RETURNING``), serialised like execute."""
        async with self._tx_lock:
            async with self.conn.execute(sql, params) as cur:
                return await cur.fetchone()

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        async with self.conn.execute(sql, params) as cur:
            return await cur.fetchone()

    async def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[aiosqlite.Row]:
        async with self.conn.execute(sql, params) as cur:
            return list(await cur.fetchall())

    async def backup(self, target: Path) -> None:
        """Copy the live database with SQLite's online backup (safe while running)."""
        target = Path(target)
        if target.exists():
            raise StoreError(f"{target}: already exists; choose a new file")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        dest = await aiosqlite.connect(partial)
        try:
            await self.conn.backup(dest)
        finally:
            await dest.close()
        partial.rename(target)


def utc(when: datetime) -> str:
    """A moment as stored: ISO text in UTC, so that times compare as text in SQL."""
    return when.astimezone(UTC).isoformat()


def from_utc(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _statements(sql: str) -> list[str]:
    """Split a migration file into statements (no semicolons inside literals there)."""
    lines = [ln for ln in sql.splitlines() if not ln.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
