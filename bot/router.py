"""Where handlers register what they answer: commands, button actions, flows,
typed keywords and the fallback for free text.  Registration happens in one
place (:func:`handlers.register`); the engine asks the router what to call.

Each command, button action, flow and prefix says whether it is for staff only
(``staff=True``); the engine checks that right (``bot.rights``) before any of
them runs, in every chat.  Keywords name a command and share its flag; replies
to the bot's posts in the staff chat (``staff_chat``) are for staff only."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from .text import fold, has_marks, lower_nfc
from .types import InboundKind

if TYPE_CHECKING:
    from .engine import Context
    from .flows import Flow

Handler = Callable[["Context"], Awaitable[None]]


class Route(NamedTuple):
    """A handler and whether only staff may reach it."""

    handler: Handler
    staff: bool = False


@dataclass(frozen=True, slots=True)
class Command:
    names: tuple[str, ...]  # first is the Vietnamese name shown in menus
    handler: Handler
    description: str  # msgid, for the platform's command list
    staff: bool = False
    listed: bool = True


@dataclass(slots=True)
class Router:
    commands: dict[str, Command] = field(default_factory=dict)
    ordered: list[Command] = field(default_factory=list)
    actions: dict[str, Route] = field(default_factory=dict)
    flows: dict[str, Route] = field(default_factory=dict)
    keywords: dict[str, str] = field(default_factory=dict)  # folded phrase → command name
    accented: dict[str, str] = field(default_factory=dict)  # phrase with marks → command
    prefixes: list[tuple[str, Route]] = field(default_factory=list)  # folded start → handler
    tables: dict[str, Flow] = field(default_factory=dict)  # declared flows (bot.flows)
    fallback: Handler | None = None
    staff_chat: Handler | None = None  # replies to the bot's posts in the staff chat (staff only)
    # What is not text nor a button: a picture, a voice message, content the platform
    # withheld, following or unfollowing the channel (see Engine.dispatch).
    kinds: dict[InboundKind, Route] = field(default_factory=dict)

    def command(
        self,
        names: tuple[str, ...] | str,
        handler: Handler,
        description: str,
        *,
        staff: bool = False,
        listed: bool = True,
        keywords: tuple[str, ...] = (),
    ) -> None:
        names = (names,) if isinstance(names, str) else names
        cmd = Command(tuple(names), handler, description, staff, listed)
        for n in names:
            if n in self.commands:
                raise ValueError(f"command /{n} registered twice")
            self.commands[n] = cmd
        self.ordered.append(cmd)
        for phrase in keywords:
            self.keyword(phrase, names[0])

    def keyword(self, phrase: str, command: str) -> None:
        """A whole message that means a command ("dừng", "dung", "stop").

        Typed without diacritics it matches any accents; typed with them it
        must match exactly, so "đúng" (yes) never stops anyone's news.
        """
        self.keywords.setdefault(fold(phrase), command)
        self.accented.setdefault(lower_nfc(phrase), command)

    def prefix(self, phrases: tuple[str, ...], handler: Handler, *, staff: bool = False) -> None:
        """Free text that starts with one of ``phrases`` ("tìm bài về …"), accents optional.

        The handler finds the rest of the text in ``ctx.args``.
        """
        for p in phrases:
            self.prefixes.append((fold(p), Route(handler, staff)))
        self.prefixes.sort(key=lambda x: -len(x[0]))  # longest phrase first

    def find_prefix(self, text: str) -> tuple[Route, str] | None:
        folded = fold(text)
        for phrase, route in self.prefixes:
            if folded == phrase or folded.startswith(phrase + " "):
                # The rest as the person typed it (accents kept), word for word.
                return route, " ".join(text.split()[len(phrase.split()) :])
        return None

    def action(self, prefix: str, handler: Handler, *, staff: bool = False) -> None:
        """Buttons whose action is ``prefix`` or starts with ``prefix:``."""
        if prefix in self.actions:
            raise ValueError(f"action prefix {prefix!r} registered twice")
        self.actions[prefix] = Route(handler, staff)

    def flow(self, name: str, handler: Handler, *, staff: bool = False) -> None:
        """What a person types while in flow ``name``; ``staff``: a staff flow, whose
        steps run only while the person is staff."""
        if name in self.flows:
            raise ValueError(f"flow {name!r} registered twice")
        self.flows[name] = Route(handler, staff)

    def add_flow(self, flow: Flow) -> None:
        """A flow declared as a table (:class:`bot.flows.Flow`): the engine runs its
        steps; its buttons (``prefix:…``) go to its step or entry actions.  Several
        flows may share one prefix (their entry keys must differ)."""
        from .flows import dispatcher, on_text

        async def run(ctx: Context) -> None:
            await on_text(ctx, flow)

        self.flow(flow.name, run, staff=flow.staff)
        for other in self.tables.values():
            if other.prefix == flow.prefix and set(other.actions) & set(flow.actions):
                raise ValueError(f"flows {other.name} and {flow.name} share action keys")
        first = all(f.prefix != flow.prefix for f in self.tables.values())
        self.tables[flow.name] = flow
        if first:
            self.action(flow.prefix, dispatcher(self.tables, flow.prefix), staff=flow.staff)

    def on(self, kind: InboundKind, handler: Handler) -> None:
        """What answers an inbound of ``kind`` (a photo, a voice message, ``unsupported``,
        ``follow``, ``unfollow``), whatever the platform; a photo goes to a flow whose
        step asks for one first."""
        if kind in (InboundKind.TEXT, InboundKind.ACTION) or kind in self.kinds:
            raise ValueError(f"kind {kind.value!r} cannot be registered (again)")
        self.kinds[kind] = Route(handler)

    def set_fallback(self, handler: Handler) -> None:
        self.fallback = handler

    def find_action(self, action: str) -> Route | None:
        return self.actions.get(action.split(":", 1)[0])

    def find_keyword(self, text: str) -> Command | None:
        if len(text) > 64:
            return None
        name = self.accented.get(lower_nfc(text)) if has_marks(text) else self.keywords.get(
            fold(text)
        )
        return self.commands.get(name) if name else None
