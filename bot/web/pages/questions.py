"""The console's Questions area (issue #16): the inbox of questions the bot handed to
staff (waiting first, then answered), one question with its history and a form to
answer it, and the questions the bot could not answer, grouped, for FAQ editors.

An answer from the page goes through :func:`bot.faq.staff.answer_question`, the relay
a reply in the staff chat uses: the farmer gets the same message on their channel
(stored, then sent once by the bot's worker), and the staff chat is told."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web

from ... import channels as registry
from ...faq import staff as relay
from ...i18n import N_
from ...roles import ROLES
from ...store.questions import InboxRow
from ...text import shorten
from ...types import Reply
from . import Area

AREA = Area("questions", N_("Questions"), "/questions")
PER_PAGE = 25
GAP_DAYS = (30, 90, 365)

EMPTY = N_("Please write an answer before sending.")
ANSWERED_HERE = N_("✅ Question #{id} was answered from the console by {name}:\n\n{answer}")


def routes(console, router: web.UrlDispatcher) -> None:
    s = console.services
    t = console.t

    def view(row: InboxRow) -> dict:
        """A question as the console lists it (names are shown only to staff, escaped)."""
        commune = s.communes.get(row.commune_code) if row.commune_code else None
        return {
            "id": row.id, "text": row.text, "asked_at": row.asked_at, "sent_at": row.sent_at,
            "answered_at": row.answered_at, "answered_by": row.answered_by,
            "rating": row.rating, "member_id": row.member_id,
            "name": row.name or "–", "commune": commune.name if commune else "–",
            "role": t.plain(ROLES[row.role]) if row.role in ROLES else "–",
            "channel": t.plain(registry.title(row.channel)),
            "status": "answered" if row.answered_at else ("waiting" if row.sent_at else "bot"),
        }

    def number(request: web.Request, key: str, default: int) -> int:
        raw = request.query.get(key, "")
        return int(raw) if raw.isdigit() and 0 < int(raw) < 1_000_000 else default

    async def index(request: web.Request) -> web.Response:
        page = number(request, "page", 1)
        waiting_n = await s.store.questions.waiting_count()
        answered_n = await s.store.questions.answered_count()
        start = (page - 1) * PER_PAGE
        rows: list[InboxRow] = []
        if start < waiting_n:
            rows = await s.store.questions.waiting(PER_PAGE, start)
        if len(rows) < PER_PAGE:
            rows += await s.store.questions.answered(PER_PAGE - len(rows),
                                                     max(0, start - waiting_n))
        pages = max(1, -(-(waiting_n + answered_n) // PER_PAGE))
        return console.page(request, "questions_index.html", rows=[view(r) for r in rows],
                            waiting=waiting_n, answered=answered_n, page=min(page, pages),
                            pages=pages)

    async def show(request: web.Request, *, message: str | None = None, draft: str = "",
                   status: int = 200) -> web.Response:
        qid = int(request.match_info["id"])
        row = await s.store.questions.row(qid)
        if row is None:
            raise web.HTTPNotFound()
        answers = await s.store.questions.answers(qid)
        others = [view(r) for r in await s.store.questions.of_member(row.member_id, 21)
                  if r.id != qid][:20]
        sent = request.query.get("sent") == "1"
        return console.page(request, "questions_show.html", status=status, q=view(row),
                            answers=answers, others=others, message=message, draft=draft,
                            sent=sent)

    async def detail(request: web.Request) -> web.Response:
        return await show(request)

    async def answer(request: web.Request) -> web.Response:
        qid = int(request.match_info["id"])
        if await s.store.questions.row(qid) is None:
            raise web.HTTPNotFound()
        form = await request.post()
        text = form.get("answer")
        text = text if isinstance(text, str) else ""
        if not text.strip():
            return await show(request, message=t.plain(EMPTY), status=400)
        who = console.staff(request)
        done = await relay.answer_question(s, qid, text, who.actor)
        if done.problem is not None:
            return await show(request, message=done.message(t, plain=True), draft=text,
                              status=400)
        await console.audit(request, "questions.answer", question=qid)
        if s.send_later is not None and done.asker is not None and done.post is not None:
            await s.send_later(done.asker.id, done.post, who.actor)
        # The staff chat learns it was answered, as it does for a reply there.
        notice = Reply(t(ANSWERED_HERE, id=qid, name=who.name, answer=shorten(text.strip(), 500)))
        await relay.post_in_staff_chat(s, notice, t)
        return console.redirect(f"{AREA.path}/{qid}?sent=1")

    async def unanswered(request: web.Request) -> web.Response:
        days = number(request, "days", 90)
        days = days if days in GAP_DAYS else 90
        since = s.clock.now() - timedelta(days=days)
        groups = []
        for g in await s.store.questions.unanswered_groups(since, 100):
            entry = s.library.faq_entry(g.best_id, t.locale) if g.best_id else None
            groups.append({"text": g.text, "asked": g.asked, "answered": g.answered,
                           "last": g.last, "closest": entry.question if entry else None,
                           "closest_id": g.best_id if entry else None, "score": g.score})
        return console.page(request, "questions_unanswered.html", groups=groups, days=days,
                            choices=GAP_DAYS)

    router.add_get(AREA.path, index)
    router.add_get(AREA.path + "/unanswered", unanswered)
    router.add_get(AREA.path + r"/{id:\d{1,12}}", detail)
    router.add_post(AREA.path + r"/{id:\d{1,12}}/answer", answer)
