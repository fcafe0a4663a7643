"""Wiring: settings → store, content, router and handlers, delivery, engine,
channels, scheduler.  ``App.run`` serves every configured channel until told
to stop and then shuts down cleanly."""

from __future__ import annotations

import asyncio
import logging
import signal
import time as _time
from collections.abc import Awaitable, Callable, Iterable
from datetime import timedelta

from . import channels as registry
from .broadcast import Broadcaster, series_tick
from .channels import Channel, CommandList, Wiring
from .channels.webserver import WebServer
from .clock import Clock, SystemClock
from .config import Settings
from .content import ContentError, Library, load_library, signature
from .delivery import Delivery
from .direct import DirectSender, send_later
from .engine import Engine, Services
from .faq.service import FaqService, faq_service
from .geo import communes_of
from .i18n import Translator, check_catalogs, md_escape
from .inbox import Inbox
from .render import render
from .report_calendar import ReportCalendar
from .retention import Retention
from .router import Router
from .scheduler import build_scheduler, schedule_series
from .store import Store
from .training import CourseNotices
from .types import Reply

log = logging.getLogger(__name__)


def build_router() -> Router:
    import handlers

    router = Router()
    handlers.register(router)
    return router


def command_lists(router: Router) -> tuple[CommandList, CommandList]:
    """(default, staff) command lists per language for a platform's command menu."""
    default: dict[str, list[tuple[str, str]]] = {"vi": [], "en": []}
    staff: dict[str, list[tuple[str, str]]] = {"vi": [], "en": []}
    for lang in ("vi", "en"):
        t = Translator(lang)
        for cmd in router.ordered:
            if not cmd.listed:
                continue
            name = cmd.names[0] if lang == "vi" or len(cmd.names) == 1 else cmd.names[1]
            entry = (name, t.plain(cmd.description))
            staff[lang].append(entry)
            if not cmd.staff:
                default[lang].append(entry)
    return default, staff


def build_channels(settings: Settings, router: Router, webserver: WebServer | None,
                   store: Store, clock: Clock,
                   notify: Callable[[str], Awaitable[None]] | None = None) -> list[Channel]:
    """Every registered channel that its settings turn on (bot/channels: the registry)."""
    default, staff = command_lists(router)
    channels: list[Channel] = []
    for kind in registry.kinds():
        wiring = Wiring(
            store=store,
            clock=clock,
            webserver=webserver,
            commands=default,
            staff_commands=staff,
            admins=tuple(sorted(i for c, i in settings.admins if c == kind.name)),
            staff_chat=settings.staff_chat[1] if settings.staff_chat and
            settings.staff_chat[0] == kind.name else None,
            notify=notify,
        )
        channel = kind.build(settings.channels[kind.name], wiring)
        if channel is not None:
            channels.append(channel)
    return channels


class App:
    """The whole bot in one process."""

    def __init__(
        self,
        settings: Settings,
        channels: Iterable[Channel] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self._given_channels = list(channels) if channels is not None else None
        self.webserver: WebServer | None = None
        self._last_alert = 0.0

    async def open(self) -> App:
        """Load and check everything; raises before anything is served."""
        s = self.settings
        if any(getattr(c, "terminal", False) for c in self._given_channels or ()):
            from .channels.console import quiet_logs

            self._loud = quiet_logs()  # the chat: no INFO lines among the messages
        check_catalogs()
        library = load_library(s.content)
        self.store = await Store(s.db).open()
        try:
            return self._wire(library)
        except BaseException:
            await self.store.close()  # its connections' threads would keep the process alive
            raise

    def _wire(self, library: Library) -> App:
        s = self.settings
        self.router = build_router()
        if s.needs_webserver():  # one server for every webhook and the staff console
            self.webserver = WebServer(*s.webhook_listen)
        if self._given_channels is None:
            self.channels = build_channels(s, self.router, self.webserver, self.store, self.clock,
                                           lambda text: self.notify_staff(text, always=True))
        else:
            self.channels = self._given_channels
        self.delivery = Delivery({c.name: c for c in self.channels}, self.store, self.clock)
        self.services = Services(
            settings=s,
            store=self.store,
            clock=self.clock,
            communes=communes_of(s.province),
            library=library,
            router=self.router,
            delivery=self.delivery,
            notify_staff=self.notify_staff,
            faq=faq_service(library),
        )
        self.services.faq.ranker(s.locale)  # build the index now, not on the first question
        self.engine = Engine(self.services)
        self.inbox = Inbox(self.store, self.engine, self.delivery, self.clock,
                           {c.name: c for c in self.channels}, grace=s.stop_grace,
                           keep=timedelta(hours=s.journal_keep))
        # Workers keep no snapshot of the content: they read self.services when they run.
        self.broadcaster = Broadcaster(s, self.store, self.delivery, self.clock,
                                       notify=lambda text: self.notify_staff(text, always=True),
                                       library=lambda: self.services.library)
        self.services.wake_sender = self.broadcaster.kick
        # Messages staff send one person from the console: stored, then sent by this worker.
        self.direct = DirectSender(self.store, self.delivery, self.clock, s.tz)
        self.services.send_later = self._send_later
        if s.console and self.webserver is not None:
            from .web import Console

            self.console = Console(self.services)
            self.console.mount(self.webserver.app)
        self.notices = CourseNotices(s, self.store, self.delivery, self.clock, self.services.communes)
        self.reports = ReportCalendar(s, self.store, self.delivery, self.clock, self.services.communes,
                                      lambda: self.services.library)
        # The nightly retention job: a list of steps (Retention.steps), one more per kind of row.
        self.retention = Retention(s, self.store, self.clock)
        return self

    async def _send_later(self, member_id: int, reply: Reply, by: str) -> int:
        return await send_later(self.store, member_id, reply, by, self.clock.now(), self.direct.kick)

    async def reload_content(self) -> bool:
        """Load the content again; keep the old library if the new one has problems."""
        def load() -> tuple[Library, FaqService]:
            library = load_library(self.settings.content)
            faq = faq_service(library)
            faq.ranker(self.settings.locale)
            return library, faq

        try:
            library, faq = await asyncio.to_thread(load)
        except ContentError as e:
            log.error(
                "content not reloaded (%d problem(s)); keeping the previous content:\n%s",
                len(e.problems), "\n".join(e.problems[:20]),
            )
            return False
        except Exception:  # a loader bug must not take the watcher (or SIGHUP) down with it
            log.exception("content not reloaded (unexpected error); keeping the previous content")
            return False
        self.services.library, self.services.faq = library, faq
        if getattr(self, "scheduler", None):
            schedule_series(self.scheduler, library, self.settings.zone, self.series_tick)
        log.info("content reloaded: %d article(s), %d FAQ entries",
                 len(library.articles.get("vi", {})), len(library.faq.get("vi", {})))
        return True

    async def series_tick(self, series_id: str) -> list[int]:
        return await series_tick(self.store, self.services.library, self.services.communes,
                                 series_id, self.clock.now())

    async def checkin_tick(self) -> list[int]:
        from .checkin import CheckinScheduler

        s = self.services
        return await CheckinScheduler(self.store, s.library, s.communes, self.settings, self.clock).tick()

    async def watch_content(self, every: float = 3.0) -> None:
        """Reload when a content file changes (checked every few seconds).  Nothing
        stops it but cancelling: a failed look or reload is logged, the old content
        stays, and it keeps watching."""
        last: tuple | None = None
        while True:
            try:
                now = await asyncio.to_thread(signature, self.settings.content)
                if last is not None and now != last:
                    await self.reload_content()
                last = now
            except Exception:
                log.exception("content watcher: looking for changes failed; trying again")
                last = ("unreadable",)  # reload once it can be read again
            await asyncio.sleep(every)

    async def notify_staff(self, text: str, *, always: bool = False) -> None:
        """Tell the staff chat (at most one alert a minute, so errors cannot flood it;
        ``always`` for a notice sent once per event, such as a broadcast stopped)."""
        target = self.settings.staff_chat
        now = _time.monotonic()
        if not target or target[0] not in self.delivery.channels:
            return
        if not always:
            if now - self._last_alert < 60:
                return
            self._last_alert = now
        channel, chat_id = target
        for msg in render(Reply(md_escape(text)), self.delivery.channels[channel].caps):
            await self.delivery.send(channel, chat_id, msg, high=False)

    async def start(self) -> None:
        # What was stored before a restart is queued first; then the channels take
        # new updates into the journal (webhook channels add their routes here).
        await self.inbox.recover()
        for ch in self.channels:
            await ch.start(self.inbox.sink(ch.name))
            log.info("channel %s started", ch.name)
        self.inbox.start()
        if self.webserver:
            await self.webserver.start()
        if getattr(self, "console", None) is not None:
            self._warm = asyncio.get_running_loop().create_task(self.console.warm(), name="console-warm")
        await self.broadcaster.recover()
        self._sender = asyncio.get_running_loop().create_task(self.broadcaster.run(), name="broadcasts")
        await self.direct.recover()
        self._direct = asyncio.get_running_loop().create_task(self.direct.run(), name="direct")
        self.scheduler = build_scheduler(self.store, self.clock, self.settings.zone)
        schedule_series(self.scheduler, self.services.library, self.settings.zone, self.series_tick)
        # Course reminders and notices are rows; this job works through the due ones
        # (also those that fell due while the bot was down: the first run is now).
        self.scheduler.add_interval("course_notices", self.notices.tick, seconds=20, first_now=True)
        # Check-ins open, invite and remind from rows too: a run missed while down still opens.
        self.scheduler.add_interval("checkins", self.checkin_tick, seconds=60, first_now=True)
        # Reports on the calendar (quarter ends, half-year, November): sent once each,
        # also after a restart within a week of falling due.
        self.scheduler.add_interval("reports", self.reports.tick, seconds=300, first_now=True)
        # Old delivery rows become counts (and the like, step by step), at night.
        self.scheduler.add_cron("retention", self.retention.run, hour=3, minute=40, grace=6 * 3600)
        self.scheduler.start()

    async def stop(self) -> None:
        # First take no new update and finish those in hand (bounded), replies included.
        if getattr(self, "inbox", None) is not None:
            await self.inbox.stop()
        if getattr(self, "scheduler", None) and self.scheduler.running:
            self.scheduler.shutdown()
        # Close delivery first: a reply waiting out a long 429 pause must not hold
        # up the channels, which wait for the updates they are still handling.
        # Broadcast copies not yet tried go back to pending; calls already made finish.
        self.broadcaster.stopping = True
        self.notices.stopping = True
        self.direct.stopping = True
        self.direct.kick()
        await self.delivery.close()
        await self.notices.stop()
        direct = getattr(self, "_direct", None)
        if direct is not None:
            try:
                await asyncio.wait_for(direct, 10)
            except (TimeoutError, asyncio.CancelledError):
                pass
        sender = getattr(self, "_sender", None)
        if sender is not None:
            if not self.broadcaster.busy:
                sender.cancel()  # only waiting for its next look
            try:
                await asyncio.wait_for(sender, 15)
            except (TimeoutError, asyncio.CancelledError):
                pass
        for ch in self.channels:
            try:
                await ch.stop()
            except Exception:
                log.exception("channel %s did not stop cleanly", ch.name)
        warm = getattr(self, "_warm", None)
        if warm is not None and not warm.done():
            warm.cancel()
        if self.webserver:
            await self.webserver.stop()
        await self.store.close()
        loud = getattr(self, "_loud", None)
        if loud is not None:
            loud()  # the log shows INFO again (the chat has ended)

    async def serve(self) -> None:
        """Run until SIGINT or SIGTERM."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: loop.create_task(self.reload_content()))
        try:
            await self.start()
        except BaseException:
            await self.stop()  # release what was opened, so that the process can exit
            raise
        watcher = loop.create_task(self.watch_content(), name="content-watch")
        log.info("Nhà Nông is running (%s)", ", ".join(c.name for c in self.channels))
        try:
            await stop.wait()
        finally:
            log.info("shutting down")
            watcher.cancel()
            await self.stop()
