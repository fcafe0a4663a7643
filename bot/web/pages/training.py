"""The console's Training area (issue #16): the courses (upcoming first, seats taken),
a course's registrants with their phone numbers (the view is audited), attendance
ticks, the Excel export, and creating, editing and cancelling a course.

Every change goes through the services the chat's /khoahoc and ``python -m bot
courses`` use (:mod:`bot.training`): the same checks, the same reminders re-planned,
the same notices to registrants (sent by :class:`bot.training.CourseNotices`)."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from aiohttp import web

from ...course_sheets import STATUS, export_registrations
from ...i18n import N_, Problem
from ...phone import show_phone
from ...roles import ROLES
from ...store import Course
from ...training import (
    FIELDS,
    cancel_course,
    create_course,
    edit_course,
    mark_attendance,
)
from . import Area

AREA = Area("training", N_("Training"), "/training")
SINCE = timedelta(days=60)  # past courses still listed
LABELS = {
    "title": N_("Title"), "start": N_("Start"), "end": N_("End"), "venue": N_("Venue"),
    "commune": N_("Commune/ward"), "capacity": N_("Seats"), "audience": N_("Who may sign up"),
    "deadline": N_("Registration closes"), "description": N_("Description"),
}
NO_COURSE = N_("There is no such course.")


def _typed(raw: str) -> str:
    """A browser's datetime-local value ("2026-12-10T08:00") as staff would type it."""
    return raw.strip().replace("T", " ")


def _form_values(course: Course | None, t, communes) -> dict[str, str]:
    """A course's fields as the form shows them (for editing)."""
    if course is None:
        return {f: "" for f in FIELDS}
    zone = t.zone
    commune = communes.get(course.commune_code)
    return {
        "title": course.title, "description": course.description, "venue": course.venue,
        "start": f"{course.starts_at.astimezone(zone):%Y-%m-%dT%H:%M}",
        "end": f"{course.ends_at.astimezone(zone):%Y-%m-%dT%H:%M}",
        "deadline": f"{course.deadline_at.astimezone(zone):%Y-%m-%dT%H:%M}",
        "capacity": str(course.capacity), "commune": commune.name if commune else "",
        "audience": ", ".join(course.audience),
    }


def routes(console, router: web.UrlDispatcher) -> None:
    s = console.services
    t = console.t

    async def _course(request: web.Request) -> Course:
        raw = request.match_info["id"]
        course = await s.store.courses.get(int(raw)) if raw.isdigit() and len(raw) < 10 else None
        if course is None:
            raise web.HTTPNotFound()
        return course

    def _view(c: Course) -> dict:
        commune = s.communes.get(c.commune_code)
        same_day = c.starts_at.astimezone(t.zone).date() == c.ends_at.astimezone(t.zone).date()
        return {"course": c, "end": t.time(c.ends_at) if same_day else t.datetime(c.ends_at),
                "who": ", ".join(t.plain(ROLES[r]) for r in c.audience if r in ROLES)
                or t.plain("everyone"),
                "commune": commune.name if commune else ""}

    async def index(request: web.Request) -> web.Response:
        now = s.clock.now()
        listing = await s.store.courses.listing(now - SINCE, limit=200)
        upcoming = [c for c in listing if c.ends_at > now]
        past = sorted((c for c in listing if c.ends_at <= now), key=lambda c: c.starts_at,
                      reverse=True)
        return console.page(request, "training_list.html",
                            courses=[_view(c) for c in upcoming + past], now=now)

    def _form(request, values, *, course=None, error=None, status=200):
        return console.page(request, "training_form.html", status=status, values=values,
                            course=course, error=error, labels=LABELS, roles=ROLES,
                            communes=[c.name for c in s.communes])

    async def new(request: web.Request) -> web.Response:
        return _form(request, _form_values(None, t, s.communes))

    def _given(form) -> dict[str, str]:
        values = {f: str(form.get(f, "")) for f in FIELDS}
        for f in ("start", "end", "deadline"):
            values[f] = _typed(values[f])
        return values

    async def create(request: web.Request) -> web.Response:
        form = await request.post()
        typed = {f: str(form.get(f, "")) for f in FIELDS}
        values = {k: v for k, v in _given(form).items() if v.strip() or k not in
                  ("commune", "audience", "deadline", "description")}
        staff = console.staff(request)
        try:
            cid = await create_course(s.store, s.settings, s.communes, values, staff.actor,
                                      s.clock.now())
        except Problem as e:
            return _form(request, typed, error=t.plain(e.msgid, **e.values), status=400)
        await console.audit(request, "course.create", course=cid)
        return console.redirect(f"/training/{cid}")

    async def edit(request: web.Request) -> web.Response:
        course = await _course(request)
        return _form(request, _form_values(course, t, s.communes), course=course)

    async def save(request: web.Request) -> web.Response:
        course = await _course(request)
        form = await request.post()
        typed = {f: str(form.get(f, "")) for f in FIELDS}
        shown = _form_values(course, t, s.communes)
        # Only what staff changed is checked and saved: a course already under way keeps
        # its start without it being refused as "in the past".
        values = {f: v for f, v in _given(form).items() if v.strip() != _typed(shown[f])}
        for f in ("commune", "audience"):
            if f in values and not values[f].strip():
                values[f] = "-"
        if "deadline" in values and not values["deadline"].strip():
            values.pop("deadline")
        try:
            fields, promoted = await edit_course(s.store, s.settings, s.communes, course, values,
                                                 s.clock.now())
        except Problem as e:
            return _form(request, typed, course=course, error=t.plain(e.msgid, **e.values), status=400)
        await console.audit(request, "course.edit", course=course.id, fields=sorted(fields),
                            promoted=len(promoted))
        return console.redirect(f"/training/{course.id}")

    async def cancel(request: web.Request) -> web.Response:
        course = await _course(request)
        told = await cancel_course(s.store, course, s.clock.now())
        await console.audit(request, "course.cancel", course=course.id, told=told)
        return console.redirect(f"/training/{course.id}")

    async def show(request: web.Request) -> web.Response:
        course = await _course(request)
        people = await s.store.courses.registrants(course.id)
        await console.audit(request, "course.registrants", course=course.id)
        rows = []
        for p in people:
            commune = s.communes.get(p.commune_code)
            rows.append({"p": p, "phone": show_phone(p.phone) if p.phone else "",
                         "commune": commune.name if commune else "",
                         "role": ROLES.get(p.role or "", ""),
                         "status": STATUS.get(p.status, p.status),
                         "tick": p.status in ("registered", "attended", "no_show")})
        counts = {k: sum(p.status == k for p in people) for k in STATUS}
        return console.page(request, "training_course.html", **_view(course), rows=rows,
                            counts=counts, status_names=STATUS,
                            started=course.starts_at <= s.clock.now(),
                            saved=request.query.get("saved"))

    async def attendance(request: web.Request) -> web.Response:
        course = await _course(request)
        form = await request.post()
        ticked = {int(v) for v in form.getall("present", []) if str(v).isdigit()}
        people = await s.store.courses.registrants(course.id)
        eligible = {p.registration_id for p in people
                    if p.status in ("registered", "attended", "no_show")}
        present = ticked & eligible
        try:
            await mark_attendance(s.store, course, present, eligible - present, s.clock.now())
        except Problem as e:
            return console.page(request, "problem.html", status=400, message=t.plain(e.msgid, **e.values))
        await console.audit(request, "course.attendance", course=course.id,
                            present=len(present), absent=len(eligible - present))
        return console.redirect(f"/training/{course.id}?saved=1")

    async def export(request: web.Request) -> web.StreamResponse:
        course = await _course(request)
        staff = console.staff(request)
        with tempfile.TemporaryDirectory(prefix="nhanong-export-") as folder:
            path = Path(folder) / f"khoa-hoc-{course.id}.xlsx"
            # the same sheet as /xuat and `export registrations`; it audits the export
            await export_registrations(s.store, course.id, path, "xlsx", t, s.communes,
                                       by=staff.actor, now=s.clock.now())
            body = path.read_bytes()
        return web.Response(body=body, headers={
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "Content-Disposition": f'attachment; filename="khoa-hoc-{course.id}.xlsx"',
            "Cache-Control": "no-store"})

    p = AREA.path
    router.add_get(p, index)
    router.add_get(p + "/new", new)
    router.add_post(p + "/new", create)
    router.add_get(p + "/{id}", show)
    router.add_get(p + "/{id}/edit", edit)
    router.add_post(p + "/{id}/edit", save)
    router.add_post(p + "/{id}/cancel", cancel)
    router.add_post(p + "/{id}/attendance", attendance)
    router.add_get(p + "/{id}/export", export)
