"""/taphuan: upcoming courses, sign-up, the waiting list, cancelling, feedback.

Signing up asks only for what the profile lacks (full name, phone, commune,
role, and the organisation for cooperatives, groups and businesses), saves the
answers to the profile, shows everything on one screen and registers on
"Xác nhận".  The seat is taken in one transaction, so the last seat goes to
one person only; a full course offers the waiting list.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.checkin import yes_no
from bot.engine import Context
from bot.flows import END, LEFT, STAY, CallbackData, Flow, Invalid, Next, Step, call, fits
from bot.flows.common import commune_step, name_step, organisation_step, phone_step, role_step
from bot.i18n import N_, md_escape
from bot.phone import show_phone
from bot.roles import ROLES
from bot.router import Router
from bot.store import Course
from bot.text import clean, shorten
from bot.training import ROLES_WITH_ORGANISATION, audience_text, course_card, planner
from bot.types import Button

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
                                   Withdraw(reg.id).pack())])
        lines.append("")
    open_ = [c for c in await s.store.courses.upcoming(now)
             if c.id not in mine_ids and c.open_for(ctx.member.role) and c.deadline_at >= now]
    if open_:
        lines.append(fits(ctx, t("**Upcoming courses** — press one to see it and sign up:"),
                          t("**Upcoming courses** — type the number of one to see it and "
                            "sign up:")))
        for c in open_[:8]:
            label = f"{t.date(c.starts_at)} · {_short(c.title)}"
            buttons.append([Button(label, OpenCourse(c.id).pack())])
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
        button = Button("✍️ " + t.plain("Sign up"), SignUp(course.id).pack())
    else:
        button = Button(t.plain("Join the waiting list"), WaitList(course.id).pack())
    ctx.reply(card, [[button], [Button(t.plain("Back to the list"), "tr:l")]])


# -- sign-up: the table ------------------------------------------------------------------
@dataclass(frozen=True)
class OpenCourse(CallbackData, prefix="tr:c"):
    course: int


@dataclass(frozen=True)
class SignUp(CallbackData, prefix="tr:s"):
    course: int


@dataclass(frozen=True)
class WaitList(CallbackData, prefix="tr:w"):
    course: int


@dataclass(frozen=True)
class Withdraw(CallbackData, prefix="tr:x"):
    registration: int


@dataclass(frozen=True)
class WithdrawSure(CallbackData, prefix="tr:xx"):
    registration: int


@dataclass(frozen=True)
class Feedback(CallbackData, prefix="tr:fb"):
    """The scores under the feedback question (sent by bot.training.notice_reply)."""

    registration: int
    score: int


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


async def _next_missing(ctx: Context) -> str:
    """The next missing detail, or the confirmation screen; LEFT when the course is gone
    or not for this person's role (said)."""
    await _refresh(ctx)
    course = await ctx.services.store.courses.get(ctx.state.data.get("course", 0))
    if course is None:
        ctx.state.clear()
        ctx.reply(ctx.t(STALE))
        return LEFT
    if ctx.member.role and not course.open_for(ctx.member.role):
        ctx.state.clear()
        ctx.reply(ctx.t("This course is for {who} only.", who=audience_text(ctx.t, course))
                  + " " + ctx.t("Type /taphuan to see the courses."))
        return LEFT
    return _missing(ctx) or "confirm"


async def _back_to_course(ctx: Context) -> str:
    """"quay lại" while signing up: the course card again (not signed up)."""
    course = await ctx.services.store.courses.get(ctx.state.data.get("course", 0))
    ctx.state.clear()
    if course is None:
        ctx.reply(ctx.t(STALE))
    else:
        await show(ctx, course)
    return LEFT


def _head(ctx: Context, step: str) -> str:
    if ctx.state.data.get("_asked"):
        return ""
    ctx.state.data["_asked"] = True
    return ctx.t("To sign you up I need a few details.") + " "


def _with_cancel(step: Step) -> Step:
    """A shared step, with the sign-up's Cancel button under its question."""
    async def ask(ctx: Context) -> None:
        n = len(ctx.replies)
        await call(step.ask, ctx)
        if len(ctx.replies) > n:
            ctx.replies[-1].buttons.append([SIGNUP_FLOW.quit_button(ctx)])
    return replace(step, ask=ask)


async def _ask_confirm(ctx: Context) -> None:
    t = ctx.t
    await _refresh(ctx)
    m = ctx.member
    course = await ctx.services.store.courses.get(ctx.state.data.get("course", 0))
    commune = ctx.services.communes.get(m.commune_code)
    lines = [t("**Please check, then confirm:**")]
    if course is not None:
        lines += ["", course_card(t, course, ctx.services.communes, seats=False,
                                  description=False)]
    lines += [
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
    ok = t.plain("Join the waiting list") if ctx.state.data.get("waitlist") else t.plain("Confirm")
    ctx.reply("\n".join(lines), [
        [SIGNUP_FLOW.button("✅ " + ok, "ok"), SIGNUP_FLOW.quit_button(ctx)],
        [SIGNUP_FLOW.button(t.plain("Change my details"), "edit")],
    ])


async def _confirm(ctx: Context, arg: str = "") -> Next:
    """"Xác nhận": register (or join the waiting list)."""
    t = ctx.t
    s = ctx.services
    data = ctx.state.data
    await _refresh(ctx)
    if _missing(ctx):  # the profile changed meanwhile (a phone deleted in /hoso …)
        return await _next_missing(ctx)
    now = s.clock.now()
    result = await s.store.courses.register(data["course"], ctx.member.id, now,
                                            planner(s.settings, now),
                                            waitlist=bool(data.get("waitlist")))
    course = await s.store.courses.get(data["course"])
    if result == "full":  # the last seat went while they were confirming
        data["waitlist"] = True
        ctx.reply(t("Sorry, the last seat was just taken. Would you like a place on the waiting "
                    "list? You will be told as soon as a seat is yours."))
        return STAY
    ctx.state.clear()
    if result == "registered":
        await ctx.audit("course.register", course=data["course"])
        ctx.reply("✅ " + t("You are registered. I will remind you before the course.") + "\n\n"
                  + course_card(t, course, s.communes, seats=False, description=False)
                  + "\n\n" + t("Type /taphuan to see or cancel your registrations."))
    elif result == "waitlisted":
        await ctx.audit("course.waitlist", course=data["course"])
        ctx.reply(t("You are on the waiting list for **{title}**. I will tell you as soon as a "
                    "seat is yours.", title=course.title) + " "
                  + t("Type /taphuan to see or cancel your registrations."))
    elif result == "already":
        ctx.reply(t("You are already signed up for this course. Type /taphuan to see your "
                    "registrations."))
    else:
        ctx.reply(t("Registration for this course is closed.") + " "
                  + t("Type /taphuan to see the courses."))
    return LEFT


async def _edit(ctx: Context, arg: str) -> Next:
    t = ctx.t
    course_id = ctx.state.data["course"]
    ctx.state.clear()
    ctx.reply(t("Type /hoso to change your details, then sign up again with /taphuan."),
              [[Button(t.plain("My profile"), "m:profile"),
                Button(t.plain("Back to the course"), OpenCourse(course_id).pack())]])
    return LEFT


async def _confirm_typed(ctx: Context, text: str) -> Next:
    said = yes_no(text)
    if said == "yes":
        return await _confirm(ctx)
    if said == "no":
        await SIGNUP_FLOW.leave(ctx)
        return LEFT
    raise Invalid(N_("Please answer “có” to confirm or “không” to cancel."))


async def _signup_cancelled(ctx: Context) -> None:
    ctx.state.clear()
    ctx.reply(ctx.t("Cancelled: you are not signed up. Type /taphuan to see the courses."),
              close_keyboard=True)


async def _start_signup(ctx: Context, args: list[str], waitlist: bool) -> None:
    course = await _course_or_stale(ctx, args[0] if len(args) == 1 else "")
    if course is None:
        return
    ctx.state.enter(SIGNUP, "confirm", course=course.id, waitlist=waitlist)
    await SIGNUP_FLOW.go(ctx, await _next_missing(ctx))


async def _entry_list(ctx: Context, args: list[str]) -> None:
    await courses(ctx)


async def _entry_course(ctx: Context, args: list[str]) -> None:
    course = await _course_or_stale(ctx, args[0] if len(args) == 1 else "")
    if course:
        ctx.state.clear()
        await show(ctx, course)


async def _entry_signup(ctx: Context, args: list[str]) -> None:
    await _start_signup(ctx, args, waitlist=False)


async def _entry_waitlist(ctx: Context, args: list[str]) -> None:
    await _start_signup(ctx, args, waitlist=True)


async def _entry_withdraw(ctx: Context, args: list[str]) -> None:
    if len(args) == 1 and args[0].isdigit():
        await _ask_withdraw(ctx, int(args[0]))
    else:
        ctx.reply(ctx.t(STALE))


async def _entry_withdraw_sure(ctx: Context, args: list[str]) -> None:
    if len(args) == 1 and args[0].isdigit():
        await _withdraw(ctx, int(args[0]))
    else:
        ctx.reply(ctx.t(STALE))


def _signup_step(step: Step) -> Step:
    return _with_cancel(replace(step, next=_next_missing, back=_back_to_course))


SIGNUP_FLOW = Flow(
    SIGNUP, "tr", first="confirm", cancel=_signup_cancelled,
    doc="Training sign-up: asks only what the profile lacks, then one confirmation screen.",
    actions={"l": _entry_list, "c": _entry_course, "s": _entry_signup, "w": _entry_waitlist,
             "x": _entry_withdraw, "xx": _entry_withdraw_sure},
    steps={s.name: s for s in (
        _signup_step(name_step(next=None, head=_head)),
        _signup_step(phone_step(next=None, skip=False, head=_head)),
        _signup_step(commune_step(next=None, skip=False, head=_head, say_saved=False)),
        _signup_step(role_step(next=None, skip=False, head=_head, say_saved=False)),
        _signup_step(organisation_step(next=None, head=_head)),
        Step("confirm", _ask_confirm, {"ok": _confirm, "edit": _edit}, text=_confirm_typed,
             back=_back_to_course,
             expects=N_("Please answer “có” to confirm or “không” to cancel.")),
    )},
)

async def _ask_withdraw(ctx: Context, reg_id: int) -> None:
    t = ctx.t
    reg = await ctx.services.store.courses.registration(reg_id)
    if reg is None or reg.member_id != ctx.member.id or reg.status not in ("registered", "waitlisted"):
        ctx.reply(t("You are not signed up for that course (any more)."))
        return
    course = await ctx.services.store.courses.get(reg.course_id)
    ctx.reply(t("Cancel your registration for **{title}**?", title=course.title),
              [[Button(t.plain("Yes, cancel it"), WithdrawSure(reg_id).pack()),
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


async def _entry_feedback(ctx: Context, args: list[str]) -> None:
    data = Feedback.unpack(":".join(["tr", "fb", *args]))
    if data is None or not 1 <= data.score <= 5 or not await ctx.services.store.courses.set_feedback(
            data.registration, ctx.member.id, score=data.score):
        ctx.reply(ctx.t(STALE))
        return
    await FEEDBACK_FLOW.start(ctx, "comment", registration=data.registration)


def _ask_comment(ctx: Context) -> None:
    t = ctx.t
    ctx.reply(t("Thank you! Anything you would like to tell the organisers (what was useful, "
                "what to improve)?") + " " + fits(ctx, t("Type it, or press **Skip**."),
                                                 t("Type it, or type “bỏ qua”.")),
              [[FEEDBACK_FLOW.button(t.plain("Skip"), "skip")]])


async def _comment(ctx: Context, text: str) -> Next:
    await ctx.services.store.courses.set_feedback(ctx.state.data["registration"], ctx.member.id,
                                                  comment=clean(text, 1000))
    ctx.reply(ctx.t("Thank you, your comment goes to the organisers."))
    return END


async def _no_comment(ctx: Context, arg: str) -> Next:
    ctx.reply(ctx.t("Thank you!"))
    return END


FEEDBACK_FLOW = Flow(
    FEEDBACK, "tr", first="comment", actions={"fb": _entry_feedback},
    doc="After a course: the score pressed, then a comment (or skip).",
    steps={"comment": Step("comment", _ask_comment, {"skip": _no_comment}, text=_comment,
                           typed=True, expects=N_("Please type your comment."))},
)


def register(router: Router) -> None:
    router.command(("taphuan", "training"), courses, N_("Training courses: sign up"),
                   keywords=("tập huấn", "đăng ký tập huấn", "khóa học", "khoá học",
                             "lớp tập huấn", "đăng ký học"))
    router.add_flow(SIGNUP_FLOW)
    router.add_flow(FEEDBACK_FLOW)
