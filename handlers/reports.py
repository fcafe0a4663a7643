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
        ctx.reply(t("This chat cannot receive files. On the server: `python -m bot report --period "
                    "{period} --out report.xlsx`.", period=period.label))
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
        ctx.reply(ctx.t("The report for which period?"), _choices(ctx))
    elif args[:1] == ["r"] and len(args) == 2:
        await _report(ctx, args[1])
    else:
        ctx.reply(ctx.t(STALE))


def register(router: Router) -> None:
    router.action("rp", on_action, staff=True)
