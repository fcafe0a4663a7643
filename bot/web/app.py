"""The console's web application: routes under /console/, the session check, CSRF,
the staff read lane and the audit of every action (issue #16).

:class:`Console` is given the bot's live :class:`~bot.engine.Services` (the library
and FAQ are read from it on each request, so a content reload shows at once) and
mounts itself on the bot's one web server.  Each area of the console is one module
in :mod:`bot.web.pages` with an ``AREA`` and a ``routes`` function."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from .. import channels as registry
from ..engine import Services
from ..i18n import N_, translator
from ..store import Database
from . import auth
from .render import Templates

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
PREFIX = "/console"
CONSOLE = web.AppKey("console", "Console")
STAFF = web.RequestKey("staff", "auth.Staff | None")
AREA = web.RequestKey("area", str)
AUDITED = web.RequestKey("audited", bool)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

# Paths that need no session: the login page, a login link, the shipped files.
PUBLIC = ("/", "/login/", "/static/")

NOT_LOGGED_IN = N_("You are not logged in, or your session has ended.")
BAD_FORM = N_("This form has expired. Reload the page and try again.")
NOT_FOUND = N_("This page does not exist.")


class Console:
    """The staff console, on the bot's live services."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.t = translator(services.settings.locale, services.settings.tz)
        self.templates = Templates(self.t, services.settings)
        self.secure = (services.settings.public_url or "").startswith("https://")
        # Figures an area keeps (counted once, then again in the background): counted at
        # start, so that the first staff member to open the page does not wait for them.
        self.warmups: list[Callable[[], Awaitable[Any]]] = []

    # -- for the areas -------------------------------------------------------------------
    def page(self, request: web.Request, template: str, *, status: int = 200,
             **values: Any) -> web.Response:
        """A page (or an htmx fragment) rendered for the person asking."""
        staff: auth.Staff | None = request.get(STAFF)
        html = self.templates.render(template, staff=staff, path=request.path,
                                     areas=getattr(self, "areas", []), channels=self._channels(),
                                     active=request.get(AREA), **values)
        return web.Response(text=html, status=status, content_type="text/html", charset="utf-8",
                            headers={"Cache-Control": "no-store"})

    def _channels(self) -> str:
        """The titles of the channels the bot runs on (where /web can be sent)."""
        running = self.services.delivery.channels if self.services.delivery else {}
        titles = [self.t.plain(registry.title(name)) for name in running if name in registry.names()]
        return ", ".join(titles)

    async def audit(self, request: web.Request, action: str, **detail: Any) -> None:
        """Record an action (or a view of personal data) under the person."""
        staff: auth.Staff = request[STAFF]
        request[AUDITED] = True
        await self.services.store.audit.record(staff.actor, f"web.{action}",
                                               self.services.clock.now(), **detail)

    @staticmethod
    def redirect(path: str) -> web.Response:
        """See ``path`` of the console next (after a form: the page shows the new state)."""
        return web.Response(status=303, headers={"Location": PREFIX + path})

    @staticmethod
    def staff(request: web.Request) -> auth.Staff:
        return request[STAFF]

    def problem(self, request: web.Request, msgid: str, status: int = 400, **values: Any) -> web.Response:
        return self.page(request, "problem.html", status=status,
                         message=self.t.plain(msgid, **values))

    async def warm(self) -> None:
        """Count what the areas keep (``run`` starts this beside serving; a failure is
        logged and the page counts on its first request instead)."""
        with Database.staff_lane():
            for warmup in self.warmups:
                try:
                    await warmup()
                except Exception:
                    log.exception("console: counting the figures at start failed")

    # -- mounting --------------------------------------------------------------------------
    def mount(self, root: web.Application) -> web.Application:
        from .pages import AREAS, MODULES

        app = web.Application(middlewares=[self._guard], client_max_size=12 * 1024 * 1024)
        app[CONSOLE] = self
        r = app.router
        r.add_get("/", self._home)
        r.add_get("/login/{token}", self._login_page)
        r.add_post("/login/{token}", self._login)
        r.add_post("/logout", self._logout)
        r.add_static("/static/", STATIC, append_version=True)
        self.areas = AREAS
        for module in MODULES:
            module.routes(self, r)
        root.add_subapp(PREFIX, app)
        async def bare(request: web.Request) -> web.Response:
            return web.Response(status=302, headers={"Location": PREFIX + "/"})

        root.router.add_get(PREFIX, bare)
        return app

    # -- the guard every request passes ------------------------------------------------
    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        s = self.services
        sub = request.path[len(PREFIX):] or "/"
        with Database.staff_lane():
            staff = await auth.staff_of(s.store, s.settings, s.clock.now(),
                                        request.cookies.get(auth.COOKIE))
            request[STAFF] = staff
            public = sub == "/" or sub.startswith(PUBLIC[1:])
            if staff is None and not public:
                return self._refuse(request)
            if staff is not None and request.method not in ("GET", "HEAD") \
                    and not sub.startswith("/login/"):
                form = await request.post()
                given = request.headers.get(auth.CSRF_HEADER) or form.get(auth.CSRF_FIELD)
                if not auth.csrf_ok(staff, given if isinstance(given, str) else None):
                    log.warning("console: a form without its CSRF token refused (%s %s, %s)",
                                request.method, sub, staff.actor)
                    return self.problem(request, BAD_FORM, status=403)
            for area in self.areas:
                if sub == area.path or sub.startswith(area.path + "/"):
                    request[AREA] = area.key
            try:
                response = await handler(request)
            except web.HTTPNotFound:
                return self.problem(request, NOT_FOUND, status=404)
            if staff is not None and request.method == "POST" and not request.get(AUDITED) \
                    and response.status < 400:
                # Every action is in the audit log, also one an area forgot to name.
                await s.store.audit.record(staff.actor, "web.post", s.clock.now(), path=sub)
            return response

    def _refuse(self, request: web.Request) -> web.Response:
        if request.headers.get("HX-Request"):
            return web.Response(status=401, headers={"HX-Redirect": PREFIX + "/"})
        return self.page(request, "login.html", status=401, message=self.t.plain(NOT_LOGGED_IN))

    # -- login and logout ----------------------------------------------------------------
    async def _home(self, request: web.Request) -> web.StreamResponse:
        if request[STAFF] is None:
            return self.page(request, "login.html")
        return self.redirect(self.areas[0].path)

    async def _login_page(self, request: web.Request) -> web.StreamResponse:
        s = self.services
        token = request.match_info["token"]
        if not await s.store.web.login_pending(auth.digest(token), s.clock.now()):
            return self.page(request, "login.html", status=403, refused=True)
        return self.page(request, "login_confirm.html", token=token)

    async def _login(self, request: web.Request) -> web.StreamResponse:
        s = self.services
        now = s.clock.now()
        who = await s.store.web.take_login(auth.digest(request.match_info["token"]), now)
        if who is None:
            log.warning("console: a used, expired or unknown login link refused")
            return self.page(request, "login.html", status=403, refused=True)
        sid, _ = await auth.open_session(s.store, s.settings, now, *who)
        staff = await auth.staff_of(s.store, s.settings, now, sid)
        if staff is None:  # no longer staff since the link was made
            await s.store.web.end_session(auth.digest(sid), now)
            return self.page(request, "login.html", status=403, refused=True)
        await s.store.audit.record(staff.actor, "web.login", now)
        log.info("console: %s logged in", staff.actor)
        response = self.redirect("/")
        response.set_cookie(auth.COOKIE, sid, path=PREFIX + "/", httponly=True, samesite="Lax",
                            secure=self.secure,
                            max_age=int(s.settings.console_session_hours * 3600))
        return response

    async def _logout(self, request: web.Request) -> web.StreamResponse:
        s = self.services
        staff: auth.Staff = request[STAFF]
        await s.store.web.end_session(auth.digest(request.cookies[auth.COOKIE]), s.clock.now())
        await self.audit(request, "logout")
        response = self.redirect("/")
        response.del_cookie(auth.COOKIE, path=PREFIX + "/")
        log.info("console: %s logged out", staff.actor)
        return response
