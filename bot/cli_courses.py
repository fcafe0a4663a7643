"""``python -m bot courses add|edit|cancel|list|attendance`` and
``python -m bot export registrations``: training courses from the server.

The running bot picks changes up from the store: members see a new course in
/taphuan at once, and reminders and notices go out within seconds.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from .cli import actor, export_format, open_store
from .cli.parser import command, whole
from .clock import Clock
from .config import Settings
from .geo import communes_of
from .i18n import N_, Problem, Translator
from .training import FIELDS, cancel_course, create_course, edit_course

STATE = {"open": N_("open"), "cancelled": N_("cancelled")}
LABELS = {"title": N_("title"), "starts_at": N_("start"), "ends_at": N_("end"), "venue": N_("venue"),
          "capacity": N_("capacity"), "commune_code": N_("commune"), "audience": N_("audience"),
          "deadline_at": N_("deadline"), "description": N_("description")}


def add_parsers(sub, t: Translator):
    """``courses …`` and ``export registrations``; returns the ``export`` group for other kinds."""
    courses = command(sub, "courses", t("training courses: add, edit, cancel, list, attendance"))
    csub = courses.add_subparsers(dest="coursecmd", required=True, metavar=t("COMMAND"))
    add = command(csub, "add", t("create a course; prints its id"))
    edit = command(csub, "edit", t("change a course (only the options given)"))
    cid = whole(t, t("a course id"))
    edit.add_argument("id", type=cid, metavar="ID")
    for p, required in ((add, True), (edit, False)):
        p.add_argument("--title", required=required, help=t("the course's name"))
        p.add_argument("--start", required=required, help=t("local time, e.g. \"2026-12-10 08:00\""))
        p.add_argument("--end", required=required, help=t("local time, or \"11:30\" for the same day"))
        p.add_argument("--venue", required=required, help=t("hall and address"))
        p.add_argument("--capacity", required=required, help=t("number of seats"))
        p.add_argument("--commune", help=t("commune or ward of the venue"))
        p.add_argument("--audience",
                       help=t("roles who may join, e.g. official,coop,group (default: all)"))
        p.add_argument("--deadline", help=t("registration closes (default: at the start)"))
        p.add_argument("--description", help=t("what people learn, what to bring"))
    cancel = command(csub, "cancel", t("cancel a course; everyone registered is told"))
    cancel.add_argument("id", type=cid, metavar="ID")
    listing = command(csub, "list", t("courses with seats taken and waiting"))
    listing.add_argument("--json", action="store_true", help=t("print JSON objects"))
    att = command(csub, "attendance", t("import a sign-in sheet (.csv or .xlsx)"))
    att.add_argument("id", type=cid, metavar="ID")
    att.add_argument("--file", required=True, type=Path, help=t("the filled-in sheet"))
    att.add_argument("--skip-unknown", action="store_true",
                     help=t("apply the lines that match even if some do not"))
    export = command(sub, "export", t("export lists as spreadsheets (.xlsx or .csv, chosen by "
                                      "the file name)"))
    esub = export.add_subparsers(dest="exportcmd", required=True, metavar=t("COMMAND"))
    reg = command(esub, "registrations", t("a course's registrants and attendance"))
    reg.add_argument("--course", type=cid, required=True, metavar="ID")
    reg.add_argument("--format", choices=("xlsx", "csv"),
                     help=t("must match the file name's extension (the extension decides)"))
    reg.add_argument("--out", type=Path, required=True, help=t("FILE.xlsx or FILE.csv"))
    return esub


def _values(args: argparse.Namespace) -> dict[str, str]:
    return {f: getattr(args, f) for f in FIELDS if getattr(args, f, None) is not None}


async def run(settings: Settings, args: argparse.Namespace, t: Translator, clock: Clock) -> int:
    now = clock.now()
    who = actor()
    communes = communes_of(settings.province)
    if args.cmd == "export":
        fmt = export_format(args.out, args.format)
    elif args.coursecmd == "attendance" and not args.file.is_file():
        raise Problem(N_("{path}: no such file"), path=str(args.file))
    store = await open_store(settings)
    try:
        if args.cmd == "export":
            from .course_sheets import export_registrations

            n = await export_registrations(store, args.course, args.out, fmt, t, communes,
                                           by=who, now=now)
            print(t.plain("{n} row(s) written to {path}", n=n, path=str(args.out)))
            return 0
        cmd = args.coursecmd
        if cmd == "add":
            cid = await create_course(store, settings, communes, _values(args), who, now)
            await store.audit.record(who, "course.create", now, course=cid)
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
                      f" (+{c.waiting})\t{t.plain(STATE.get(c.state, c.state))}\t{c.title}")
            return 0
        course = await store.courses.get(args.id)
        if course is None:
            raise Problem(N_("no course with id {id}"), id=args.id)
        if cmd == "edit":
            given = _values(args)
            if not given:
                raise Problem(N_("nothing to change: give at least one of --title, --start, --end, "
                                 "--venue, --capacity, --commune, --audience, --deadline, "
                                 "--description"))
            fields, promoted = await edit_course(store, settings, communes, course, given, now)
            if not fields:
                print(t.plain("course {id} unchanged: it already has these values", id=course.id))
                return 0
            await store.audit.record(who, "course.edit", now, course=course.id,
                                     fields=sorted(fields), promoted=len(promoted))
            print(t.plain("course {id} updated: {fields}", id=course.id, fields=", ".join(
                t.plain(LABELS.get(f, f)) for f in sorted(fields)))
                  + (t.plain("; {n} moved in from the waiting list", n=len(promoted))
                     if promoted else ""))
            return 0
        if cmd == "cancel":
            if course.state != "open":
                print(t.plain("course {id} was already cancelled", id=course.id))
                return 0
            told = await cancel_course(store, course, now)
            await store.audit.record(who, "course.cancel", now, course=course.id, told=told)
            print(t.plain("course {id} cancelled; {n} person(s) will be told", id=course.id, n=told))
            return 0
        from .course_sheets import import_attendance

        found = await import_attendance(store, course.id, args.file, by=who, now=now,
                                        skip_unknown=args.skip_unknown)
        print(t.plain("course {id}: {present} present, {absent} absent", id=course.id,
                      present=len(found.present), absent=len(found.absent))
              + (t.plain(", {n} line(s) skipped", n=len(found.unmatched)) if found.unmatched else ""))
        return 0
    finally:
        await store.close()
