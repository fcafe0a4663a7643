"""The one small web server that receives platform webhooks (aiohttp).

Each channel in webhook mode adds a POST route and checks its own secret
header; the server only listens, routes and answers.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from . import Sink

log = logging.getLogger(__name__)

RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def hand_over(sink: Sink, update_id: str, payload: dict, what: str) -> tuple[bool, web.Response | None]:
    """A webhook's update given to the core's sink (stored before the platform is
    answered): (new, None) once stored; (False, 503) while the bot is stopping and
    (False, 500) when it could not be stored, so that the platform delivers it again.
    ``what`` names it in the log ("telegram: webhook update 5")."""
    from . import Refused

    try:
        return await sink(update_id, payload), None
    except Refused:
        return False, web.Response(status=503, headers={"Retry-After": "5"})
    except Exception as e:
        log.error("%s not stored (%s: %s); the platform will deliver it again", what,
                  type(e).__name__, e)
        return False, web.Response(status=500)


class WebServer:
    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.app = web.Application(client_max_size=1024 * 1024)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    def add_post(self, path: str, handler: RouteHandler, *, header: str, secret: str,
                 probe: Callable[[bytes], bool] | None = None) -> None:
        """Route POSTs on ``path`` to ``handler``; a request whose ``header`` does not
        carry ``secret`` (compared in constant time) is refused with 403 first.
        ``probe``: the platform's empty checks of the address (true for their body),
        answered 200 at once, with or without the secret, and never handed on."""

        async def guarded(request: web.Request) -> web.StreamResponse:
            if probe is not None and probe(await request.read()):
                return web.json_response({"ok": True})
            given = request.headers.get(header, "")
            if not hmac.compare_digest(given.encode(), secret.encode()):
                log.warning("webhook %s: request with a wrong or missing secret refused", path)
                return web.Response(status=403)
            return await handler(request)

        self.app.router.add_post(path, guarded)

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


def derived_secret(salt: bytes, token: str) -> str:
    """A webhook secret derived from the bot token when none is configured."""
    return hashlib.sha256(salt + token.encode()).hexdigest()[:48]
