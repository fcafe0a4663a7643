"""The union's report in the staff chat: the "Tiến độ Đề án" lines of /thongke,
and the report (chart as a picture, workbook as a document) offered by /xuat."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from bot.chatfiles import discard_folder, private_folder, seal
from bot.engine import Context
from bot.i18n import N_, Problem
from bot.indicators import Period, compute, parse_period, quarter_of
from bot.router import Router
from bot.types import Button

STALE = N_("This button is out of date. Type /xuat again.")
FLOW = "xuat"  # /xuat's questions: what to export, then the report's period
WHICH_PERIOD = N_("The report for which period?")


def this_year(today: date) -> Period:
    return parse_period(str(today.year))


async def progress_lines(ctx: Context) -> list[str]:
    """One screen: each indicator's value against its target, this year so far."""
    s = ctx.services
    t = ctx.t
    from bot.reports import summary_lines

    period = this_year(s.clock.now().astimezone(t.zone).date())
    progress = await compute(s.store, s.library.targets, period, t.zone, s.communes, previous=False)
    if not progress.results:
        return []
    return [t("**Progress against the targets** ({period})", period=period.title(t)),
            *summary_lines(t, progress)]


def offer(ctx: Context) -> list[Button]:
    """The /xuat button for the report."""
    return [Button(ctx.t.plain("Đề án report (Excel + chart)"), "rp:q")]


def _choices(ctx: Context) -> list[list[Button]]:
    t = ctx.t
    today = ctx.services.clock.now().astimezone(t.zone).date()
    now = quarter_of(today)
    periods = [now, now.previous(), this_year(today)]
    return [[Button(p.title(t), f"rp:r:{p.label}")] for p in periods]


def ask(ctx: Context, question: str, rows: list[list[Button]], step: str) -> None:
    """Ask one of /xuat's questions and stay in /xuat until it is answered."""
    ctx.state.enter(FLOW, step, ask=question)
    ctx.reply(ctx.t(question), rows)


async def on_text(ctx: Context) -> None:
    """Typed at one of /xuat's questions: a number of a choice, a period such as
    2026-Q3; anything else is told what is valid and asked again."""
    t = ctx.t
    offered = ctx.state.offered
    text = ctx.text.strip()
    if text.isdigit() and 1 <= int(text) <= len(offered):  # Telegram: the number of a button
        action = offered[int(text) - 1][1]
        ctx.args = action.split(":")[1:]
        if action.startswith("rp:"):
            await on_action(ctx)
            return
        from . import courses

        await courses.on_action(ctx)
        return
    if ctx.state.step == "period" and text and not text.isdigit():
        try:
            period = parse_period(text)
        except Problem:
            period = None
        if period is not None:
            ctx.state.clear()
            await _report(ctx, period.label)
            return
    if text.isdigit() and offered:
        lead = t("Choose a number from 1 to {n}.", n=len(offered))
    elif ctx.state.step == "period":
        lead = t("Choose one of the periods below, or type one such as 2026-Q3, 2026-H1 or "
                 "2026.")
    else:
        lead = t("Choose one of the choices below.")
    lead += " " + t("Type “hủy” to stop.")
    ctx.reply(lead + "\n\n" + t(ctx.state.data.get("ask") or WHICH_PERIOD),
              [[Button(label, action)] for label, action in offered])


async def _report(ctx: Context, label: str) -> None:
    t = ctx.t
    s = ctx.services
    try:
        period = parse_period(label)
    except Problem:
        ctx.reply(t(STALE))
        return
    caps = ctx.caps
    if caps is not None and not caps.documents:
        ctx.reply(t("This chat cannot receive files, so the report for {title} is made on the "
                    "server: `python -m bot report --period {period} --out report.xlsx`.",
                    title=period.title(t), period=period.label))
        return
    from bot.reports import build_report, report_messages

    folder = private_folder("report")  # the files go once sent (Reply.temporary)
    try:
        built = await build_report(s.store, s.library, s.communes, period,
                                   folder / f"bao-cao-{period.label}.xlsx", t, by=ctx.actor,
                                   now=s.clock.now())
        seal(built.xlsx, built.png)
    except BaseException:
        discard_folder(folder)
        raise
    ctx.replies += [replace(r, temporary=True) for r in report_messages(t, built, documents=True)]


async def on_action(ctx: Context) -> None:
    args = ctx.args
    if args[:1] == ["q"]:
        ask(ctx, WHICH_PERIOD, _choices(ctx), "period")
    elif args[:1] == ["r"] and len(args) == 2:
        if ctx.state.flow == FLOW:
            ctx.state.clear()
        await _report(ctx, args[1])
    else:
        ctx.reply(ctx.t(STALE))


def register(router: Router) -> None:
    router.action("rp", on_action, staff=True)
    router.flow(FLOW, on_text, staff=True)
