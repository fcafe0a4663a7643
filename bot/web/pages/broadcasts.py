"""The console's Broadcasts area (issue #16): not built yet."""

from __future__ import annotations

from aiohttp import web

from ...i18n import N_
from . import Area

AREA = Area("broadcasts", N_("Broadcasts"), "/broadcasts")


def routes(console, router: web.UrlDispatcher) -> None:
    async def index(request: web.Request) -> web.Response:
        return console.page(request, "todo.html", title=AREA.title)

    router.add_get(AREA.path, index)
