"""The SQLite connections: pragmas, checks at open, migrations, transactions, backup.

This is the only module that knows it talks to SQLite.  Repositories use plain
SQL with ``?`` placeholders and ``INSERT … ON CONFLICT`` upserts, which a
PostgreSQL backend can serve from a sibling module.

One writer, several readers (WAL mode).  Every write runs on the one writer
connection, serialised by a lock, as ``BEGIN IMMEDIATE … COMMIT``; the writer
never holds a read open between writes, so SQLite's busy timeout applies when
another process (the CLI, a backup) is writing, and a write that still finds the
database busy is tried again with backoff for a bounded time, then fails with a
:class:`StoreError`.  Reads run on a small pool of read-only connections, each
read taken whole and its statement closed before the connection is handed back,
so a read never stands in a write's way; a read after a committed write sees it.
Reads that must see a transaction's own uncommitted rows use the connection
that :meth:`Database.transaction` yields.

At open an existing file is checked (SQLite header, ``PRAGMA quick_check``,
writable) and refused with a one-line reason rather than silently replaced;
only a missing file becomes a new database, created private (0600).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from contextvars import ContextVar
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

log = logging.getLogger(__name__)
_STAFF_LANE: ContextVar[bool] = ContextVar("staff_reads", default=False)

_MIGRATION = re.compile(r"^(\d{4})_[\w-]+\.sql$")
_HEADER = b"SQLite format 3\x00"
_RESTORE = "restore it from a backup (python -m bot db backup makes them)"
T = TypeVar("T")


class StoreError(Exception):
    """The database cannot be used (unreadable, damaged, read-only, locked too long,
    newer schema than this code)."""


def migrations() -> list[tuple[int, str, str]]:
    """Shipped migrations as (version, name, sql), in order."""
    folder = resources.files("bot.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        m = _MIGRATION.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def _busy(e: BaseException) -> bool:
    """SQLite's "database is locked/busy" (another connection holds the lock)."""
    code = getattr(e, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    return isinstance(e, sqlite3.OperationalError) and "locked" in str(e)


def create_private(path: Path) -> None:
    """Create an empty file readable by its owner only (0600); fails if it exists."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)  # whatever the umask


class Database:
    """The writer connection and a small pool of reader connections (WAL mode),
    shared by every repository; see the module docstring.

    Writes that must stand or fall together go through :meth:`transaction`,
    which also serialises them against each other.
    """

    def __init__(self, path: Path | str, *, readers: int = 3, staff_readers: int = 2,
                 busy_timeout: float = 5.0, retry_for: float = 20.0) -> None:
        self.path = Path(path)
        self.readers = max(1, readers)
        self.staff_readers = max(1, staff_readers)  # their own lane: see staff_lane
        self.busy_timeout = busy_timeout  # SQLite waits this long for a lock, per attempt
        self.retry_for = retry_for  # then we try again with backoff until this much has passed
        self._conn: aiosqlite.Connection | None = None
        self._pool: list[aiosqlite.Connection] = []
        self._idle: asyncio.Queue[aiosqlite.Connection] | None = None
        self._staff_idle: asyncio.Queue[aiosqlite.Connection] | None = None
        self._tx_lock = asyncio.Lock()
        self._group: list[tuple[Callable[[aiosqlite.Connection], Awaitable[Any]],
                                asyncio.Future[Any]]] = []
        self._grouper: asyncio.Task[None] | None = None

    @property
    def conn(self) -> aiosqlite.Connection:
        """The writer connection (use :meth:`transaction` to write with it)."""
        if self._conn is None:
            raise StoreError("database is not open")
        return self._conn

    # -- opening and closing ---------------------------------------------------------
    async def open(self, migrate: bool = True, create: bool = True, check: bool = True) -> None:
        """Open (``create``: a missing file becomes a new database), check (``check``:
        ``PRAGMA quick_check`` of every page, seconds for a province's file), migrate.

        Raises StoreError with a one-line reason, having closed what it opened."""
        new = self._check_file(create)
        try:
            self._conn = await self._connect(reader=False)
            if not new and check:
                await self._quick_check(self._conn)
            self._idle, self._staff_idle = asyncio.Queue(), asyncio.Queue()
            for lane, n in ((self._idle, self.readers), (self._staff_idle, self.staff_readers)):
                for _ in range(n):
                    reader = await self._connect(reader=True)
                    self._pool.append(reader)
                    lane.put_nowait(reader)
            if migrate:
                await self.migrate()
        except BaseException as e:
            await self.close()
            if isinstance(e, sqlite3.Error):
                raise self._error(e) from e
            raise

    def _check_file(self, create: bool) -> bool:
        """True when the database is new; StoreError for a file that is no database."""
        path = self.path
        if not path.exists():
            if not create:
                raise StoreError(f"{path}: no database there (check NHANONG_DB)")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                create_private(path)
            except OSError as e:
                raise StoreError(f"{path}: cannot create the database: {e.strerror}") from None
            return True
        if not path.is_file():
            raise StoreError(f"{path}: not a file (check NHANONG_DB)")
        try:
            with path.open("rb") as f:
                head = f.read(len(_HEADER))
        except OSError as e:
            raise StoreError(f"{path}: cannot read the database: {e.strerror}") from None
        if not head:
            raise StoreError(f"{path}: the database file is empty (0 bytes); {_RESTORE}, "
                             "or move it away to start a new, empty database")
        if head != _HEADER:
            raise StoreError(f"{path}: not an SQLite database (damaged?); {_RESTORE}")
        return False

    async def _connect(self, reader: bool) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self.path, isolation_level=None, timeout=self.busy_timeout)
        try:
            conn.row_factory = aiosqlite.Row
            # Names compared without accents or case (the console's member search).
            await conn.create_function("nn_fold", 1, _fold, deterministic=True)
            if not reader:
                await conn.execute("PRAGMA journal_mode=WAL")
                await conn.execute("PRAGMA synchronous=FULL")
            await conn.execute("PRAGMA foreign_keys=ON")
            await conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout * 1000)}")
            if reader:
                await conn.execute("PRAGMA query_only=ON")  # a write here is a bug: say so
        except BaseException:
            await conn.close()
            raise
        return conn

    async def _quick_check(self, conn: aiosqlite.Connection) -> None:
        async with conn.execute("PRAGMA quick_check(3)") as cur:
            found = [r[0] for r in await cur.fetchall()]
        if found != ["ok"]:
            raise StoreError(f"{self.path}: the database is damaged ({'; '.join(found)}); {_RESTORE}")

    def _error(self, e: sqlite3.Error) -> StoreError:
        """A one-line reason for what SQLite said while opening."""
        code = (getattr(e, "sqlite_errorcode", 0) or 0) & 0xFF
        if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            return StoreError(f"{self.path}: the database is damaged ({e}); {_RESTORE}")
        if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
            return StoreError(f"{self.path}: cannot write the database ({e}); the bot needs "
                              "write access to the file and to its folder (for the -wal and "
                              "-shm files)")
        return StoreError(f"{self.path}: cannot open the database: {e}")

    async def close(self) -> None:
        if self._grouper is not None and not self._grouper.done():  # writes asked for
            with suppress(Exception):
                await asyncio.shield(self._grouper)
        pool, self._pool, self._idle, self._staff_idle = self._pool, [], None, None
        conn, self._conn = self._conn, None
        if conn is not None:  # statistics for the query planner, where they are stale
            with suppress(Exception):
                await asyncio.wait_for(conn.execute("PRAGMA optimize"), 5)
        for c in [*pool, *([conn] if conn is not None else [])]:
            with suppress(Exception):
                await c.close()

    async def migrate(self) -> list[str]:
        """Apply shipped migrations not yet recorded; returns the names applied.

        Also proves that the database can be written (a read-only file says so here,
        not at the first member's message)."""
        async with self.transaction() as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            await conn.execute("UPDATE schema_migrations SET version = version WHERE 0")
            async with conn.execute("SELECT version FROM schema_migrations") as cur:
                done = {r[0] for r in await cur.fetchall()}
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

    # -- busy: wait, back off, give up clearly ----------------------------------------------
    async def _retrying(self, what: str, op: Callable[[], Awaitable[T]]) -> T:
        """``op()``, again with backoff while SQLite says busy, for ``retry_for`` seconds."""
        start = time.monotonic()
        delay = 0.02
        while True:
            try:
                return await op()
            except sqlite3.OperationalError as e:
                if not _busy(e):
                    raise
                waited = time.monotonic() - start
                if waited >= self.retry_for:
                    raise StoreError(
                        f"{self.path}: the database stayed locked for {waited:.0f} s ({what}); "
                        "another program is holding it"
                    ) from e
                log.warning("database busy (%s); trying again", what)
                await asyncio.sleep(min(delay, self.retry_for - waited) * random.uniform(0.5, 1.0))
                delay = min(delay * 2, 1.0)

    # -- writing -------------------------------------------------------------------------
    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """BEGIN IMMEDIATE … COMMIT on the writer, rolled back on any exception.

        Reads inside must use the connection yielded (it sees the uncommitted rows)."""
        async with self._tx_lock:
            conn = self.conn
            try:
                await self._retrying("begin", lambda: conn.execute("BEGIN IMMEDIATE"))
            except BaseException:
                await _rollback(conn)  # a cancelled BEGIN may still run in the thread
                raise
            try:
                yield conn
                await conn.execute("COMMIT")
            except BaseException:
                await _rollback(conn)
                raise

    async def together(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> T:
        """``work(conn)`` in a transaction shared with the other ``together`` calls made
        meanwhile (group commit: one COMMIT, one fsync, for many callers); returns its
        result once that transaction is committed.

        The works run one after another, in the order asked; one that raises gets
        its caller the exception and the others commit (see :meth:`_commit_group`).
        A work must only run statements on ``conn`` (it may run twice, once rolled
        back).  A failed BEGIN or COMMIT fails them all.  A caller cancelled while
        waiting does not take its work back: it may still commit."""
        return await asyncio.shield(self.soon(work))

    def soon(self, work: Callable[[aiosqlite.Connection], Awaitable[T]]) -> asyncio.Future[T]:
        """Like :meth:`together` without waiting: the future of its result.  It commits
        with, or before, every ``together``/``soon`` work asked for after it (not
        ordered against plain :meth:`transaction` writes).  A failure nobody awaits is
        logged."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        fut.add_done_callback(_log_unawaited)
        self._group.append((work, fut))
        if self._grouper is None or self._grouper.done():
            self._grouper = loop.create_task(self._commit_groups(), name="db-group-commit")
        return fut

    async def _commit_groups(self) -> None:
        while self._group:
            batch, self._group = self._group, []
            try:
                await self._commit_group(batch)
            except BaseException as e:
                for _, fut in batch:
                    if not fut.done():
                        fut.set_exception(e if isinstance(e, Exception) else StoreError(
                            f"{self.path}: the write was interrupted"))
                if not isinstance(e, Exception):
                    raise

    async def _commit_group(self, batch: list[tuple[Callable[[aiosqlite.Connection],
                                                               Awaitable[Any]],
                                                      asyncio.Future[Any]]]) -> None:
        """The whole batch in one transaction; if one work raises, that transaction is
        rolled back and each work runs again in a transaction of its own, so that
        only the failing one fails (works are only statements: running one again
        writes the same)."""
        values: list[Any] = []
        in_work = False
        try:
            async with self.transaction() as conn:
                for work, _ in batch:
                    in_work = True
                    values.append(await work(conn))
                    in_work = False
        except Exception:
            if len(batch) == 1 or not in_work:  # BEGIN or COMMIT failed: all fail
                raise
            for work, fut in batch:
                try:
                    async with self.transaction() as conn:
                        value = await work(conn)
                except Exception as e:
                    if not fut.done():
                        fut.set_exception(e)
                    continue
                if not fut.done():
                    fut.set_result(value)
            return
        for (_, fut), value in zip(batch, values, strict=True):
            if not fut.done():
                fut.set_result(value)

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement on its own; returns the rows changed (or lastrowid for inserts)."""
        async with self.transaction() as conn:
            cur = await conn.execute(sql, params)
            n = cur.lastrowid if sql.lstrip().upper().startswith("INSERT") else cur.rowcount
            await cur.close()
        return n or 0

    async def fetchone_write(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        """A write that returns a row (``INSERT … RETURNING``), serialised like execute."""
        async with self.transaction() as conn:
            async with conn.execute(sql, params) as cur:
                row = await cur.fetchone()
        return row

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        async with self.transaction() as conn:
            await conn.executemany(sql, rows)

    # -- reading ---------------------------------------------------------------------------
    @staticmethod
    @contextmanager
    def staff_lane(staff: bool = True) -> Iterator[None]:
        """Reads made inside (by this task and those it starts) use the staff readers,
        so that staff screens, however heavy, never take a connection a farmer's
        message is waiting for."""
        token = _STAFF_LANE.set(staff)
        try:
            yield
        finally:
            _STAFF_LANE.reset(token)

    @asynccontextmanager
    async def _reader(self) -> AsyncIterator[aiosqlite.Connection]:
        """A reader connection of the pool (of the staff lane, inside one), for one read."""
        idle = self._staff_idle if _STAFF_LANE.get() else self._idle
        if idle is None:
            raise StoreError("database is not open")
        conn = await idle.get()
        try:
            yield conn
        finally:
            idle.put_nowait(conn)

    async def fetchone(self, sql: str, params: Sequence[Any] = ()) -> aiosqlite.Row | None:
        async def once() -> aiosqlite.Row | None:
            async with self._reader() as conn, conn.execute(sql, params) as cur:
                return await cur.fetchone()

        return await self._retrying("read", once)

    async def fetchall(self, sql: str, params: Sequence[Any] = (), *,
                       tuples: bool = False) -> list[aiosqlite.Row]:
        """Every row (``tuples``: as plain tuples, quicker to make and to read when a
        streamed export reads a million of them)."""
        async def once() -> list[aiosqlite.Row]:
            async with self._reader() as conn, conn.execute(sql, params) as cur:
                if tuples:
                    cur.row_factory = None
                return list(await cur.fetchall())

        return await self._retrying("read", once)

    async def integrity(self) -> list[str]:
        """SQLite's full ``PRAGMA integrity_check``: [] when the database is sound."""
        found = [r[0] for r in await self.fetchall("PRAGMA integrity_check(20)")]
        return [] if found == ["ok"] else found

    async def backup(self, target: Path) -> None:
        """Copy the live database with SQLite's online backup (safe while running);
        the copy is private (0600)."""
        target = Path(target)
        if target.exists():
            raise StoreError(f"{target}: already exists; choose a new file")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".part")
        partial.unlink(missing_ok=True)  # left by a backup that was interrupted
        create_private(partial)
        try:
            dest = await aiosqlite.connect(partial)
            try:
                async with self._reader() as conn:
                    await conn.backup(dest)
            finally:
                await dest.close()
            partial.rename(target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise


def _log_unawaited(fut: asyncio.Future[Any]) -> None:
    if not fut.cancelled() and fut.exception() is not None:  # marks it retrieved, too
        log.warning("a grouped write failed: %s", fut.exception())


async def _rollback(conn: aiosqlite.Connection) -> None:
    """ROLLBACK if a transaction is open (queued after whatever the thread still runs)."""
    with suppress(sqlite3.Error, ValueError):
        await conn.execute("ROLLBACK")


def utc(when: datetime) -> str:
    """A moment as stored: ISO text in UTC, so that times compare as text in SQL."""
    return when.astimezone(UTC).isoformat()


def from_utc(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _statements(sql: str) -> list[str]:
    """Split a migration file into statements (no semicolons inside literals there; a
    ``CREATE TRIGGER`` runs on to its ``END``)."""
    lines = [ln for ln in sql.splitlines() if not ln.strip().startswith("--")]
    out: list[str] = []
    part = ""
    for piece in "\n".join(lines).split(";"):
        part = f"{part};{piece}" if part else piece
        head = part.strip().upper()
        if head.startswith("CREATE TRIGGER") and not head.endswith("END"):
            continue
        if part.strip():
            out.append(part.strip())
        part = ""
    if part.strip():
        out.append(part.strip())
    return out


def inspect_copy(path: Path) -> list[tuple[str, str]]:
    """Why ``path`` is unfit to be restored, as (reason, detail) pairs ([] when it is a
    sound database of this program's schema).  Reasons: ``unreadable``, ``not-sqlite``,
    ``damaged``, ``not-ours``, ``newer``.  Opens it read-only and changes nothing."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            head = f.read(len(_HEADER))
    except OSError as e:
        return [("unreadable", e.strerror or str(e))]
    if head != _HEADER:
        return [("not-sqlite", "")]
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as e:
        return [("unreadable", str(e))]
    try:
        found = [r[0] for r in conn.execute("PRAGMA integrity_check(20)")]
        if found != ["ok"]:
            return [("damaged", x) for x in found]
        has = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").fetchone()
        if not has:
            return [("not-ours", "")]
        version = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] or 0
        newest = max((v for v, _, _ in migrations()), default=0)
        if version > newest:
            return [("newer", f"{version} > {newest}")]
    except sqlite3.Error as e:
        return [("damaged", str(e))]
    finally:
        conn.close()
    return []


def copy_database(source: Path, target: Path) -> None:
    """SQLite's backup of ``source`` (with its -wal, if any) into the new file ``target``
    (created 0600; must not exist), flushed to disk."""
    create_private(target)
    src = sqlite3.connect(f"{Path(source).resolve().as_uri()}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(target)
        try:
            src.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")  # one file: no -wal to move with it
        finally:
            dest.close()
    finally:
        src.close()
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fold(text: str | None) -> str:
    from ..text import fold

    return fold(text) if text else ""
