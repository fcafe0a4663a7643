"""The staff console's pages at a province's size (issue #16): server time of each page.

    python bench/web.py [--members 250000] [--db PATH] [-n 20] [--json]

Builds a store of ``--members`` with bench/scale_store.py (or reuses ``--db`` when that
file exists; builds it there when it does not), opens the real App on it with a
recording channel in this process and the console on 127.0.0.1, logs a staff member in
with a real link (/web through the bot, the link's button pressed over HTTP), and
requests every GET page of the console ``-n`` times each.  The pages are found in the
console's router, so pages added later are measured too; a path with a parameter is
filled from the store when it is one this script knows (the newest broadcast, course,
member, question), else skipped and said so.

For each page: p50, p95 (nearest rank) and the slowest (the first request: it counts
the figures the overview and reports keep, later ones are served those while they are
counted again in the background) of the server time (from the request reaching the web server to
its answer, measured by a middleware in this process), the HTTP round trip's p95, and
p95 over the aim of 300 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import scale_store  # noqa: E402

AIM_S = 0.3
LINK = re.compile(r"https?://\S+/console/login/[A-Za-z0-9_\-]+")
# A parameter of a console path → the newest row of this table fills it.
NEWEST = {"/broadcasts/": "broadcasts", "/training/": "courses", "/members/": "members",
          "/questions/": "questions"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def variants(path: str) -> list[str]:
    """The page itself, and the heavier asks of a page this script knows (the year's
    report, every commune)."""
    year = time.gmtime().tm_year
    return [path, *{"/reports": [f"/reports?period={year}"],
                     "/overview": ["/overview?communes=all"],
                     "/members": ["/members?q=nguyen+van", "/members?q=Trần+Thị+Hoa",
                                  "/members?q=0912+345+678", "/members?commune=son+dong"],
                     "/broadcasts/preview": ["/broadcasts/preview?text=Tin&commune=7615"],
                     }.get(path, [])]


def rank(n: int) -> int:
    """The index of the 95th percentile of ``n`` sorted values (nearest rank)."""
    return max(0, math.ceil(0.95 * n) - 1)


def fill(path: str, db: Path) -> str | None:
    """``path`` with its one ``{param}`` filled from the store, or None."""
    params = re.findall(r"\{[^}]+\}", path)
    if not params:
        return path
    if len(params) > 1:
        return None
    for prefix, table in NEWEST.items():
        if path.startswith(prefix):
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            try:
                row = con.execute(f"SELECT MAX(id) FROM {table}").fetchone()
            except sqlite3.Error:
                row = None
            finally:
                con.close()
            if row and row[0] is not None:
                return path.replace(params[0], str(row[0]))
    return None


def console_gets(webapp) -> list[str]:
    """Every GET path of the console's own router (under /console), login and files aside."""
    out = []
    for res in webapp.router.resources():
        sub = getattr(res, "_app", None)
        if sub is None or not res.canonical.startswith("/console"):
            continue
        for route in sub.router.routes():
            if route.method != "GET":
                continue
            path = route.resource.canonical.removeprefix("/console")
            if path in ("", "/") or path.startswith(("/login", "/static")):
                continue
            out.append(path)
    return sorted(dict.fromkeys(out))


async def measure(db: Path, n: int) -> dict[str, dict[str, float | str]]:
    import httpx
    from aiohttp import web

    from bot.app import App
    from bot.config import load_settings
    from bot.types import Capabilities, Inbound, InboundKind
    from tests.helpers import RecordingChannel

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="bench-web-") as tmp:
        settings = load_settings({"NHANONG_DB": str(db), "NHANONG_PUBLIC_URL": base,
                                  "NHANONG_WEBHOOK_LISTEN": f"127.0.0.1:{port}",
                                  "NHANONG_LOG_LEVEL": "WARNING"},
                                 file=Path(tmp) / "none.toml")
        settings = settings.model_copy(update={"admins": settings.admins | {("rec", "staff1")}})
        channel = RecordingChannel(caps=Capabilities(buttons=True, max_text=4096, markup="html"))
        app = await App(settings, channels=[channel]).open()
        served: dict[str, list[float]] = {}

        @web.middleware
        async def timed(request, handler):
            t0 = time.perf_counter()
            try:
                return await handler(request)
            finally:
                served.setdefault(request.raw_path, []).append(time.perf_counter() - t0)

        assert app.webserver is not None and app.console is not None
        app.webserver.app.middlewares.append(timed)
        await app.webserver.start()  # only the web server: no sender, no scheduler
        began = time.perf_counter()
        await app.console.warm()  # as `run` does at start, in the background
        print(f"# the console's figures counted at start in {time.perf_counter() - began:.1f} s",
              file=sys.stderr, flush=True)
        try:
            for text in ("/start", "/web"):
                await app.engine.handle(Inbound("rec", "staff1", "staff1", InboundKind.TEXT,
                                                text=text, display_name="Bench"))
            found = [LINK.search(m.text or "") for c, m in channel.sent if c == "staff1"]
            link = next((f.group() for f in found if f), None)
            if link is None:
                raise SystemExit("/web sent no login link")
            paths = console_gets(app.webserver.app)
            out: dict[str, dict[str, float | str]] = {}
            async with httpx.AsyncClient(base_url=base, timeout=120) as client:
                r = await client.post(link)
                if r.status_code != 303:
                    raise SystemExit(f"the login link was refused ({r.status_code})")
                for path, url in [(v, fill(v, db)) for p in paths for v in variants(p)]:
                    if url is None:
                        out[path] = {"skipped": "a parameter this script cannot fill"}
                        continue
                    full = "/console" + url
                    trips = []
                    status = 0
                    for _ in range(n):
                        t0 = time.perf_counter()
                        r = await client.get(full)
                        trips.append(time.perf_counter() - t0)
                        status = r.status_code
                    times = sorted(served.get(httpx.URL(full).raw_path.decode(), [])[-n:])
                    if not times:
                        out[path] = {"skipped": f"not served ({status})"}
                        continue
                    p95 = times[rank(len(times))]
                    out[path] = {"url": url, "status": status, "n": len(times),
                                 "p50_ms": round(1000 * statistics.median(times), 1),
                                 "p95_ms": round(1000 * p95, 1),
                                 "max_ms": round(1000 * times[-1], 1),
                                 "trip_p95_ms": round(1000 * sorted(trips)[rank(len(trips))], 1),
                                 "p95_over_aim": round(p95 / AIM_S, 2)}
            return out
        finally:
            await app.stop()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--members", type=int, default=250_000)
    p.add_argument("--db", type=Path, help="a store to reuse (built there when missing)")
    p.add_argument("-n", type=int, default=20, help="requests per page")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-web-store-") as tmp:
        db = a.db or Path(tmp) / "web.db"
        if not db.exists():
            began = time.perf_counter()
            scale_store.build(db, a.members)
            print(f"# built {a.members:,} members in {time.perf_counter() - began:.0f} s "
                  f"({db.stat().st_size / 1e6:.0f} MB)", file=sys.stderr, flush=True)
        con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        members = con.execute("SELECT COUNT(*) FROM members").fetchone()[0]
        con.close()
        pages = asyncio.run(measure(db, a.n))
    measured = [v for v in pages.values() if "p95_ms" in v]
    result = {"members": members, "n": a.n, "aim_ms": AIM_S * 1000, "pages": pages,
              "met": all(v["p95_ms"] < AIM_S * 1000 for v in measured)}
    if a.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    print(f"# {members:,} members, {a.n} requests per page; server time in ms (aim p95 < 300)")
    print(f"{'page':34} {'p50':>8} {'p95':>8} {'max':>8} {'trip95':>8}  p95/aim")
    for path, v in pages.items():
        if "skipped" in v:
            print(f"{path:34} skipped: {v['skipped']}")
            continue
        mark = "✓" if v["p95_ms"] < AIM_S * 1000 else "✗"
        shown = v["url"] if v["status"] == 200 else f"{v['url']} ({v['status']})"
        print(f"{shown:34} {v['p50_ms']:>8} {v['p95_ms']:>8} {v['max_ms']:>8} "
              f"{v['trip_p95_ms']:>8}  {v['p95_over_aim']:>5} {mark}")


if __name__ == "__main__":
    main()
