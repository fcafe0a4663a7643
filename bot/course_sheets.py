"""A course's registrants as a spreadsheet, and its sign-in sheet read back.

The export doubles as the sign-in sheet: organisers print it, mark the
"Có mặt" column, and import it; rows are matched by registration number, then
phone, then exact name.  An import that cannot be matched in full changes
nothing and says which lines are at fault.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .geo import Communes
from .i18n import N_, Problem, Translator
from .phone import parse_phone, show_phone
from .roles import ROLES
from .sheets import Sheet, SheetError, read, write
from .store import Course, Registrant, Store
from .text import fold

STATUS = {
    "registered": N_("Registered"),
    "waitlisted": N_("Waiting list"),
    "cancelled": N_("Cancelled"),
    "attended": N_("Attended"),
    "no_show": N_("Absent"),
}
YES = {"x", "co", "có", "1", "yes", "y", "v", "✓", "✔", "true", "có mặt", "co mat", "present"}


def registrants_sheet(t: Translator, course: Course, people: list[Registrant],
                      communes: Communes) -> Sheet:
    headers = [t.plain("No."), t.plain("Registration no."), t.plain("Full name"),
               t.plain("Phone"), t.plain("Commune/ward"), t.plain("Role"),
               t.plain("Organisation"), t.plain("Status"), t.plain("Registered on"),
               t.plain("Present (x)"), t.plain("Rating (1-5)"), t.plain("Comment")]
    sheet = Sheet(t.plain("Registrants"), headers, widths={2: 28, 4: 24, 6: 28, 11: 40})
    for i, p in enumerate(people, start=1):
        commune = communes.get(p.commune_code)
        sheet.rows.append([
            i, p.registration_id, p.name or "", show_phone(p.phone) if p.phone else "",
            commune.name if commune else "", t.plain(ROLES[p.role]) if p.role in ROLES else "",
            p.organisation or "", t.plain(STATUS.get(p.status, p.status)), t.datetime(p.created_at),
            "x" if p.status == "attended" else "", p.feedback_score or "", p.feedback_comment or "",
        ])
    return sheet


async def export_registrations(store: Store, course_id: int, path: Path, fmt: str, t: Translator,
                               communes: Communes, *, by: str, now: datetime) -> int:
    """Write the file; the audit log records who exported it.  Returns the row count."""
    course = await store.courses.get(course_id)
    if course is None:
        raise Problem(N_("no course with id {id}"), id=course_id)
    people = await store.courses.registrants(course_id)
    sheet = registrants_sheet(t, course, people, communes)
    about = [(t.plain("Course"), course.title), (t.plain("Starts"), t.datetime(course.starts_at)),
             (t.plain("Venue"), course.venue), (t.plain("Exported by"), by),
             (t.plain("Exported at"), t.datetime(now))]
    write(path, [sheet], fmt, about)
    await store.audit.record(by, "export.registrations", now, course=course_id, rows=len(people),
                             format=fmt)
    return len(people)


@dataclass(frozen=True, slots=True)
class Attendance:
    present: set[int]
    absent: set[int]
    unmatched: list[int]  # line numbers in the file


def _column(headers: list[str], *names: str) -> int | None:
    folded = [fold(h) for h in headers]
    for name in names:
        for i, h in enumerate(folded):
            if h == name or h.startswith(name):
                return i
    return None


def match_attendance(rows: list[list[str]], people: list[Registrant]) -> Attendance:
    """Who the sign-in sheet says was there.  Raises SheetError when it has no column
    to match people by."""
    if not rows:
        raise SheetError(N_("the file is empty"))
    headers = rows[0]
    col_id = _column(headers, "ma dang ky", "registration no", "ma dk", "ma")
    col_phone = _column(headers, "so dien thoai", "dien thoai", "sdt", "phone")
    col_name = _column(headers, "ho va ten", "ho ten", "full name", "name", "ten")
    col_present = _column(headers, "co mat", "present", "attended", "diem danh")
    if col_id is None and col_phone is None and col_name is None:
        raise SheetError(N_("the first row must name a column “Mã đăng ký”, “Số điện thoại” or "
                            "“Họ và tên”"))
    eligible = [p for p in people if p.status in ("registered", "attended", "no_show")]
    by_id = {str(p.registration_id): p for p in eligible}
    by_phone = {p.phone: p for p in eligible if p.phone}
    by_name: dict[str, list[Registrant]] = {}
    for p in eligible:
        if p.name:
            by_name.setdefault(fold(p.name), []).append(p)
    present: set[int] = set()
    marked_absent: set[int] = set()
    unmatched: list[int] = []

    def cell(row: list[str], col: int | None) -> str:
        return row[col].strip() if col is not None and col < len(row) else ""

    for line, row in enumerate(rows[1:], start=2):
        who = by_id.get(cell(row, col_id))
        if who is None and cell(row, col_phone):
            who = by_phone.get(parse_phone(cell(row, col_phone)) or "")
        if who is None and cell(row, col_name):
            same = by_name.get(fold(cell(row, col_name)), [])
            who = same[0] if len(same) == 1 else None
        if who is None:
            unmatched.append(line)
            continue
        mark = cell(row, col_present)
        if col_present is None or (mark and (mark.lower() in YES or fold(mark) in YES)):
            present.add(who.registration_id)
        else:
            marked_absent.add(who.registration_id)
    absent = marked_absent - present
    if col_present is not None:  # the sheet lists everyone: unmarked rows were absent
        listed = present | marked_absent
        absent |= {p.registration_id for p in eligible if p.registration_id not in listed
                   and p.status == "registered"} - present
    return Attendance(present, absent, unmatched)


async def import_attendance(store: Store, course_id: int, path: Path, *, by: str, now: datetime,
                            skip_unknown: bool = False) -> Attendance:
    """Apply a sign-in sheet in one transaction, or change nothing and say why."""
    course = await store.courses.get(course_id)
    if course is None:
        raise Problem(N_("no course with id {id}"), id=course_id)
    if course.starts_at > now:
        raise Problem(N_("the course has not started yet; attendance comes after"))
    found = match_attendance(read(path), await store.courses.registrants(course_id))
    if found.unmatched and not skip_unknown:
        lines = ", ".join(map(str, found.unmatched[:20]))
        raise SheetError(N_("no registrant matches line(s) {lines}; nothing was changed "
                            "(fix them, or import with --skip-unknown)"), lines=lines)
    from .training import mark_attendance

    await mark_attendance(store, course, found.present, found.absent, now)
    await store.audit.record(by, "course.attendance_import", now, course=course_id,
                             present=len(found.present), absent=len(found.absent),
                             unmatched=len(found.unmatched))
    return found
