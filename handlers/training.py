"""/taphuan: upcoming courses, sign-up, the waiting list, cancelling, feedback.

Signing up asks only for what the profile lacks (full name, phone, commune,
role, and the organisation for cooperatives, groups and businesses), saves the
answers to the profile, shows everything on one screen and registers on
"Xác nhận".  The seat is taken in one transaction, so the last seat goes to
one person only; a full course offers the waiting list.
"""

from __future__ import annotations

from bot.engine import Context
from bot.i18n import N_, md_escape
from bot.phone import parse_phone, show_phone
from bot.roles import ROLES
from bot.router import Router
from bot.store import Course
from bot.text import clean, shorten
from bot.training import ROLES_WITH_ORGANISATION, audience_text, course_card, planner
from bot.types import Button, InboundKind

SIGNUP = "signup"
FEEDBACK = "feedback"
STALE = N_("That button is no longer valid. Type /menu to start again.")


# -- the list and one course ---------------------------------------------------------
async def courses(ctx: Context) -> None:
    """/taphuan: the person's registrations, then the courses they may join."""
    t = ctx.t
    s = ctx.services
    ctx.state.clear()
    now = s.clock.now()
    mine = await s.store.courses.of_member(ctx.member.id, now)
    mine_ids = {c.id for _, c in mine}
    lines: list[str] = []
    buttons: list[list[Button]] = []
    if mine:
        lines.append(t("**Your registrations**"))
        for reg, c in mine:
            status = (t("registered") if reg.status == "registered"
                      else t("waiting list, place {n}", n=reg.position))
            lines.append(f"- {md_escape(c.title)} — {t.datetime(c.starts_at)} ({status})")
            buttons.append([Button(t.plain("Cancel: {title}", title=_short(c.title)),
                                   f"tr:x:{reg.id}")])
        lines.append("")
    open_ = [c for c in await s.store.courses.upcoming(now)
             if c.id not in mine_ids and c.open_for(ctx.member.role) and c.deadline_at >= now]
    if open_:
        lines.append(t("**Upcoming courses** — press one to see it and sign up:"))
        for c in open_[:8]:
            label = f"{t.date(c.starts_at)} · {_short(c.title)}"
            buttons.append([Button(label, f"tr:c:{c.id}")])
    else:
        lines.append(t("There are no upcoming courses open for sign-up right now. The union "
                       "will announce new ones here."))
    ctx.reply("\n".join(lines), buttons)


def _short(title: str) -> str:
    return shorten(title, 40)


async def _course_or_stale(ctx: Context, raw: str) -> Course | None:
    course = await ctx.services.store.courses.get(int(raw)) if raw.isdigit() else None
    if course is None:
        ctx.reply(ctx.t(STALE))
    return course


async def show(ctx: Context, course: Course) -> None:
    t = ctx.t
    now = ctx.services.clock.now()
    card = course_card(t, course, ctx.services.communes)
    if course.state != "open":
        ctx.reply(card + "\n\n" + t("This course has been cancelled."))
        return
    if course.starts_at <= now or course.deadline_at < now:
        ctx.reply(card + "\n\n" + t("Registration for this course is closed."))
        return
    if not course.open_for(ctx.member.role):
        ctx.reply(card + "\n\n" + t("This course is for {who} only.", who=audience_text(t, course)))
        return
    if course.seats_left:
        button = Button("✍️ " + t.plain("Sign up"), f"tr:s:{course.id}")
    else:
        button = Button(t.plain("Join the waiting list"), f"tr:w:{course.id}")
    ctx.reply(card, [[button], [Button(t.plain("Back to the list"), "tr:l")]])


# -- sign-up ------------------------------------------------------------------------------
def _missing(ctx: Context) -> str | None:
    """The first thing the profile lacks for a registration, or None."""
    m = ctx.member
    data = ctx.state.data
    if not m.full_name:
        return "name"
    if not m.phone:
        return "phone"
    if not m.commune_code:
        return "commune"
    if not m.role:
        return "role"
    if m.role in ROLES_WITH_ORGANISATION and not m.organisation and not data.get("no_org"):
        return "organisation"
    return None


async def _refresh(ctx: Context) -> None:
    member = await ctx.services.store.members.get(ctx.member.id)
    if member is not None:
        ctx.member = member


async def _advance(ctx: Context) -> None:
    """Ask the next missing detail, or show the confirmation screen."""
    await _refresh(ctx)
    course = await ctx.services.store.courses.get(ctx.state.data["course"])
    if course is None:
        ctx.state.clear()
        ctx.reply(ctx.t(STALE))
        return
    if ctx.member.role and not course.open_for(ctx.member.role):
        ctx.state.clear()
        ctx.reply(ctx.t("This course is for {who} only.", who=audience_text(ctx.t, course)))
        return
    step = _missing(ctx)
    ctx.state.step = step or "confirm"
    if step:
        _ask(ctx, step)
    else:
        _confirm(ctx, course)


def _ask(ctx: Context, step: str) -> None:
    t = ctx.t
    cancel = [Button(t.plain("Cancel"), "tr:no")]
    if step == "name":
        ctx.reply(t("To sign you up I need a few details. What is your **full name**, as it "
                    "should appear on the attendance list?"), [cancel])
    elif step == "phone":
        ctx.reply(t("Your **phone number**, so that the organisers can reach you (for example "
                    "0912 345 678)? Only union staff can see it."), [cancel], ask_contact=True)
    elif step == "commune":
        ctx.reply(t("Which **commune or ward** do you live in?"), [cancel])
    elif step == "role":
        roles = [Button(t.plain(label), f"tr:r:{key}") for key, label in ROLES.items()]
        ctx.reply(t("What is your **role**?"), [*[roles[i:i + 2] for i in range(0, len(roles), 2)],
                                                 cancel])
    elif step == "organisation":
        ctx.reply(t("The name of your **cooperative, group or business**?"),
                  [[Button(t.plain("Skip"), "tr:noorg")], cancel])


def _confirm(ctx: Context, course: Course) -> None:
    t = ctx.t
    m = ctx.member
    commune = ctx.services.communes.get(m.commune_code)
    lines = [
        t("**Please check, then confirm:**"),
        "",
        course_card(t, course, ctx.services.communes, seats=False, description=False),
        "",
        f"- {t('Full name')}: {md_escape(m.full_name)}",
        f"- {t('Phone')}: {md_escape(show_phone(m.phone))}",
        f"- {t('Commune/ward')}: {md_escape(commune.name if commune else '')}",
        f"- {t('Role')}: {md_escape(t.plain(ROLES.get(m.role, '')))}",
    ]
    if m.organisation:
        lines.append(f"- {t('Organisation')}: {md_escape(m.organisation)}")
    if ctx.state.data.get("waitlist"):
        lines += ["", t("The course is full: you will be put on the waiting list and told as "
                        "soon as a seat is yours.")]
    ctx.reply("\n".join(lines), [
        [Button("✅ " + t.plain("Confirm"), "tr:ok"), Button(t.plain("Cancel"), "tr:no")],
        [Button(t.plain("Change my details"), "tr:edit")],
    ])


async def on_text(ctx: Context) -> None:
    """What the person types while signing up."""
    t = ctx.t
    step = ctx.state.step
    store = ctx.services.store
    kind = ctx.inbound.kind
    if step == "phone" and kind is InboundKind.CONTACT:
        if not ctx.inbound.phone_is_own:  # someone else's contact: nothing is saved
            ctx.reply(t("Please share your own phone number, or type it."), ask_contact=True)
            return
        phone = parse_phone(ctx.inbound.phone)
    elif kind is not InboundKind.TEXT or not ctx.text:
        ctx.reply(t("Please answer in text, or press **Cancel**."))
        return
    else:
        phone = None
    text = clean(ctx.text, 200)
    if step == "name":
        if not _is_name(text):
            ctx.reply(t("Please type your full name (2 to 100 letters), for example "
                        "_Nguyễn Văn An_."))
            return
        await store.members.update(ctx.member.id, full_name=text)
    elif step == "phone":
        phone = phone or parse_phone(text)
        if phone is None:
            ctx.reply(t("That does not look like a phone number. Please type it like "
                        "0912 345 678."), ask_contact=True)
            return
        await store.members.update(ctx.member.id, phone=phone)
        ctx.reply(t("Saved your number {phone}.", phone=show_phone(phone)), close_keyboard=True)
    elif step == "commune":
        found = ctx.services.communes.match(text)
        if found.exact is None:
            if found.candidates:
                ctx.reply(t("Which one do you mean?"),
                          [[Button(c.name, f"tr:cm:{c.code}")] for c in found.candidates])
            else:
                ctx.reply(t("I could not find “{typed}” among the communes and wards of "
                            "{province}. Please check the name and type it again.",
                            typed=text[:60], province=ctx.services.communes.province.name))
            return
        await store.members.update(ctx.member.id, commune_code=found.exact.code)
    elif step == "organisation":
        if len(text) < 2:
            ctx.reply(t("Please type the name, or press **Skip**."))
            return
        await store.members.update(ctx.member.id, organisation=text[:150])
    else:
        ctx.reply(t("Please press one of the buttons above, or **Cancel**."))
        return
    await _advance(ctx)


def _is_name(text: str) -> bool:
    """A person's name: 2 to 100 characters of letters, spaces, dots, hyphens, apostrophes."""
    letters = sum(ch.isalpha() for ch in text)
    return 2 <= len(text) <= 100 and letters >= 2 and all(ch.isalpha() or ch in " .'-" for ch in text)


async def _finish(ctx: Context) -> None:
    t = ctx.t
    s = ctx.services
    data = ctx.state.data
    await _refresh(ctx)
    if _missing(ctx):  # the profile changed meanwhile (a phone deleted in /hoso …)
        await _advance(ctx)
        return
    now = s.clock.now()
    result = await s.store.courses.register(data["course"], ctx.member.id, now, planner(s.settings, now),
                                            waitlist=bool(data.get("waitlist")))
    course = await s.store.courses.get(data["course"])
    if result == "full":  # the last seat went while they were confirming
        ctx.state.data["waitlist"] = True
        ctx.reply(t("Sorry, the last seat was just taken. Would you like a place on the waiting "
                    "list? You will be told as soon as a seat is yours."),
                  [[Button(t.plain("Join the waiting list"), "tr:ok"),
                    Button(t.plain("Cancel"), "tr:no")]])
        return
    ctx.state.clear()
    if result == "registered":
        await ctx.audit("course.register", course=data["course"])
        ctx.reply("✅ " + t("You are registered. I will remind you before the course.") + "\n\n"
                  + course_card(t, course, s.communes, seats=False, description=False)
                  + "\n\n" + t("Type /taphuan to see or cancel your registrations."))
    elif result == "waitlisted":
        await ctx.audit("course.waitlist", course=data["course"])
        ctx.reply(t("You are on the waiting list for **{title}**. I will tell you as soon as a "
                    "seat is yours.", title=course.title))
    elif result == "already":
        ctx.reply(t("You are already signed up for this course. Type /taphuan to see your "
                    "registrations."))
    else:
        ctx.reply(t("Registration for this course is closed."))


async def on_action(ctx: Context) -> None:
    """Buttons of the training area (prefix ``tr``)."""
    t = ctx.t
    s = ctx.services
    args = ctx.args
    state = ctx.state
    signing = state.flow == SIGNUP
    head = args[0] if args else ""
    if head == "l":
        await courses(ctx)
    elif head == "c" and len(args) == 2:
        course = await _course_or_stale(ctx, args[1])
        if course:
            await show(ctx, course)
    elif head in ("s", "w") and len(args) == 2:
        course = await _course_or_stale(ctx, args[1])
        if course:
            state.enter(SIGNUP, "start", course=course.id, waitlist=head == "w")
            await _advance(ctx)
    elif head == "r" and len(args) == 2 and signing and state.step == "role" and args[1] in ROLES:
        await s.store.members.update(ctx.member.id, role=args[1])
        await _advance(ctx)
    elif head == "cm" and len(args) == 2 and signing and state.step == "commune":
        commune = s.communes.get(args[1])
        if commune is None:
            ctx.reply(t(STALE))
            return
        await s.store.members.update(ctx.member.id, commune_code=commune.code)
        await _advance(ctx)
    elif head == "noorg" and signing and state.step == "organisation":
        state.data["no_org"] = True
        await _advance(ctx)
    elif head == "ok" and signing and state.step == "confirm":
        await _finish(ctx)
    elif head == "edit" and signing and state.step == "confirm":
        course_id = state.data["course"]
        state.clear()
        ctx.reply(t("Type /hoso to change your details, then sign up again with /taphuan."),
                  [[Button(t.plain("My profile"), "m:profile"),
                    Button(t.plain("Back to the course"), f"tr:c:{course_id}")]])
    elif head == "no":
        state.clear()
        ctx.reply(t("Cancelled: you are not signed up. Type /taphuan to see the courses."),
                  close_keyboard=True)
    elif head == "x" and len(args) == 2 and args[1].isdigit():
        await _ask_withdraw(ctx, int(args[1]))
    elif head == "xx" and len(args) == 2 and args[1].isdigit():
        await _withdraw(ctx, int(args[1]))
    elif head == "fb" and len(args) == 3 and args[1].isdigit() and args[2] in {"1", "2", "3", "4", "5"}:
        await _feedback(ctx, int(args[1]), int(args[2]))
    elif head == "fbskip" and state.flow == FEEDBACK:
        state.clear()
        ctx.reply(t("Thank you!"))
    else:
        ctx.reply(t(STALE))


async def _ask_withdraw(ctx: Context, reg_id: int) -> None:
    t = ctx.t
    reg = await ctx.services.store.courses.registration(reg_id)
    if reg is None or reg.member_id != ctx.member.id or reg.status not in ("registered", "waitlisted"):
        ctx.reply(t("You are not signed up for that course (any more)."))
        return
    course = await ctx.services.store.courses.get(reg.course_id)
    ctx.reply(t("Cancel your registration for **{title}**?", title=course.title),
              [[Button(t.plain("Yes, cancel it"), f"tr:xx:{reg_id}"),
                Button(t.plain("No, keep it"), "tr:l")]])


async def _withdraw(ctx: Context, reg_id: int) -> None:
    s = ctx.services
    now = s.clock.now()
    done, promoted = await s.store.courses.withdraw(reg_id, ctx.member.id, now, planner(s.settings, now))
    if not done:
        ctx.reply(ctx.t("You are not signed up for that course (any more)."))
        return
    await ctx.audit("course.withdraw", registration=reg_id, promoted=promoted)
    ctx.reply(ctx.t("Your registration is cancelled. Thank you for telling us: someone else can "
                    "take the seat."))


async def _feedback(ctx: Context, reg_id: int, score: int) -> None:
    t = ctx.t
    if not await ctx.services.store.courses.set_feedback(reg_id, ctx.member.id, score=score):
        ctx.reply(t(STALE))
        return
    ctx.state.enter(FEEDBACK, "comment", registration=reg_id)
    ctx.reply(t("Thank you! Anything you would like to tell the organisers (what was useful, "
                "what to improve)? Type it, or press **Skip**."),
              [[Button(t.plain("Skip"), "tr:fbskip")]])


async def on_feedback_text(ctx: Context) -> None:
    t = ctx.t
    if ctx.inbound.kind is not InboundKind.TEXT or not ctx.text:
        ctx.reply(t("Please answer in text, or press **Skip**."))
        return
    await ctx.services.store.courses.set_feedback(ctx.state.data["registration"], ctx.member.id,
                                                  comment=clean(ctx.text, 1000))
    ctx.state.clear()
    ctx.reply(t("Thank you, your comment goes to the organisers."))


def register(router: Router) -> None:
    router.command(("taphuan", "training"), courses, N_("Training courses: sign up"),
                   keywords=("tập huấn", "đăng ký tập huấn", "khóa học", "khoá học",
                             "lớp tập huấn", "đăng ký học"))
    router.flow(SIGNUP, on_text)
    router.flow(FEEDBACK, on_feedback_text)
    router.action("tr", on_action)
