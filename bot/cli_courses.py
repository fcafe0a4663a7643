"""``python -m bot courses add|edit|cancel|list|attendance`` and
``python -m bot export registrations``: training courses from the server.

The running bot picks changes up from the store: members see a new course in
/taphuan at once, and reminders and notices go out within seconds.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from .clock import SystemClock
from .config import Settings
from .geo import communes_of
from .i18n import Problem, translator
from .store import Store
from .training import FIELDS, parse_course, planner


def add_parsers(sub):
    """``courses …`` and ``export registrations``; returns the ``export`` group for other kinds."""
    courses = sub.add_parser("courses", help="training courses: add, edit, cancel, list, attendance")
    csub = courses.add_subparsers(dest="coursecmd", required=True)
    add = csub.add_parser("add", help="create a course; prints its id")
    edit = csub.add_parser("edit", help="change a course (only the options given)")
    edit.add_argument("id", type=int)
    for p, required in ((add, True), (edit, False)):
        p.add_argument("--title", required=required)
        p.add_argument("--start", required=required, help='local time, e.g. "2026-12-10 08:00"')
        p.add_argument("--end", required=required, help='local time, or "11:30" for the same day')
        p.add_argument("--venue", required=required, help="hall and address")
        p.add_argument("--capacity", required=required, help="number of seats")
        p.add_argument("--commune", help="commune or ward of the venue")
        p.add_argument("--audience", help="roles who may join, e.g. official,coop,group (default: all)")
        p.add_argument("--deadline", help="registration closes (default: at the start)")
        p.add_argument("--description", help="what people learn, what to bring")
    cancel = csub.add_parser("cancel", help="cancel a course; everyone registered is told")
    cancel.add_argument("id", type=int)
    listing = csub.add_parser("list", help="courses with seats taken and waiting")
    listing.add_argument("--json", action="store_true")
    att = csub.add_parser("attendance", help="import a sign-in sheet (.csv or .xlsx)")
    att.add_argument("id", type=int)
    att.add_argument("--file", required=True, type=Path)
    att.add_argument("--skip-unknown", action="store_true",
                     help="apply the lines that match even if some do not")
    export = sub.add_parser("export", help="export lists as spreadsheets")
    esub = export.add_subparsers(dest="exportcmd", required=True)
    reg = esub.add_parser("registrations", help="a course's registrants and attendance")
    reg.add_argument("--course", type=int, required=True)
    reg.add_argument("--format", choices=("xlsx", "csv"), default="xlsx")
    reg.add_argument("--out", type=Path, required=True)
    return esub


def _values(args: argparse.Namespace) -> dict[str, str]:
    return {f: getattr(args, f) for f in FIELDS if getattr(args, f, None) is not None}


async def run(settings: Settings, args: argparse.Namespace) -> int:
    clock = SystemClock()
    now = clock.now()
    actor = f"cli:{getpass.getuser()}"
    communes = communes_of(settings.province)
    t = translator(settings.locale, settings.tz)
    store = await Store(settings.db).open()
    try:
        if args.cmd == "export":
            from .course_sheets import export_registrations

            if args.out.exists():
                raise Problem("{path}: already exists; choose a new file", path=str(args.out))
            n = await export_registrations(store, args.course, args.out, args.format, t, communes,
                                           by=actor, now=now)
            print(f"{n} row(s) written to {args.out}")
            return 0
        cmd = args.coursecmd
        if cmd == "add":
            fields = parse_course(_values(args), communes, settings, now)
            cid = await store.courses.create(fields, actor, now)
            await store.audit.record(actor, "course.create", now, course=cid)
            print(cid)
            return 0
        if cmd == "list":
            from datetime import timedelta

            courses = await store.courses.listing(now - timedelta(days=365), limit=500)
            if args.json:
                print(json.dumps([{
                    "id": c.id, "title": c.title, "starts_at": c.starts_at.isoformat(),
                    "ends_at": c.ends_at.isoformat(), "venue": c.venue, "state": c.state,
                    "capacity": c.capacity, "taken": c.taken, "waiting": c.waiting,
                } for c in courses], ensure_ascii=False))
            for c in courses if not args.json else []:
                print(f"{c.id}\t{t.datetime(c.starts_at)}\t{c.taken}/{c.capacity}"
                      f" (+{c.waiting})\t{c.state}\t{c.title}")
            return 0
        course = await store.courses.get(args.id)
        if course is None:
            raise Problem("no course with id {id}", id=args.id)
        if cmd == "edit":
            fields = parse_course(_values(args), communes, settings, now, current=course)
            promoted = await store.courses.update(course.id, fields, planner(settings, now), now)
            await store.audit.record(actor, "course.edit", now, course=course.id,
                                     fields=sorted(fields), promoted=len(promoted))
            print(f"course {course.id} updated" + (f"; {len(promoted)} moved in from the waiting list"
                                                    if promoted else ""))
            return 0
        if cmd == "cancel":
            told = await store.courses.cancel(course.id, now)
            await store.audit.record(actor, "course.cancel", now, course=course.id, told=told)
            print(f"course {course.id} cancelled; {told} person(s) will be told"
                  if course.state == "open" else f"course {course.id} was already cancelled")
            return 0
        from .course_sheets import import_attendance

        found = await import_attendance(store, course.id, args.file, by=actor, now=now,
                                        skip_unknown=args.skip_unknown)
        print(f"course {course.id}: {len(found.present)} present, {len(found.absent)} absent"
              + (f", {len(found.unmatched)} line(s) skipped" if found.unmatched else ""))
        return 0
    except Problem as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    finally:
        await store.close()
