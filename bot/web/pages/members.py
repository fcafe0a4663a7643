"""The console's Members area (issue #16): search by name (with or without
accents), phone number or commune, a page at a time; a member's profile (their
phone number: the view is audited), their course registrations and their questions.

The search is :func:`bot.member_search.lookup`, the one ``python -m bot members
find`` uses."""

from __future__ import annotations

from aiohttp import web

from ...channels import title as channel_title
from ...course_sheets import STATUS
from ...i18n import N_
from ...member_search import lookup
from ...phone import show_phone
from ...roles import ROLES
from . import Area

AREA = Area("members", N_("Members"), "/members")
PAGE = 20
UNKNOWN_COMMUNE = N_("There is no commune or ward “{name}” in the province.")


def routes(console, router: web.UrlDispatcher) -> None:
    s = console.services
    t = console.t

    def _commune_name(code):
        c = s.communes.get(code)
        return c.name if c else ""

    async def index(request: web.Request) -> web.Response:
        q = request.query.get("q", "").strip()[:100]
        where = request.query.get("commune", "").strip()[:100]
        raw = request.query.get("page", "1")
        page = min(max(1, int(raw)), 10000) if raw.isdigit() and len(raw) < 6 else 1
        error = None
        code = None
        if where:
            c = s.communes.get(where) or s.communes.match(where).exact
            if c is None:
                error = t.plain(UNKNOWN_COMMUNE, name=where)
            else:
                code = c.code
        found, more = [], False
        if (q or code) and not error:
            found = await lookup(s.store, q, commune_code=code, offset=(page - 1) * PAGE,
                                 limit=PAGE + 1)
            more = len(found) > PAGE
            found = found[:PAGE]
            await console.audit(request, "members.find", found=[m.id for m in found], page=page)
        rows = [{"m": m, "name": m.full_name or m.name or "?",
                 "also": m.name if m.full_name and m.name and m.name != m.full_name else "",
                 "commune": _commune_name(m.commune_code),
                 "role": ROLES.get(m.role or "", ""), "channel": channel_title(m.channel)}
                for m in found]
        return console.page(request, "members_list.html", q=q, where=where, rows=rows,
                            page=page, more=more, error=error, searched=bool(q or where),
                            communes=[c.name for c in s.communes])

    async def profile(request: web.Request) -> web.Response:
        raw = request.match_info["id"]
        member = await s.store.members.get(int(raw)) if raw.isdigit() and len(raw) < 10 else None
        if member is None:
            raise web.HTTPNotFound()
        await console.audit(request, "member.view", member=member.id)
        labels = {tid: v.get(t.locale) or tid for tid, v in s.library.topics.items()}
        if member.blocked:
            state = N_("Blocked the bot")
        elif member.subscribed:
            state = N_("Gets the news")
        elif member.consented:
            state = N_("Stopped receiving news")
        else:
            state = N_("Not subscribed yet")
        registrations = [{"r": r, "c": c, "status": STATUS.get(r.status, r.status)}
                         for r, c in await s.store.courses.history_of(member.id)]
        questions = await s.store.questions.asked_by(member.id)
        return console.page(
            request, "members_profile.html", member=member, state=state,
            channel=channel_title(member.channel), commune=_commune_name(member.commune_code),
            role=ROLES.get(member.role or "", ""),
            phone=show_phone(member.phone) if member.phone else "",
            topics=[labels.get(x, x) for x in member.topics], registrations=registrations,
            questions=questions)

    router.add_get(AREA.path, index)
    router.add_get(AREA.path + "/{id}", profile)
