"""A province of 250,000 members where nobody waits (issue #14): every figure in one run.

    python bench/scale.py [--members 250000] [--small 50000] [--json]

Builds two stores from the project's own migrations with bench/scale_store.py
(members over the real communes, roles, phones, reads, registrations, eight quarters of
check-ins): one of ``--members``, and one of ``--small`` for the growth.  On each:

- ``thongke_s``: /thongke for a staff member, end to end through the real App (a
  recording channel in this process): member counts, by role and commune, most read
  articles, the Đề án progress of the year, recent broadcasts;
- ``farmer_reply_p95_during_staff_s``: farmers' /menu, one after another, while a staff
  member's /thongke and the year report (/xuat) run: the 95th percentile of how long
  each farmer waited for the bot's answer (and ``farmer_replies_during_staff``);
- ``report_year_s`` and ``report_peak_rss_mb``: ``python -m bot report --period YEAR``
  as a subprocess: wall time and the child's peak resident memory (bench/report.py);
- ``bot_rss_after_report_mb``: the bot process's resident memory after an in-bot /xuat
  of the year report (built in a worker process);
- ``urgent_broadcast_first_copy_s``: a commune broadcast marked urgent, created while
  one to everyone sends through a fake Bot API with 100 ms latency (bench/outbox.py).

Then ``growth_<figure>``: the figure at ``--members`` over the figure at ``--small``
(5× the data; linear growth is 5, flat is 1).  Aims at 250,000: thongke_s < 1, farmer
p95 < 0.3 s, report < 10 s and < 200 MB, bot memory after a report < 150 MB, urgent
first copy < 10 s, growth no worse than linear.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import outbox  # noqa: E402
import report  # noqa: E402
import scale_store  # noqa: E402

AIMS = {"thongke_s": 1.0, "farmer_reply_p95_during_staff_s": 0.3, "report_year_s": 10.0,
        "report_peak_rss_mb": 200.0, "bot_rss_after_report_mb": 150.0,
        "urgent_broadcast_first_copy_s": 10.0}


async def _app(db: Path, folder: Path):
    from bot.app import App
    from bot.config import load_settings
    from bot.types import Capabilities
    from tests.helpers import RecordingChannel

    settings = load_settings({"NHANONG_DB": str(db)}, file=folder / "none.toml")
    settings = settings.model_copy(update={"admins": settings.admins | {("rec", "staff1")}})
    channel = RecordingChannel(caps=Capabilities(buttons=True, max_text=4096, markup="html",
                                                 documents=True))
    return await App(settings, channels=[channel]).open(), channel


async def _say(app, user: str, text: str | None = None, action: str | None = None) -> None:
    from bot.types import Inbound, InboundKind

    kind = InboundKind.ACTION if action else InboundKind.TEXT
    await app.engine.handle(Inbound("rec", user, user, kind, text=text, action=action,
                                    display_name="Bench"))


async def _staff_figures(db: Path, folder: Path, year: int) -> dict[str, float]:
    app, channel = await _app(db, folder)
    try:
        farmers = [f"farmer{i}" for i in range(5)]
        for user in ["staff1", *farmers]:
            await _say(app, user, "/start")
        began = time.perf_counter()
        await _say(app, "staff1", "/thongke")
        thongke = time.perf_counter() - began
        if not any(c == "staff1" and "Tiến độ" in m.text for c, m in channel.sent):
            raise SystemExit("/thongke showed no progress against the targets")
        # Staff work (the screen again and the year report) while farmers keep asking.
        staff = [asyncio.ensure_future(_say(app, "staff1", "/thongke")),
                 asyncio.ensure_future(_say(app, "staff1", action=f"rp:r:{year}"))]
        waits: list[float] = []
        while not all(t.done() for t in staff):
            for user in farmers:
                t0 = time.perf_counter()
                await _say(app, user, "/menu")
                waits.append(time.perf_counter() - t0)
        for t in staff:
            await t
        if not any(c == "staff1" and m.document for c, m in channel.sent):
            raise SystemExit("/xuat sent no workbook")
    finally:
        await app.stop()
    waits.sort()
    p95 = waits[min(len(waits) - 1, int(0.95 * len(waits)))] if waits else 0.0
    return {"thongke_s": round(thongke, 3), "farmer_reply_p95_during_staff_s": round(p95, 3),
            "farmer_reply_median_during_staff_s": round(statistics.median(waits), 4) if waits else 0.0,
            "farmer_replies_during_staff": len(waits)}


def measure(db: Path, folder: Path) -> dict[str, float]:
    """Every figure of this script on ``db`` (a copy this run may write to)."""
    year = report.busiest_year(db)
    out: dict[str, float] = {"year": year}
    out.update(asyncio.run(_staff_figures(db, folder, year)))
    gc.collect()
    out.update(report.cli_report(db, year, folder))
    bot = report.bot_report(db, year, folder)
    out["bot_rss_after_report_mb"] = bot["bot_rss_after_report_mb"]
    out["bot_rss_before_report_mb"] = bot["bot_rss_before_report_mb"]
    out["urgent_broadcast_first_copy_s"] = round(asyncio.run(outbox.urgent_first_copy(db)), 3)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--members", type=int, default=250_000)
    p.add_argument("--small", type=int, default=50_000, help="the smaller store, for the growth")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        for n in (a.small, a.members):
            folder = Path(tmp) / str(n)
            folder.mkdir()
            db = folder / "scale.db"
            began = time.perf_counter()
            counts = scale_store.build(db, n)
            print(f"# built {n:,} members in {time.perf_counter() - began:.0f} s "
                  f"({db.stat().st_size / 1e6:.0f} MB; {counts['article_reads']:,} reads, "
                  f"{counts['checkin_responses']:,} responses)", file=sys.stderr, flush=True)
            figures[str(n)] = measure(db, folder)
            db.unlink()
    big, small = figures[str(a.members)], figures[str(a.small)]
    growth = {f"growth_{k}": round(big[k] / small[k], 2) for k in AIMS if small.get(k)}
    result = {"members": a.members, "small": a.small, "at_members": big, "at_small": small,
              **growth, "aims": AIMS,
              "met": {k: big[k] < v for k, v in AIMS.items()}}
    if a.json:
        print(json.dumps(result))
        return
    print(f"{'figure':38} {a.small:>10,} {a.members:>10,}  growth  aim")
    for k in big:
        if k == "year":
            continue
        g = growth.get(f"growth_{k}", "")
        aim = f"< {AIMS[k]:g} {'✓' if big[k] < AIMS[k] else '✗'}" if k in AIMS else ""
        print(f"{k:38} {small.get(k, ''):>10} {big[k]:>10}  {g!s:>6}  {aim}")


if __name__ == "__main__":
    main()
