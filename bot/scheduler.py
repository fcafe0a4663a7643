"""The periodic jobs, run on the app's Clock.

A small scheduler: interval and cron jobs (cron in the configured zone), each
kept by id so it can be added, replaced or removed while running.  APScheduler's
trigger classes compute the fire times; the waiting is ``Clock.sleep``
(passive: a test clock in auto mode does not hurry it), so the virtual time of
the tests and the real time of production are the same code path.

Rules, as the jobs need them: missed beats are coalesced into one run (a clock
moved three days ahead, or a machine that slept, runs each job once); a job
never runs twice at once (a beat that finds it still running is skipped); with
a misfire ``grace`` a run is dropped when its latest missed beat is older than
that; an exception in a job is logged and the job keeps its schedule.

Schedules are rows in the store or files in the content; jobs are rebuilt from
them at start.  The housekeeping job forgets flows abandoned a month ago.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .clock import Clock, wake_early
from .store import Store

log = logging.getLogger(__name__)

ABANDONED_AFTER = timedelta(days=30)
LONGEST_NAP = 60.0  # seconds: the real clock's wall time is looked at again at least this often
_TICK = timedelta(microseconds=1)


@dataclass
class Job:
    id: str
    func: Callable[..., Awaitable[Any]]
    args: tuple[Any, ...]
    trigger: BaseTrigger
    next_run: datetime | None
    grace: float | None  # seconds a beat may be late and still run; None: always run
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()


class Scheduler:
    """Runs async jobs at their beats, on ``clock``."""

    def __init__(self, clock: Clock, zone: tzinfo) -> None:
        self.clock = clock
        self.zone = zone
        self._jobs: dict[str, Job] = {}
        self._changed = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None

    # -- jobs, by id -------------------------------------------------------------------
    def add_cron(self, job_id: str, func: Callable[..., Awaitable[Any]], *args: Any,
                 grace: float | None = None, **fields: Any) -> Job:
        """A job at cron fields (``day_of_week``, ``hour``, ``minute``...) in the zone."""
        return self.add(job_id, func, CronTrigger(timezone=self.zone, **fields), *args, grace=grace)

    def add_interval(self, job_id: str, func: Callable[..., Awaitable[Any]], *args: Any,
                     seconds: float, first_now: bool = False, grace: float | None = None) -> Job:
        """A job every ``seconds`` from now; ``first_now``: its first run is now, not
        one interval from now."""
        now = self.clock.now()
        trigger = IntervalTrigger(seconds=seconds, start_date=now, timezone=self.zone)
        return self.add(job_id, func, trigger, *args, grace=grace, first=now if first_now else None)

    def add(self, job_id: str, func: Callable[..., Awaitable[Any]], trigger: BaseTrigger, *args: Any,
            grace: float | None = None, first: datetime | None = None) -> Job:
        """Add the job, replacing one with the same id (a run in progress finishes)."""
        old = self._jobs.get(job_id)
        job = Job(job_id, func, args, trigger, first or self._after(trigger, self.clock.now()), grace,
                  task=old.task if old else None)
        self._jobs[job_id] = job
        self._changed.set()
        return job

    def remove(self, job_id: str) -> None:
        self._jobs.pop(job_id, None)
        self._changed.set()

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def jobs(self) -> list[Job]:
        return list(self._jobs.values())

    # -- running ----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._loop_task is not None and not self._loop_task.done()

    def start(self) -> None:
        self._loop_task = asyncio.get_running_loop().create_task(self._run(), name="scheduler")

    def shutdown(self) -> None:
        """No more beats; a run in progress is left to finish."""
        if self._loop_task is not None:
            self._loop_task.cancel()
            self._loop_task = None

    async def _run(self) -> None:
        while True:
            now = self.clock.now()
            for job in list(self._jobs.values()):
                if job.next_run is not None and job.next_run <= now:
                    self._beat(job, now)
            self._changed.clear()
            await wake_early(self._sleep_to_next_beat(), self._changed)  # or until the jobs change

    async def _sleep_to_next_beat(self) -> None:
        # The wait is measured when it starts, so time moved meanwhile is not slept twice.
        now = self.clock.now()
        beats = [(j.next_run - now).total_seconds() for j in self._jobs.values() if j.next_run]
        await self.clock.sleep(min([LONGEST_NAP, *beats]), passive=True)

    @staticmethod
    def _after(trigger: BaseTrigger, now: datetime) -> datetime | None:
        """The first beat strictly after ``now``."""
        return trigger.get_next_fire_time(None, now + _TICK)

    def _beat(self, job: Job, now: datetime) -> None:
        """``job`` is due: run it once for all its beats up to now, and plan the next."""
        beat = job.next_run
        assert beat is not None
        job.next_run = self._after(job.trigger, now)
        if job.next_run is None:
            self._jobs.pop(job.id, None)  # the trigger has no more beats
        if job.grace is not None and (now - beat).total_seconds() > job.grace:
            latest = job.trigger.get_next_fire_time(None, now - timedelta(seconds=job.grace))
            if latest is None or latest > now:  # no beat within the grace: missed
                log.warning("job %s missed its run at %s", job.id, beat.isoformat())
                return
        if job.running:
            log.warning("job %s is still running; this run is skipped", job.id)
            return
        job.task = asyncio.get_running_loop().create_task(self._call(job), name=f"job:{job.id}")

    @staticmethod
    async def _call(job: Job) -> None:
        try:
            await job.func(*job.args)
        except Exception:
            log.exception("job %s failed; it keeps its schedule", job.id)


def build_scheduler(store: Store, clock: Clock, zone: tzinfo) -> Scheduler:
    scheduler = Scheduler(clock, zone)

    async def prune_dialogs() -> None:
        n = await store.dialogs.prune(clock.now() - ABANDONED_AFTER)
        if n:
            log.info("cleared %d abandoned dialog(s)", n)

    scheduler.add_cron("prune_dialogs", prune_dialogs, hour=3, minute=17, grace=3600)
    return scheduler


def schedule_series(scheduler: Scheduler, library, zone: tzinfo, tick) -> int:
    """(Re)build one cron job per content series; ``tick(series_id)`` runs at each beat."""
    for job in scheduler.jobs():
        if job.id.startswith("series:"):
            scheduler.remove(job.id)
    for sr in library.series.values():
        scheduler.add(
            f"series:{sr.id}", tick,
            CronTrigger(day_of_week="*" if sr.day == "daily" else sr.day, hour=sr.hour,
                        minute=sr.minute, timezone=zone),
            sr.id, grace=3600,
        )
    return len(library.series)
