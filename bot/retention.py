"""The daily retention job: old rows become counts, the file gives space back.

A list of named steps, each ``async (now) -> result``, run one after another
once a day on the scheduler (``App.start``); a step that fails is logged and the
others still run.  Steps shipped:

- ``deliveries``: the delivery rows of broadcasts finished more than
  ``NHANONG_DELIVERIES_KEEP_DAYS`` days ago (default 30) are compacted into their
  counts (:meth:`bot.store.Broadcasts.compact`): /thongke, ``broadcast status``
  and reports show the same numbers after;
- ``reads``: openings of articles older than ``NHANONG_READS_KEEP_DAYS`` (default
  90) are summarised: a member's repeated openings of one article become the first
  (:meth:`bot.store.Reads.compact`; the counts /thongke shows are kept as members read);
- ``quota``: the rows counting broadcast copies per person for a channel's quotas
  (an official account's) of months and days that are over (local time, ``NHANONG_TZ``) are deleted
  (:meth:`bot.store.Broadcasts.prune_quota`): only the current month and day count;
- ``console``: the console's login links and sessions that ended or expired more than
  a day ago, and the messages it had sent to one person (bot/direct.py) that ended
  more than ``NHANONG_DELIVERIES_KEEP_DAYS`` days ago, are deleted;
- ``free_pages``: with incremental auto-vacuum on (``python -m bot db vacuum``
  turns it on), the pages freed are given back to the file system.

Another kind of row is one more step: ``retention.steps.insert(-1, ("reads",
step))`` (before ``free_pages``, so that its pages are given back the same night).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from .clock import Clock
from .config import Settings
from .store import Store
from .store.maintenance import free_pages

log = logging.getLogger(__name__)

Step = tuple[str, Callable[[datetime], Awaitable[Any]]]


class Retention:
    def __init__(self, settings: Settings, store: Store, clock: Clock) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.steps: list[Step] = [("deliveries", self.deliveries), ("reads", self.reads),
                                  ("quota", self.quota), ("console", self.console),
                                  ("free_pages", self.free_pages)]

    async def run(self) -> dict[str, Any]:
        """Every step once, in order; returns each step's result (None: it failed)."""
        results: dict[str, Any] = {}
        for name, step in list(self.steps):
            try:
                results[name] = await step(self.clock.now())
            except Exception:
                log.exception("retention step %s failed; the others go on", name)
                results[name] = None
        return results

    async def deliveries(self, now: datetime) -> tuple[int, int]:
        before = now - timedelta(days=self.settings.deliveries_keep_days)
        made, deleted = await self.store.broadcasts.compact(before, now)
        if made or deleted:
            log.info("retention: %d broadcast(s) compacted, %d delivery row(s) deleted",
                     made, deleted)
        return made, deleted

    async def reads(self, now: datetime) -> int:
        removed = await self.store.reads.compact(now - timedelta(days=self.settings.reads_keep_days))
        if removed:
            log.info("retention: %d repeated article opening(s) summarised", removed)
        return removed

    async def console(self, now: datetime) -> int:
        removed = await self.store.web.forget_expired(now - timedelta(days=1))
        removed += await self.store.direct.forget(now - timedelta(days=self.settings.deliveries_keep_days))
        if removed:
            log.info("retention: %d console link(s), session(s) and message(s) deleted", removed)
        return removed

    async def quota(self, now: datetime) -> int:
        local = now.astimezone(self.settings.zone)
        removed = await self.store.broadcasts.prune_quota(f"{local:%Y-%m}", f"{local:%Y-%m-%d}")
        if removed:
            log.info("retention: %d quota row(s) of past months and days deleted", removed)
        return removed

    async def free_pages(self, now: datetime) -> int:
        n = await free_pages(self.store.db)
        if n:
            log.info("retention: %d free page(s) given back to the file system", n)
        return n
