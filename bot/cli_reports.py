"""``python -m bot report --period 2026-Q3 --out FILE.xlsx`` (the report and its
chart, FILE.png) and ``python -m bot export checkins --from DATE --to DATE``
(check-in answers by date range, .xlsx or .csv).  The audit log records who ran them."""

from __future__ import annotations

import argparse
import re
from datetime import date
from pathlib import Path

from .cli import actor, drop_partial, export_format, new_file, open_store
from .cli.parser import command
from .clock import Clock
from .config import Settings
from .content import Library, load_library
from .geo import communes_of
from .i18n import N_, Problem, Translator
from .indicators import Period, parse_period, quarter_of

_VN_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


def add_parsers(sub, exports, t: Translator) -> None:
    """``report`` on the top level; ``checkins`` in the ``export`` group."""
    report = command(sub, "report", t("the report against the targets for a period (xlsx + png)"))
    report.add_argument("--period", required=True,
                        help=t("2026-Q3, 2026-H1 or 2026: within the programme, begun already"))
    report.add_argument("--out", type=Path, required=True,
                        help=t("FILE.xlsx (the chart goes to FILE.png)"))
    ck = command(exports, "checkins", t("check-in answers sent between two dates"))
    ck.add_argument("--from", dest="since", required=True,
                    help=t("first day, 2026-07-01 or 01/07/2026"))
    ck.add_argument("--to", dest="until", required=True, help=t("last day (included)"))
    ck.add_argument("--out", type=Path,
                    help=t("FILE.xlsx or FILE.csv (default: tra-loi-FROM-TO.xlsx)"))


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


def reportable(period: Period, library: Library, today: date, t: Translator) -> None:
    """A report is for a period of a programme in content/targets (from its first day
    on; periods after the last programme are measured against it, as the report
    calendar does) that has begun: the current period is a report so far."""
    programmes = library.targets.programmes if library.targets else ()
    first = min((p.starts for p in programmes), default=None)
    if first is not None and period.end <= first:
        raise Problem(N_("{period}: before the programme began ({day}); the first period with a "
                         "report is {first}"), period=period.label, day=t.date(first),
                      first=quarter_of(first).label)
    if period.start > today:
        raise Problem(N_("{period}: has not begun yet (today is {today}); the latest period with "
                         "a report is {now}"), period=period.label, today=t.date(today),
                      now=quarter_of(today).label)


async def run(settings: Settings, args: argparse.Namespace, t: Translator, clock: Clock) -> int:
    now = clock.now()
    who = actor()
    library = load_library(settings.content)
    if args.cmd == "report":
        period = parse_period(args.period)
        reportable(period, library, now.astimezone(t.zone).date(), t)
        if Path(args.out).suffix.lower() != ".xlsx":
            raise Problem(N_("{path}: the report is an .xlsx file"), path=str(args.out))
        new_file(args.out)
        new_file(Path(args.out).with_suffix(".png"))
    else:
        since, until = parse_day(args.since, "--from"), parse_day(args.until, "--to")
        if until < since:
            raise Problem(N_("--to is before --from"))
        out = args.out or Path(f"tra-loi-{since.isoformat()}-{until.isoformat()}.xlsx")
        export_format(out)
    communes = communes_of(settings.province)
    # Reports and exports read (and add one audit line): no second or so of checking
    # every page of a province's file before they start.
    store = await open_store(settings, check=False)
    try:
        if args.cmd == "report":
            from .reports import build_report

            try:
                built = await build_report(store, library, communes, period, args.out, t, by=who,
                                           now=now)
            except BaseException:
                drop_partial(args.out, Path(args.out).with_suffix(".png"))
                raise
            print(built.xlsx)
            print(built.png)
            return 0
        from .reports import export_checkins

        try:
            n = await export_checkins(store, library, communes, since, until, out, t, by=who, now=now)
        except BaseException:
            drop_partial(out)
            raise
        print(t.plain("{n} response(s) written to {path}", n=n, path=str(out)))
        return 0
    finally:
        await store.close()
