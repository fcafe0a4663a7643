"""The year report and the year's check-in export at province size: time and memory.

    python bench/report.py --members 50000            # builds a store (bench/scale_store.py)
    python bench/report.py --store /tmp/scale/250k.db  # a copy of this store
    python bench/report.py --store … --json

Prints ``report_year_s`` and ``report_peak_rss_mb`` (``python -m bot report --period
YEAR`` run as a subprocess: wall time, and the child's peak resident memory from
``os.wait4``), ``export_checkins_year_s`` / ``export_checkins_peak_rss_mb`` (``python -m
bot export checkins`` for the same year), and for the bot: ``xuat_year_s`` (an in-bot
/xuat of the year report, built in the worker process), ``bot_rss_before_report_mb`` /
``bot_rss_after_report_mb`` (the bot process's resident memory before and after it) and
``farmer_reply_max_during_report_s`` / ``farmer_replies_during_report`` (a farmer's
/menu answered over and over while the report is built).  YEAR is the year with the
most check-in answers in the store (bench/scale_store.py dates them back from its
"now", eight quarters).

Each measure is a function the lead's bench/scale.py can call:
:func:`prepare_store`, :func:`busiest_year`, :func:`cli_report`, :func:`cli_export_checkins`,
:func:`bot_report`, and :func:`measure` for all of them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _mb(kib: float) -> float:
    return round(kib / 1024, 1)


def prepare_store(folder: Path, *, store: Path | None = None, members: int = 50_000) -> Path:
    """A store to measure on, in ``folder``: a copy of ``store`` (never written to; its
    -wal is read too), or one built with ``members`` by bench/scale_store.py."""
    target = Path(folder) / "bench-report.db"
    if store is not None:
        from bot.store.db import copy_database

        copy_database(Path(store), target)
        return target
    sys.path.insert(0, str(ROOT / "bench"))
    from scale_store import build

    build(target, members)
    return target


def busiest_year(db: Path) -> int:
    """The year with the most submitted check-in answers (the report worth measuring)."""
    conn = sqlite3.connect(f"{Path(db).resolve().as_uri()}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT substr(submitted_at, 1, 4) AS y, COUNT(*) FROM checkin_responses"
            " WHERE state = 'submitted' GROUP BY y ORDER BY COUNT(*) DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    if row is None:
        raise SystemExit(f"{db}: no check-in answers to report on")
    return int(row[0])


def _tree_rss_kib(pid: int) -> int:
    """Memory of ``pid`` and of every process under it (the report's children that
    write rows in parts), in KiB: the sum of their proportional set sizes (PSS: each
    page a process has resident, shared pages such as Python's own code divided among
    the processes that share them, so that no page is counted twice); 0 for what has
    ended meanwhile."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
            for task in Path(f"/proc/{p}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


class _TreePeak(threading.Thread):
    """The highest sum of resident memory over a process and its children, sampled
    every 20 ms while it runs."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.02):
            self.peak = max(self.peak, _tree_rss_kib(self.pid))


def _run(args: list[str], db: Path, cwd: Path) -> tuple[float, float, str]:
    """``python -m bot ARGS`` on ``db``: (wall seconds, peak memory in MB, stderr).  The
    peak is the larger of the process's own resident memory (``wait4``) and the highest
    sum of the memory of it and its child processes at one time (sampled, PSS)."""
    env = {**os.environ, "NHANONG_DB": str(db), "NHANONG_CONFIG": str(cwd / "none.toml")}
    began = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen([sys.executable, "-m", "bot", *args], cwd=cwd, env=env,
                                stdout=subprocess.DEVNULL, stderr=err)
        tree = _TreePeak(proc.pid)
        tree.start()
        _, status, usage = os.wait4(proc.pid, 0)
        tree.done.set()
        tree.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
        took = time.perf_counter() - began
        err.seek(0)
        text = err.read().decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"python -m bot {' '.join(args)} failed ({proc.returncode}): {text[-2000:]}")
    return took, _mb(max(usage.ru_maxrss, tree.peak)), text


def cli_report(db: Path, year: int, folder: Path) -> dict[str, float]:
    """``python -m bot report --period YEAR``: ``report_year_s``, ``report_peak_rss_mb``."""
    out = Path(folder) / f"report-{year}-{time.monotonic_ns()}.xlsx"
    took, peak, _ = _run(["report", "--period", str(year), "--out", str(out)], db, Path(folder))
    return {"report_year_s": round(took, 2), "report_peak_rss_mb": peak,
            "report_xlsx_mb": round(out.stat().st_size / 1e6, 1)}


def cli_export_checkins(db: Path, year: int, folder: Path, fmt: str = "xlsx") -> dict[str, float]:
    """``python -m bot export checkins`` for the whole year: ``export_checkins_year_s``,
    ``export_checkins_peak_rss_mb``."""
    out = Path(folder) / f"answers-{year}-{time.monotonic_ns()}.{fmt}"
    took, peak, _ = _run(["export", "checkins", "--from", f"{year}-01-01", "--to", f"{year}-12-31",
                          "--out", str(out)], db, Path(folder))
    key = "export_checkins_year" if fmt == "xlsx" else f"export_checkins_year_{fmt}"
    return {f"{key}_s": round(took, 2), f"{key}_peak_rss_mb": peak}


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return _mb(float(line.split()[1]))
    return 0.0


async def _bot_report(db: Path, year: int, folder: Path) -> dict[str, float]:
    import gc

    from bot.app import App
    from bot.config import load_settings
    from bot.types import Capabilities, Inbound, InboundKind
    from tests.helpers import RecordingChannel

    settings = load_settings({"NHANONG_DB": str(db)}, file=Path(folder) / "none.toml")
    settings = settings.model_copy(update={"admins": settings.admins | {("rec", "staff1")}})
    channel = RecordingChannel(caps=Capabilities(buttons=True, max_text=4096, markup="html",
                                                 documents=True))
    app = await App(settings, channels=[channel]).open()
    try:
        async def say(user: str, kind: InboundKind, **kw) -> None:
            await app.engine.handle(Inbound("rec", user, user, kind, display_name="Bench", **kw))

        await say("staff1", InboundKind.TEXT, text="/start")
        await say("farmer1", InboundKind.TEXT, text="/start")
        await say("farmer1", InboundKind.TEXT, text="/menu")
        gc.collect()
        before = _rss_mb()
        began = time.perf_counter()
        report = asyncio.ensure_future(say("staff1", InboundKind.ACTION, action=f"rp:r:{year}"))
        waits: list[float] = []
        while not report.done():  # a farmer keeps asking while the report is built
            t0 = time.perf_counter()
            await say("farmer1", InboundKind.TEXT, text="/menu")
            waits.append(time.perf_counter() - t0)
            await asyncio.wait([report], timeout=0.2)
        await report
        took = time.perf_counter() - began
        sent = [m for c, m in channel.sent if c == "staff1" and m.document]
        if not sent:
            raise SystemExit("/xuat sent no workbook")
        gc.collect()
        after = _rss_mb()
    finally:
        await app.stop()
    return {"xuat_year_s": round(took, 2), "bot_rss_before_report_mb": before,
            "bot_rss_after_report_mb": after,
            "farmer_reply_max_during_report_s": round(max(waits, default=0.0), 3),
            "farmer_replies_during_report": len(waits)}


def bot_report(db: Path, year: int, folder: Path) -> dict[str, float]:
    """The bot (real App, a recording channel that takes files) answering /xuat for the
    year: ``xuat_year_s``, ``bot_rss_before_report_mb``, ``bot_rss_after_report_mb`` (this
    process's resident memory; the report itself is built in a worker process), and how
    a farmer's /menu fared meanwhile."""
    return asyncio.run(_bot_report(Path(db), year, Path(folder)))


def measure(db: Path, folder: Path, year: int | None = None) -> dict[str, float]:
    """Every figure of this script on ``db`` (a store prepared by :func:`prepare_store`)."""
    year = year or busiest_year(db)
    out: dict[str, float] = {"year": year}
    out.update(cli_report(db, year, folder))
    out.update(cli_export_checkins(db, year, folder))
    out.update(cli_export_checkins(db, year, folder, "csv"))
    out.update(bot_report(db, year, folder))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--members", type=int, default=50_000, help="members of the store built")
    p.add_argument("--store", type=Path, help="measure on a copy of this store instead")
    p.add_argument("--year", type=int, help="the report's year (default: the busiest)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        folder = Path(tmp)
        db = prepare_store(folder, store=a.store, members=a.members)
        figures = measure(db, folder, a.year)
    if a.json:
        print(json.dumps(figures))
    else:
        for k, v in figures.items():
            print(f"{k} {v}")


if __name__ == "__main__":
    main()
