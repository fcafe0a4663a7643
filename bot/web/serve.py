"""``python -m bot web``: the staff console in a process of its own.

For a deployment where the console runs apart from the bot (another machine's
proxy in front of it, a restart of one without the other).  It opens the same
database and content as ``run`` and serves only /console/.  It receives nothing
from the platforms and sends nothing itself: what staff do is written to the store,
and the bot's ``run`` carries it out — broadcasts start within a few seconds, course
notices go with the next notice round, answers to farmers are stored
(bot/direct.py) and sent by the bot's worker.  Without channels in this process, the
broadcast preview counts the audience without the channels' limits (quota, window)."""

from __future__ import annotations

import asyncio
import logging
import signal

from ..channels.webserver import WebServer
from ..clock import Clock
from ..config import Settings
from ..content import load_library
from ..delivery import Delivery
from ..direct import send_later
from ..engine import Services
from ..faq.service import faq_service
from ..geo import communes_of
from ..i18n import N_, Problem
from ..store import Store
from ..types import Reply
from .app import Console

log = logging.getLogger(__name__)

NO_ADDRESS = N_("the console needs NHANONG_PUBLIC_URL (the address staff open in their browser)")


async def serve(settings: Settings, listen: tuple[str, int], clock: Clock,
                started: asyncio.Event | None = None) -> int:
    if not settings.console:
        raise Problem(NO_ADDRESS)
    from ..app import build_router

    library = load_library(settings.content)
    store = await Store(settings.db).open()
    server: WebServer | None = None
    try:
        async def later(member_id: int, reply: Reply, by: str) -> int:
            return await send_later(store, member_id, reply, by, clock.now())

        services = Services(settings=settings, store=store, clock=clock,
                            communes=communes_of(settings.province), library=library,
                            router=build_router(), delivery=Delivery({}, store, clock),
                            faq=faq_service(library), send_later=later)
        server = WebServer(*listen)
        console = Console(services)
        console.mount(server.app)
        await server.start()
        warm = asyncio.get_running_loop().create_task(console.warm(), name="console-warm")
        log.info("console listening on %s:%s (%s/console/)", server.host, server.port,
                 settings.public_url.rstrip("/"))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        if started is not None:
            started.set()
        await stop.wait()
        log.info("console shutting down")
        warm.cancel()
        return 0
    finally:
        if server is not None:
            await server.stop()
        await store.close()
