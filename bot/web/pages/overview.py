"""The console's Overview (issue #16): members receiving news, stopped and blocked, by
channel and by commune; new members per week; the Đề án indicators of this year
against their targets; the last broadcasts with their progress.

The figures are those of /thongke, from the same store counts and services
(:func:`bot.indicators.year_so_far`, :func:`bot.broadcast.recent_standing`).  Counting
members by channel and by week reads the whole table, and the indicators take a few
tenths of a second at a province's size, so these are kept (:class:`Kept`: one copy
for every staff member, nothing personal in it), counted again in the background
once older than :data:`KEEP_SECONDS`, and the page says when they were counted.
The broadcasts are read on every request (kept counts, a few rows) and refresh
themselves while one is sending."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from ... import channels as registry
from ...broadcast import recent_standing
from ...i18n import N_, Translator
from ...indicators import Progress, year_so_far
from ...text import shorten
from .. import charts
from . import Area

log = logging.getLogger(__name__)

AREA = Area("overview", N_("Overview"), "/overview")
KEEP_SECONDS = 60
WEEKS = 26
TOP_COMMUNES = 10
RECENT = 5
SENDING = ("scheduled", "sending", "awaiting_approval")


class Kept:
    """Figures counted again at most once per ``seconds`` of the bot's clock, per key.

    Only the first request for a key waits for the counting (a second one meanwhile
    waits for the same count).  Later, figures older than ``seconds`` are still shown
    while a fresh count runs in the background for the next request; figures older
    than ``stale`` are not shown: that request waits for the fresh count."""

    def __init__(self, seconds: float, stale: float | None = None) -> None:
        self.seconds = seconds
        self.stale = stale if stale is not None else 10 * seconds
        self._held: dict[Any, tuple[datetime, Any]] = {}  # key → (counted at, figures)
        self._counting: dict[Any, asyncio.Future] = {}

    def _count(self, key: Any, now: datetime, make: Callable[[], Awaitable[Any]]) -> asyncio.Future:
        fut = self._counting.get(key)
        if fut is None:
            async def run() -> Any:
                try:
                    value = await make()
                    if len(self._held) > 32:  # a few periods at most: never grows without end
                        self._held.clear()
                    self._held[key] = (now, value)
                    return value
                finally:
                    self._counting.pop(key, None)

            fut = self._counting[key] = asyncio.ensure_future(run())
            fut.add_done_callback(_quiet)
        return fut

    async def get(self, key: Any, now: datetime, make: Callable[[], Awaitable[Any]]) -> Any:
        held = self._held.get(key)
        age = (now - held[0]).total_seconds() if held else None
        if held is not None and age is not None and age < self.seconds:
            return held[1]
        fut = self._count(key, now, make)
        if held is not None and age is not None and age < self.stale:
            return held[1]  # shown with its time while the fresh count runs
        return await asyncio.shield(fut)


def _quiet(fut: asyncio.Future) -> None:
    if not fut.cancelled() and fut.exception() is not None:
        log.warning("console: counting the figures failed: %s", fut.exception())


@dataclass(slots=True)
class Figures:
    at: datetime
    counts: dict[str, int]
    channels: list[tuple[str, dict[str, int]]]
    communes: list[tuple[str | None, int]]
    weeks: list[tuple[date, int]]
    progress: Progress


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def weekly(store: Any, zone: Any, now: datetime, weeks: int = WEEKS) -> list[tuple[date, int]]:
    """New members per local week (Monday first), the last ``weeks`` weeks, oldest first."""
    first = week_start(now.astimezone(zone).date()) - timedelta(weeks=weeks - 1)
    since = datetime.combine(first, time(), zone)
    got: dict[date, int] = {first + timedelta(weeks=i): 0 for i in range(weeks)}
    for hour, n in await store.members.joined_by_hour(since):
        try:
            at = datetime.fromisoformat(hour + ":00:00+00:00")
        except ValueError:
            continue
        week = week_start(at.astimezone(zone).date())
        if week in got:
            got[week] += n
    return sorted(got.items())


def progress_bars(t: Translator, progress: Progress) -> list[charts.Bar]:
    """Each indicator as a bar: value / target (share of the target), as /thongke says it."""
    out = []
    for r in progress.results:
        unit = "%" if r.indicator.unit == "percent" else ""
        value = t.number(round(r.value, 1)) + unit
        if r.target:
            text = f"{value} / {t.number(r.target)}{unit} ({t.number(round((r.of_target or 0) * 100))}%)"
        else:
            text = value
        out.append(charts.Bar(r.indicator.short, r.of_target, text))
    return out


def progress_chart(t: Translator, progress: Progress) -> Any:
    if not progress.results:
        return None
    return charts.bars(progress_bars(t, progress),
                       title=t.plain("Progress against the targets — {period}",
                                     period=progress.period.title(t)))


def channel_title(t: Translator, name: str) -> str:
    return t.plain(registry.title(name)) if name in registry.names() else name


def routes(console, router: web.UrlDispatcher) -> None:
    kept = Kept(KEEP_SECONDS)
    s = console.services
    t = console.t

    async def count() -> Figures:
        now = s.clock.now()
        store = s.store
        counts, by_channel, by_commune, weeks, progress = await asyncio.gather(
            store.members.counts(), store.members.counts_by_channel(),
            store.members.count_by("commune_code"), weekly(store, t.zone, now),
            year_so_far(store, s.library.targets, t.zone, s.communes, now))
        return Figures(now, counts, by_channel, by_commune, weeks, progress)

    def commune_name(code: str | None) -> str:
        c = s.communes.get(code) if code else None
        return c.name if c else t.plain("(not given)")

    async def broadcasts() -> list[dict[str, Any]]:
        from handlers.broadcasts import STATE_NAMES

        out = []
        for st in await recent_standing(s.store, RECENT):
            b = st.broadcast
            out.append({"id": b.id, "text": shorten(b.text.replace("**", "").replace("__", ""), 80),
                        "state": t.plain(STATE_NAMES[b.state]) if b.state in STATE_NAMES else b.state,
                        "live": b.state in SENDING, "urgent": b.urgent, "counts": st.counts,
                        "planned": st.planned, "replied": st.replied, "failure": b.failure,
                        "done": (st.planned - st.counts.get("pending", 0)) / st.planned
                        if st.planned else 0.0})
        return out

    console.warmups.append(lambda: kept.get("overview", s.clock.now(), count))

    async def index(request: web.Request) -> web.Response:
        figures: Figures = await kept.get("overview", s.clock.now(), count)
        show_all = request.query.get("communes") == "all"
        communes = figures.communes if show_all else figures.communes[:TOP_COMMUNES]
        weeks = figures.weeks
        chart_weeks = charts.columns([(t.date(d)[:5], n) for d, n in weeks],
                                     title=t.plain("New members per week"))
        return console.page(
            request, "overview_index.html", title=AREA.title, figures=figures,
            at=figures.at.astimezone(t.zone).strftime("%H:%M"),
            by_channel=[(channel_title(t, name), c) for name, c in figures.channels],
            communes=[(commune_name(code), n) for code, n in communes],
            more=len(figures.communes) > TOP_COMMUNES and not show_all,
            all_communes=len(figures.communes), show_all=show_all,
            joined=sum(n for _, n in weeks), chart_weeks=chart_weeks,
            chart_progress=progress_chart(t, figures.progress),
            progress=figures.progress, period_title=figures.progress.period.title(t),
            broadcasts=await broadcasts())

    async def recent(request: web.Request) -> web.Response:
        return console.page(request, "overview_broadcasts.html", broadcasts=await broadcasts())

    router.add_get(AREA.path, index)
    router.add_get(AREA.path + "/broadcasts", recent)
