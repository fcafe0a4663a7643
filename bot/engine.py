"""The channel-agnostic core: one inbound in, replies out.

For each :class:`Inbound` the engine loads (or creates) the member and their
dialog state, works out what they meant — a picture, a voice message, withheld
content, a follow or unfollow (the handler registered for that kind, unless a
picture answers the step that asked for one), a button, a command, a number or
the words of an offered choice, a keyword such as "dừng", text for the flow
they are in, or free text — checks the person's right to it (``bot.rights``:
a staff-only command, button or flow step runs only for staff, in every chat;
being in the staff chat gives none), calls the handler the router names, saves
the dialog state, and sends the replies through delivery (or hands both to the
inbound journal, which stores them with the update marked done and then
sends: see :mod:`bot.inbox`).  One person's messages
are handled one at a time, in order; different people run concurrently.  An
exception in a handler is logged with context, answered with an apology and
reported to staff; it never reaches the channel.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .clock import Clock
from .config import Settings
from .content import Library
from .delivery import Delivery
from .faq.service import FaqService
from .flows import is_cancel
from .geo import Communes
from .i18n import Translator, translator
from .rights import NOBODY, STAFF_ONLY, Rights, rights_of
from .router import Command, Router
from .store import DialogState, Member, Store
from .text import clean, same_words
from .types import Button, Capabilities, Inbound, InboundKind, Reply

log = logging.getLogger(__name__)

Outgoing = tuple[str, str, Reply, Translator]
"""One reply to send: (channel, chat id, reply, the receiver's translator)."""
Finish = Callable[[list[Outgoing], tuple[int, DialogState] | None], Awaitable[None]]
"""Takes an inbound's replies and the person's changed dialog state (member id, state)
instead of the engine saving and sending them: the inbound journal stores both with
the update marked done, then sends.  Called with the person's lock held."""

_COMMAND = re.compile(r"^/([A-Za-z0-9_]{1,32})(?:@\w+)?(?:\s+(.*))?$", re.S)


@dataclass(slots=True)
class Services:
    """What handlers may use; handed to them, never imported as globals."""

    settings: Settings
    store: Store
    clock: Clock
    communes: Communes
    library: Library  # content; replaced whole when editors' changes load cleanly
    router: Router
    delivery: Delivery | None = None
    notify_staff: Callable[[str], Awaitable[None]] | None = None
    faq: FaqService | None = None  # rebuilt with the library on reload
    # A broadcast was just made here: the sender looks now, not at its next beat.
    wake_sender: Callable[[], None] | None = None
    # Store a message to one member for the bot's worker to send (bot.direct):
    # (member id, reply, who among staff) → its id.  The web console's answers use it.
    send_later: Callable[[int, Reply, str], Awaitable[int]] | None = None


@dataclass(slots=True)
class Context:
    """One inbound being handled: who, what, their state, and what to answer."""

    inbound: Inbound
    member: Member
    state: DialogState
    services: Services
    t: Translator
    text: str = ""
    args: list[str] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    others: list[tuple[Member, Reply]] = field(default_factory=list)
    rights: Rights = NOBODY  # from bot.rights, looked up once per inbound

    def reply(
        self,
        text: str,
        buttons: list[list[Button]] | None = None,
        **kw: Any,
    ) -> Reply:
        r = Reply(text, buttons or [], **kw)
        self.replies.append(r)
        return r

    def send_to(self, member: Member, reply: Reply) -> None:
        """Also tell someone else (a farmer, from a staff answer) after this reply."""
        self.others.append((member, reply))

    @property
    def in_staff_chat(self) -> bool:
        target = self.services.settings.staff_chat
        return target == (self.inbound.channel, self.inbound.chat_id)

    @property
    def caps(self) -> Capabilities | None:
        """What the person's channel can show (None when nothing sends)."""
        d = self.services.delivery
        ch = d.channels.get(self.member.channel) if d else None
        return ch.caps if ch else None

    @property
    def is_staff(self) -> bool:
        return self.rights.staff

    def allowed(self, staff_only: bool) -> bool:
        """The one check before a handler runs: True if this person may reach a handler
        registered with ``staff=staff_only``; if not, the polite refusal is the reply."""
        if self.rights.allows(staff_only):
            return True
        self.reply(self.t(STAFF_ONLY))
        return False

    @property
    def actor(self) -> str:
        return self.member.key

    async def audit(self, action: str, **detail: Any) -> None:
        await self.services.store.audit.record(
            self.actor, action, self.services.clock.now(), **detail
        )


class Engine:
    """Turns inbounds into replies; see the module docstring."""

    def __init__(self, services: Services) -> None:
        self.s = services
        self.router = services.router
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self.handled = 0

    async def handle(self, inbound: Inbound, finish: Finish | None = None) -> bool:
        """Entry point for every inbound; never raises.  Without ``finish`` the dialog
        state is saved and the replies sent here; with it, ``finish`` gets them (see
        :data:`Finish`).  False if handling failed before the replies were ready."""
        try:
            async with self._lock(inbound.key):
                await self._handle(inbound, finish)
            return True
        except Exception:
            log.exception(
                "failed to handle an inbound on %s from user %s", inbound.channel, inbound.user_id
            )
            return False

    def person_lock(self, key: str) -> _KeyLock:
        """The lock that keeps one person's messages (and their replies) in order."""
        return self._lock(key)

    async def _handle(self, inbound: Inbound, finish: Finish | None = None) -> None:
        s = self.s
        if inbound.is_group and s.settings.staff_chat != (inbound.channel, inbound.chat_id):
            return  # the bot reads no group but the staff chat
        now = s.clock.now()
        member = await s.store.members.seen(
            inbound.channel,
            inbound.user_id,
            inbound.user_id if inbound.is_group else inbound.chat_id,
            clean(inbound.display_name, 128) or None,
            s.settings.locale,
            now,
        )
        state = await s.store.dialogs.get(member.id)
        before = state.snapshot()
        t = translator(member.locale, s.settings.tz)
        rights = await rights_of(s.settings, member.channel, member.user_id)
        ctx = Context(inbound, member, state, s, t, text=clean(inbound.text), rights=rights)
        try:
            with s.store.db.staff_lane(rights.staff):  # staff reads never hold farmers up
                await self.dispatch(ctx)
        except Exception as e:
            log.exception(
                "handler failed: channel=%s member=%s flow=%s step=%s kind=%s",
                member.channel, member.id, state.flow, state.step, inbound.kind.value,
            )
            ctx.replies = [Reply(t("Sorry, something went wrong on our side. Please try again "
                                   "in a moment, or type /menu."))]
            if s.notify_staff:
                await s.notify_staff(
                    f"⚠️ Error for member #{member.id} ({member.channel}), "
                    f"flow={state.flow}/{state.step}: {type(e).__name__}: {e}"[:500]
                )
        offered = [b for r in ctx.replies for b in r.actions()]
        state.offered = [(b.label, b.action) for b in offered]
        if any(r.typed_answer for r in ctx.replies):
            state.data["_typed"] = True  # a typed number is the answer, not a choice
        elif ctx.replies:
            state.data.pop("_typed", None)
        changed = state.snapshot() != before
        self.handled += 1
        if finish is not None:
            outgoing: list[Outgoing] = [(inbound.channel, inbound.chat_id, r, ctx.t)
                                        for r in ctx.replies]
            outgoing += [(o.channel, o.chat_id, r, translator(o.locale, s.settings.tz))
                         for o, r in ctx.others]
            await finish(outgoing, (member.id, state) if changed else None)
            return
        if changed:
            await s.store.dialogs.put(member.id, state, s.clock.now())
        if s.delivery:
            if ctx.replies:
                await s.delivery.reply(inbound.channel, inbound.chat_id, ctx.replies, ctx.t)
            for other, reply in ctx.others:
                if other.channel in s.delivery.channels:
                    await s.delivery.reply(other.channel, other.chat_id, [reply],
                                           translator(other.locale, s.settings.tz))

    async def dispatch(self, ctx: Context) -> None:
        r = self.router
        inbound = ctx.inbound
        state = ctx.state
        if inbound.is_group:
            await self._staff_chat(ctx)
            return
        flow = r.flows.get(state.flow) if state.flow else None
        if flow is not None and flow.staff and not ctx.rights.staff:
            state.clear()  # a staff flow of someone who is no longer staff ends here
            ctx.allowed(True)
            return
        if await self._kind(ctx):
            return
        if inbound.kind is InboundKind.ACTION:
            await self._action(ctx, inbound.action or "")
            return
        text = ctx.text
        if inbound.kind is InboundKind.TEXT and text.startswith("/"):
            m = _COMMAND.match(text)
            if m:
                ctx.args = (m.group(2) or "").split()
                await self._command(ctx, m.group(1).lower())
                return
        declared = state.flow in r.tables  # a flow table (bot.flows) does its own matching
        if inbound.kind is InboundKind.TEXT and text and not declared:
            if flow is not None and is_cancel(text):  # "hủy", "thôi": out of any flow
                state.clear()
                ctx.reply(ctx.t("Cancelled. Type /menu to see what I can do."),
                          close_keyboard=True)
                return
            action = self._offered(ctx, text)
            if action:
                await self._action(ctx, action)
                return
            cmd = r.find_keyword(text)
            if cmd:
                await self._run_command(ctx, cmd)
                return
            if flow is None and self._bad_number(ctx, text):
                return
        if flow is not None:
            if ctx.allowed(flow.staff):
                await flow.handler(ctx)
            return
        if inbound.kind is not InboundKind.TEXT or not text:
            ctx.reply(ctx.t("I can only read text messages. Type /menu to see what I can do."))
            return
        found = r.find_prefix(text)
        if found:
            route, rest = found
            if ctx.allowed(route.staff):
                ctx.args = rest.split()
                await route.handler(ctx)
            return
        if r.fallback:
            await r.fallback(ctx)

    async def _kind(self, ctx: Context) -> bool:
        """A picture, a voice message, withheld content, a follow or unfollow: the handler
        registered for its kind (``Router.on``) answers, unless it is a picture that the
        step the person is at asks for (a check-in's photo question, a broadcast's
        picture).  A picture or a voice message in the middle of a flow leaves the person
        where they were: the question is asked again after the answer.  True if handled."""
        inbound, state = ctx.inbound, ctx.state
        route = self.router.kinds.get(inbound.kind)
        if route is None:
            return False
        table = self.router.tables.get(state.flow) if state.flow else None
        step = table.steps.get(state.step or "") if table is not None else None
        if inbound.kind is InboundKind.PHOTO and step is not None and \
                InboundKind.PHOTO in step.accepts and step.text is not None:
            return False  # the flow asked for it
        await route.handler(ctx)
        if (step is not None and inbound.kind in (InboundKind.PHOTO, InboundKind.VOICE)
                and (state.flow, state.step) == (table.name, step.name)):
            await table.ask(ctx, step.name)
        return True

    async def _staff_chat(self, ctx: Context) -> None:
        """The staff chat: staff commands, staff buttons and replies to the bot's posts,
        for staff only.  Anyone else there is told no when pressing a staff button and
        is otherwise ignored; nothing else is answered in the group."""
        r = self.router
        inbound = ctx.inbound
        if inbound.kind is InboundKind.ACTION:
            action = inbound.action or ""
            found = r.find_action(action) if 0 < len(action) <= 64 else None
            if found is not None and found.staff and ctx.allowed(True):
                ctx.args = action.split(":")[1:]
                await found.handler(ctx)
            return
        if not ctx.rights.staff:
            return
        m = _COMMAND.match(ctx.text)
        if m:
            cmd = r.commands.get(m.group(1).lower())
            if cmd is not None and cmd.staff:
                ctx.args = (m.group(2) or "").split()
                await cmd.handler(ctx)
        elif inbound.reply_to and r.staff_chat:
            await r.staff_chat(ctx)

    def _offered(self, ctx: Context, text: str) -> str | None:
        """An offered choice picked by typing its number or its words."""
        offered = ctx.state.offered
        if not offered:
            return None
        if text.isdigit() and not ctx.state.data.get("_typed"):
            i = int(text)
            return offered[i - 1][1] if 1 <= i <= len(offered) else None
        if len(text) > 64:
            return None
        for label, action in offered:
            if same_words(text, label):
                return action
        return None

    def _bad_number(self, ctx: Context, text: str) -> bool:
        """A number that is none of the choices just offered (outside a flow): say
        which numbers are valid and offer the same choices again."""
        offered = ctx.state.offered
        if not (text.isdigit() and offered and len(text) <= 3) or ctx.state.data.get("_typed"):
            return False
        t = ctx.t
        ctx.reply(t("Please type a number from 1 to {n}.", n=len(offered)) + " "
                  + t("Or type /menu to see what I can do."),
                  [[Button(label, action)] for label, action in offered])
        return True

    async def _command(self, ctx: Context, name: str) -> None:
        cmd = self.router.commands.get(name)
        if cmd is None:
            ctx.reply(ctx.t("I don't know the command /{name}. Type /trogiup for the list.",
                            name=name[:32]))
            return
        await self._run_command(ctx, cmd)

    async def _run_command(self, ctx: Context, cmd: Command) -> None:
        if ctx.allowed(cmd.staff):
            await cmd.handler(ctx)

    async def _action(self, ctx: Context, action: str) -> None:
        found = self.router.find_action(action) if 0 < len(action) <= 64 else None
        if found is None:
            ctx.reply(ctx.t("That button is no longer valid. Type /menu to start again."))
            return
        if ctx.allowed(found.staff):
            ctx.args = action.split(":")[1:]
            await found.handler(ctx)

    # -- per-person ordering -----------------------------------------------
    def _lock(self, key: str) -> _KeyLock:
        return _KeyLock(self._locks, key)


class _KeyLock:
    """An asyncio lock per key that is dropped when nobody holds or waits for it."""

    def __init__(self, table: dict[str, tuple[asyncio.Lock, int]], key: str) -> None:
        self.table = table
        self.key = key

    async def __aenter__(self) -> None:
        lock, n = self.table.get(self.key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self.table[self.key] = (lock, n + 1)
        try:
            await lock.acquire()
        except BaseException:
            await self.__aexit__(released=False)
            raise

    async def __aexit__(self, *exc: object, released: bool = True) -> None:
        lock, n = self.table[self.key]
        if released:
            lock.release()
        if n <= 1:
            del self.table[self.key]
        else:
            self.table[self.key] = (lock, n - 1)
