"""The union's report in the staff chat: the "Tiến độ Đề án" lines of /thongke,
and the report (chart as a picture, workbook as a document) offered by /xuat."""

from __future__ import annotations

from dataclasses import replace

from bot.chatfiles import discard_folder, private_folder, seal
from bot.engine import Context
from bot.flows import LEFT, Flow, Invalid, Step
from bot.i18n import N_, Problem
from bot.indicators import parse_period, quarter_of, this_year, year_so_far
from bot.router import Router
from bot.types import Button

STALE = N_("This button is out of date. Type /xuat again.")
FLOW = "xuat"  # /xuat's questions: what to export, then the report's period
WHICH_PERIOD = N_("The report for which period?")


async def progress_lines(ctx: Context) -> list[str]:
    """One screen: each indicator's value against its target, this year so far."""
    s = ctx.services
    t = ctx.t
    from bot.reports import summary_lines

    progress = await year_so_far(s.store, s.library.targets, t.zone, s.communes, s.clock.now())
    if not progress.results:
        return []
    return [t("**Progress against the targets** ({period})", period=progress.period.title(t)),
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


def _ask(ctx: Context) -> None:
    """Ask the step's question again with its choices (kept in the flow's data)."""
    data = ctx.state.data
    ctx.reply(ctx.t(data.get("ask") or WHICH_PERIOD),
              [[Button(label, action)] for label, action in data.get("rows", [])])


async def _typed_period(ctx: Context, text: str) -> str:
    try:
        period = parse_period(text)
    except Problem:
        raise Invalid(N_("“{text}” is not one of the periods: choose one below, or type one "
                         "such as 2026-Q3, 2026-H1 or 2026."), text=text[:40]) from None
    ctx.state.clear()
    await _report(ctx, period.label)
    return LEFT


async def _which_period(ctx: Context, args: list[str]) -> None:
    rows = [(b.label, b.action) for row in _choices(ctx) for b in row]
    await XUAT.start(ctx, "period", ask=WHICH_PERIOD, rows=rows)


async def _period(ctx: Context, args: list[str]) -> None:
    if ctx.state.flow == FLOW:
        ctx.state.clear()
    if len(args) != 1:
        ctx.reply(ctx.t(STALE))
        return
    await _report(ctx, args[0])


XUAT = Flow(
    FLOW, "rp", staff=True, first="what",
    steps={
        "what": Step("what", _ask),
        "period": Step("period", _ask, text=_typed_period,
                       expects=N_("Choose one of the periods below, or type one such as "
                                  "2026-Q3, 2026-H1 or 2026.")),
    },
    actions={"q": _which_period, "r": _period},
    doc="/xuat: what to export, then the report's period.",
)


async def start(ctx: Context, question: str, rows: list[list[Button]]) -> None:
    """/xuat's first question: the report or a course's registrants."""
    await XUAT.start(ctx, "what", ask=question,
                     rows=[(b.label, b.action) for row in rows for b in row])


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
                    "server: `python -m bot report --period {period} --out report.xlsx`. In the chat, "
                    "/thongke shows the figures; /menu for everything else.",
                    title=period.title(t), period=period.label))
        return
    from bot.report_worker import Where, build_report_apart
    from bot.reports import report_messages

    folder = private_folder("report")  # the files go once sent (Reply.temporary)
    try:
        # In a child process: the bot keeps answering meanwhile, and its memory stays flat.
        built = await build_report_apart(s.store, Where.of(s.settings), period,
                                         folder / f"bao-cao-{period.label}.xlsx", t, by=ctx.actor,
                                         now=s.clock.now())
        seal(built.xlsx, built.png)
    except Problem as p:
        discard_folder(folder)
        ctx.reply(p.say(t))
        return
    except BaseException:
        discard_folder(folder)
        raise
    ctx.replies += [replace(r, temporary=True) for r in report_messages(t, built, documents=True)]


def register(router: Router) -> None:
    router.add_flow(XUAT)
