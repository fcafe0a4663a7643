"""/baocao: answer a progress check-in one question at a time.

Buttons where they fit (choices, yes/no, several choices then "Xong"), typed
answers checked (a number out of range, a certificate date in the future, text
where a choice was expected) and the same question asked again.  The person
can go back one question, stop and continue later from where they left (the
position is stored with the answers), and review everything before sending.
"""

from __future__ import annotations

import re
from typing import Any

from bot.checkin import AnswerError, applicable, next_question, parse_answer, show_answer, yes_no
from bot.content import Checkin, Question
from bot.engine import Context
from bot.flows import LEFT, STAY, Flow, Invalid, Next, Step, buttons, fits
from bot.i18n import N_, md_escape
from bot.router import Router
from bot.store import Response, Run
from bot.text import fold
from bot.types import Button, InboundKind

NAME = "checkin"
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
                      [[FLOW.button(t.plain("Continue"), "go", str(run.id))]])
            return
    mine = [c for c in checkins.values()
            if await s.store.broadcasts.matches(ctx.member.id, _scheduler(ctx).audience(c))]
    if not mine:
        ctx.reply(t("There is no check-in for you right now. Check-ins are for cooperatives, "
                    "groups and businesses with OCOP products and for union officials: if that is "
                    "you, set your role in /hoso."))
        return
    rows = [[FLOW.button(c.title, "c", c.id)] for c in mine]
    ctx.reply(fits(ctx, t("**Progress check-ins** — press one to start:"),
                   t("**Progress check-ins** — type the number of one to start:")), rows)


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
                  [[FLOW.button(t.plain("Answer again"), "redo", str(run.id))]])
        return
    version = await s.store.checkins.version(c.id, c.digest, c.definition(), now)
    if resp is None:
        resp = await s.store.checkins.start(run.id, ctx.member.id, version, now)
        ctx.reply(f"📋 **{md_escape(c.title)}**\n\n" + md_escape(c.intro))
    await _continue(ctx, c, run, resp)


async def _continue(ctx: Context, c: Checkin, run: Run, resp: Response) -> None:
    ctx.state.enter(NAME, "review", run=run.id, response=resp.id, checkin=c.id)
    await FLOW.go(ctx, await _current(ctx))


# -- where the person is -----------------------------------------------------------------
async def _where(ctx: Context) -> tuple[Checkin, Run, Response] | None:
    """The check-in this person is answering, from the dialog state (None: said why, and
    the flow is left)."""
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
        ctx.reply(ctx.t("This check-in has closed. Thank you all the same!") + " "
                  + ctx.t("Type /menu to see what I can do."))
        return None
    return c, run, resp


async def _question(ctx: Context) -> tuple[Checkin, Run, Response, dict, Question | None] | None:
    found = await _where(ctx)
    if found is None:
        return None
    c, run, resp = found
    answers = await ctx.services.store.checkins.answers(resp.id)
    return c, run, resp, answers, next_question(c, answers, resp.asked)


async def _current(ctx: Context) -> str:
    """The step for the question to ask now (its type), "review" when all are answered."""
    found = await _question(ctx)
    if found is None:
        return LEFT
    q = found[4]
    return q.type if q is not None else "review"


# -- asking ------------------------------------------------------------------------------------
async def _ask(ctx: Context) -> None:
    found = await _question(ctx)
    if found is None:
        return
    c, _run, resp, answers, q = found
    if q is None:
        _review(ctx, c, answers)
        return
    ctx.state.step = q.type
    t = ctx.t
    n = len(resp.asked) + 1
    current = answers.get(q.id)
    text = t("**Question {n}.**", n=n) + " " + md_escape(q.text)
    rows: list[list[Button]] = []
    if q.type == "yesno":
        rows.append([FLOW.button(t.plain("Yes"), "o", "yes"), FLOW.button(t.plain("No"), "o", "no")])
    elif q.type == "choice":
        rows += [[FLOW.button(label, "o", str(i))] for i, (_, label) in enumerate(q.options)]
    elif q.type == "multi":
        chosen = ctx.state.data.setdefault("multi", list(current or []))
        rows += [[FLOW.button(("✅ " if oid in chosen else "") + label, "t", str(i))]
                 for i, (oid, label) in enumerate(q.options)]
        rows.append([FLOW.button(t.plain("Done"), "d")])
        text += "\n" + fits(ctx, t("_Press the options that apply, then **Done**._"),
                            t("_Type the numbers of the options that apply (for example "
                              "“1 3”)._"))
    elif q.type == "photo":
        text += "\n" + t("_Send a photo._")
    if current is not None and q.type != "multi":
        text += "\n" + t("_Your answer so far: {value}_", value=show_answer(t, q, current))
    nav = []
    if q.optional:
        nav.append(FLOW.button(t.plain("Skip"), "s"))
    if n > 1:
        nav.append(FLOW.button("⬅️ " + t.plain("Back"), "b"))
    nav.append(FLOW.button(t.plain("Later"), "l"))
    rows.append(nav)
    ctx.reply(text, rows)


def _review(ctx: Context, c: Checkin, answers: dict[str, Any]) -> None:
    t = ctx.t
    ctx.state.step = "review"
    lines = [t("**Please check your answers:**"), ""]
    for qid in applicable(c, answers):
        q = c.question(qid)
        lines.append(f"- {md_escape(q.text)} — **{md_escape(show_answer(t, q, answers[qid]))}**")
    ctx.reply("\n".join(lines), [
        [FLOW.button("📤 " + t.plain("Send"), "send")],
        [FLOW.button("⬅️ " + t.plain("Back"), "b"), FLOW.button(t.plain("Later"), "l")],
    ])


# -- answers -------------------------------------------------------------------------------------
async def _record(ctx: Context, value: Any) -> Next:
    found = await _question(ctx)
    if found is None:
        return LEFT
    _c, _run, resp, _answers, q = found
    if q is None:
        return "review"
    s = ctx.services
    await s.store.checkins.answer(resp.id, q.id, q.type, value, [*resp.asked, q.id], s.clock.now())
    ctx.state.data.pop("multi", None)
    return await _current(ctx)


async def _typed(ctx: Context, text: str) -> Next:
    """A typed answer (or a photo) for the question being asked."""
    found = await _question(ctx)
    if found is None:
        return LEFT
    q = found[4]
    if q is None:
        return "review"
    inbound = ctx.inbound
    if q.type == "photo":
        if inbound.kind is InboundKind.PHOTO and inbound.media:
            return await _record(ctx, inbound.media)
        raise Invalid(N_("Please send a photo.") if buttons(ctx) or not q.optional
                      else N_("Please send a photo, or type “bỏ qua”."))
    if q.type == "multi":
        return await _multi_typed(ctx, q, text)
    try:
        value = parse_answer(q, text, ctx.services.clock.now(), ctx.services.settings.zone)
    except AnswerError as e:
        raise Invalid(e.msgid, **e.values) from None
    return await _record(ctx, value)


async def _multi_typed(ctx: Context, q: Question, text: str) -> Next:
    """Several options at once: "1 3", "1,3", "1 và 3", or their words."""
    parts = [p for p in re.split(r"\s*(?:,|;|\+|\bva\b|\bvoi\b|\band\b|\s)\s*", fold(text)) if p]
    chosen: list[str] = []
    if parts and all(p.isdigit() for p in parts):
        for p in parts:
            if not 1 <= int(p) <= len(q.options):
                raise Invalid(N_("Please type numbers from 1 to {n}, for example “1 3”."),
                              n=len(q.options))
            chosen.append(q.options[int(p) - 1][0])
    else:
        folded = fold(text)
        chosen = [oid for oid, label in q.options if fold(label) and fold(label) in folded]
        if not chosen:
            raise Invalid(N_("Please type the numbers of the options that apply, for example "
                             "“1 3”."))
    order = [oid for oid, _ in q.options]
    return await _record(ctx, sorted(set(chosen), key=order.index))


async def _pick(ctx: Context, arg: str) -> Next:
    found = await _question(ctx)
    if found is None:
        return LEFT
    q = found[4]
    if q is None or q.type not in ("yesno", "choice"):
        return STAY
    value = (arg if arg in ("yes", "no") else None) if q.type == "yesno" else _option(q, arg)
    if value is None:
        return STAY
    return await _record(ctx, value)


async def _multi(ctx: Context) -> tuple[dict[str, Any], Question] | Next:
    """The answers so far and the several-choice question being asked, or where to go."""
    found = await _question(ctx)
    if found is None:
        return LEFT
    answers, q = found[3], found[4]
    if q is None or q.type != "multi":
        return STAY
    return answers, q


async def _toggle(ctx: Context, arg: str) -> Next:
    found = await _multi(ctx)
    if not isinstance(found, tuple):
        return found
    answers, q = found
    oid = _option(q, arg)
    chosen = ctx.state.data.setdefault("multi", list(answers.get(q.id) or []))
    if oid is not None:
        if oid in chosen:
            chosen.remove(oid)
        else:
            chosen.append(oid)
    return STAY


async def _done(ctx: Context, arg: str) -> Next:
    found = await _multi(ctx)
    if not isinstance(found, tuple):
        return found
    answers, q = found
    chosen = ctx.state.data.get("multi", list(answers.get(q.id) or []))
    if not chosen and not q.optional:
        ctx.reply(fits(ctx, ctx.t("Please choose at least one option, then **Done**."),
                       ctx.t("Please choose at least one option: type its number.")))
        return STAY
    order = [oid for oid, _ in q.options]
    return await _record(ctx, sorted(chosen, key=order.index) or None)


async def _skip(ctx: Context, arg: str) -> Next:
    found = await _question(ctx)
    if found is None:
        return LEFT
    q = found[4]
    if q is None or not q.optional:
        return STAY
    return await _record(ctx, None)


async def _back(ctx: Context, arg: str = "") -> Next:
    found = await _question(ctx)
    if found is None:
        return LEFT
    resp = found[2]
    if resp.asked:
        ctx.state.data.pop("multi", None)
        s = ctx.services
        await s.store.checkins.set_asked(resp.id, resp.asked[:-1], s.clock.now())
    return await _current(ctx)


async def _back_word(ctx: Context) -> Next:
    """"quay lại": the previous question (at the first one: stays there)."""
    return await _back(ctx)


async def _later(ctx: Context, arg: str = "") -> Next:
    ctx.state.clear()
    ctx.reply(ctx.t("Saved. Type /baocao whenever you like to continue where you left off."))
    return LEFT


async def _cancelled(ctx: Context) -> None:
    await _later(ctx)


async def _send(ctx: Context, arg: str) -> Next:
    found = await _question(ctx)
    if found is None:
        return LEFT
    c, run, resp, answers, q = found
    if q is not None:
        return q.type
    s = ctx.services
    if await s.store.checkins.submit(resp.id, applicable(c, answers), s.clock.now()):
        await ctx.audit("checkin.submit", checkin=c.id, period=run.period)
    ctx.state.clear()
    ctx.reply("✅ " + ctx.t("Sent. Thank you! Your answers help the union report on the "
                           "programme and support your work."))
    return LEFT


async def _review_typed(ctx: Context, text: str) -> Next:
    if yes_no(text) == "yes" or fold(text) in ("gui", "send", "gui di", "nop"):
        return await _send(ctx, "")
    raise Invalid(N_("Please press **Send** to send your answers, or **Back** to change one.")
                  if buttons(ctx) else
                  N_("Please type “gửi” to send your answers, or “quay lại” to change one."))


def _option(q: Question, raw: str) -> str | None:
    return q.options[int(raw)][0] if raw.isdigit() and int(raw) < len(q.options) else None


# -- entries ---------------------------------------------------------------------------------------
async def _entry_checkin(ctx: Context, args: list[str]) -> None:
    s = ctx.services
    c = s.library.checkins.get(args[0]) if len(args) == 1 else None
    if c is None or not await s.store.broadcasts.matches(ctx.member.id, _scheduler(ctx).audience(c)):
        ctx.reply(ctx.t(STALE))
        return
    await _open(ctx, c)


async def _entry_run(ctx: Context, args: list[str], redo: bool) -> None:
    s = ctx.services
    t = ctx.t
    run = await s.store.checkins.run(int(args[0])) if len(args) == 1 and args[0].isdigit() else None
    c = s.library.checkins.get(run.checkin_id) if run else None
    resp = await s.store.checkins.response(run.id, ctx.member.id) if c else None
    if not (c and resp) or run.closes_at <= s.clock.now():
        ctx.reply(t(STALE))
        return
    if redo and resp.state == "submitted":
        version = await s.store.checkins.version(c.id, c.digest, c.definition(), s.clock.now())
        await s.store.checkins.reopen(resp.id, version, s.clock.now())
        resp = await s.store.checkins.response_by_id(resp.id)
    if resp.state != "open":
        ctx.reply(t(STALE))
        return
    await _continue(ctx, c, run, resp)


async def _entry_go(ctx: Context, args: list[str]) -> None:
    await _entry_run(ctx, args, redo=False)


async def _entry_redo(ctx: Context, args: list[str]) -> None:
    await _entry_run(ctx, args, redo=True)


def _question_step(kind: str, typed: bool, choices: dict, accepts=frozenset({InboundKind.TEXT}),
                   expects: str = "") -> Step:
    nav = {"s": _skip, "b": _back, "l": _later}
    return Step(kind, _ask, {**choices, **nav}, text=_typed, typed=typed, accepts=accepts,
                back=_back_word, expects=expects)


FLOW = Flow(
    NAME, "ck", first="review", cancel=_cancelled,
    doc="/baocao: a questionnaire one question at a time (one step per question type), "
        "then the review and Send.",
    actions={"c": _entry_checkin, "go": _entry_go, "redo": _entry_redo},
    steps={s.name: s for s in (
        _question_step("yesno", False, {"o": _pick},
                       expects=N_("Please answer yes or no (“có” or “không”).")),
        _question_step("choice", False, {"o": _pick},
                       expects=N_("Please choose one of the options.")),
        _question_step("multi", False, {"t": _toggle, "d": _done},
                       expects=N_("Please type the numbers of the options that apply, for "
                                  "example “1 3”.")),
        _question_step("number", True, {}, expects=N_("Please type a number, for example 12 or "
                                                      "2,5.")),
        _question_step("date", True, {}, expects=N_("Please type a date like 15/06/2025.")),
        _question_step("text", True, {}, expects=N_("Please type your answer.")),
        _question_step("photo", True, {},
                       accepts=frozenset({InboundKind.TEXT, InboundKind.PHOTO}),
                       expects=N_("Please send a photo.")),
        Step("review", _ask, {"send": _send, "b": _back, "l": _later}, text=_review_typed,
             back=_back_word),
    )},
)


def register(router: Router) -> None:
    router.command(("baocao", "report"), baocao, N_("Progress check-in (report)"),
                   keywords=("báo cáo", "báo cáo tiến độ", "bao cao quy"))
    router.add_flow(FLOW)
