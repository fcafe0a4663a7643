"""``python -m bot report --period 2026-Q3 --out FILE.xlsx`` (the report and its
chart, FILE.png) and ``python -m bot export checkins --from DATE --to DATE``
(check-in answers by date range, .xlsx or .csv).  The audit log records who ran them."""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from datetime import date
from pathlib import Path

from .clock import SystemClock
from .config import Settings
from .content import load_library
from .geo import communes_of
from .i18n import N_, Problem, translator
from .indicators import parse_period
from .store import Store

_VN_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def add_parsers(sub, exports) -> None:
    """``report`` on the top level; ``checkins`` in the ``export`` group."""
    report = sub.add_parser("report", help="the report against the targets for a period (xlsx + png)")
    report.add_argument("--period", required=True, help="2026-Q3, 2026-H1 or 2026")
    report.add_argument("--out", type=Path, required=True, help="FILE.xlsx (the chart goes to FILE.png)")
    ck = exports.add_parser("checkins", help="check-in answers sent between two dates")
    ck.add_argument("--from", dest="since", required=True, help="first day, 2026-07-01 or 01/07/2026")
    ck.add_argument("--to", dest="until", required=True, help="last day (included)")
    ck.add_argument("--out", type=Path, help="FILE.xlsx or FILE.csv (default: tra-loi-FROM-TO.xlsx)")


def handles(args: argparse.Namespace) -> bool:
    return args.cmd == "report" or (args.cmd == "export" and args.exportcmd == "checkins")


def parse_day(text: str, what: str) -> date:
    m = _VN_DATE.fullmatch(text.strip())
    try:
        if m:
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        return date.fromisoformat(text.strip())
    except ValueError:
        raise Problem(N_("{what} “{text}” is not a date such as 2026-07-01"), what=what, text=text) from None


async def run(settings: Settings, args: argparse.Namespace) -> int:
    now = SystemClock().now()
    actor = f"cli:{getpass.getuser()}"
    t = translator(settings.locale, settings.tz)
    try:
        if args.cmd == "report":
            period = parse_period(args.period)
        else:
            since, until = parse_day(args.since, "--from"), parse_day(args.until, "--to")
            out = args.out or Path(f"tra-loi-{since.isoformat()}-{until.isoformat()}.xlsx")
            if out.exists():
                raise Problem(N_("{path}: already exists; choose a new file"), path=str(out))
    except Problem as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    library = load_library(settings.content)
    communes = communes_of(settings.province)
    store = await Store(settings.db).open()
    try:
        if args.cmd == "report":
            from .reports import build_report

            built = await build_report(store, library, communes, period, args.out, t, by=actor, now=now)
            print(built.xlsx)
            print(built.png)
            return 0
        from .reports import export_checkins

        n = await export_checkins(store, library, communes, since, until, out, t, by=actor, now=now)
        print(f"{n} response(s) written to {out}")
        return 0
    except Problem as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        await store.close()
