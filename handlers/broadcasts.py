"""/guitin for staff: write the message, choose who gets it, see exactly what they
will see and how many they are, then send now or at a time.  With approval on
(NHANONG_APPROVAL=1) a second staff member approves with /duyet ID or the button
posted in the staff chat."""

from __future__ import annotations

from datetime import datetime

from bot.broadcast import BroadcastError, create_broadcast, parse_when, teaser
from bot.engine import Context
from bot.i18n import N_
from bot.router import Router
from bot.segments import SegmentError, parse_segment
from bot.text import fold, shorten, strip_marks
from bot.types import Button, InboundKind, Reply

FLOW = "bc"
EVERYONE = {"moi nguoi", "tat ca", "everyone", "all"}
STATE_NAMES = {
    "draft": N_("draft"), "awaiting_approval": N_("waiting for approval"),
    "scheduled": N_("scheduled"), "sending": N_("sending"), "done": N_("sent"),
    "cancelled": N_("cancelled"), "failed": N_("failed"),
}


def _has_buttons(ctx: Context) -> bool:
    caps = ctx.caps
    return caps is None or caps.buttons


async def start(ctx: Context) -> None:
    ctx.state.enter(FLOW, "text")
    ctx.reply(ctx.t("✍️ Type the message to send to members (you can use **bold** and "
                    "_italic_). To send an article from the library, type “bài:” and a few "
                    "words of it, for example _bài: vietgap_. Type “hủy” to stop."))


def _ask_segment(ctx: Context) -> None:
    ctx.state.step = "segment"
    ctx.reply(
        ctx.t("Who should get it? Choose **Everyone**, or type a group such as:\n"
              "`commune=Sơn Động|Tân Yên, role=coop, topic=ocop`\n"
              "Fields: commune, role (farmer, official, coop, group, business, other), "
              "topic, lang, joined_after (YYYY-MM-DD)."),
        [[Button(ctx.t.plain("Everyone"), "bc:all")]],
    )


async def _preview(ctx: Context) -> None:
    s = ctx.services
    t = ctx.t
    seg = parse_segment(ctx.state.data.get("segment", ""), s.communes, set(s.library.topics))
    n = await s.store.broadcasts.count_audience(seg)
    ctx.state.step = "confirm"
    footer = t("_To stop receiving news, type /dung._")
    ctx.reply(t("👀 This is exactly what members will see:"))
    aid = ctx.state.data.get("article_id")
    read = [[Button("📖 " + t.plain("Read the article"), f"n:a:{aid}")]] if aid else []
    ctx.reply(f"{ctx.state.data['text']}\n\n{footer}", read, image=ctx.state.data.get("image"))
    expires = ctx.state.data.get("expires")
    if expires:
        ctx.reply(t("Copies not delivered by {when} will be dropped.",
                    when=t.datetime(datetime.fromisoformat(expires))))
    _options(ctx, n, seg.text)


def _options(ctx: Context, n: int, group: str, lead: str = "") -> None:
    """The preview's last message: how many get it, and what can be done next."""
    t = ctx.t
    ctx.state.data["audience"] = n
    ctx.reply(
        (lead + "\n\n" if lead else "")
        + t("It will go to **{n}** member(s) ({group}).", n=t.number(n),
            group=group or t.plain("everyone"))
        + "\n" + t("To change who gets it, type a group such as `commune=Sơn Động, role=coop`."),
        [[Button("📤 " + t.plain("Send now"), "bc:now"), Button("⏰ " + t.plain("Schedule"), "bc:at")],
         [Button("⌛ " + t.plain("Set an expiry"), "bc:exp"), Button(t.plain("Cancel"), "bc:cancel")]],
    )


async def _at_preview(ctx: Context) -> None:
    """Typed text at the preview: a group changes who gets it; anything else is
    answered with what is valid, and the options are shown again."""
    s = ctx.services
    t = ctx.t
    text = ctx.text
    data = ctx.state.data
    if "=" in text or fold(text) in EVERYONE:
        try:
            seg = parse_segment("" if fold(text) in EVERYONE else text, s.communes,
                                set(s.library.topics))
        except SegmentError as e:
            _options(ctx, data.get("audience", 0), data.get("segment", ""), "⚠️ " + e.say(t))
            return
        data["segment"] = seg.text
        n = await s.store.broadcasts.count_audience(seg)
        _options(ctx, n, seg.text, "👥 " + t("Who gets it is changed."))
        return
    choices = [("bc:now", "1"), ("bc:at", "2"), ("bc:exp", "3"), ("bc:cancel", "4")]
    if text.isdigit() and _has_buttons(ctx) and 1 <= int(text) <= len(choices):
        await on_action_named(ctx, choices[int(text) - 1][0])
        return
    if text.isdigit():
        lead = t("Choose a number from 1 to {n}.", n=len(ctx.state.offered) or len(choices))
    elif _has_buttons(ctx):
        lead = t("Choose one of the buttons below, or type “hủy” to stop.")
    else:
        lead = t("Type the number of one of the choices below, or “hủy” to stop.")
    _options(ctx, data.get("audience", 0), data.get("segment", ""), lead)


def _ask_time(ctx: Context, step: str, lead: str = "") -> None:
    t = ctx.t
    ctx.state.step = step
    if step == "at":
        ask = t("When? Type the time, for example 07:30 05/12/2026.")
    else:
        ask = t("Until when is it useful? Copies not delivered by then are dropped. Type "
                "the time, for example 18:00 06/12/2026.")
    ctx.reply((lead + "\n\n" if lead else "") + ask + " " + t("Type “hủy” to stop."),
              [[Button(t.plain("Back to the preview"), "bc:back"),
                Button(t.plain("Cancel"), "bc:cancel")]], typed_answer=True)


async def on_text(ctx: Context) -> None:
    t = ctx.t
    step = ctx.state.step
    if step == "text" and ctx.inbound.kind is InboundKind.PHOTO and ctx.inbound.media:
        if not ctx.text:
            ctx.reply(t("Please send the picture with a caption: the caption is the message."))
            return
        ctx.state.data.update(text=ctx.text, image=ctx.inbound.media)
        _ask_segment(ctx)
        return
    if ctx.inbound.kind is not InboundKind.TEXT or not ctx.text:
        ctx.reply(t("Please type text, or send a picture with a caption."))
        return
    if step == "text" and strip_marks(ctx.text).lower().lstrip().startswith("bai:"):
        found = ctx.services.library.search(ctx.text.split(":", 1)[1], t.locale, limit=5)
        if not found:
            ctx.reply(t("I found no article about “{query}”. Try other words, or browse the "
                        "topics with /tin.", query=ctx.text.split(":", 1)[1].strip()))
            return
        ctx.reply(t("Which article?"), [[Button(shorten(a.title), f"bc:art:{a.id}")] for a in found])
    elif step == "text":
        if len(ctx.text) > 3500:
            ctx.reply(t("The message is {n} characters; keep it under 3500.", n=len(ctx.text)))
            return
        ctx.state.data["text"] = ctx.text
        _ask_segment(ctx)
    elif step == "segment":
        s = ctx.services
        try:
            seg = parse_segment("" if fold(ctx.text) in EVERYONE else ctx.text, s.communes,
                                set(s.library.topics))
        except SegmentError as e:
            ctx.reply("⚠️ " + e.say(t))
            _ask_segment(ctx)
            return
        ctx.state.data["segment"] = seg.text
        await _preview(ctx)
    elif step in ("at", "expires"):
        try:
            when = parse_when(ctx.text, ctx.services.settings, ctx.services.clock.now())
        except BroadcastError as e:
            _ask_time(ctx, step, "⚠️ " + e.say(t))
            return
        if step == "at":
            await _create(ctx, when)
        else:
            ctx.state.data["expires"] = when.isoformat()
            await _preview(ctx)
    elif step == "confirm":
        await _at_preview(ctx)
    else:
        ctx.state.clear()
        ctx.reply(t("That button is no longer valid. Type /menu to start again."))


async def _create(ctx: Context, when) -> None:
    s = ctx.services
    t = ctx.t
    data = ctx.state.data
    try:
        bid, n = await create_broadcast(
            s.store, s.settings, s.communes, set(s.library.topics), by=ctx.actor,
            text=data.get("text", ""), image=data.get("image"), segment=data.get("segment", ""),
            at=when, expires=datetime.fromisoformat(data["expires"]) if data.get("expires") else None,
            now=s.clock.now(), approval=s.settings.approval, article_id=data.get("article_id"))
    except BroadcastError as e:
        if ctx.state.step == "at":
            _ask_time(ctx, "at", "⚠️ " + e.say(t))
        else:
            _options(ctx, data.get("audience", 0), data.get("segment", ""), "⚠️ " + e.say(t))
        return
    ctx.state.clear()
    if s.settings.approval:
        ctx.reply(t("📝 Broadcast #{id} waits for another staff member to approve it "
                    "(/duyet {id}).", id=bid))
        await _ask_approval(ctx, bid, n)
        return
    when_text = t.datetime(when) if when else t.plain("now")
    ctx.reply(t("✅ Broadcast #{id} will go to {n} member(s) ({when}). Follow it with /thongke.",
                id=bid, n=t.number(n), when=when_text))


async def _ask_approval(ctx: Context, bid: int, n: int) -> None:
    s = ctx.services
    if not s.settings.staff_chat or not s.delivery:
        return
    channel, chat = s.settings.staff_chat
    if channel not in s.delivery.channels:
        return
    t = ctx.t
    text = t("📝 Broadcast #{id} by {who} to {n} member(s) needs approval:\n\n{text}",
             id=bid, who=ctx.member.display_name or ctx.actor, n=t.number(n),
             text=ctx.state.data.get("text", "") if ctx.state.data else "")
    reply = Reply(text, [[Button("✅ " + t.plain("Approve"), f"bc:ok:{bid}")]])
    for msg in s.delivery.render(channel, reply, t):
        await s.delivery.send(channel, chat, msg, high=True)


async def approve(ctx: Context, bid: int | None = None) -> None:
    s = ctx.services
    t = ctx.t
    if bid is None:
        if not ctx.args or not ctx.args[0].lstrip("#").isdigit():
            ctx.reply(t("Write it as: /duyet 12"))
            return
        bid = int(ctx.args[0].lstrip("#"))
    if not ctx.allowed(True):  # the engine checks it too: approval is staff's, always
        return
    b = await s.store.broadcasts.get(bid)
    if b is None or b.state != "awaiting_approval":
        ctx.reply(t("Broadcast #{id} is not waiting for approval.", id=bid))
        return
    if b.created_by in await _same_person(ctx):
        ctx.reply(t("Another staff member must approve broadcast #{id}.", id=bid))
        return
    await s.store.broadcasts.approve(bid, ctx.actor, s.clock.now())
    await ctx.audit("broadcast.approve", broadcast=bid)
    ctx.reply(t("✅ Broadcast #{id} approved; it will be sent.", id=bid))


async def _same_person(ctx: Context) -> set[str]:
    """The actor names of this person: this account and any linked with it."""
    s = ctx.services
    keys = {ctx.actor}
    for linked in await s.store.links.accounts(ctx.member.id):
        m = await s.store.members.get(linked.member_id)
        if m is not None:
            keys.add(m.key)
    return keys


async def on_action_named(ctx: Context, action: str) -> None:
    """Run one of the flow's buttons as if pressed (a typed choice)."""
    ctx.args = action.split(":")[1:]
    await on_action(ctx)


async def on_action(ctx: Context) -> None:
    args = ctx.args
    t = ctx.t
    if len(args) == 2 and args[0] == "ok" and args[1].isdigit():
        await approve(ctx, int(args[1]))
        return
    if ctx.state.flow != FLOW:
        ctx.reply(t("That button is no longer valid. Type /menu to start again."))
        return
    art = ctx.services.library.article(args[1]) if len(args) == 2 and args[0] == "art" else None
    if art is not None and ctx.state.step == "text":
        ctx.state.data.update(text=teaser(art), article_id=art.id)
        _ask_segment(ctx)
    elif args == ["all"] and ctx.state.step == "segment":
        ctx.state.data["segment"] = ""
        await _preview(ctx)
    elif args == ["now"] and ctx.state.step == "confirm":
        await _create(ctx, None)
    elif args == ["at"] and ctx.state.step == "confirm":
        _ask_time(ctx, "at")
    elif args == ["exp"] and ctx.state.step == "confirm":
        _ask_time(ctx, "expires")
    elif args == ["back"] and ctx.state.step in ("at", "expires"):
        await _preview(ctx)
    elif args == ["cancel"]:
        ctx.state.clear()
        ctx.reply(t("Cancelled. Nothing was sent."))
    else:
        ctx.reply(t("That button is no longer valid. Type /menu to start again."))


async def status_lines(ctx: Context) -> list[str]:
    """Recent broadcasts for /thongke."""
    t = ctx.t
    lines = []
    bs = ctx.services.store.broadcasts
    for b, c in await bs.recent(5):
        planned = sum(c.values())
        state = t.plain(STATE_NAMES[b.state]) if b.state in STATE_NAMES else b.state
        lines.append(t("- #{id} ({state}): sent {sent}/{planned}, blocked {blocked}, failed {failed}, "
                       "unknown {unknown}, replied afterwards {replied}", id=b.id, state=state,
                       sent=c["sent"], planned=planned, blocked=c["blocked"], failed=c["failed"],
                       unknown=c["unknown"], replied=await bs.responded(b.id)))
        if b.failure:
            lines.append(t("  ⚠️ stopped, it cannot be sent: {reason}", reason=b.failure))
    return lines


async def _by_id(ctx: Context, usage: str):
    """The broadcast named by the command's argument; if none, why (a usage line, or
    that there is no broadcast with that number)."""
    arg = ctx.args[0].lstrip("#") if ctx.args else ""
    if not arg.isdigit():
        ctx.reply(usage)
        return None
    b = await ctx.services.store.broadcasts.get(int(arg)) if len(arg) < 10 else None
    if b is None:
        ctx.reply(ctx.t("There is no broadcast no. {id}. Type /thongke to see the recent ones.",
                        id=arg))
    return b


async def cancel(ctx: Context) -> None:
    """/huytin ID: stop what is not yet sent."""
    s = ctx.services
    t = ctx.t
    b = await _by_id(ctx, t("Write it as: /huytin 12"))
    if b is None:
        return
    n = await s.store.broadcasts.cancel(b.id, s.clock.now())
    if n is None:
        ctx.reply(t("Broadcast #{id} is already finished.", id=b.id))
        return
    await ctx.audit("broadcast.cancel", broadcast=b.id)
    ctx.reply(t("Broadcast #{id} cancelled; {n} copies will not be sent.", id=b.id, n=n))


async def resend(ctx: Context) -> None:
    """/guilai ID: send again to those whose copy failed."""
    s = ctx.services
    t = ctx.t
    b = await _by_id(ctx, t("Write it as: /guilai 12"))
    if b is None:
        return
    n = await s.store.broadcasts.resend_failed(b.id, s.clock.now())
    await ctx.audit("broadcast.resend", broadcast=b.id, copies=n)
    ctx.reply(t("Broadcast #{id}: {n} failed copies will be sent again.", id=b.id, n=n))


def register(router: Router) -> None:
    router.command(("guitin", "broadcast"), start, N_("Send news to members (staff)"), staff=True)
    router.command(("duyet", "approve"), approve, N_("Approve a broadcast (staff)"), staff=True)
    router.command(("huytin", "cancelbroadcast"), cancel, N_("Cancel a broadcast (staff)"), staff=True)
    router.command(("guilai", "resend"), resend, N_("Re-send failed copies (staff)"), staff=True)
    router.flow(FLOW, on_text, staff=True)
    router.action("bc", on_action, staff=True)

