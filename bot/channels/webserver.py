"""The one small web server that receives platform webhooks (aiohttp).

Each channel in webhook mode adds a POST route and checks its own secret
header; the server only listens, routes and answers.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

log = logging.getLogger(__name__)

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebServer:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.app = web.Application(client_max_size=1024 * 1024)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    def add_post(self, path: str, handler: RouteHandler) -> None:
        self.app.router.add_post(path, handler)

    async def start(self) -> None:
        self.app.router.add_get("/healthz", self._health)
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, self.host, self.port)
        await self._site.start()
        sockets = getattr(self._site._server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        log.info("webhook server listening on %s:%s", self.host, self.port)

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def _health(self, request: web.Request) -> web.Response:
        return web.Response(text="ok")
