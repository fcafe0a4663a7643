"""/guitin for staff: write the message, choose who gets it, see exactly what they
will see and how many they are, choose urgent ("khẩn": its copies go before the
other broadcasts') or normal ("thường"), then send now or at a time.  With approval on
(NHANONG_APPROVAL=1) a second staff member approves with /duyet ID or the button
posted in the staff chat."""

from __future__ import annotations

from datetime import datetime

from bot.broadcast import (
    BroadcastError,
    approve_broadcast,
    ask_approval,
    audience,
    create_broadcast,
    parse_when,
    recent_standing,
    same_person,
    teaser,
)
from bot.channels import title as channel_title
from bot.engine import Context
from bot.flows import LEFT, STAY, Flow, Invalid, Step, buttons
from bot.i18n import N_, Problem
from bot.router import Router
from bot.segments import SegmentError, parse_segment
from bot.text import fold, shorten, strip_marks
from bot.types import Button, InboundKind

FLOW = "bc"
EVERYONE = {"moi nguoi", "tat ca", "everyone", "all"}
URGENT_WORDS = {"khan", "khan cap", "gap", "urgent", "uu tien"}
NORMAL_WORDS = {"thuong", "binh thuong", "normal", "khong khan"}
PRIORITY_NAMES = {True: N_("urgent"), False: N_("normal")}
STATE_NAMES = {
    "draft": N_("draft"), "awaiting_approval": N_("waiting for approval"),
    "scheduled": N_("scheduled"), "sending": N_("sending"), "done": N_("sent"),
    "cancelled": N_("cancelled"), "failed": N_("failed"),
}


class Reason(Invalid):
    """A checker's reason (a Problem: "the title must be 3 to 120 characters") as the
    flow's refusal, ending as a sentence."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.msgid, **problem.values)

    def say(self, t) -> str:
        text = super().say(t)
        return text if text.endswith((".", "!", "?", "…")) else text + "."


# -- the flow: message → who gets it → the preview → now, at a time, or with an expiry ----
async def start(ctx: Context) -> None:
    await BC.start(ctx)


def _ask_text(ctx: Context) -> None:
    ctx.reply(ctx.t("✍️ Type the message to send to members (you can use **bold** and "
                    "_italic_). To send an article from the library, type “bài:” and a few "
                    "words of it, for example _bài: vietgap_. Type “hủy” to stop."))


async def _message(ctx: Context, text: str) -> str | None:
    """The message (or a picture with its caption), or "bài: …" to pick an article."""
    t = ctx.t
    if ctx.inbound.kind is InboundKind.PHOTO and ctx.inbound.media:
        if not text:
            raise Invalid(N_("Please send the picture with a caption: the caption is the "
                             "message."))
        ctx.state.data.update(text=text, image=ctx.inbound.media)
        return "segment"
    if not text:
        raise Invalid(N_("Please type text, or send a picture with a caption."))
    if strip_marks(text).lower().lstrip().startswith("bai:"):
        query = text.split(":", 1)[1]
        found = ctx.services.library.search(query, t.locale, limit=5)
        if not found:
            raise Invalid(N_("I found no article about “{query}”. Try other words, or browse "
                             "the topics with /tin."), query=query.strip()[:60])
        ctx.reply(t("Which article?"), [[BC.button(shorten(a.title), "art", a.id)] for a in found])
        return LEFT  # still at this step: a number or a title picks the article
    if len(text) > 3500:
        raise Invalid(N_("The message is {n} characters; keep it under 3500."), n=len(text))
    ctx.state.data.pop("article_id", None)
    ctx.state.data["text"] = text
    return "segment"


async def _article(ctx: Context, arg: str) -> str:
    art = ctx.services.library.article(arg)
    if art is None:
        ctx.reply(ctx.t(STALE))
        return STAY
    ctx.state.data.update(text=teaser(art), article_id=art.id)
    return "segment"


def _ask_segment(ctx: Context) -> None:
    ctx.reply(
        ctx.t("Who should get it? Choose **Everyone**, or type a group such as:\n"
              "`commune=Sơn Động|Tân Yên, role=coop, topic=ocop`\n"
              "Fields: commune, role (farmer, official, coop, group, business, other), "
              "topic, lang, joined_after (YYYY-MM-DD)."),
        [[BC.button(ctx.t.plain("Everyone"), "all")]],
    )


def _segment_of(ctx: Context, text: str) -> str:
    s = ctx.services
    try:
        seg = parse_segment("" if fold(text) in EVERYONE else text, s.communes,
                            set(s.library.topics))
    except SegmentError as e:
        raise Reason(e) from None
    return seg.text


async def _segment(ctx: Context, text: str) -> str:
    ctx.state.data["segment"] = _segment_of(ctx, text)
    _copy(ctx)
    return "confirm"


async def _everyone(ctx: Context, arg: str) -> str:
    ctx.state.data["segment"] = ""
    _copy(ctx)
    return "confirm"


def _copy(ctx: Context) -> None:
    """The message exactly as members will see it."""
    t = ctx.t
    data = ctx.state.data
    ctx.reply(t("👀 This is exactly what members will see:"))
    aid = data.get("article_id")
    read = [[Button("📖 " + t.plain("Read the article"), f"n:a:{aid}")]] if aid else []
    footer = t("_To stop receiving news, type /dung._")
    text = f"{data['text']}\n\n{footer}"
    if read and not buttons(ctx):  # listed, not numbered: the numbers are for the options
        text += "\n\n" + t("(Members also get the choice “{label}”.)",
                            label="📖 " + t.plain("Read the article"))
        read = []
    ctx.reply(text, read, image=data.get("image"))


async def _ask_confirm(ctx: Context) -> None:
    """How many get it and what can be done next (asked again after a bad answer)."""
    s = ctx.services
    t = ctx.t
    data = ctx.state.data
    seg = parse_segment(data.get("segment", ""), s.communes, set(s.library.topics))
    n, per_channel = await _audience(ctx, seg)
    lines = []
    if data.get("expires"):
        lines.append(t("Copies not delivered by {when} will be dropped.",
                       when=t.datetime(datetime.fromisoformat(data["expires"]))))
    lines.append(t("It will go to **{n}** member(s) ({group}).", n=t.number(n),
                   group=seg.text or t.plain("everyone")))
    lines.extend(per_channel)
    lines.append(t("To change who gets it, type a group such as `commune=Sơn Động, role=coop`."))
    lines.append(t("Priority: **{priority}** (an urgent broadcast goes out before the other "
                   "broadcasts: for notices that cannot wait).",
                   priority=t.plain(PRIORITY_NAMES[bool(data.get("urgent"))])))
    ctx.reply("\n".join(lines),
              [[BC.button("📤 " + t.plain("Send now"), "now"),
                BC.button("⏰ " + t.plain("Schedule"), "at")],
               [BC.button("⌛ " + t.plain("Set an expiry"), "exp"),
                BC.button(t.plain("Cancel"), "cancel")],
               [BC.button("🚨 " + t.plain("Urgent"), "urg"), BC.button(t.plain("Normal"), "norm")]])


async def _audience(ctx: Context, seg) -> tuple[int, list[str]]:
    """How many copies will be attempted (now, or when a channel's hours open), and
    per channel, when a channel has limits, how many go now and how many cannot and why
    (the sender decides each copy the same way: :func:`bot.broadcast.audience`)."""
    s = ctx.services
    t = ctx.t
    aud = await audience(s.store, s.delivery, s.settings, seg, s.clock.now())
    if not aud.limited:
        return aud.attempted, []
    lines = []
    for channel, c in aud.channels.items():
        parts = [t("{channel}: **{n}** now", channel=channel_title(channel), n=t.number(c["send"]))]
        if c["later"]:
            parts.append(t("{n} when the channel's hours open (they wait, then go)",
                           n=t.number(c["later"])))
        if c["over_quota"]:
            parts.append(t("{n} not sent: their quota of broadcasts is used up (/guilai "
                           "sends them again once it renews)", n=t.number(c["over_quota"])))
        if c["outside_window"]:
            parts.append(t("{n} not sent: they have not written to the bot recently enough "
                           "for this channel", n=t.number(c["outside_window"])))
        if c["stopped"]:
            parts.append(t("{n} wait: the channel is stopped (its key was refused)",
                           n=t.number(c["stopped"])))
        if c["absent"]:
            parts.append(t("{n} wait: the bot does not run this channel now",
                           n=t.number(c["absent"])))
        lines.append("- " + "; ".join(parts))
    return aud.attempted, lines


def _set_urgent(ctx: Context, urgent: bool) -> str:
    ctx.state.data["urgent"] = urgent
    if urgent:
        ctx.reply("🚨 " + ctx.t("Urgent: its copies will go out before those of the other "
                               "broadcasts."))
    else:
        ctx.reply(ctx.t("Normal: it shares the channel with the other broadcasts."))
    return STAY


async def _urgent(ctx: Context, arg: str) -> str:
    return _set_urgent(ctx, True)


async def _normal(ctx: Context, arg: str) -> str:
    return _set_urgent(ctx, False)


async def _regroup(ctx: Context, text: str) -> str:
    """Typed at the preview: a group changes who gets it, "khẩn"/"thường" (or "khẩn
    cấp", "bình thường") the priority; anything else is refused."""
    if fold(text) in URGENT_WORDS | NORMAL_WORDS:
        return _set_urgent(ctx, fold(text) in URGENT_WORDS)
    if "=" not in text and fold(text) not in EVERYONE:
        raise Invalid(N_("Choose one of the options below, or type a group such as "
                         "commune=Sơn Động to change who gets it."))
    ctx.state.data["segment"] = _segment_of(ctx, text)
    ctx.reply("👥 " + ctx.t("Who gets it is changed."))
    return STAY


async def _now(ctx: Context, arg: str) -> str:
    try:
        await _create(ctx, None)
    except Invalid as e:
        ctx.reply("⚠️ " + e.say(ctx.t))
        return STAY
    return LEFT


def _goto(step: str):
    async def go(ctx: Context, arg: str) -> str:
        return step

    return go


def _ask_time(step: str):
    def ask(ctx: Context) -> None:
        t = ctx.t
        if step == "at":
            text = t("When? Type the time, for example 07:30 05/12/2026.")
        else:
            text = t("Until when is it useful? Copies not delivered by then are dropped. Type "
                     "the time, for example 18:00 06/12/2026.")
        ctx.reply(text + " " + t("Type “hủy” to stop."),
                  [[BC.button(t.plain("Back to the preview"), "back"),
                    BC.button(t.plain("Cancel"), "cancel")]])

    return ask


def _when(ctx: Context, text: str) -> datetime:
    try:
        return parse_when(text, ctx.services.settings, ctx.services.clock.now())
    except BroadcastError as e:
        raise Reason(e) from None


async def _at(ctx: Context, text: str) -> str:
    await _create(ctx, _when(ctx, text))
    return LEFT


async def _expires(ctx: Context, text: str) -> str:
    ctx.state.data["expires"] = _when(ctx, text).isoformat()
    return "confirm"


async def _cancel_choice(ctx: Context, arg: str) -> str:
    await BC.leave(ctx)
    return LEFT


async def _cancelled(ctx: Context) -> None:
    ctx.reply(ctx.t("Cancelled. Nothing was sent."), close_keyboard=True)


async def _approve_button(ctx: Context, args: list[str]) -> None:
    if len(args) == 1 and args[0].isdigit():
        await approve(ctx, int(args[0]))
    else:
        ctx.reply(ctx.t(STALE))


STALE = N_("That button is no longer valid. Type /menu to start again.")
_PHOTO = frozenset({InboundKind.TEXT, InboundKind.PHOTO})
_TIME = N_("Type the time, for example 07:30 05/12/2026.")
BC = Flow(
    FLOW, "bc", staff=True, first="text",
    steps={
        "text": Step("text", _ask_text, choices={"art": _article}, text=_message,
                     accepts=_PHOTO, expects=N_("Type the message, or send a picture with a "
                                                "caption.")),
        "segment": Step("segment", _ask_segment, choices={"all": _everyone}, text=_segment,
                        back="text", expects=N_("Choose **Everyone**, or type a group such as "
                                                "commune=Sơn Động.")),
        "confirm": Step("confirm", _ask_confirm, text=_regroup, back="segment",
                        choices={"now": _now, "at": _goto("at"), "exp": _goto("expires"),
                                 "cancel": _cancel_choice, "urg": _urgent, "norm": _normal}),
        "at": Step("at", _ask_time("at"), text=_at, typed=True, back="confirm", expects=_TIME,
                   choices={"back": _goto("confirm"), "cancel": _cancel_choice}),
        "expires": Step("expires", _ask_time("expires"), text=_expires, typed=True,
                        back="confirm", expects=_TIME,
                        choices={"back": _goto("confirm"), "cancel": _cancel_choice}),
    },
    actions={"ok": _approve_button},
    cancel=_cancelled,
    doc="/guitin: the message, who gets it, the preview (urgent or normal), then now / at a "
        "time / an expiry.",
)


async def _create(ctx: Context, when) -> None:
    """Store the broadcast; raises Invalid (the flow asks again) if it cannot be made."""
    s = ctx.services
    t = ctx.t
    data = ctx.state.data
    urgent = bool(data.get("urgent"))
    try:
        bid, n = await create_broadcast(
            s.store, s.settings, s.communes, set(s.library.topics), by=ctx.actor,
            text=data.get("text", ""), image=data.get("image"), segment=data.get("segment", ""),
            at=when, expires=datetime.fromisoformat(data["expires"]) if data.get("expires") else None,
            now=s.clock.now(), approval=s.settings.approval, article_id=data.get("article_id"),
            urgent=urgent)
    except BroadcastError as e:
        raise Reason(e) from None
    text = data.get("text", "")
    seg = parse_segment(data.get("segment", ""), s.communes, set(s.library.topics))
    n = (await _audience(ctx, seg))[0]  # what will be attempted, as the preview said
    ctx.state.clear()
    if s.settings.approval:
        ctx.reply(t("📝 Broadcast #{id} waits for another staff member to approve it "
                    "(/duyet {id}).", id=bid))
        await _ask_approval(ctx, bid, n, text, urgent)
        return
    if when is None and s.wake_sender is not None:
        s.wake_sender()  # its first copies go out now, not at the sender's next look
    when_text = t.datetime(when) if when else t.plain("now")
    ctx.reply(t("✅ Broadcast #{id} will go to {n} member(s) ({when}). Follow it with /thongke.",
                id=bid, n=t.number(n), when=when_text)
              + ("\n🚨 " + t("Urgent: its copies go out before those of the other broadcasts.")
                 if urgent else ""))


async def _ask_approval(ctx: Context, bid: int, n: int, message: str, urgent: bool = False) -> None:
    s = ctx.services
    await ask_approval(s.delivery, s.settings, ctx.t, bid, ctx.member.display_name or ctx.actor,
                       n, message, urgent)


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
    same = await same_person(s.store, ctx.actor, ctx.member.id)
    outcome = await approve_broadcast(s.store, bid, ctx.actor, same, s.clock.now())
    if outcome == "not_waiting":
        ctx.reply(t("Broadcast #{id} is not waiting for approval.", id=bid))
        return
    if outcome == "same_person":
        ctx.reply(t("Another staff member must approve broadcast #{id}.", id=bid))
        return
    await ctx.audit("broadcast.approve", broadcast=bid)
    if s.wake_sender is not None:
        s.wake_sender()
    ctx.reply(t("✅ Broadcast #{id} approved; it will be sent.", id=bid))


async def status_lines(ctx: Context) -> list[str]:
    """Recent broadcasts for /thongke."""
    t = ctx.t
    lines = []
    for st in await recent_standing(ctx.services.store, 5):
        b, c = st.broadcast, st.counts
        state = t.plain(STATE_NAMES[b.state]) if b.state in STATE_NAMES else b.state
        lines.append(t("- #{id} ({state}){urgent}: sent {sent}/{planned}, blocked {blocked}, "
                       "failed {failed}, unknown {unknown}, replied afterwards {replied}",
                       id=b.id, state=state,
                       urgent=" 🚨 " + t.plain("urgent") if b.urgent else "",
                       sent=c["sent"], planned=st.planned, blocked=c["blocked"],
                       failed=c["failed"], unknown=c["unknown"], replied=st.replied))
        if c["over_quota"] or c["outside_window"]:
            lines.append(t("  not sent because of the channel's limits: over quota {over}, no "
                           "recent interaction {outside} (/guilai {id} sends them again once "
                           "the quota renews)", over=c["over_quota"],
                           outside=c["outside_window"], id=b.id))
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
    """/guilai ID: send again to those whose copy failed or ended over quota or outside
    the channel's window (the sender decides each anew)."""
    s = ctx.services
    t = ctx.t
    b = await _by_id(ctx, t("Write it as: /guilai 12"))
    if b is None:
        return
    n = await s.store.broadcasts.resend_failed(b.id, s.clock.now())
    await ctx.audit("broadcast.resend", broadcast=b.id, copies=n)
    ctx.reply(t("Broadcast #{id}: {n} copies (failed, over quota or without a recent "
                "interaction) will be sent again; those still over quota or without one end "
                "so again.", id=b.id, n=n))


def register(router: Router) -> None:
    router.command(("guitin", "broadcast"), start, N_("Send news to members (staff)"), staff=True)
    router.command(("duyet", "approve"), approve, N_("Approve a broadcast (staff)"), staff=True)
    router.command(("huytin", "cancelbroadcast"), cancel, N_("Cancel a broadcast (staff)"), staff=True)
    router.command(("guilai", "resend"), resend, N_("Re-send failed copies (staff)"), staff=True)
    router.add_flow(BC)

