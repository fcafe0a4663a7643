"""/khoahoc for staff: create a course, see who registered, mark attendance,
export the list, cancel a course; /xuat exports a course's registrants.

Creating a course asks one field at a time and checks each as it is typed
(``bot.training.parse_field``, the same checks as the command line).
"""

from __future__ import annotations

from datetime import timedelta

from bot.chatfiles import discard_folder, private_folder, seal
from bot.course_sheets import STATUS, export_registrations
from bot.engine import Context
from bot.flows import LEFT, Flow, Step
from bot.i18n import N_, Problem, md_escape
from bot.phone import show_phone
from bot.router import Router
from bot.store import Course
from bot.text import fold, shorten
from bot.training import (
    FIELDS,
    OPTIONAL,
    cancel_course,
    check_times,
    course_card,
    edit_course,
    mark_attendance,
    parse_course,
    parse_field,
)
from bot.types import Button

from . import reports
from .broadcasts import Reason

FLOW = "course_new"
EDIT = "course_edit"
FIELD_NAMES = {
    "title": N_("Title"), "start": N_("Start"), "end": N_("End"), "venue": N_("Venue"),
    "commune": N_("Commune/ward"), "capacity": N_("Seats"), "audience": N_("Who may sign up"),
    "deadline": N_("Registration closes"), "description": N_("Description"),
}
STALE = N_("That button is no longer valid. Type /menu to start again.")
PAGE = 30  # names per attendance screen
WHAT_TO_EXPORT = N_("What to export? The report, or a course's registrants:")
WHAT_NO_COURSES = N_("What to export? (No courses yet.)")

PROMPTS = {
    "title": N_("New course, step 1 of 9: the **title** (for example _Lập hồ sơ sản phẩm OCOP_)?"),
    "start": N_("Step 2 of 9: when does it **start**? (for example _08:00 10/12/2026_)"),
    "end": N_("Step 3 of 9: when does it **end**? (a time such as _11:30_ for the same day, or "
              "a date and time)"),
    "venue": N_("Step 4 of 9: the **venue** (hall and address)?"),
    "commune": N_("Step 5 of 9: which **commune or ward** is it in?"),
    "capacity": N_("Step 6 of 9: how many **seats**?"),
    "audience": N_("Step 7 of 9: **who** may sign up? Roles separated by commas, for example "
                   "_official, coop, group_ — or choose **Skip** for everyone."),
    "deadline": N_("Step 8 of 9: when does **registration close**? Choose **Skip** to close it "
                   "when the course starts."),
    "description": N_("Step 9 of 9: a short **description** (what people will learn, what to "
                      "bring)?"),
}


async def khoahoc(ctx: Context) -> None:
    """The staff's course list with a button to create one."""
    t = ctx.t
    s = ctx.services
    ctx.state.clear()
    if ctx.args and ctx.args[0].isdigit():
        course = await s.store.courses.get(int(ctx.args[0]))
        if course:
            await _card(ctx, course)
            return
    listing = await s.store.courses.listing(s.clock.now() - timedelta(days=60))
    rows = [[Button(f"{t.date(c.starts_at)} · {shorten(c.title, 30)} ({c.taken}/{c.capacity})"
                    + (" ❌" if c.state != "open" else ""), f"kh:c:{c.id}")] for c in listing]
    rows.append([Button("➕ " + t.plain("New course"), "kh:new")])
    text = t("**Courses** (from the last 60 days on):") if listing else t("No courses yet.")
    ctx.reply(text, rows)


async def _card(ctx: Context, course: Course) -> None:
    t = ctx.t
    people = await ctx.services.store.courses.registrants(course.id)
    counts = {k: sum(p.status == k for p in people) for k in STATUS}
    summary = ", ".join(f"{t.plain(label)}: {counts[k]}" for k, label in STATUS.items() if counts[k])
    text = course_card(t, course, ctx.services.communes) + "\n\n" + t(
        "**Course no. {id}** — {summary}", id=course.id,
        summary=summary or t.plain("nobody has signed up yet"))
    scores = [p.feedback_score for p in people if p.feedback_score]
    if scores:
        text += "\n" + t("Feedback: {avg}/5 from {n} person(s); comments are in the export.",
                         avg=t.number(round(sum(scores) / len(scores), 1)), n=len(scores))
    rows = [[Button(t.plain("Registrants"), f"kh:l:{course.id}"),
             Button(t.plain("Attendance"), f"kh:a:{course.id}:0")],
            [Button(t.plain("Export (Excel)"), f"kh:e:{course.id}"),
             Button("✏️ " + t.plain("Edit"), f"kh:ed:{course.id}")]]
    if course.state == "open":
        rows.append([Button("❌ " + t.plain("Cancel the course"), f"kh:x:{course.id}")])
    ctx.reply(text, rows)


async def _registrants(ctx: Context, course: Course) -> None:
    t = ctx.t
    people = await ctx.services.store.courses.registrants(course.id)
    await ctx.audit("course.registrants", course=course.id)
    if not people:
        ctx.reply(t("Nobody has signed up for this course yet."))
        return
    lines = [t("**Registrants of {title}**", title=course.title)]
    for i, p in enumerate(people, start=1):
        commune = ctx.services.communes.get(p.commune_code)
        bits = [p.name or "?", show_phone(p.phone) if p.phone else "",
                commune.name if commune else "", p.organisation or ""]
        lines.append(f"{i}. " + md_escape(" · ".join(b for b in bits if b))
                     + f" — _{t.plain(STATUS.get(p.status, p.status))}_")
    ctx.reply("\n".join(lines))


async def _attendance(ctx: Context, course: Course, page: int) -> None:
    t = ctx.t
    people = [p for p in await ctx.services.store.courses.registrants(course.id)
              if p.status in ("registered", "attended", "no_show")]
    if not people:
        ctx.reply(t("Nobody has signed up for this course yet."))
        return
    chunk = people[page * PAGE:(page + 1) * PAGE]
    mark = {"attended": "✅", "no_show": "❌", "registered": "⬜"}
    rows = [[Button(f"{mark[p.status]} {shorten(p.name or '?', 40)}",
                    f"kh:t:{course.id}:{p.registration_id}:{page}")] for p in chunk]
    nav = []
    if page > 0:
        nav.append(Button("⬅️", f"kh:a:{course.id}:{page - 1}"))
    if (page + 1) * PAGE < len(people):
        nav.append(Button("➡️", f"kh:a:{course.id}:{page + 1}"))
    if nav:
        rows.append(nav)
    rows.append([Button(t.plain("Done: the others were absent"), f"kh:ad:{course.id}")])
    caps = ctx.caps
    if caps is None or caps.buttons:
        head = t("**Attendance** — press a name to mark them present (✅) or absent (❌).")
    else:
        head = t("**Attendance** — type a name's number to mark them present (✅) or absent (❌).")
    ctx.reply(head + " " + t("For a large course, import the sign-in sheet: `python -m bot "
                             "courses attendance {id} --file sheet.xlsx`.", id=course.id), rows)


async def _toggle(ctx: Context, course: Course, reg_id: int, page: int) -> None:
    s = ctx.services
    now = s.clock.now()
    if course.starts_at > now:
        _not_started(ctx, course)
        return
    reg = await s.store.courses.registration(reg_id)
    if reg is None or reg.course_id != course.id:
        ctx.reply(ctx.t(STALE))
        return
    present = reg.status != "attended"
    await mark_attendance(s.store, course, {reg_id} if present else set(),
                          set() if present else {reg_id}, now)
    await ctx.audit("course.attendance", course=course.id, registration=reg_id, present=present)
    await _attendance(ctx, course, page)


def _not_started(ctx: Context, course: Course) -> None:
    t = ctx.t
    ctx.reply(t("The course has not started yet ({when}); attendance comes after.",
                when=t.datetime(course.starts_at)),
              [[Button(t.plain("Open the course"), f"kh:c:{course.id}")]])


async def _absent_rest(ctx: Context, course: Course) -> None:
    s = ctx.services
    now = s.clock.now()
    if course.starts_at > now:
        _not_started(ctx, course)
        return
    people = await s.store.courses.registrants(course.id)
    rest = {p.registration_id for p in people if p.status == "registered"}
    await mark_attendance(s.store, course, set(), rest, now)
    present = sum(p.status == "attended" for p in people)
    await ctx.audit("course.attendance_done", course=course.id, absent=len(rest))
    ctx.reply(ctx.t("Attendance saved: {present} present, {absent} absent. Those present get a "
                    "short feedback question.", present=present,
                    absent=len(rest) + sum(p.status == "no_show" for p in people)))


async def _export(ctx: Context, course: Course) -> None:
    t = ctx.t
    s = ctx.services
    caps = ctx.caps
    if caps is not None and not caps.documents:
        ctx.reply(t("This chat cannot receive files. Export on the server: `python -m bot export "
                    "registrations --course {id} --format xlsx --out list.xlsx`.", id=course.id))
        return
    folder = private_folder("export")  # the file goes once sent (Reply.temporary)
    path = folder / f"khoa-hoc-{course.id}.xlsx"
    try:
        n = await export_registrations(s.store, course.id, path, "xlsx", t, s.communes,
                                       by=ctx.actor, now=s.clock.now())
        seal(path)
    except BaseException:
        discard_folder(folder)
        raise
    ctx.reply(t("Registrants of **{title}**: {n} row(s).", title=course.title, n=n),
              document=str(path), temporary=True)


async def _cancel(ctx: Context, course: Course, sure: bool) -> None:
    t = ctx.t
    s = ctx.services
    if not sure:
        ctx.reply(t("Cancel **{title}**? Everyone registered or waiting will be told.",
                    title=course.title),
                  [[Button(t.plain("Yes, cancel the course"), f"kh:xx:{course.id}"),
                    Button(t.plain("No"), f"kh:c:{course.id}")]])
        return
    told = await cancel_course(s.store, course, s.clock.now())
    await ctx.audit("course.cancel", course=course.id, told=told)
    ctx.reply(t("The course is cancelled; {n} person(s) will be told.", n=told),
              [[Button(t.plain("Open the course"), f"kh:c:{course.id}")]])


# -- creating a course in the chat ----------------------------------------------------
SKIPPED = {"-", "bo qua", "skip", "khong", "none"}


def _ask(ctx: Context, name: str) -> None:
    """Ask one step; the answer is typed (the table marks it: a typed "1" is one seat,
    never a button)."""
    t = ctx.t
    row = [WIZARD.button(t.plain("Cancel"), "stop")]
    if name in OPTIONAL:
        row.insert(0, WIZARD.button(t.plain("Skip"), "skip"))
    ctx.reply(t(PROMPTS[name]), [row])


def _values(ctx: Context) -> dict[str, str]:
    return ctx.state.data.setdefault("values", {})


def _answer(name: str):
    async def answer(ctx: Context, text: str) -> None:
        """The step's answer, checked at once against the steps already given (the end
        after the start, the registration deadline before it)."""
        s = ctx.services
        values = _values(ctx)
        if name in OPTIONAL and (text.strip() == "-" or fold(text) in SKIPPED):
            values.pop(name, None)
            return None
        now = s.clock.now()
        try:
            start = None
            if values.get("start"):
                start = parse_field("start", values["start"], s.communes, s.settings, now)[1]
            column, value = parse_field(name, text, s.communes, s.settings, now, start)
            if start is not None and name in ("end", "deadline"):
                check_times({"starts_at": start, column: value}, None)
        except Problem as e:
            raise Reason(e) from None
        values[name] = text
        return None

    return answer


async def _skip(ctx: Context, arg: str) -> None:
    _values(ctx).pop(ctx.state.step or "", None)
    return None


async def _stop(ctx: Context, arg: str) -> str:
    await WIZARD.leave(ctx) if ctx.state.flow == FLOW else await EDITOR.leave(ctx)
    return LEFT


async def _ask_confirm(ctx: Context) -> None:
    s = ctx.services
    t = ctx.t
    try:
        fields = parse_course(_values(ctx), s.communes, s.settings, s.clock.now())
    except Problem as e:  # each step was checked; only time passing can make this fail
        ctx.reply("⚠️ " + e.say(t))
        await WIZARD.ask(ctx, "start")
        return
    preview = Course(0, fields["title"], fields.get("description", ""), fields["starts_at"],
                     fields["ends_at"], fields["venue"], fields.get("commune_code"),
                     fields["capacity"], fields.get("audience", ()), fields["deadline_at"], "open",
                     ctx.actor)
    ctx.reply(t("**Create this course?**") + "\n\n" + course_card(t, preview, s.communes),
              [[WIZARD.button("✅ " + t.plain("Create"), "save"),
                WIZARD.button(t.plain("Cancel"), "stop")]])


async def _save(ctx: Context, arg: str) -> str:
    s = ctx.services
    t = ctx.t
    try:
        fields = parse_course(_values(ctx), s.communes, s.settings, s.clock.now())
    except Problem as e:
        ctx.reply("⚠️ " + e.say(t))
        return "start"
    cid = await s.store.courses.create(fields, ctx.actor, s.clock.now())  # checked just above
    await ctx.audit("course.create", course=cid)
    ctx.state.clear()
    ctx.reply(t("Course no. {id} is created. Members see it with /taphuan; announce it with "
                "/guitin.", id=cid), [[Button(t.plain("Open the course"), f"kh:c:{cid}")]])
    return LEFT


def _wizard_step(i: int, name: str) -> Step:
    choices = {"stop": _stop}
    if name in OPTIONAL:
        choices["skip"] = _skip
    return Step(name, lambda ctx: _ask(ctx, name), choices=choices, text=_answer(name),
                typed=True, next=FIELDS[i + 1] if i + 1 < len(FIELDS) else "confirm",
                back=FIELDS[i - 1] if i else None)


async def _entry(ctx: Context, args: list[str]) -> None:
    await on_action(ctx)


WIZARD = Flow(
    FLOW, "kh", staff=True, first="title",
    steps={**{name: _wizard_step(i, name) for i, name in enumerate(FIELDS)},
           "confirm": Step("confirm", _ask_confirm, choices={"save": _save, "stop": _stop},
                           back=FIELDS[-1])},
    # The course area's buttons work from anywhere (kh:c:12 opens course 12, …).
    actions={key: _entry for key in ("new", "c", "l", "a", "t", "ad", "e", "x", "xx", "ed",
                                     "ef")},
    doc="/khoahoc → Tạo khóa học: nine typed steps, each checked when answered, then confirm.",
)


async def on_action(ctx: Context) -> None:
    """Buttons of the staff course area (prefix ``kh``)."""
    t = ctx.t
    args = ctx.args
    head = args[0] if args else ""
    if ctx.state.flow == reports.FLOW:
        ctx.state.clear()  # a course picked at /xuat's question
    if head == "new":
        await WIZARD.start(ctx, "title", values={})
        return
    if len(args) < 2 or not args[1].isdigit():
        ctx.reply(t(STALE))
        return
    course = await ctx.services.store.courses.get(int(args[1]))
    if course is None:
        ctx.reply(t(STALE))
        return
    rest = [int(a) for a in args[2:] if a.isdigit()]
    if head == "c":
        await _card(ctx, course)
    elif head == "l":
        await _registrants(ctx, course)
    elif head == "a":
        await _attendance(ctx, course, rest[0] if rest else 0)
    elif head == "t" and len(rest) == 2:
        await _toggle(ctx, course, rest[0], rest[1])
    elif head == "ad":
        await _absent_rest(ctx, course)
    elif head == "e":
        await _export(ctx, course)
    elif head in ("x", "xx"):
        await _cancel(ctx, course, head == "xx")
    elif head == "ed":
        await EDITOR.start(ctx, "field", course=course.id)
    elif head == "ef" and rest and rest[0] < len(FIELDS):
        await EDITOR.start(ctx, list(FIELD_NAMES)[rest[0]], course=course.id)
    else:
        ctx.reply(t(STALE))


# -- editing a course in the chat ------------------------------------------------------
def _ask_field(ctx: Context) -> None:
    t = ctx.t
    cid = ctx.state.data.get("course", 0)
    ctx.reply(t("What do you want to change?"),
              [[Button(t.plain(label), f"kh:ef:{cid}:{i}")]
               for i, label in enumerate(FIELD_NAMES.values())])


def _ask_edit(ctx: Context, name: str) -> None:
    """Ask for a field's new value; it is typed (a typed "1" is one seat)."""
    t = ctx.t
    ctx.reply(t("Type the new value for **{field}** (a time like _08:00 10/12/2026_; “-” "
                "empties an optional field).", field=t.plain(FIELD_NAMES[name])),
              [[EDITOR.button(t.plain("Cancel"), "stop")]])


def _edit_answer(name: str):
    async def answer(ctx: Context, text: str) -> str:
        """The new value of the course field being edited."""
        s = ctx.services
        t = ctx.t
        course = await s.store.courses.get(ctx.state.data.get("course", 0))
        if course is None:
            ctx.state.clear()
            ctx.reply(t(STALE))
            return LEFT
        now = s.clock.now()
        try:
            fields, promoted = await edit_course(s.store, s.settings, s.communes, course,
                                                 {name: text}, now, only_changed=False)
        except Problem as e:
            raise Reason(e) from None
        await ctx.audit("course.edit", course=course.id, fields=sorted(fields),
                        promoted=len(promoted))
        ctx.state.clear()
        ctx.reply(t("Saved.") + (" " + t("{n} person(s) moved in from the waiting list.",
                                         n=len(promoted)) if promoted else ""))
        await _card(ctx, await s.store.courses.get(course.id))
        return LEFT

    return answer


EDITOR = Flow(
    EDIT, "kh", staff=True, first="field",
    steps={"field": Step("field", _ask_field),
           **{name: Step(name, lambda ctx, name=name: _ask_edit(ctx, name),
                         choices={"stop": _stop}, text=_edit_answer(name), typed=True,
                         back="field")
              for name in FIELD_NAMES}},
    doc="Course card → Sửa: which field, then its new value (checked like the CLI).",
)


async def xuat(ctx: Context) -> None:
    """/xuat [ID]: the Đề án report, or a course's registrants as a spreadsheet."""
    if ctx.args and ctx.args[0].isdigit():
        course = await ctx.services.store.courses.get(int(ctx.args[0]))
        if course:
            await _export(ctx, course)
            return
    t = ctx.t
    s = ctx.services
    listing = await s.store.courses.listing(s.clock.now() - timedelta(days=365))
    await reports.start(ctx, WHAT_TO_EXPORT if listing else WHAT_NO_COURSES,
                        [reports.offer(ctx)]
                        + [[Button(f"{t.date(c.starts_at)} · {shorten(c.title, 34)}",
                                   f"kh:e:{c.id}")] for c in listing[-20:]])


def register(router: Router) -> None:
    router.command(("khoahoc", "courses"), khoahoc, N_("Training courses (staff)"), staff=True)
    router.command(("xuat", "export"), xuat, N_("Export lists (staff)"), staff=True)
    router.add_flow(WIZARD)
    router.add_flow(EDITOR)
