"""The console's Reports (issue #16): choose a period; the Đề án indicators against
their targets with the chart; the check-in response rates, by run and by commune;
download the XLSX report.

A period is read as /xuat and ``report --period`` read it (:func:`bot.indicators.
parse_period`, and :func:`bot.cli_reports.reportable`: a period of the programme that
has begun).  The figures are :func:`bot.indicators.compute` and :func:`bot.reports.rates`,
those of the workbook; they are kept a minute per period (nothing personal in them).
The workbook is built by the same builder as /xuat, in a child process
(:func:`bot.report_worker.build_report_apart`): the bot keeps answering meanwhile."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from ...chatfiles import discard_folder, private_folder, seal
from ...cli_reports import reportable
from ...i18n import N_, Problem
from ...indicators import Period, Progress, compute, parse_period, quarter_of, this_year
from ...reports import RunRate, rates
from . import Area
from .overview import KEEP_SECONDS, Kept, progress_chart

log = logging.getLogger(__name__)

AREA = Area("reports", N_("Reports"), "/reports")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(slots=True)
class Figures:
    at: datetime
    progress: Progress
    runs: list[RunRate]
    communes: list[tuple[str | None, int, int, int]]  # code, members, started, submitted


def file_name(period: Period) -> str:
    return f"bao-cao-{period.label}.xlsx"


def routes(console, router: web.UrlDispatcher) -> None:
    kept = Kept(KEEP_SECONDS)
    s = console.services
    t = console.t

    def today():
        return s.clock.now().astimezone(t.zone).date()

    def choices() -> list[Period]:
        now = quarter_of(today())
        year = this_year(today())
        half = parse_period(f"{year.label}-H{1 if today().month <= 6 else 2}")
        out = [now, now.previous(), half, year, year.previous()]
        return list({p.label: p for p in out}.values())

    def say(p: Problem) -> str:
        return t.plain(p.msgid, **p.values)

    def period_of(text: str) -> Period:
        """The period asked for, or Problem (not a period; before the programme; not begun)."""
        period = parse_period(text)
        reportable(period, s.library, today(), t)
        return period

    async def count(period: Period) -> Figures:
        store = s.store
        since, until = period.bounds(t.zone)
        progress, runs, answered, members = await asyncio.gather(
            compute(store, s.library.targets, period, t.zone, s.communes),
            rates(store, s.library, s.communes, since, until),
            store.reporting.answered_by_commune(since, until),
            store.members.count_by("commune_code"))
        of = dict(members)
        return Figures(s.clock.now(), progress, runs,
                       [(code, of.get(code, 0), started, submitted)
                        for code, started, submitted in answered])

    def commune_name(code: str | None) -> str:
        c = s.communes.get(code) if code else None
        return c.name if c else t.plain("(not given)")

    def form(request: web.Request, *, status: int = 200, period: Period | None = None,
             asked: str = "", error: str | None = None, figures: Figures | None = None
             ) -> web.Response:
        progress = figures.progress if figures else None
        return console.page(
            request, "reports_index.html", status=status, title=AREA.title, choices=choices(),
            period=period, asked=asked, error=error, figures=figures,
            period_title=period.title(t) if period else "",
            previous_title=period.previous().title(t) if period else "",
            at=figures.at.astimezone(t.zone).strftime("%H:%M") if figures else "",
            chart=progress_chart(t, progress) if progress else None,
            communes=[(commune_name(code), members, started, submitted,
                       submitted / members if members else None)
                      for code, members, started, submitted in (figures.communes if figures else [])],
            file_name=file_name(period) if period else "")

    async def warm() -> None:
        period = quarter_of(today())
        await kept.get(period.label, s.clock.now(), lambda: count(period))

    console.warmups.append(warm)

    async def index(request: web.Request) -> web.Response:
        asked = (request.query.get("period") or "").strip()
        try:
            period = period_of(asked) if asked else quarter_of(today())
        except Problem as p:
            return form(request, status=400, asked=asked[:40], error=say(p))
        figures = await kept.get(period.label, s.clock.now(), lambda: count(period))
        return form(request, period=period, asked=period.label, figures=figures)

    async def download(request: web.Request) -> web.StreamResponse:
        data = await request.post()
        asked = str(data.get("period") or "").strip()
        try:
            period = period_of(asked)
        except Problem as p:
            return form(request, status=400, asked=asked[:40], error=say(p))
        staff = console.staff(request)
        folder = private_folder("report")
        try:
            built = await _build(period, folder, staff.actor)
            seal(built.xlsx, built.png)
            await console.audit(request, "reports.download", period=period.label,
                                file=file_name(period))
            response = web.StreamResponse(headers={
                "Content-Type": XLSX, "Cache-Control": "no-store",
                "Content-Disposition": f'attachment; filename="{file_name(period)}"'})
            response.content_length = built.xlsx.stat().st_size
            await response.prepare(request)
            with built.xlsx.open("rb") as f:
                while chunk := f.read(256 * 1024):
                    await response.write(chunk)
            await response.write_eof()
            return response
        except Problem as p:
            return form(request, status=400, period=period, asked=period.label,
                        error=say(p))
        finally:
            discard_folder(folder)

    async def _build(period: Period, folder, actor: str) -> Any:
        from ...report_worker import Where, build_report_apart

        return await build_report_apart(s.store, Where.of(s.settings), period,
                                        folder / file_name(period), t, by=actor, now=s.clock.now())

    router.add_get(AREA.path, index)
    router.add_post(AREA.path + "/download", download)
