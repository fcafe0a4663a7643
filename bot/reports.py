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
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from .content import Library
from .geo import Communes
from .i18n import N_, Problem, Translator
from .indicators import Period, Progress, Result, compute
from .phone import show_phone
from .roles import ROLES
from .segments import SegmentError, parse_segment
from .sheets import INTEGER, PERCENT, Num, Sheet, write
from .store import Answered, Store
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


@dataclass(slots=True)
class ReportData:
    progress: Progress
    answered: list[Answered]
    versions: dict[int, dict[str, Any]]
    rates: list[RunRate]


async def gather(store: Store, library: Library, period: Period, communes: Communes,
                 t: Translator) -> ReportData:
    """Everything the report shows, read from the store."""
    progress = await compute(store, library.targets, period, t.zone, communes)
    since, until = period.bounds(t.zone)
    answered = await store.reporting.submitted(None, since=since, until=until)
    versions = await store.reporting.versions({a.version_id for a in answered})
    return ReportData(progress, answered, versions, await rates(store, library, communes, since, until))


async def rates(store: Store, library: Library, communes: Communes, since: datetime,
                until: datetime) -> list[RunRate]:
    out = []
    for run in await store.reporting.runs(since, until):
        c = library.checkins.get(run.checkin_id)
        invited = None
        if c is not None:
            try:
                invited = await store.broadcasts.count_audience(
                    parse_segment(c.audience, communes, set(library.topics)))
            except SegmentError:
                invited = None  # a segment field this version cannot count yet
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


def _answer(t: Translator, question: dict[str, Any] | None, value: Any) -> object:
    kind = question["type"] if question else ""
    labels = dict(tuple(o) for o in question.get("options", [])) if question else {}
    if kind == "number" and isinstance(value, int | float):
        return Num(value)
    if kind == "multi" and isinstance(value, list):
        return "; ".join(labels.get(v, v) for v in value)
    if kind == "choice":
        return labels.get(value, value)
    if kind == "yesno":
        return t.plain("Yes") if value == "yes" else t.plain("No") if value == "no" else value
    if kind == "date":
        try:
            return t.date(date.fromisoformat(str(value)))
        except ValueError:
            return value
    if kind == "photo":
        return t.plain("(photo sent)")
    return value


def _questions(versions: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(question id, text) over every version, newest version's order and wording first."""
    out: dict[str, str] = {}
    for d in versions:
        for q in d.get("questions", []):
            out.setdefault(q["id"], q["text"])
    return list(out.items())


def _person(t: Translator, a: Answered, communes: Communes) -> list[object]:
    c = communes.get(a.commune_code)
    return [a.name or "", show_phone(a.phone) if a.phone else "", c.name if c else "",
            t.plain(ROLES[a.role]) if a.role in ROLES else "", a.organisation or ""]


def _person_headers(t: Translator) -> list[str]:
    return [t.plain("Full name"), t.plain("Phone"), t.plain("Commune/ward"), t.plain("Role"),
            t.plain("Organisation")]


def answer_sheets(t: Translator, answered: list[Answered], versions: dict[int, dict[str, Any]],
                  communes: Communes) -> list[Sheet]:
    """One sheet per check-in, a row per response, a column per question."""
    sheets = []
    for cid in sorted({a.checkin_id for a in answered}):
        mine = [a for a in answered if a.checkin_id == cid]
        defs = [versions[v] for v in sorted({a.version_id for a in mine}, reverse=True) if v in versions]
        questions = _questions(defs)
        sheet = Sheet(f"{t.plain('Answers')} {cid}"[:31].strip(), [
            t.plain("No."), t.plain("Response no."), t.plain("Period"), t.plain("Sent at"),
            *_person_headers(t), *(text for _, text in questions)],
            widths={0: 6, 4: 24, 6: 22, 8: 24, **{9 + i: 30 for i in range(len(questions))}})
        for i, a in enumerate(mine, start=1):
            spec = {q["id"]: q for q in versions.get(a.version_id, {}).get("questions", [])}
            sheet.rows.append([i, a.id, a.period, t.datetime(a.submitted_at), *_person(t, a, communes),
                               *(_answer(t, spec.get(q), a.answers.get(q)) if q in a.answers else None
                                 for q, _ in questions)])
        sheets.append(sheet)
    return sheets


def answers_long(t: Translator, answered: list[Answered], versions: dict[int, dict[str, Any]],
                 communes: Communes) -> Sheet:
    """Every answer on its own line (for CSV): check-in, response, person, question, answer."""
    sheet = Sheet(t.plain("Answers"), [
        t.plain("Check-in"), t.plain("Period"), t.plain("Response no."), t.plain("Sent at"),
        *_person_headers(t), t.plain("Question"), t.plain("Answer")])
    for a in answered:
        spec = {q["id"]: q for q in versions.get(a.version_id, {}).get("questions", [])}
        for qid in sorted(a.answers, key=lambda k: (list(spec).index(k) if k in spec else len(spec), k)):
            q = spec.get(qid)
            sheet.rows.append([a.checkin_id, a.period, a.id, t.datetime(a.submitted_at),
                               *_person(t, a, communes), q["text"] if q else qid,
                               _answer(t, q, a.answers[qid])])
    return sheet


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


def report_sheets(t: Translator, data: ReportData, library: Library, communes: Communes) -> list[Sheet]:
    p = data.progress
    used = {"About", t.plain("Summary"), t.plain("Response rates")}
    sheets = [summary_sheet(t, p)]
    for r in p.results:
        s = indicator_sheet(t, r, p, communes)
        if s.title in used:  # two indicators with the same short name
            s.title = f"{s.title[:27]} {len(sheets)}"
        used.add(s.title)
        sheets.append(s)
    sheets += answer_sheets(t, data.answered, data.versions, communes)
    sheets.append(rates_sheet(t, data.rates))
    return sheets


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
    xlsx: Path
    png: Path
    progress: Progress


async def build_report(store: Store, library: Library, communes: Communes, period: Period,
                       out: Path, t: Translator, *, by: str, now: datetime) -> Built:
    """Write ``out`` (.xlsx) and the chart next to it (.png); both or neither."""
    from . import charts

    xlsx, png = _files(out)
    data = await gather(store, library, period, communes, t)
    since, until = period.bounds(t.zone)
    last = until - timedelta(days=1)
    prog = data.progress.programme
    about = [(t.plain("Report"), t.plain("Progress against the targets")),
             (t.plain("Period"), f"{period.title(t)} ({t.date(since)} – {t.date(last)})"),
             (t.plain("Targets"), f"{prog.title} — {prog.basis}" if prog else t.plain("(no target)")),
             (t.plain("Exported by"), by), (t.plain("Exported at"), t.datetime(now))]
    partial = png.with_name(png.name + ".part")

    def files() -> None:  # in a thread: a large period takes seconds, the bot keeps answering
        charts.draw(partial, t, data.progress, communes)
        try:
            sheets = report_sheets(t, data, library, communes)
            sheets[0].image = partial  # the chart beside the summary, as in the chat
            write(xlsx, sheets, "xlsx", about)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        partial.replace(png)

    await asyncio.to_thread(files)
    await store.audit.record(by, "report.build", now, period=period.label, file=str(xlsx),
                             answers=len(data.answered))
    return Built(xlsx, png, data.progress)


async def export_checkins(store: Store, library: Library, communes: Communes, since: date, until: date,
                          out: Path, t: Translator, *, by: str, now: datetime) -> int:
    """Answers sent from ``since`` to ``until`` (both days included, local time): XLSX
    with a sheet per check-in, or CSV with an answer per line.  Returns the responses."""
    fmt = Path(out).suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "csv"):
        raise Problem(N_("{path}: export to an .xlsx or .csv file"), path=str(out))
    if until < since:
        raise Problem(N_("--to is before --from"))
    start = datetime.combine(since, datetime.min.time(), t.zone)
    end = datetime.combine(until + timedelta(days=1), datetime.min.time(), t.zone)
    answered = await store.reporting.submitted(None, since=start, until=end)
    versions = await store.reporting.versions({a.version_id for a in answered})
    about = [(t.plain("Answers"), f"{t.date(since)} – {t.date(until)}"),
             (t.plain("Exported by"), by), (t.plain("Exported at"), t.datetime(now))]

    def files() -> None:
        sheets = [] if fmt == "csv" else answer_sheets(t, answered, versions, communes)
        write(Path(out), sheets or [answers_long(t, answered, versions, communes)], fmt, about)

    await asyncio.to_thread(files)
    await store.audit.record(by, "export.checkins", now, since=since.isoformat(), until=until.isoformat(),
                             rows=len(answered), format=fmt)
    return len(answered)


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
    period = built.progress.period
    text = "\n".join([t("**Report: {period}**", period=period.title(t)), *summary_lines(t, built.progress)])
    out = [Reply(text, image=str(built.png))]
    if documents:
        out.append(Reply(t("The full report (Excel)."), document=str(built.xlsx)))
    return out
