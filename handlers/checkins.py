"""/baocao: answer a progress check-in one question at a time.

Buttons where they fit (choices, yes/no, several choices then "Xong"), typed
answers checked (a number out of range, a certificate date in the future, text
where a choice was expected) and the same question asked again.  The person
can go back one question, stop and continue later from where they left (the
position is stored with the answers), and review everything before sending.
"""

from __future__ import annotations

from typing import Any

from bot.checkin import AnswerError, applicable, next_question, parse_answer, show_answer
from bot.content import Checkin, Question
from bot.engine import Context
from bot.i18n import N_, md_escape
from bot.router import Router
from bot.store import Response, Run
from bot.types import Button, InboundKind

FLOW = "checkin"
STALE = N_("That button is no longer valid. Type /menu to start again.")


def _scheduler(ctx: Context):
    from bot.checkin import CheckinScheduler

    s = ctx.services
    return CheckinScheduler(s.store, s.library, s.communes, s.settings, s.clock)


async def baocao(ctx: Context) -> None:
    """Continue an unfinished check-in, or list the ones this person is asked for."""
    t = ctx.t
    s = ctx.services
    ctx.state.clear()
    checkins = s.library.checkins
    for _resp, run in await s.store.checkins.open_for_member(ctx.member.id):
        c = checkins.get(run.checkin_id)
        if c and run.closes_at > s.clock.now():
            ctx.reply(t("You have an unfinished check-in: **{title}**.", title=c.title),
                      [[Button(t.plain("Continue"), f"ck:go:{run.id}")]])
            return
    mine = [c for c in checkins.values()
            if await s.store.broadcasts.matches(ctx.member.id, _scheduler(ctx).audience(c))]
    if not mine:
        ctx.reply(t("There is no check-in for you right now. Check-ins are for cooperatives, "
                    "groups and businesses with OCOP products and for union officials: if that is "
                    "you, set your role in /hoso."))
        return
    rows = [[Button(c.title, f"ck:c:{c.id}")] for c in mine]
    ctx.reply(t("**Progress check-ins** — press one to start:"), rows)


async def _open(ctx: Context, c: Checkin) -> None:
    """Start (or restart) the current period's check-in ``c``."""
    s = ctx.services
    t = ctx.t
    now = s.clock.now()
    run = await _scheduler(ctx).run_now(c, now)
    resp = await s.store.checkins.response(run.id, ctx.member.id)
    if resp and resp.state == "submitted":
        ctx.reply(t("You sent **{title}** for {period} on {when}. Thank you!", title=c.title,
                    period=run.period, when=t.datetime(resp.submitted_at)),
                  [[Button(t.plain("Answer again"), f"ck:redo:{run.id}")]])
        return
    version = await s.store.checkins.version(c.id, c.digest, c.definition(), now)
    if resp is None:
        resp = await s.store.checkins.start(run.id, ctx.member.id, version, now)
        ctx.reply(f"📋 **{md_escape(c.title)}**\n\n" + md_escape(c.intro))
    await _continue(ctx, c, run, resp)


async def _continue(ctx: Context, c: Checkin, run: Run, resp: Response) -> None:
    answers = await ctx.services.store.checkins.answers(resp.id)
    ctx.state.enter(FLOW, "q", run=run.id, response=resp.id, checkin=c.id)
    q = next_question(c, answers, resp.asked)
    if q is None:
        _review(ctx, c, answers)
    else:
        _ask(ctx, c, q, answers.get(q.id), len(resp.asked) + 1)


def _ask(ctx: Context, c: Checkin, q: Question, current: Any, n: int) -> None:
    t = ctx.t
    ctx.state.step = q.id
    text = t("**Question {n}.**", n=n) + " " + md_escape(q.text)
    rows: list[list[Button]] = []
    if q.type == "yesno":
        rows.append([Button(t.plain("Yes"), "ck:o:yes"), Button(t.plain("No"), "ck:o:no")])
    elif q.type == "choice":
        rows += [[Button(label, f"ck:o:{i}")] for i, (_, label) in enumerate(q.options)]
    elif q.type == "multi":
        chosen = ctx.state.data.setdefault("multi", list(current or []))
        rows += [[Button(("✅ " if oid in chosen else "") + label, f"ck:t:{i}")]
                 for i, (oid, label) in enumerate(q.options)]
        rows.append([Button(t.plain("Done"), "ck:d")])
    elif q.type == "photo":
        text += "\n" + t("_Send a photo._")
    if current is not None and q.type != "multi":
        text += "\n" + t("_Your answer so far: {value}_", value=show_answer(t, q, current))
    nav = []
    if q.optional:
        nav.append(Button(t.plain("Skip"), "ck:s"))
    if n > 1:
        nav.append(Button("⬅️ " + t.plain("Back"), "ck:b"))
    nav.append(Button(t.plain("Later"), "ck:l"))
    rows.append(nav)
    ctx.reply(text, rows, typed_answer=q.type in ("number", "date", "text", "photo"))


def _review(ctx: Context, c: Checkin, answers: dict[str, Any]) -> None:
    t = ctx.t
    ctx.state.step = "review"
    lines = [t("**Please check your answers:**"), ""]
    for qid in applicable(c, answers):
        q = c.question(qid)
        lines.append(f"- {md_escape(q.text)} — **{md_escape(show_answer(t, q, answers[qid]))}**")
    ctx.reply("\n".join(lines), [
        [Button("📤 " + t.plain("Send"), "ck:send")],
        [Button("⬅️ " + t.plain("Back"), "ck:b"), Button(t.plain("Later"), "ck:l")],
    ])


async def _where(ctx: Context) -> tuple[Checkin, Run, Response] | None:
    """The check-in this person is answering, from the dialog state."""
    s = ctx.services
    data = ctx.state.data
    c = s.library.checkins.get(data.get("checkin", ""))
    run = await s.store.checkins.run(data.get("run", 0)) if c else None
    resp = await s.store.checkins.response_by_id(data.get("response", 0)) if run else None
    if not (c and run and resp) or resp.state != "open":
        ctx.state.clear()
        ctx.reply(ctx.t(STALE))
        return None
    if run.closes_at <= s.clock.now():
        ctx.state.clear()
        ctx.reply(ctx.t("This check-in has closed. Thank you all the same!"))
        return None
    return c, run, resp


async def _record(ctx: Context, c: Checkin, run: Run, resp: Response, q: Question, value: Any) -> None:
    s = ctx.services
    asked = [*resp.asked, q.id]
    await s.store.checkins.answer(resp.id, q.id, q.type, value, asked, s.clock.now())
    ctx.state.data.pop("multi", None)
    resp = await s.store.checkins.response_by_id(resp.id)
    await _continue(ctx, c, run, resp)


async def on_text(ctx: Context) -> None:
    """A typed answer (or a photo) for the question being asked."""
    found = await _where(ctx)
    if found is None:
        return
    c, run, resp = found
    t = ctx.t
    answers = await ctx.services.store.checkins.answers(resp.id)
    if ctx.state.step == "review":
        ctx.reply(t("Press **Send** to send your answers, or **Back** to change one."))
        _review(ctx, c, answers)
        return
    q = next_question(c, answers, resp.asked)
    if q is None:
        _review(ctx, c, answers)
        return
    inbound = ctx.inbound
    if q.type == "photo" and inbound.kind is InboundKind.PHOTO and inbound.media:
        await _record(ctx, c, run, resp, q, inbound.media)
        return
    if inbound.kind is not InboundKind.TEXT or not ctx.text:
        ctx.reply(t("Please answer in text."))
        _ask(ctx, c, q, answers.get(q.id), len(resp.asked) + 1)
        return
    try:
        value = parse_answer(q, ctx.text, ctx.services.clock.now(), ctx.services.settings.zone)
    except AnswerError as e:
        ctx.reply("⚠️ " + e.say(t))
        _ask(ctx, c, q, answers.get(q.id), len(resp.asked) + 1)
        return
    await _record(ctx, c, run, resp, q, value)


async def on_action(ctx: Context) -> None:
    """Buttons of the check-in (prefix ``ck``)."""
    t = ctx.t
    s = ctx.services
    args = ctx.args
    head = args[0] if args else ""
    if head == "c" and len(args) == 2:
        c = s.library.checkins.get(args[1])
        if c is None or not await s.store.broadcasts.matches(ctx.member.id, _scheduler(ctx).audience(c)):
            ctx.reply(t(STALE))
            return
        await _open(ctx, c)
        return
    if head in ("go", "redo") and len(args) == 2 and args[1].isdigit():
        run = await s.store.checkins.run(int(args[1]))
        c = s.library.checkins.get(run.checkin_id) if run else None
        resp = await s.store.checkins.response(run.id, ctx.member.id) if c else None
        if not (c and resp) or run.closes_at <= s.clock.now():
            ctx.reply(t(STALE))
            return
        if head == "redo" and resp.state == "submitted":
            version = await s.store.checkins.version(c.id, c.digest, c.definition(), s.clock.now())
            await s.store.checkins.reopen(resp.id, version, s.clock.now())
            resp = await s.store.checkins.response_by_id(resp.id)
        if resp.state != "open":
            ctx.reply(t(STALE))
            return
        await _continue(ctx, c, run, resp)
        return
    if ctx.state.flow != FLOW:
        ctx.reply(t(STALE))
        return
    found = await _where(ctx)
    if found is None:
        return
    c, run, resp = found
    answers = await s.store.checkins.answers(resp.id)
    q = next_question(c, answers, resp.asked)
    if head == "l":
        ctx.state.clear()
        ctx.reply(t("Saved. Type /baocao whenever you like to continue where you left off."))
    elif head == "b":
        if not resp.asked:
            await _continue(ctx, c, run, resp)
            return
        ctx.state.data.pop("multi", None)
        await s.store.checkins.set_asked(resp.id, resp.asked[:-1], s.clock.now())
        resp = await s.store.checkins.response_by_id(resp.id)
        await _continue(ctx, c, run, resp)
    elif head == "send" and q is None:
        if await s.store.checkins.submit(resp.id, applicable(c, answers), s.clock.now()):
            await ctx.audit("checkin.submit", checkin=c.id, period=run.period)
        ctx.state.clear()
        ctx.reply("✅ " + t("Sent. Thank you! Your answers help the union report on the programme "
                           "and support your work."))
    elif q is None:
        _review(ctx, c, answers)
    elif head == "s" and q.optional:
        await _record(ctx, c, run, resp, q, None)
    elif head == "o" and len(args) == 2 and q.type in ("yesno", "choice"):
        value = (args[1] if args[1] in ("yes", "no") else None) if q.type == "yesno" else _option(q, args[1])
        if value is None:
            _ask(ctx, c, q, answers.get(q.id), len(resp.asked) + 1)
            return
        await _record(ctx, c, run, resp, q, value)
    elif head == "t" and len(args) == 2 and q.type == "multi":
        oid = _option(q, args[1])
        chosen = ctx.state.data.setdefault("multi", list(answers.get(q.id) or []))
        if oid is not None:
            if oid in chosen:
                chosen.remove(oid)
            else:
                chosen.append(oid)
        _ask(ctx, c, q, chosen, len(resp.asked) + 1)
    elif head == "d" and q.type == "multi":
        chosen = ctx.state.data.get("multi", list(answers.get(q.id) or []))
        if not chosen and not q.optional:
            ctx.reply(t("Please choose at least one option, then **Done**."))
            _ask(ctx, c, q, chosen, len(resp.asked) + 1)
            return
        order = [oid for oid, _ in q.options]
        await _record(ctx, c, run, resp, q, sorted(chosen, key=order.index) or None)
    else:
        _ask(ctx, c, q, answers.get(q.id), len(resp.asked) + 1)


def _option(q: Question, raw: str) -> str | None:
    return q.options[int(raw)][0] if raw.isdigit() and int(raw) < len(q.options) else None


def register(router: Router) -> None:
    router.command(("baocao", "report"), baocao, N_("Progress check-in (report)"),
                   keywords=("báo cáo", "báo cáo tiến độ", "bao cao quy"))
    router.flow(FLOW, on_text)
    router.action("ck", on_action)
