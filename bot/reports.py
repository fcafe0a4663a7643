"""The union's report for a period: an XLSX workbook and a chart (PNG), and the
export of check-in answers by date range.

The workbook has a summary sheet (every indicator: value, target, % of target,
change since the previous period), a sheet per indicator with its breakdown by
commune, the period's answers (one sheet per check-in, labelled with the
questions and options of the version each person answered), the response rates
of the check-in runs, and an "About" sheet.  Labels come from the catalog;
numbers are number cells with Excel formats, dates are written the Vietnamese way.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from .answer_rows import (
    Labels,
    answer_row,
    answer_sheets,
    answers_long_rows,
    answers_long_sheet,
)
from .content import Library
from .geo import Communes
from .i18n import N_, Problem, Translator
from .indicators import Period, Progress, Result, compute
from .report_parts import write_in_parts
from .segments import SegmentError, parse_segment
from .sheets import INTEGER, PERCENT, Book, Num, Sheet
from .store import Store
from .types import Reply

COUNTED = {  # per kind: what a commune's value is, and what it is out of
    "units_reporting": (N_("Total reported"), None),
    "trained_share": (N_("Trained"), N_("Members with the role")),
    "latest_count": (N_("Meeting the condition"), None),
    "window_sum": (N_("Total reported"), None),
}
CHANGE_COUNT, CHANGE_PERCENT = "+#,##0.##;-#,##0.##;0", "+0.0%;-0.0%;0.0%"


@dataclass(slots=True)
class RunRate:
    checkin: str  # title
    period: str
    opens_at: datetime
    closes_at: datetime
    invited: int | None  # members in the audience now (None: not countable)
    started: int
    submitted: int


async def rates(store: Store, library: Library, communes: Communes, since: datetime,
                until: datetime) -> list[RunRate]:
    out = []
    counted: dict[str, int | None] = {}  # audience → members in it now (each counted once)
    for run in await store.reporting.runs(since, until):
        c = library.checkins.get(run.checkin_id)
        invited = None
        if c is not None and c.audience in counted:
            invited = counted[c.audience]
        elif c is not None:
            try:
                invited = await store.broadcasts.count_audience(
                    parse_segment(c.audience, communes, set(library.topics)))
            except SegmentError:
                invited = None  # a segment field this version cannot count yet
            counted[c.audience] = invited
        out.append(RunRate(c.title if c else run.checkin_id, run.period, run.opens_at, run.closes_at,
                           invited, run.started, run.submitted))
    return out


# -- sheets ----------------------------------------------------------------------------
def _value(r: Result, v: float | None) -> Num | None:
    if v is None:
        return None
    return Num(v / 100, PERCENT) if r.indicator.unit == "percent" else Num(v, "#,##0.##")


def _change(r: Result) -> Num | None:
    if r.change is None:
        return None
    return Num(r.change / 100, CHANGE_PERCENT) if r.indicator.unit == "percent" else Num(r.change,
                                                                                          CHANGE_COUNT)


def summary_sheet(t: Translator, progress: Progress) -> Sheet:
    prev = progress.period.previous().title(t)
    sheet = Sheet(t.plain("Summary"), [
        t.plain("Indicator"), t.plain("Value"), t.plain("Target"), t.plain("% of target"),
        t.plain("Previous period ({period})", period=prev), t.plain("Change"), t.plain("Note"),
    ], widths={0: 60, 6: 60})
    for r in progress.results:
        sheet.rows.append([
            r.indicator.title, _value(r, r.value), _value(r, r.target),
            Num(r.of_target, PERCENT) if r.of_target is not None else t.plain("(no target)"),
            _value(r, r.previous), _change(r), r.indicator.note])
    return sheet


def indicator_sheet(t: Translator, r: Result, progress: Progress, communes: Communes) -> Sheet:
    ind = r.indicator
    counted, of = COUNTED[ind.kind]
    sheet = Sheet(ind.short, [t.plain("Indicator"), ind.title], widths={0: 34, 1: 22, 2: 22, 3: 14})
    prev = progress.period.previous().title(t)
    sheet.rows += [
        [t.plain("Period"), progress.period.title(t)],
        [t.plain("Value"), _value(r, r.value)]
        + ([Num(r.numerator, INTEGER), Num(r.denominator, INTEGER)] if r.denominator else []),
        [t.plain("Target"), _value(r, r.target) if r.target else t.plain("(no target)")],
        [t.plain("% of target"), Num(r.of_target, PERCENT) if r.of_target is not None else None],
        [t.plain("Previous period ({period})", period=prev), _value(r, r.previous)],
        [t.plain("Change"), _change(r)],
        [t.plain("Note"), ind.note],
        [],
        [t.plain("Commune/ward"), t.plain(counted)] + ([t.plain(of), t.plain("Share")] if of else []),
    ]
    sheet.bold.add(len(sheet.rows) - 1)
    for row in r.rows:
        c = communes.get(row.code)
        line: list[object] = [c.name if c else t.plain("(not given)"), Num(row.value)]
        if of:
            line += [Num(row.out_of or 0, INTEGER),
                     Num(row.value / row.out_of, PERCENT) if row.out_of else None]
        sheet.rows.append(line)
    return sheet


async def stream_answers(store: Store, book: Book, t: Translator, communes: Communes,
                         since: datetime, until: datetime, *, sheets_after: list[Sheet] = (),
                         empty_sheet: bool = False) -> int:
    """Write the answers sent in [since, until) into ``book`` — a sheet per check-in
    (XLSX) or an answer per line (CSV) — read from the store a page at a time; the
    sheets given go after them (``empty_sheet``: with no answers at all, the CSV's
    sheet, empty, so that the file has a sheet).  Returns the responses written."""
    answered = await store.reporting.answered_versions(since, until)
    versions = await store.reporting.versions({v for _, v, _ in answered})
    labels = Labels(t, versions, communes)
    n = 0
    total = sum(c for _, _, c in answered)
    if book.fmt == "csv":
        book.sheet(answers_long_sheet(t))  # its headers; the lines come below
        for sh in sheets_after:
            _fill(book, sh)
        got = await write_in_parts(store, book, t, communes, since, until, total=total,
                                   sheets={}, versions=sorted(versions))
        if got is not None:
            return got
        async for batch in store.reporting.stream(since=since, until=until):
            book.plain_rows(row for a in batch for row in answers_long_rows(labels, a, plain=True))
            n += len(batch)
        return n
    heads = answer_sheets(t, answered, versions)
    numbers = {}
    adds = {}
    for cid, h in heads.items():
        numbers[cid] = (book.sheets, h.ids)
        adds[cid] = book.sheet(h.sheet)
    if not heads and empty_sheet:
        book.sheet(answers_long_sheet(t))
    for sh in sheets_after:  # created now so that they come after; their rows are few
        _fill(book, sh)
    got = await write_in_parts(store, book, t, communes, since, until, total=total,
                               sheets=numbers, versions=sorted(versions))
    if got is not None:  # written by several processes at once (bot.report_parts)
        return got
    async for batch in store.reporting.stream(since=since, until=until):
        for a in batch:
            adds[a.checkin_id](answer_row(labels, heads[a.checkin_id], a))
        n += len(batch)
    return n


def _fill(book: Book, sh: Sheet) -> None:
    add = book.sheet(sh)
    for row in sh.rows:
        add(row)


def rates_sheet(t: Translator, rates: list[RunRate]) -> Sheet:
    sheet = Sheet(t.plain("Response rates"), [
        t.plain("Check-in"), t.plain("Period"), t.plain("Opens"), t.plain("Closes"),
        t.plain("Invited (audience now)"), t.plain("Started"), t.plain("Sent"), t.plain("Response rate")],
        widths={0: 40})
    for r in rates:
        sheet.rows.append([r.checkin, r.period, t.date(r.opens_at), t.date(r.closes_at),
                           Num(r.invited, INTEGER) if r.invited is not None else None,
                           Num(r.started, INTEGER), Num(r.submitted, INTEGER),
                           Num(r.submitted / r.invited, PERCENT) if r.invited else None])
    return sheet


def progress_sheets(t: Translator, p: Progress, communes: Communes) -> list[Sheet]:
    """The summary, then a sheet per indicator."""
    used = {"About", t.plain("Summary"), t.plain("Response rates")}
    sheets = [summary_sheet(t, p)]
    for r in p.results:
        s = indicator_sheet(t, r, p, communes)
        if s.title in used:  # two indicators with the same short name
            s.title = f"{s.title[:27]} {len(sheets)}"
        used.add(s.title)
        sheets.append(s)
    return sheets


def _give_back() -> None:
    """Collect what was freed and hand free heap pages back to the system (glibc), so that
    what comes next (the chart, matplotlib) does not add to the peak."""
    import ctypes
    import gc

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _files(out: Path) -> tuple[Path, Path]:
    out = Path(out)
    if out.suffix.lower() != ".xlsx":
        raise Problem(N_("{path}: the report is an .xlsx file"), path=str(out))
    if not out.parent.is_dir():
        raise Problem(N_("{path}: the folder does not exist"), path=str(out.parent))
    png = out.with_suffix(".png")
    for p in (out, png):
        if p.exists():
            raise Problem(N_("{path}: already exists; choose a new file"), path=str(p))
    return out, png


@dataclass(frozen=True, slots=True)
class Built:
    """The files of a report, and what the chat says beside them."""

    xlsx: Path
    png: Path
    period: Period
    summary: list[str]  # the lines of :func:`summary_lines`, in the caller's language
    answers: int = 0  # responses in the workbook


async def build_report(store: Store, library: Library, communes: Communes, period: Period,
                       out: Path, t: Translator, *, by: str, now: datetime,
                       audit: bool = True) -> Built:
    """Write ``out`` (.xlsx) and the chart next to it (.png); both or neither.

    Runs in the calling process with bounded memory (the answers are streamed from
    the store into a write-only workbook), but its CPU work is on the calling event
    loop: the command line runs it, the bot runs it in a worker process
    (:mod:`bot.report_worker`).  ``store`` may be a :class:`bot.store.snapshot.Snapshot`
    (then ``audit=False``: the process that asked records it)."""
    from . import charts

    xlsx, png = _files(out)
    since, until = period.bounds(t.zone)
    run_rates = await rates(store, library, communes, since, until)
    programme = library.targets.for_period(period.start, period.end)
    # The indicators are computed while the answers are streamed (the queries of one run
    # on their own connection while the rows of the other are written); their sheets are
    # made first, empty, so that they come first, and filled once the figures are known.
    heads = progress_sheets(t, Progress(period, programme, [
        Result(ind, 0.0, None, None, []) for ind in (programme.indicators if programme else [])]),
        communes)
    figures = asyncio.ensure_future(compute(store, library.targets, period, t.zone, communes))
    last = until - timedelta(days=1)
    about = [(t.plain("Report"), t.plain("Progress against the targets")),
             (t.plain("Period"), f"{period.title(t)} ({t.date(since)} – {t.date(last)})"),
             (t.plain("Targets"), f"{programme.title} — {programme.basis}" if programme
              else t.plain("(no target)")),
             (t.plain("Exported by"), by), (t.plain("Exported at"), t.datetime(now))]
    partial = png.with_name(png.name + ".part")
    try:
        with Book(xlsx, "xlsx", about) as book:
            adds = [book.sheet(Sheet(h.title, h.headers, widths=h.widths, bold=h.bold)) for h in heads]
            n = await stream_answers(store, book, t, communes, since, until,
                                     sheets_after=[rates_sheet(t, run_rates)])
            progress = await figures
            _give_back()  # the indicators' answers are gone: let the chart reuse their memory
            charts.draw(partial, t, progress, communes)
            book.picture(0, partial)  # the chart beside the summary, as in the chat
            for add, sheet in zip(adds, progress_sheets(t, progress, communes), strict=True):
                for row in sheet.rows:
                    add(row)
    except BaseException:
        if not figures.done():
            figures.cancel()
        with contextlib.suppress(BaseException):
            await figures
        partial.unlink(missing_ok=True)
        raise
    partial.replace(png)
    if audit:
        await store.audit.record(by, "report.build", now, period=period.label, file=str(xlsx),
                                 answers=n)
    return Built(xlsx, png, period, summary_lines(t, progress), n)


async def export_checkins(store: Store, library: Library, communes: Communes, since: date, until: date,
                          out: Path, t: Translator, *, by: str, now: datetime,
                          audit: bool = True) -> int:
    """Answers sent from ``since`` to ``until`` (both days included, local time): XLSX
    with a sheet per check-in, or CSV with an answer per line, streamed from the store
    (bounded memory).  Returns the responses."""
    fmt = Path(out).suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise Problem(N_("{path}: export to an .xlsx or .csv file"), path=str(out))
    if until < since:
        raise Problem(N_("--to is before --from"))
    start = datetime.combine(since, datetime.min.time(), t.zone)
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), t.zone)
    about = [(t.plain("Answers"), f"{t.date(since)} – {t.date(until)}"),
             (t.plain("Exported by"), by), (t.plain("Exported at"), t.datetime(now))]
    with Book(Path(out), fmt, about) as book:
        n = await stream_answers(store, book, t, communes, start, end, empty_sheet=True)
    if audit:
        await store.audit.record(by, "export.checkins", now, since=since.isoformat(),
                                 until=until.isoformat(), rows=n, format=fmt)
    return n


def summary_lines(t: Translator, progress: Progress) -> list[str]:
    """One line per indicator for the chat: value / target (percent of target)."""
    lines = []
    for r in progress.results:
        unit = "%" if r.indicator.unit == "percent" else ""
        value = t.number(round(r.value, 1)) + unit
        if r.target:
            lines.append(t("- {name}: {value} / {target} ({share}%)", name=r.indicator.short,
                           value=value, target=t.number(r.target) + unit,
                           share=t.number(round((r.of_target or 0) * 100))))
        else:
            lines.append(t("- {label}: {n}", label=r.indicator.short, n=value))
    return lines


def report_messages(t: Translator, built: Built, *, documents: bool) -> list[Reply]:
    """The chart with the summary as its caption, then the workbook (where files go)."""
    text = "\n".join([t("**Report: {period}**", period=built.period.title(t)), *built.summary])
    out = [Reply(text, image=str(built.png))]
    if documents:
        out.append(Reply(t("The full report (Excel)."), document=str(built.xlsx)))
    return out
