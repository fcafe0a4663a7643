"""The reporting calendar: the report goes to the staff chat on its own at each
quarter's end (17:00 on the last day; at the end of June and December also the
half-year), and on 5 November at 08:00 the year's report so far (the union's
yearly report is due in November).

``ReportCalendar.tick`` sends what is due and not yet sent; ``reports_sent``
remembers each period, so a restart never sends one twice, and a report missed
while the bot was down is still sent within :data:`GRACE` after it fell due.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from .clock import Clock
from .config import Settings
from .content import Library
from .delivery import Delivery
from .geo import Communes
from .i18n import translator
from .indicators import parse_period
from .render import render
from .store import Store

log = logging.getLogger(__name__)

GRACE = timedelta(days=7)
QUARTER_END = time(17, 0)
YEARLY = (11, 5, time(8, 0))  # 5 November, 08:00


def slots(year: int) -> list[tuple[date, time, tuple[str, ...]]]:
    """(day, local time, periods) of one year's reports, in order."""
    return [
        (date(year, 3, 31), QUARTER_END, (f"{year}-Q1",)),
        (date(year, 6, 30), QUARTER_END, (f"{year}-Q2", f"{year}-H1")),
        (date(year, 9, 30), QUARTER_END, (f"{year}-Q3",)),
        (date(year, YEARLY[0], YEARLY[1]), YEARLY[2], (str(year),)),
        (date(year, 12, 31), QUARTER_END, (f"{year}-Q4", f"{year}-H2")),
    ]


def due(now: datetime, zone: ZoneInfo, sent: set[str]) -> list[str]:
    """Periods whose report fell due in the last :data:`GRACE` and was not sent."""
    year = now.astimezone(zone).year
    out = []
    for y in (year - 1, year):
        for day, at, periods in slots(y):
            when = datetime.combine(day, at, zone)
            if when <= now < when + GRACE:
                out += [p for p in periods if p not in sent]
    return out


class ReportCalendar:
    """Builds each due report and sends the chart and the workbook to the staff chat."""

    def __init__(self, settings: Settings, store: Store, delivery: Delivery, clock: Clock,
                 communes: Communes, library: Callable[[], Library]) -> None:
        self.settings = settings
        self.store = store
        self.delivery = delivery
        self.clock = clock
        self.communes = communes
        self.library = library
        self.folder = Path(settings.db).parent / "reports"  # a copy of each report sent stays here
        self._busy = asyncio.Lock()

    async def tick(self, now: datetime | None = None) -> list[str]:
        """Send every due report not sent yet; returns the periods sent."""
        now = now or self.clock.now()
        target = self.settings.staff_chat
        if not target or target[0] not in self.delivery.channels:
            return []
        async with self._busy:
            done = []
            for label in due(now, self.settings.zone, await self.store.reporting.sent_reports()):
                try:
                    if await self._send(label, target, now):
                        done.append(label)
                except Exception:
                    log.exception("report %s not sent; trying again later", label)
            return done

    async def _send(self, label: str, target: tuple[str, str], now: datetime) -> bool:
        from .report_worker import Where, build_report_apart
        from .reports import report_messages

        t = translator(self.settings.locale, self.settings.tz)
        period = parse_period(label)
        self.folder.mkdir(parents=True, exist_ok=True)
        out = self.folder / f"bao-cao-{label}.xlsx"
        for old in (out, out.with_suffix(".png")):  # left by an attempt that was not delivered
            old.unlink(missing_ok=True)
        # In a child process (bot.report_worker): farmers are answered meanwhile.
        built = await build_report_apart(self.store, Where.of(self.settings), period, out, t,
                                         by="calendar", now=now)
        if not await self.store.reporting.claim_report(label, now):
            return False  # another process sent it meanwhile
        channel, chat_id = target
        caps = self.delivery.channels[channel].caps
        msgs = [m for r in report_messages(t, built, documents=caps.documents) for m in render(r, caps)]
        for msg in msgs:
            try:
                outcome = await self.delivery.send(channel, chat_id, msg, high=False)
            except BaseException:
                await self.store.reporting.release_report(label)
                raise
            if outcome.status != "sent":
                await self.store.reporting.release_report(label)
                log.warning("report %s not delivered (%s); trying again later", label, outcome.reason)
                return False
        log.info("report %s sent to the staff chat", label)
        return True
