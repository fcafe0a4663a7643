"""Check-ins: when a questionnaire opens, which question comes next, what an
answer means, and the scheduler that opens runs, invites and reminds.

Invitations and reminders are broadcasts through the outbox (paced, quiet hours,
each member once); the reminder's audience adds ``pending_checkin=RUN`` so only
those who have not sent their answers are reminded.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, time, timedelta
from typing import Any

from .content import Checkin, Library, Question
from .geo import Communes
from .i18n import N_, Problem, Translator, md_escape, translator
from .segments import Segment, parse_segment
from .store import Run, Store
from .text import fold

log = logging.getLogger(__name__)

# Yes and no as farmers type them, folded ("được" → "duoc", "ừ" → "u").
YES = {"co", "c", "yes", "y", "roi", "da co", "u", "uh", "uhm", "um", "dung", "vang", "co a",
       "1", "dc", "duoc", "dk", "ok", "oke", "okay", "oki", "da", "dung vay", "dong y", "co roi",
       "vang a", "da vang", "duoc a", "co nhe", "ok a", "yep", "yeah", "roi a", "co chu"}
NO = {"khong", "ko", "k", "kg", "kh", "hong", "hok", "no", "n", "chua", "chua co", "khong co",
      "0", "khong a", "ko a", "chua a", "khong duoc", "ko co", "k co", "nope", "khong nhe"}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


# -- periods and schedules ---------------------------------------------------------------
def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_end(day: date, zone) -> datetime:
    q = (day.month - 1) // 3
    year, month = (day.year + 1, 1) if q == 3 else (day.year, q * 3 + 4)
    return datetime(year, month, 1, tzinfo=zone)


def opening(c: Checkin, year: int, month: int, zone) -> datetime:
    """When the check-in opens in that month (local time)."""
    if c.day.startswith("first-"):
        weekday = _DAYS.index(c.day.removeprefix("first-"))
        first = date(year, month, 1)
        day = first + timedelta(days=(weekday - first.weekday()) % 7)
    else:
        day = date(year, month, int(c.day))
    return datetime.combine(day, time(c.hour, c.minute), tzinfo=zone)


def latest_opening(c: Checkin, now: datetime, zone) -> datetime | None:
    """The most recent scheduled opening at or before ``now`` (looking back a year)."""
    local = now.astimezone(zone)
    best = None
    for year in (local.year - 1, local.year):
        for month in c.months:
            at = opening(c, year, month, zone)
            if at <= now and (best is None or at > best):
                best = at
    return best


# -- questions and answers -----------------------------------------------------------------
def next_question(c: Checkin, answers: dict[str, Any], asked: list[str]) -> Question | None:
    """The first question after the last one asked whose condition holds."""
    start = 0
    if asked:
        ids = [q.id for q in c.questions]
        start = ids.index(asked[-1]) + 1 if asked[-1] in ids else 0
    for q in c.questions[start:]:
        if q.applies(answers):
            return q
    return None


def applicable(c: Checkin, answers: dict[str, Any]) -> list[str]:
    """The answered questions that still apply (after going back and changing an answer)."""
    kept: dict[str, Any] = {}
    for q in c.questions:
        if q.id in answers and q.applies(kept):
            kept[q.id] = answers[q.id]
    return list(kept)


class AnswerError(Problem):
    """An answer that does not fit the question; the message says what is wanted."""


def yes_no(text: str) -> str | None:
    """"yes", "no" or None for what a person typed ("dc", "được", "ok", "ừ", "ko", "k")."""
    f = fold(text).strip(" .!")
    if f in YES:
        return "yes"
    if f in NO:
        return "no"
    return None


def parse_answer(q: Question, text: str, now: datetime, zone) -> Any:
    """Typed text → the value stored for ``q`` (choices come as buttons or words)."""
    text = text.strip()
    if q.type == "yesno":
        said = yes_no(text)
        if said:
            return said
        raise AnswerError(N_("Please answer yes or no (“có” or “không”)."))
    if q.type == "choice":
        for i, (oid, label) in enumerate(q.options, start=1):
            if fold(text) in (fold(label), fold(oid)) or text == str(i):
                return oid
        raise AnswerError(N_("Please choose one of the options."))
    if q.type == "multi":
        raise AnswerError(N_("Please press the options that apply, then **Done**."))
    if q.type == "number":
        return parse_number(q, text)
    if q.type == "date":
        return parse_date(text, now, zone).isoformat()
    if q.type == "text":
        limit = int(q.max or 500)
        if not text:
            raise AnswerError(N_("Please type your answer."))
        if len(text) > limit:
            raise AnswerError(N_("Please keep it under {n} characters."), n=limit)
        return text
    raise AnswerError(N_("Please send a photo, or press **Skip**."))


def parse_number(q: Question, text: str) -> float:
    t = text.lower().replace(" ", "")
    t = re.sub(r"[a-zà-ỹđ]+$", "", t)  # a unit typed after the number: "12ha", "5 buổi"
    if re.fullmatch(r"\d{1,3}(\.\d{3})+", t):  # 1.000 — Vietnamese thousands
        t = t.replace(".", "")
    t = t.replace(",", ".")
    try:
        value = float(t)
    except ValueError:
        raise AnswerError(N_("Please type a number, for example 12 or 2,5.")) from None
    lo = q.min if q.min is not None else float("-inf")
    hi = q.max if q.max is not None else float("inf")
    if not lo <= value <= hi:
        raise AnswerError(N_("Please type a number from {lo} to {hi}."), lo=_num(q.min), hi=_num(q.max))
    return value


def _num(v: float | None) -> str:
    if v is None:
        return "…"
    return str(int(v)) if float(v).is_integer() else str(v)


def parse_date(text: str, now: datetime, zone) -> date:
    """A day as people write it: 15/6/2025, 15-6-2025, 15.6.25, 15/6/25 (20xx), 2025-06-15,
    or 15/6 (this year, or last year when that day is still to come)."""
    t = re.sub(r"\s*([/.-])\s*", r"\1", text.strip())
    t = re.sub(r"^(ngay|ngày)\s+", "", t, flags=re.I).replace("-", "/").replace(".", "/")
    t = re.sub(r"\s+(thang|tháng)\s+", "/", t, flags=re.I)
    t = re.sub(r"\s+(nam|năm)\s+", "/", t, flags=re.I)
    today = now.astimezone(zone).date()
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})", t)
    iso = re.fullmatch(r"(\d{4})/(\d{1,2})/(\d{1,2})", t)
    short = re.fullmatch(r"(\d{1,2})/(\d{1,2})", t)
    if not (iso or m or short):
        raise AnswerError(N_("Please type a date like 15/06/2025."))
    try:
        if iso:
            day = date(int(iso[1]), int(iso[2]), int(iso[3]))
        elif m:
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            day = date(year, int(m[2]), int(m[1]))
        else:
            day = date(today.year, int(short[2]), int(short[1]))
            if day > today:
                day = date(today.year - 1, day.month, day.day)
    except ValueError:
        raise AnswerError(N_("That date does not exist; please check it.")) from None
    if day > now.astimezone(zone).date():
        raise AnswerError(N_("The date cannot be in the future."))
    return day


def show_answer(t: Translator, q: Question, value: Any) -> str:
    """An answer as the person sees it on the review screen."""
    if value is None:
        return t.plain("(skipped)")
    if q.type == "yesno":
        return t.plain("Yes") if value == "yes" else t.plain("No")
    if q.type == "choice":
        return q.label(value)
    if q.type == "multi":
        return ", ".join(q.label(v) for v in value) or t.plain("(none)")
    if q.type == "number":
        return t.number(value)
    if q.type == "date":
        return t.date(date.fromisoformat(value))
    if q.type == "photo":
        return "📷"
    return str(value)


# -- the scheduler ------------------------------------------------------------------------
class CheckinScheduler:
    """Opens each questionnaire's run on its schedule, invites its audience once and
    reminds those who have not answered once; also after a restart (rows decide)."""

    def __init__(self, store: Store, library: Library, communes: Communes, settings, clock) -> None:
        self.store = store
        self.library = library
        self.communes = communes
        self.settings = settings
        self.clock = clock

    def audience(self, c: Checkin, *extra: tuple[str, tuple[str, ...]]) -> Segment:
        seg = parse_segment(c.audience, self.communes, set(self.library.topics))
        return Segment((*seg.terms, *extra))

    async def run_now(self, c: Checkin, now: datetime) -> Run:
        """The run for the current quarter (opened on demand when none is scheduled)."""
        zone = self.settings.zone
        local = now.astimezone(zone).date()
        return await self.store.checkins.ensure_run(c.id, quarter_of(local), now, None,
                                                    quarter_end(local, zone), now)

    async def tick(self) -> list[int]:
        """Open, invite and remind as due; returns the broadcasts created."""
        now = self.clock.now()
        made: list[int] = []
        for c in self.library.checkins.values():  # one that fails does not hold up the others
            try:
                made += await self._due(c, now)
            except Exception:
                log.exception("check-in %s: not opened, invited or reminded now; the others go on",
                              c.id)
        return made

    async def _due(self, c: Checkin, now: datetime) -> list[int]:
        zone = self.settings.zone
        opens = latest_opening(c, now, zone)
        if opens is None or now >= opens + timedelta(days=c.close_after_days):
            return []
        audience = self.audience(c)  # before anything is claimed: a bad audience claims nothing
        run = await self.store.checkins.ensure_run(
            c.id, quarter_of(opens.astimezone(zone).date()), opens,
            opens + timedelta(days=c.remind_after_days), opens + timedelta(days=c.close_after_days),
            now)
        made = []
        if run.invited_at is None and await self.store.checkins.claim(run.id, "invited", now):
            made.append(await self._push(c, run, audience, now, reminder=False))
        if (run.remind_at and run.remind_at <= now and run.reminded_at is None
                and await self.store.checkins.claim(run.id, "reminded", now)):
            seg = Segment((*audience.terms, ("pending_checkin", (str(run.id),))))
            made.append(await self._push(c, run, seg, now, reminder=True))
        return made

    async def _push(self, c: Checkin, run: Run, seg: Segment, now: datetime, *, reminder: bool) -> int:
        t = translator(self.settings.locale, self.settings.tz)
        head = (t("⏰ Reminder: the union is still waiting for your answers to **{title}**.", title=c.title)
                if reminder else t("📋 **{title}**", title=c.title) + "\n\n" + md_escape(c.intro))
        text = head + "\n\n" + t("Type /baocao to start (answers are open until {when}).",
                                 when=t.datetime(run.closes_at))
        bid = await self.store.broadcasts.create(
            by=f"checkin:{c.id}", text=text, image=None, segment=seg, send_at=now,
            expires_at=run.closes_at, state="scheduled", now=now)
        log.info("check-in %s (%s): %s broadcast %d", c.id, run.period,
                 "reminder" if reminder else "invitation", bid)
        return bid
