"""``python -m bot web``: the console in a process of its own, as an operator runs it
(a real process on a real database; a login made the way /web makes it)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import httpx

from bot.clock import SystemClock
from bot.store import Store
from bot.web.auth import new_login
from bot.web.pages import AREAS
from tests.console_rig import free_port
from tests.helpers import make_settings
from tests.test_cli import run
from tests.waits import GUARD, guarded


async def test_the_console_runs_alone_logs_in_and_stops_on_sigterm(tmp_path):
    assert run(tmp_path, "db", "migrate").returncode == 0
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NHANONG_", "TELEGRAM_", "ZALO_"))}
    env.update(NHANONG_DB=str(tmp_path / "cli.db"), NHANONG_PUBLIC_URL=base,
               NHANONG_ADMINS="telegram:777", NHANONG_LOG_LEVEL="INFO")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "web", "--listen", f"127.0.0.1:{port}", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        line = b""
        while b"console listening" not in line:  # its one line saying it is up
            line = await guarded(proc.stderr.readline())
            assert line, "the console exited before listening"
        settings = make_settings(tmp_path, NHANONG_DB=str(tmp_path / "cli.db"), NHANONG_PUBLIC_URL=base)
        store = await Store(settings.db).open()
        try:
            link = await new_login(store, settings, SystemClock().now(), "telegram", "777")
        finally:
            await store.close()
        async with httpx.AsyncClient(timeout=GUARD) as client:
            assert (await client.post(link)).status_code == 303
            for area in AREAS:  # every area works without channels in this process
                page = await client.get(base + "/console" + area.path)
                assert page.status_code == 200 and "Đăng xuất" in page.text, area.path
            preview = await client.get(base + "/console/broadcasts/preview", params={"text": "Họp"})
            assert preview.status_code == 200 and "Sẽ gửi tới 0 hội viên." in preview.text
        proc.send_signal(signal.SIGTERM)
        assert await guarded(proc.wait()) == 0
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def test_the_console_alone_needs_its_public_address(tmp_path):
    p = run(tmp_path, "web")
    assert p.returncode == 2 and "NHANONG_PUBLIC_URL" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_a_bad_listen_address_is_one_line(tmp_path):
    p = run(tmp_path, "web", "--listen", "nowhere", NHANONG_PUBLIC_URL="http://127.0.0.1:1")
    assert p.returncode == 2 and "HOST:PORT" in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1
