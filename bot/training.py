"""Training courses: staff's typing checked and turned into a course, the
reminder plan, how a course is shown, and the sender of reminders and notices.

Shared by the chat (``handlers/training.py``, ``handlers/courses.py``) and the
command line, so a course made either way is checked the same way.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

from .broadcast import in_quiet_hours
from .clock import Clock
from .config import Settings
from .delivery import Delivery
from .geo import Communes
from .i18n import N_, Problem, Translator, md_escape, translator
from .roles import ROLES, role_from_text
from .store import Course, Notice, Store
from .text import clean, fold
from .types import Button, Reply
from .when import parse_local_time

log = logging.getLogger(__name__)

# What staff give for a course, in the order the chat asks; the optional ones can be skipped.
FIELDS = ("title", "start", "end", "venue", "commune", "capacity", "audience", "deadline",
          "description")
OPTIONAL = {"commune", "audience", "deadline", "description"}
MAX_CAPACITY = 5000
FEEDBACK_FOR = timedelta(days=14)  # after the end, a feedback question is still worth asking
ROLES_WITH_ORGANISATION = ("coop", "group", "business")


class CourseError(Problem):
    """A course field is wrong; the message says which and why."""


def parse_roles(text: str) -> tuple[str, ...]:
    """Audience roles from keys or labels ("coop, official" or "Cán bộ Hội"); empty: all."""
    out: list[str] = []
    for part in [p.strip() for p in text.replace("|", ",").replace(";", ",").split(",")]:
        if not part or part == "-" or fold(part) in ("tat ca", "all", "moi nguoi"):
            continue
        role = role_from_text(part)
        if role is None:
            raise CourseError(N_("unknown role “{v}” (known: {known})"), v=part,
                              known=", ".join(ROLES))
        out.append(role)
    return tuple(dict.fromkeys(out))


def parse_field(name: str, raw: str, communes: Communes, settings: Settings,
                now: datetime, start: datetime | None = None) -> tuple[str, Any]:
    """One field as typed → (column, value).  ``start`` lets "11:30" mean that day."""
    text = clean(raw or "", 2000).strip()
    if name == "title":
        if not 3 <= len(text) <= 120:
            raise CourseError(N_("the title must be 3 to 120 characters"))
        return "title", text
    if name == "description":
        if len(text) > 1500:
            raise CourseError(N_("the description is {n} characters; keep it under 1500"), n=len(text))
        return "description", text
    if name == "venue":
        if not 3 <= len(text) <= 200:
            raise CourseError(N_("the venue must be 3 to 200 characters"))
        return "venue", text
    if name == "commune":
        if not text or text == "-":
            return "commune_code", None
        c = communes.get(text) or communes.match(text).exact
        if c is None:
            raise CourseError(N_("unknown commune “{v}”"), v=text[:60])
        return "commune_code", c.code
    if name == "capacity":
        if not text.isdigit() or not 0 < int(text) <= MAX_CAPACITY:
            raise CourseError(N_("the number of seats must be a whole number from 1 to {max}"),
                              max=MAX_CAPACITY)
        return "capacity", int(text)
    if name == "audience":
        return "audience", parse_roles(text)
    if name in ("start", "end", "deadline"):
        if name == "end" and start is not None and ":" in text and "/" not in text and "-" not in text:
            text = f"{start.astimezone(settings.zone):%Y-%m-%d} {text.replace('h', ':')}"
        when = parse_local_time(text, settings.zone, now) if text else None
        if when is None:
            raise CourseError(N_("a time is needed, such as 08:00 10/12/2026"))
        return {"start": "starts_at", "end": "ends_at", "deadline": "deadline_at"}[name], when
    raise CourseError(N_("unknown course field “{name}”"), name=name)


def parse_course(values: dict[str, str], communes: Communes, settings: Settings, now: datetime,
                 current: Course | None = None) -> dict[str, Any]:
    """Every given field checked, then the times against each other.  A new course
    needs title, start, end, venue and capacity; the deadline defaults to the start."""
    out: dict[str, Any] = {}
    start = current.starts_at if current else None
    if values.get("start"):
        try:
            out["starts_at"] = start = parse_field("start", values["start"], communes, settings, now)[1]
        except Problem as e:
            raise CourseError(e.msgid, **e.values) from None
    for name, raw in values.items():
        if name == "start" or raw is None:
            continue
        try:
            col, value = parse_field(name, raw, communes, settings, now, start)
        except Problem as e:
            raise CourseError(e.msgid, **e.values) from None
        out[col] = value
    if current is None:
        for need in ("title", "starts_at", "ends_at", "venue", "capacity"):
            if need not in out:
                raise CourseError(N_("“{field}” is required"), field=need.removesuffix("_at"))
        out.setdefault("deadline_at", out["starts_at"])
    check_times(out, current)
    return out


def check_times(fields: dict[str, Any], current: Course | None) -> None:
    start = fields.get("starts_at", current.starts_at if current else None)
    end = fields.get("ends_at", current.ends_at if current else None)
    deadline = fields.get("deadline_at", current.deadline_at if current else None)
    if start and end and end <= start:
        raise CourseError(N_("the course must end after it starts"))
    if start and deadline and deadline > start:
        raise CourseError(N_("registration must close before the course starts"))


def reminder_plan(course: Course, settings: Settings, now: datetime) -> list[tuple[str, datetime]]:
    """When to remind a registrant: for each configured (days, time), that local time
    on the start day minus the days; never at or after the start; past ones skipped."""
    zone = settings.zone
    local = course.starts_at.astimezone(zone)
    plan = []
    for days, at in settings.reminders:
        day: date = local.date() - timedelta(days=days)
        due = datetime.combine(day, at, tzinfo=zone)
        if due >= course.starts_at:
            due = course.starts_at - timedelta(hours=2)
        if due > now:
            plan.append((f"d{days}", due))
    return plan


def planner(settings: Settings, now: datetime):
    return lambda course: reminder_plan(course, settings, now)


# -- how a course is shown -------------------------------------------------------
def when_text(t: Translator, course: Course) -> str:
    start, end = course.starts_at, course.ends_at
    if start.astimezone(t.zone).date() == end.astimezone(t.zone).date():
        return t("{start} to {end}", start=t.datetime(start), end=t.time(end))
    return t("{start} to {end}", start=t.datetime(start), end=t.datetime(end))


def audience_text(t: Translator, course: Course) -> str:
    if not course.audience:
        return t.plain("everyone")
    return ", ".join(t.plain(ROLES[r]) for r in course.audience if r in ROLES)


def course_card(t: Translator, course: Course, communes: Communes, *, seats: bool = True,
                description: bool = True) -> str:
    commune = communes.get(course.commune_code)
    place = course.venue + (f", {commune.name}" if commune else "")
    lines = [
        f"**{md_escape(course.title)}**",
        "🕗 " + when_text(t, course),
        "📍 " + md_escape(place),
        "👥 " + t("For: {who}", who=audience_text(t, course)),
    ]
    if seats:
        if course.seats_left:
            lines.append("🪑 " + t("{n} of {total} seats left", n=course.seats_left,
                                   total=course.capacity))
        else:
            lines.append("🪑 " + t("Full ({n} on the waiting list)", n=course.waiting))
        lines.append("⏳ " + t("Registration closes {when}", when=t.datetime(course.deadline_at)))
    if description and course.description:
        lines += ["", md_escape(course.description)]
    return "\n".join(lines)


# -- reminders and notices ---------------------------------------------------------
class CourseNotices:
    """Sends due reminders and notices on the normal lane; each at most once.

    A reminder that fell due while the bot was down is still sent if the course
    has not started, and dropped if it has.  Quiet hours hold them until morning
    unless the course starts before then.
    """

    def __init__(self, settings: Settings, store: Store, delivery: Delivery, clock: Clock,
                 communes: Communes) -> None:
        self.settings = settings
        self.store = store
        self.delivery = delivery
        self.clock = clock
        self.communes = communes
        self.stopping = False
        self._busy = asyncio.Lock()

    async def tick(self) -> int:
        """Work through what is due now; returns how many were sent."""
        if self.stopping:
            return 0
        async with self._busy:
            return await self._tick()

    async def stop(self) -> None:
        """No new sends; wait (up to 10 s) for the one in progress to be recorded."""
        self.stopping = True
        try:
            await asyncio.wait_for(self._busy.acquire(), 10.0)
        except TimeoutError:
            return
        self._busy.release()

    async def _tick(self) -> int:
        now = self.clock.now()
        quiet = in_quiet_hours(now, self.settings)
        courses: dict[int, Course | None] = {}
        sent = 0
        due = await self.store.courses.due_notices(now)
        # Reminders that piled up while the bot was down: only the latest is worth sending.
        latest = {n.registration_id: n.id for n in due if _is_reminder(n.kind)}
        for n in due:
            if self.stopping:
                break
            if n.course_id not in courses:
                courses[n.course_id] = await self.store.courses.get(n.course_id)
            course = courses[n.course_id]
            why = self._drop_reason(n, course, now)
            if why is None and _is_reminder(n.kind) and latest[n.registration_id] != n.id:
                why = "a later reminder is due too"

            if why:
                await self.store.courses.finish_notice(n.id, "dropped", now)
                log.info("course notice %s (%s) dropped: %s", n.id, n.kind, why)
                continue
            if quiet and (n.kind == "feedback" or course.starts_at > now + timedelta(hours=12)):
                continue  # morning will do
            if n.channel not in self.delivery.channels:
                continue  # that channel is not running in this process
            if not await self.store.courses.claim_notice(n.id, now):
                continue
            outcome = await self._send(n, course)
            if outcome == "deferred":
                await self.store.courses.release_notice(n.id)
                break
            await self.store.courses.finish_notice(n.id, outcome, self.clock.now())
            sent += outcome == "sent"
        return sent

    @staticmethod
    def _drop_reason(n: Notice, course: Course | None, now: datetime) -> str | None:
        if course is None:
            return "course gone"
        if not n.reachable:
            return "member blocked the bot"
        if n.kind == "feedback":
            if n.status != "attended":
                return "not marked as attended"
            return "too late" if now > course.ends_at + FEEDBACK_FOR else None
        if course.starts_at <= now:
            return "the course has started"
        if n.kind == "cancelled":
            return None
        if course.state != "open" or n.status != "registered":
            return "no longer registered"
        return None

    async def _send(self, n: Notice, course: Course) -> str:
        t = translator(n.locale, self.settings.tz)
        reply = notice_reply(t, n, course, self.communes)
        for msg in self.delivery.render(n.channel, reply, t):
            # a confirmation or reminder of a course the person registered for
            msg = replace(msg, purpose="notice")
            o = await self.delivery.send(n.channel, n.chat_id, msg, high=False)
            if o.status != "sent":
                return o.status
        if reply.actions():
            await self._offer(n.member_id, reply)
        return "sent"

    async def _offer(self, member_id: int, reply: Reply) -> None:
        """The notice's buttons become the choices a typed number picks (on a channel
        without buttons "5" is the score, "1" cancels), unless the person is in the
        middle of a flow, whose question stays what a number answers."""
        state = await self.store.dialogs.get(member_id)
        if state.flow is None:
            state.offered = [(b.label, b.action) for b in reply.actions()]
            state.data.pop("_typed", None)
            await self.store.dialogs.put(member_id, state, self.clock.now())


def _is_reminder(kind: str) -> bool:
    return kind[:1] == "d" and kind[1:].isdigit()


def notice_reply(t: Translator, n: Notice, course: Course, communes: Communes) -> Reply:
    card = course_card(t, course, communes, seats=False, description=False)
    leave = [[Button(t.plain("Cancel my registration"), f"tr:x:{n.registration_id}")]]
    if n.kind == "promoted":
        return Reply("🎉 " + t("A seat has become free and it is yours: you are now registered "
                              "for this course.") + "\n\n" + card, leave)
    if n.kind == "cancelled":
        return Reply("❌ " + t("We are sorry: this course has been cancelled.") + "\n\n" + card
                     + "\n\n" + t("Type /taphuan to see other courses."))
    if n.kind == "feedback":
        scores = [Button(str(i), f"tr:fb:{n.registration_id}:{i}") for i in range(1, 6)]
        return Reply(t("Thank you for attending **{title}**. How useful was it for you, from "
                       "1 (not useful) to 5 (very useful)?", title=course.title), [scores])
    days = int(n.kind[1:]) if n.kind[1:].isdigit() else 0
    if days == 0:
        head = t("⏰ Today is your course. See you there!")
    elif days == 1:
        head = t("⏰ Reminder: your course is tomorrow.")
    else:
        head = t("⏰ Reminder: your course is in {n} days.", n=days)
    return Reply(head + "\n\n" + card + "\n\n" + t("If you cannot come, please cancel so that "
                                                   "someone on the waiting list can take your seat."),
                 leave)


# -- what staff do to a course (the chat, the command line and the console call these) --
def changed_fields(fields: dict[str, Any], course: Course) -> dict[str, Any]:
    """The fields whose value differs from the course's."""
    return {k: v for k, v in fields.items()
            if (tuple(v) if k == "audience" else v) != getattr(course, k, object())}


async def create_course(store: Store, settings: Settings, communes: Communes,
                        values: dict[str, str], by: str, now: datetime) -> int:
    """A new course from the fields as typed (checked by :func:`parse_course`)."""
    fields = parse_course(values, communes, settings, now)
    return await store.courses.create(fields, by, now)


async def edit_course(store: Store, settings: Settings, communes: Communes, course: Course,
                      values: dict[str, str], now: datetime, *,
                      only_changed: bool = True) -> tuple[dict[str, Any], list[int]]:
    """Change a course: the given fields checked against the rest, pending reminders
    re-planned, seats a larger capacity opened given to the waiting list (they are
    told).  Returns (the fields changed, the registrations promoted)."""
    fields = parse_course(values, communes, settings, now, current=course)
    if only_changed:
        fields = changed_fields(fields, course)
        if not fields:
            return {}, []
    promoted = await store.courses.update(course.id, fields, planner(settings, now), now)
    return fields, promoted


async def cancel_course(store: Store, course: Course, now: datetime) -> int:
    """Cancel a course; everyone registered or waiting is told (by :class:`CourseNotices`).
    Returns how many will be told (0 when it was already cancelled)."""
    return await store.courses.cancel(course.id, now)


async def mark_attendance(store: Store, course: Course, present: set[int], absent: set[int],
                          now: datetime) -> int:
    """Registrations marked present or absent once the course has started; those present
    get the feedback question after the end.  Returns the rows changed."""
    if course.starts_at > now:
        raise CourseError(N_("the course has not started yet; attendance comes after"))
    return await store.courses.set_attendance(course.id, present, absent, now,
                                              max(now, course.ends_at))
