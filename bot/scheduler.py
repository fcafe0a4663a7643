"""APScheduler wiring.  Schedules are rows in the store; jobs are rebuilt from
them at start (later issues add broadcasts, reminders and check-ins here).
The foundation runs one housekeeping job: forgetting flows abandoned a month ago."""

from __future__ import annotations

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from .clock import Clock
from .store import Store

log = logging.getLogger(__name__)

ABANDONED_AFTER = timedelta(days=30)


def build_scheduler(store: Store, clock: Clock, zone) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=zone)

    async def prune_dialogs() -> None:
        n = await store.dialogs.prune(clock.now() - ABANDONED_AFTER)
        if n:
            log.info("cleared %d abandoned dialog(s)", n)

    scheduler.add_job(prune_dialogs, "cron", hour=3, minute=17, id="prune_dialogs",
                      coalesce=True, misfire_grace_time=3600)
    return scheduler


def schedule_series(scheduler: AsyncIOScheduler, library, zone, tick) -> int:
    """(Re)build one cron job per content series; ``tick(series_id)`` runs at each beat."""
    for job in scheduler.get_jobs():
        if job.id.startswith("series:"):
            job.remove()
    for sr in library.series.values():
        scheduler.add_job(
            tick, "cron", args=[sr.id], id=f"series:{sr.id}", coalesce=True, misfire_grace_time=3600,
            day_of_week="*" if sr.day == "daily" else sr.day, hour=sr.hour, minute=sr.minute,
            timezone=zone,
        )
    return len(library.series)
