"""The console's Broadcasts area (issue #16): the list with live progress, the approval
queue, composing one (text, a picture, or a library article) with its audience built
from the segment fields, the count and the exact copy per channel as staff choose,
and cancel / approve / re-send to failed.

Everything goes through the services /guitin, /duyet, /huytin and /guilai use:
:func:`bot.segments.parse_segment` for the audience, :func:`bot.broadcast.audience`
(the sender's own per-copy decision) for the counts, :func:`bot.broadcast.copy_of`
rendered by the delivery for each running channel for the preview,
:func:`bot.broadcast.create_broadcast`, :func:`bot.broadcast.approve_broadcast` and
the store's cancel and resend."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web

from ... import channels as registry
from ...broadcast import (
    BroadcastError,
    approve_broadcast,
    ask_approval,
    audience,
    copy_of,
    create_broadcast,
    parse_when,
    same_person,
    teaser,
)
from ...i18n import N_
from ...roles import ROLES
from ...segments import SegmentError, parse_segment, stored_segment
from . import Area

AREA = Area("broadcasts", N_("Broadcasts"), "/broadcasts")
PER_PAGE = 10
POLL = "every 3s"
FINISHED = ("done", "cancelled", "failed")
PICTURES = {b"\xff\xd8\xff": ".jpg", b"\x89PNG": ".png"}
STATE_NAMES = {
    "draft": N_("draft"), "awaiting_approval": N_("waiting for approval"),
    "scheduled": N_("scheduled"), "sending": N_("sending"), "done": N_("sent"),
    "cancelled": N_("cancelled"), "failed": N_("failed"),
}
FORECAST = (("send", N_("will get it now")),
            ("later", N_("when the channel's hours open")),
            ("over_quota", N_("not sent: quota used up")),
            ("outside_window", N_("not sent: no recent interaction")),
            ("stopped", N_("wait: the channel is stopped")),
            ("absent", N_("wait: the channel is not running")))
OUTCOMES = (("sent", N_("Sent")), ("blocked", N_("Blocked")), ("failed", N_("Failed")),
            ("unknown", N_("Unknown")), ("pending", N_("Pending")),
            ("over_quota", N_("Over quota")), ("outside_window", N_("Outside the window")),
            ("expired", N_("Expired")), ("cancelled", N_("Cancelled")))
NOT_FOUND = N_("There is no broadcast no. {id}.")


@dataclass
class Draft:
    """What the compose form says, as the chat flow would have it."""

    text: str = ""
    image: str | None = None
    article_id: str | None = None
    segment: str = ""
    urgent: bool = False
    when: str = ""
    expires: str = ""
    send: str = "now"  # or "at": at the time in ``when``


def routes(console, router: web.UrlDispatcher) -> None:
    s = console.services
    t = console.t

    # Pictures staff upload: beside the database, readable by the bot only.
    pictures = Path(s.settings.db).resolve().parent / "console-pictures"

    def keep(path: Path, data: bytes) -> None:
        path.parent.mkdir(mode=0o700, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o600)

    # -- reading the form ------------------------------------------------------------------
    def topics() -> list[tuple[str, str]]:
        return [(key, labels[t.locale]) for key, labels in s.library.topics.items()]

    def segment_of(form) -> str:
        """The segment expression the form's controls make (checked by parse_segment)."""
        terms = []
        for name in ("commune", "role", "topic", "channel", "lang"):
            values = [v.strip() for v in form.getall(name, []) if isinstance(v, str) and v.strip()]
            if values:
                terms.append(f"{name}={'|'.join(values)}")
        for name in ("joined_after", "course", "has_ocop"):
            value = form.get(name)
            if isinstance(value, str) and value.strip():
                terms.append(f"{name}={value.strip()}")
        return ", ".join(terms)

    def draft_of(form) -> Draft:
        d = Draft(segment=segment_of(form), urgent=form.get("urgent") == "1",
                  send="at" if form.get("send") == "at" else "now")
        aid = (form.get("article") or "").strip() if isinstance(form.get("article"), str) else ""
        text = form.get("text") if isinstance(form.get("text"), str) else ""
        if aid:
            art = s.library.article(aid, t.locale)
            if art is None:
                raise BroadcastError(N_("that article is no longer in the library"))
            d.article_id, d.text = art.id, teaser(art)
        else:
            d.text = (text or "").replace("\r\n", "\n")
        url = form.get("image_url")
        if isinstance(url, str) and url.strip():
            if not url.strip().startswith(("http://", "https://")):
                raise BroadcastError(N_("the picture's address must start with https://"))
            d.image = url.strip()
        for name in ("when", "expires"):
            value = form.get(name)
            setattr(d, name, value.strip() if isinstance(value, str) else "")
        return d

    def local_time(value: str) -> datetime:
        """A time from the form's date-time field, checked as the chat checks a typed one."""
        try:
            typed = datetime.fromisoformat(value)
        except ValueError:
            raise BroadcastError(N_("“{v}” is not a date and time"), v=value[:40]) from None
        return parse_when(f"{typed:%H:%M %d/%m/%Y}", s.settings, s.clock.now())

    async def upload(field) -> str | None:
        """A picture staff uploaded, kept beside the database where the sender reads it."""
        if field is None or isinstance(field, str) or not getattr(field, "filename", None):
            return None
        data = field.file.read()
        if not data:
            return None
        suffix = next((x for magic, x in PICTURES.items() if data.startswith(magic)), None)
        if suffix is None and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            suffix = ".webp"
        if suffix is None:
            raise BroadcastError(N_("only .jpg, .png or .webp pictures can be attached"))
        path = pictures / f"{secrets.token_hex(12)}{suffix}"
        await asyncio.to_thread(keep, path, data)
        return str(path)

    # -- what the pages show ---------------------------------------------------------------
    def state_name(state: str) -> str:
        return t.plain(STATE_NAMES[state]) if state in STATE_NAMES else state

    def who(segment: str) -> str:
        """A stored segment as staff read it: communes, roles and topics by their names."""
        try:
            terms = stored_segment(segment).terms
        except SegmentError:
            return segment
        names = {"role": lambda v: t.plain(ROLES[v]) if v in ROLES else v,
                 "commune": lambda v: c.name if (c := s.communes.get(v)) else v,
                 "topic": lambda v: dict(topics()).get(v, v)}
        parts = []
        for name, values in terms:
            show = names.get(name, lambda v: v)
            parts.append(f"{name}={'|'.join(show(v) for v in values)}")
        return ", ".join(parts)

    async def progress(b, replied: bool = True) -> dict[str, Any]:
        """A broadcast's counts; who replied afterwards only on its own page (it reads the
        members of every sent copy: not ten of them per list page)."""
        bs = s.store.broadcasts
        counts = await bs.status(b.id)
        return {"b": b, "state": state_name(b.state), "counts": counts, "who": who(b.segment),
                "planned": sum(counts.values()), "outcomes": OUTCOMES,
                "running": b.state not in FINISHED,
                "replied": await bs.responded(b.id) if replied else None, "poll": POLL}

    async def preview(d: Draft) -> dict[str, Any]:
        """The count, the count per channel, and each running channel's exact copy."""
        out: dict[str, Any] = {"error": None, "count": None, "channels": [], "copies": [],
                               "segment": d.segment, "forecast": FORECAST}
        try:
            seg = parse_segment(d.segment, s.communes, set(s.library.topics))
        except SegmentError as e:
            out["error"] = t.plain(e.msgid, **e.values)
            return out
        aud = await audience(s.store, s.delivery, s.settings, seg, s.clock.now())
        out["count"] = aud.attempted
        out["who"] = who(seg.text)
        out["channels"] = [(registry.title(ch), c) for ch, c in aud.channels.items()]
        # "will get it now" always; a column that keeps copies back only where some are
        out["forecast"] = [(k, label) for k, label in FORECAST
                           if k == "send" or any(c[k] for c in aud.channels.values())]
        if d.text.strip() and s.delivery is not None:
            for ch in s.delivery.channels:
                reply = copy_of(t, d.text.strip(), d.image, d.article_id, ch, s.library)
                out["copies"].append((registry.title(ch), s.delivery.render(ch, reply, t)))
        return out

    def compose(request: web.Request, d: Draft, error: str | None = None, status: int = 200,
                pre: dict[str, Any] | None = None) -> web.Response:
        communes = sorted(s.communes, key=lambda c: c.bare)
        try:
            terms = stored_segment(d.segment).terms
        except SegmentError:
            terms = ()
        chosen = {name: set(values) for name, values in terms}
        return console.page(
            request, "broadcasts_new.html", status=status, draft=d, error=error,
            communes=communes, roles=list(ROLES.items()), topics=topics(),
            segment_channels=[(k.name, k.title) for k in registry.kinds() if k.enabled_by],
            articles=s.library.newest(t.locale)[:200], chosen=chosen,
            approval=s.settings.approval, pre=pre)

    async def by_id(request: web.Request):
        raw = request.match_info["id"]
        b = await s.store.broadcasts.get(int(raw)) if raw.isdigit() and len(raw) < 10 else None
        if b is None:
            raise web.HTTPNotFound()
        return b

    async def me(request: web.Request) -> set[str]:
        staff = console.staff(request)
        m = await s.store.members.find(staff.session.channel, staff.session.user_id)
        return await same_person(s.store, staff.actor, m.id if m else None)

    # -- the pages -------------------------------------------------------------------------
    async def index(request: web.Request) -> web.Response:
        before = request.query.get("before", "")
        page = await s.store.broadcasts.page(PER_PAGE + 1, int(before) if before.isdigit() else None)
        more = len(page) > PER_PAGE
        rows = [await progress(b, replied=False) for b in page[:PER_PAGE]]
        mine = await me(request)
        queue = [(b, b.created_by in mine, who(b.segment))
                 for b in await s.store.broadcasts.awaiting()]
        return console.page(request, "broadcasts_list.html", rows=rows, queue=queue,
                            approval=s.settings.approval,
                            older=page[PER_PAGE - 1].id if more else None)

    async def new(request: web.Request) -> web.Response:
        d = Draft()
        return compose(request, d, pre=await preview(d))

    async def live(request: web.Request) -> web.Response:
        """The count and the copies for the form as it is now (htmx, as staff choose)."""
        try:
            d = draft_of(request.query)
        except BroadcastError as e:
            return console.page(request, "broadcasts_preview.html",
                                pre={"error": t.plain(e.msgid, **e.values)})
        return console.page(request, "broadcasts_preview.html", pre=await preview(d))

    async def create(request: web.Request) -> web.Response:
        form = await request.post()
        d = Draft()
        picture = None
        try:
            d = draft_of(form)
            picture = await upload(form.get("image_file"))
            if picture is not None:
                d.image = picture
            if d.send == "at" and not d.when:
                raise BroadcastError(N_("choose the sending time"))
            when = local_time(d.when) if d.send == "at" else None
            expires = local_time(d.expires) if d.expires else None
            staff = console.staff(request)
            bid, _ = await create_broadcast(
                s.store, s.settings, s.communes, set(s.library.topics), by=staff.actor,
                text=d.text, image=d.image, segment=d.segment, at=when, expires=expires,
                now=s.clock.now(), approval=s.settings.approval, article_id=d.article_id,
                urgent=d.urgent)
        except (BroadcastError, SegmentError) as e:
            if picture is not None:  # not kept for a broadcast that was not made
                await asyncio.to_thread(Path(picture).unlink, True)
                d.image = None
            return compose(request, d, error=t.plain(e.msgid, **e.values), status=400,
                           pre=await preview(d) if d.text else None)
        seg = parse_segment(d.segment, s.communes, set(s.library.topics))
        n = (await audience(s.store, s.delivery, s.settings, seg, s.clock.now())).attempted
        await console.audit(request, "broadcasts.create", broadcast=bid, segment=d.segment,
                            urgent=d.urgent, copies=n)
        if s.settings.approval:
            await ask_approval(s.delivery, s.settings, t, bid, staff.name, n, d.text, d.urgent)
        elif when is None and s.wake_sender is not None:
            s.wake_sender()
        return console.redirect(f"/broadcasts/{bid}")

    async def detail(request: web.Request) -> web.Response:
        b = await by_id(request)
        failures = await s.store.broadcasts.failures(b.id)
        mine = await me(request)
        return console.page(request, "broadcasts_detail.html", p=await progress(b),
                            failures=failures, own=b.created_by in mine)

    async def live_progress(request: web.Request) -> web.Response:
        b = await by_id(request)
        wide = request.query.get("wide") == "1"
        return console.page(request, "broadcasts_progress.html", p=await progress(b, wide),
                            wide=wide, own=b.created_by in await me(request))

    async def approve(request: web.Request) -> web.Response:
        b = await by_id(request)
        staff = console.staff(request)
        outcome = await approve_broadcast(s.store, b.id, staff.actor, await me(request),
                                          s.clock.now())
        if outcome == "not_waiting":
            return console.problem(request, N_("Broadcast #{id} is not waiting for approval."),
                                   status=409, id=b.id)
        if outcome == "same_person":
            return console.problem(request, N_("Another staff member must approve broadcast "
                                               "#{id}."), status=403, id=b.id)
        await console.audit(request, "broadcasts.approve", broadcast=b.id)
        if s.wake_sender is not None:
            s.wake_sender()
        return console.redirect(f"/broadcasts/{b.id}")

    async def cancel(request: web.Request) -> web.Response:
        b = await by_id(request)
        n = await s.store.broadcasts.cancel(b.id, s.clock.now())
        if n is None:
            return console.problem(request, N_("Broadcast #{id} is already finished."),
                                   status=409, id=b.id)
        await console.audit(request, "broadcasts.cancel", broadcast=b.id, copies=n)
        return console.redirect(f"/broadcasts/{b.id}")

    async def resend(request: web.Request) -> web.Response:
        b = await by_id(request)
        n = await s.store.broadcasts.resend_failed(b.id, s.clock.now())
        await console.audit(request, "broadcasts.resend", broadcast=b.id, copies=n)
        if n and s.wake_sender is not None:
            s.wake_sender()
        return console.redirect(f"/broadcasts/{b.id}")

    router.add_get(AREA.path, index)
    router.add_get(AREA.path + "/new", new)
    router.add_get(AREA.path + "/preview", live)
    router.add_post(AREA.path, create)
    router.add_get(AREA.path + "/{id}", detail)
    router.add_get(AREA.path + "/{id}/progress", live_progress)
    router.add_post(AREA.path + "/{id}/approve", approve)
    router.add_post(AREA.path + "/{id}/cancel", cancel)
    router.add_post(AREA.path + "/{id}/resend", resend)
