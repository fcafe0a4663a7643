"""Start-up fails fast and loud: the real ``python -m bot run`` with a bad database or an
unreachable Bot API exits non-zero within seconds with one line on stderr; a fresh
path still starts.  Files the bot creates are private (0600)."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from tests.fakes.telegram_api import FakeTelegram
from tests.waits import GUARD  # a deadlock guard; the exit itself must come within 10 s

ROOT = Path(__file__).resolve().parent.parent


def _env(db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NHANONG_", "TELEGRAM_", "ZALO_"))}
    env.update({"NHANONG_DB": str(db), "NHANONG_LOG_LEVEL": "WARNING", "NHANONG_LOCALE": "en",
                **extra})
    return env


async def _run_bot(db: Path, **extra: str) -> tuple[int, float, list[str]]:
    """``python -m bot run``: its exit code, seconds taken, stderr lines."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=db.parent, env=_env(db, **extra),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _, err = await asyncio.wait_for(proc.communicate(), GUARD)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError("python -m bot run did not exit") from None
    return proc.returncode or 0, loop.time() - began, err.decode().splitlines()


def _assert_fails_fast(result: tuple[int, float, list[str]], *words: str) -> None:
    rc, took, lines = result
    assert rc != 0 and took < 10, (rc, took, lines[-3:])
    assert len(lines) == 1 and lines[0].startswith("error: "), lines[:5]
    for w in words:
        assert w in lines[0], lines[0]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _real_database(path: Path) -> None:
    """A database the bot made, with some rows in it (a few hundred kB)."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE filler (id INTEGER PRIMARY KEY, x TEXT)")
    db.executemany("INSERT INTO filler (x) VALUES (?)", [(str(i) * 40,) for i in range(5000)])
    db.commit()
    db.close()


@pytest.fixture
async def telegram(fake):
    return fake


def _token_env(fake: FakeTelegram) -> dict[str, str]:
    return {"TELEGRAM_BOT_TOKEN": fake.token, "TELEGRAM_BASE_URL": fake.base_url}


async def test_an_empty_database_file_is_refused(tmp_path, telegram):
    (tmp_path / "bot.db").touch()
    _assert_fails_fast(await _run_bot(tmp_path / "bot.db", **_token_env(telegram)), "empty", "backup")
    assert (tmp_path / "bot.db").stat().st_size == 0  # left as it was, not made a new database


async def test_garbage_bytes_are_refused(tmp_path, telegram):
    (tmp_path / "bot.db").write_bytes(os.urandom(8192))
    _assert_fails_fast(await _run_bot(tmp_path / "bot.db", **_token_env(telegram)), "bot.db", "backup")


async def test_a_truncated_database_is_refused(tmp_path, telegram):
    db = tmp_path / "bot.db"
    _real_database(db)
    os.truncate(db, db.stat().st_size // 2)
    _assert_fails_fast(await _run_bot(db, **_token_env(telegram)), "damaged", "backup")


def _immutable(path: Path, on: bool) -> bool:
    """Make ``path`` unwritable even for root (chattr); False where that is not possible."""
    if shutil.which("chattr") is None:
        return False
    return subprocess.run(["chattr", "+i" if on else "-i", str(path)],
                          capture_output=True).returncode == 0


@pytest.fixture
def read_only(tmp_path):
    """Make a file or folder read-only: chmod, and for root also the immutable flag."""
    done: list[tuple[Path, int]] = []

    def make(path: Path) -> None:
        done.append((path, path.stat().st_mode))
        path.chmod(0o555 if path.is_dir() else 0o444)
        if os.geteuid() == 0 and not _immutable(path, True):
            pytest.skip("running as root without chattr: nothing is read-only")

    yield make
    for path, mode in done:
        if os.geteuid() == 0:
            _immutable(path, False)
        path.chmod(stat.S_IMODE(mode))


async def test_a_read_only_database_file_is_refused(tmp_path, telegram, read_only):
    db = tmp_path / "data" / "bot.db"
    db.parent.mkdir()
    p = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "bot", "db", "migrate"],
                                env=_env(db), capture_output=True, timeout=GUARD)
    assert p.returncode == 0, p.stderr
    read_only(db)
    _assert_fails_fast(await _run_bot(db, **_token_env(telegram)), "cannot write", "bot.db")


async def test_a_read_only_folder_is_refused(tmp_path, telegram, read_only):
    db = tmp_path / "data" / "bot.db"
    db.parent.mkdir()
    read_only(db.parent)
    _assert_fails_fast(await _run_bot(db, **_token_env(telegram)), "bot.db")


async def test_a_closed_port_is_refused(tmp_path):
    env = {"TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_BASE_URL": f"http://127.0.0.1:{_closed_port()}/bot"}
    _assert_fails_fast(await _run_bot(tmp_path / "bot.db", **env), "telegram", "127.0.0.1")


async def test_a_server_answering_500_garbage_is_refused(tmp_path):
    async def broken(request: web.Request) -> web.Response:
        return web.Response(status=500, text="<html>oops</html>")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", broken)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        env = {"TELEGRAM_BOT_TOKEN": "123:abc", "TELEGRAM_BASE_URL": f"http://127.0.0.1:{port}/bot"}
        _assert_fails_fast(await _run_bot(tmp_path / "bot.db", **env), "telegram")
    finally:
        await runner.cleanup()


async def test_a_refused_token_is_refused(tmp_path, telegram):
    env = {"TELEGRAM_BOT_TOKEN": "999:WRONG-TOKEN", "TELEGRAM_BASE_URL": telegram.base_url}
    rc, took, lines = await _run_bot(tmp_path / "bot.db", **env)
    _assert_fails_fast((rc, took, lines), "TELEGRAM_BOT_TOKEN")
    assert "WRONG-TOKEN" not in lines[0]


async def test_a_fresh_path_starts_and_its_files_are_private(tmp_path, telegram):
    db = tmp_path / "new" / "bot.db"
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=tmp_path,
        env=_env(db, NHANONG_LOG_LEVEL="INFO", **_token_env(telegram)),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    try:
        async def running() -> None:
            while b"is running" not in (line := await proc.stderr.readline()):
                assert line, "exited before it was running"

        await asyncio.wait_for(running(), GUARD)
        assert stat.S_IMODE(os.stat(db).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(f"{db}-wal").st_mode) == 0o600
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), GUARD)
        assert proc.returncode == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=tmp_path,
                          env=_env(tmp_path / "bot.db"), capture_output=True, text=True, timeout=GUARD)


def test_backup_of_a_missing_database_is_refused_and_backups_are_private(tmp_path):
    p = _cli(tmp_path, "db", "backup", str(tmp_path / "copy.db"))
    assert p.returncode == 1 and "no database" in p.stderr
    assert not (tmp_path / "bot.db").exists() and not (tmp_path / "copy.db").exists()
    assert _cli(tmp_path, "db", "migrate").returncode == 0
    assert stat.S_IMODE((tmp_path / "bot.db").stat().st_mode) == 0o600
    p = _cli(tmp_path, "db", "backup", str(tmp_path / "copy.db"))
    assert p.returncode == 0, p.stderr
    assert stat.S_IMODE((tmp_path / "copy.db").stat().st_mode) == 0o600


def test_db_check_says_ok_or_damaged(tmp_path):
    p = _cli(tmp_path, "db", "check")
    assert p.returncode == 1 and "no database" in p.stderr
    assert _cli(tmp_path, "db", "migrate").returncode == 0
    p = _cli(tmp_path, "db", "check")
    assert p.returncode == 0 and p.stdout.strip().endswith("ok"), p.stderr
    db = tmp_path / "bot.db"
    os.truncate(db, db.stat().st_size // 2)
    p = _cli(tmp_path, "db", "check")
    assert p.returncode == 1 and "damaged" in p.stderr


def test_an_export_is_private(tmp_path):
    out = tmp_path / "ds.csv"
    assert _cli(tmp_path, "db", "migrate").returncode == 0
    add = _cli(tmp_path, "courses", "add", "--title", "Kỹ năng bán hàng", "--start", "08:00 10/12/2099",
               "--end", "11:30", "--venue", "Hội trường", "--commune", "son dong", "--capacity", "20",
               "--audience", "htx")
    assert add.returncode == 0, add.stderr
    p = _cli(tmp_path, "export", "registrations", "--course", add.stdout.strip(), "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


async def test_zalo_unreachable_or_refusing_the_token_is_refused(tmp_path):
    """The Zalo channel likewise: a closed port, and a token the platform answers 401."""
    from tests.fakes.zalo_api import FakeZalo

    for d in ("a", "b"):
        (tmp_path / d).mkdir()
    env = {"ZALO_BOT_TOKEN": "123:abc", "ZALO_BASE_URL": f"http://127.0.0.1:{_closed_port()}/bot"}
    _assert_fails_fast(await _run_bot(tmp_path / "a" / "bot.db", **env), "zalo")
    fake = FakeZalo()
    await fake.start()
    try:
        env = {"ZALO_BOT_TOKEN": "999:WRONG-TOKEN", "ZALO_BASE_URL": fake.base_url}
        rc, took, lines = await _run_bot(tmp_path / "b" / "bot.db", **env)
        _assert_fails_fast((rc, took, lines), "ZALO_BOT_TOKEN")
        assert "WRONG-TOKEN" not in lines[0]
    finally:
        await fake.stop()
