"""Conversation flows declared as tables, run by the engine.

A flow is one :class:`Flow`: a name, a button prefix and a table of :class:`Step`
(like the states of a chat library's conversation handler).  Each step says

- what it asks (``ask``: replies with the question and its buttons, made with
  :meth:`Flow.button`),
- what it accepts: pressed choices (``choices``: key → handler) and/or typed text
  (``text``: a parser that saves the answer or raises :class:`Invalid`), and which
  other kinds of message (``accepts``: a shared contact, a photo),
- whether the answer is typed (``typed``): then a typed number is the answer and
  never presses a numbered button, and text-only channels list the buttons as
  words to type,
- where an answer goes (``next``, or the step a handler returns), and where
  "quay lại" goes (``back``).

The engine runs the table (:func:`on_text`, :func:`on_action`): an offered
choice picked by its button, its number or its words; "hủy"/"thôi" leaves any
flow with a way forward; "quay lại" goes back; anything else that does not fit
(a sticker, a photo, an empty message, "99" among 3 choices, text where a choice
was wanted) gets a short line saying what is valid and the same question again.

Buttons carry typed data (:class:`CallbackData`, aiogram-style), packed as
``prefix:field:…`` in at most 64 bytes; a flow's own choice buttons are
``<prefix>:<key>[:<arg>]`` and are only accepted while the person is at a step
that offered exactly that button.

The tables are introspectable (:meth:`Flow.describe`), so tests can enumerate
every declared flow, step and choice.  A new conversation area is one file that
declares its Flow and one ``router.add_flow(FLOW)`` line in its ``register``.
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Self

from ..i18n import N_, Problem
from ..text import fold, has_marks, lower_nfc, same_words
from ..types import Button, InboundKind

if TYPE_CHECKING:
    from ..engine import Context

END = "<end>"  # a handler's answer: the flow is finished (Flow.finish runs)
LEFT = "<left>"  # a handler's answer: it has replied and left (or changed) the flow itself
STAY = "<stay>"  # a handler's answer: ask the same step again

Next = str | None
ChoiceHandler = Callable[["Context", str], Awaitable[Next]]
TextHandler = Callable[["Context", str], Awaitable[Next]]
Target = str | Callable[["Context"], Any] | None

QUIT = "quit"  # the key of a flow's "Cancel" button (Flow.quit_button): leaves like "hủy"
STALE = N_("That button is no longer valid. Type /menu to start again.")
CANCEL_WORDS = ("hủy", "huỷ", "hủy bỏ", "thôi", "thoát", "dừng lại")
CANCEL_PLAIN = ("huy", "huy bo", "thoi", "thoat", "cancel", "stop flow", "dung lai")
BACK_WORDS = ("quay lại", "trở lại", "lùi lại")
BACK_PLAIN = ("quay lai", "tro lai", "lui lai", "back", "go back")


class Invalid(Problem):
    """A typed answer that does not fit the step: the message says what is wanted;
    the engine says it and asks the same step again."""


# -- typed button data --------------------------------------------------------------
class CallbackData:
    """Typed button data, as aiogram's ``CallbackData``: subclass it as a dataclass
    with a ``prefix`` and str/int/bool fields; ``pack()`` gives ``prefix:f1:f2``
    (≤ 64 bytes, checked), ``unpack(action)`` gives the instance or None.

        @dataclass(frozen=True)
        class OpenCourse(CallbackData, prefix="tr:c"):
            course: int
    """

    prefix: ClassVar[str] = ""

    def __init_subclass__(cls, prefix: str = "", **kw: Any) -> None:
        super().__init_subclass__(**kw)
        if prefix:
            cls.prefix = prefix

    def pack(self) -> str:
        parts = [self.prefix]
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            v = getattr(self, f.name)
            s = ("1" if v else "0") if isinstance(v, bool) else str(v)
            if ":" in s:
                raise ValueError(f"{type(self).__name__}.{f.name} may not contain ':' ({s!r})")
            parts.append(s)
        out = ":".join(parts)
        if len(out.encode()) > 64:
            raise ValueError(f"callback data over 64 bytes: {out!r}")
        return out

    @classmethod
    def unpack(cls, action: str | None) -> Self | None:
        if not action:
            return None
        head = cls.prefix.split(":")
        parts = action.split(":")
        fs = dataclasses.fields(cls)  # type: ignore[arg-type]
        if parts[: len(head)] != head or len(parts) != len(head) + len(fs):
            return None
        values: dict[str, Any] = {}
        for f, raw in zip(fs, parts[len(head):], strict=True):
            kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "str")
            if kind == "int":
                if not raw.isdigit() or len(raw) > 18:
                    return None
                values[f.name] = int(raw)
            elif kind == "bool":
                if raw not in ("0", "1"):
                    return None
                values[f.name] = raw == "1"
            else:
                values[f.name] = raw
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Choice:
    """A flow's own choice button: ``prefix:key`` or ``prefix:key:arg``."""

    prefix: str
    key: str
    arg: str = ""

    def pack(self) -> str:
        out = f"{self.prefix}:{self.key}" + (f":{self.arg}" if self.arg else "")
        if len(out.encode()) > 64 or ":" in self.key or ":" in self.arg:
            raise ValueError(f"bad choice data {out!r}")
        return out

    @staticmethod
    def unpack(action: str) -> Choice | None:
        parts = action.split(":")
        if len(parts) == 2:
            return Choice(parts[0], parts[1])
        if len(parts) == 3:
            return Choice(*parts)
        return None


# -- the table ------------------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One state of a flow; see the module docstring."""

    name: str
    ask: Callable[[Context], Any]  # replies with the question (sync or async)
    choices: Mapping[str, ChoiceHandler] = field(default_factory=dict)
    text: TextHandler | None = None
    accepts: frozenset[InboundKind] = frozenset({InboundKind.TEXT})
    typed: bool | Callable[[Context], bool] = False  # may depend on the data (candidates shown)
    next: Target = None
    back: Target = None
    expects: str = ""  # msgid: what to type, said when a typed answer does not fit


@dataclass
class Flow:
    """A conversation area's table of steps; ``actions`` are its buttons that work
    from anywhere (entries such as "pf:go" or "tr:s:12"), key → handler(ctx, args)."""

    name: str
    prefix: str
    steps: dict[str, Step]
    first: str
    staff: bool = False
    actions: Mapping[str, Callable[[Context, list[str]], Awaitable[None]]] = field(
        default_factory=dict)
    finish: Callable[[Context], Awaitable[None]] | None = None  # END: default says nothing
    cancel: Callable[[Context], Awaitable[None]] | None = None  # "hủy": default below
    doc: str = ""

    def __post_init__(self) -> None:
        if self.first not in self.steps:
            raise ValueError(f"flow {self.name}: first step {self.first!r} not declared")
        for s in self.steps.values():
            for target in (s.next, s.back):
                if isinstance(target, str) and target not in self.steps and target not in (
                        END, LEFT, STAY):
                    raise ValueError(f"flow {self.name}: step {s.name} goes to unknown {target!r}")

    def button(self, label: str, key: str, arg: str = "") -> Button:
        """A choice button of this flow (accepted only at the step that offered it)."""
        return Button(label, Choice(self.prefix, key, arg).pack())

    def quit_button(self, ctx: Context) -> Button:
        """A "Cancel" button that leaves the flow (as typing "hủy" does)."""
        return self.button(ctx.t.plain("Cancel"), QUIT)

    def describe(self) -> dict[str, Any]:
        """The table as data: for tests (the conversation explorer) and docs."""
        return {
            "name": self.name, "prefix": self.prefix, "first": self.first, "staff": self.staff,
            "actions": sorted(self.actions),
            "steps": {
                s.name: {
                    "choices": sorted(s.choices),
                    "typed": s.typed if isinstance(s.typed, bool) else "<computed>",
                    "text": s.text is not None,
                    "accepts": sorted(k.value for k in s.accepts),
                    "next": s.next if isinstance(s.next, str) or s.next is None else "<computed>",
                    "back": s.back if isinstance(s.back, str) or s.back is None else "<computed>",
                } for s in self.steps.values()
            },
        }

    # -- moving ---------------------------------------------------------------
    async def start(self, ctx: Context, step: str | None = None, **data: Any) -> None:
        """Enter the flow (fresh data) and ask its first (or the given) step."""
        ctx.state.enter(self.name, step or self.first, **data)
        await self.ask(ctx, step or self.first)

    async def ask(self, ctx: Context, step: str) -> None:
        """Ask ``step`` (and stay in it)."""
        s = self.steps[step]
        ctx.state.flow, ctx.state.step = self.name, step
        n = len(ctx.replies)
        await call(s.ask, ctx)
        if is_typed(s, ctx):
            for r in ctx.replies[n:]:
                r.typed_answer = True

    async def go(self, ctx: Context, target: Next, step: Step | None = None) -> None:
        """Where a handler's answer leads: a step name, None (the step's ``next``),
        END, LEFT or STAY."""
        if target is None and step is not None:
            target = await _resolve(step.next, ctx)
            if target is None:
                target = END
        if target == LEFT:
            return
        if target == STAY and step is not None:
            await self.ask(ctx, step.name)
        elif target == END or target is None:
            if self.finish is not None:
                await self.finish(ctx)
            if ctx.state.flow == self.name:
                ctx.state.clear()
        elif target in self.steps:
            await self.ask(ctx, target)
        else:
            raise ValueError(f"flow {self.name}: unknown step {target!r}")

    async def leave(self, ctx: Context) -> None:
        """"hủy": out of the flow, with a way forward."""
        if self.cancel is not None:
            await self.cancel(ctx)
        if ctx.state.flow == self.name:
            ctx.state.clear()
        if not ctx.replies:
            ctx.reply(ctx.t("Cancelled. Type /menu to see what I can do."), close_keyboard=True)

    async def back(self, ctx: Context, step: Step) -> None:
        target = await _resolve(step.back, ctx)
        if target is None:  # nowhere to go back to: leave, with a way forward
            await self.leave(ctx)
            return
        await self.go(ctx, target, step)

    async def refuse(self, ctx: Context, step: Step, say: str | None = None) -> None:
        """Bad input: one short line saying what is valid, then the same question."""
        t = ctx.t
        if say is None:
            n = len(ctx.state.offered)
            if is_typed(step, ctx) or (step.text is not None and not n):
                say = t(step.expects) if step.expects else t("Please type your answer.")
            elif n and not buttons(ctx):
                say = t("Please type a number from 1 to {n}.", n=n)
            elif n:
                say = t("Please choose one of the options below.")
            else:
                say = t("Please type your answer.")
        ctx.reply(say + " " + t("Or type “hủy” to stop."))
        await self.ask(ctx, step.name)


async def call(fn: Callable, *args: Any) -> Any:
    out = fn(*args)
    return await out if inspect.isawaitable(out) else out


async def _resolve(target: Target, ctx: Context) -> str | None:
    if target is None or isinstance(target, str):
        return target
    return await call(target, ctx)


def is_typed(step: Step, ctx: Context) -> bool:
    return step.typed(ctx) if callable(step.typed) else step.typed


def buttons(ctx: Context) -> bool:
    """Does the person's channel show buttons?  (True when nothing sends: tests of
    handlers alone, the console's default is text-only and says so.)"""
    caps = ctx.caps
    return caps is None or caps.buttons


def fits(ctx: Context, with_buttons: str, text_only: str) -> str:
    """The wording that fits the channel: "press **Skip**" or "type “bỏ qua”"."""
    return with_buttons if buttons(ctx) else text_only


def is_cancel(text: str) -> bool:
    return _says(text, CANCEL_WORDS, CANCEL_PLAIN)


def is_back(text: str) -> bool:
    return _says(text, BACK_WORDS, BACK_PLAIN)


def _says(text: str, accented: tuple[str, ...], plain: tuple[str, ...]) -> bool:
    if len(text) > 30:
        return False
    if has_marks(text):
        return lower_nfc(text) in {lower_nfc(w) for w in accented}
    return fold(text) in plain


# -- running a table ------------------------------------------------------------------
async def on_text(ctx: Context, flow: Flow) -> None:
    """Anything but a button while the person is in ``flow`` (the engine calls this)."""
    state = ctx.state
    step = flow.steps.get(state.step or "")
    if step is None:  # a step this version no longer has (state from an older release)
        state.clear()
        ctx.reply(ctx.t("That conversation has expired. Type /menu to start again."))
        return
    inbound = ctx.inbound
    text = ctx.text
    if inbound.kind is InboundKind.TEXT and text:
        if is_cancel(text):
            await flow.leave(ctx)
            return
        if is_back(text):
            await flow.back(ctx, step)
            return
        offered = state.offered
        if text.isdigit() and not is_typed(step, ctx):
            i = int(text)
            if offered and 1 <= i <= len(offered):
                await _pressed(ctx, flow, step, offered[i - 1][1])
                return
            await flow.refuse(ctx, step)
            return
        if len(text) <= 64:
            for label, action in offered:
                if same_words(text, label) or same_words(text, _unmarked(label)):
                    await _pressed(ctx, flow, step, action)
                    return
        cmd = ctx.services.router.find_keyword(text)
        if cmd is not None:
            if ctx.allowed(cmd.staff):
                await cmd.handler(ctx)
            return
    if step.text is not None and inbound.kind in step.accepts and (
            text or inbound.kind is not InboundKind.TEXT):
        try:
            target = await step.text(ctx, text)
        except Invalid as e:
            await flow.refuse(ctx, step, "⚠️ " + e.say(ctx.t))
            return
        await flow.go(ctx, target, step)
        return
    if inbound.kind is not InboundKind.TEXT:
        await flow.refuse(ctx, step, ctx.t("Please answer in text."))
        return
    await flow.refuse(ctx, step)


def _unmarked(label: str) -> str:
    """A label without its leading emoji/tick ("✅ OCOP" → "OCOP")."""
    i = 0
    while i < len(label) and not label[i].isalnum():
        i += 1
    return label[i:]


async def _pressed(ctx: Context, flow: Flow, step: Step, action: str) -> None:
    """An offered button picked by number or words: handled as if pressed."""
    router = ctx.services.router
    found = router.find_action(action)
    if found is None:
        await flow.refuse(ctx, step)
        return
    if ctx.allowed(found.staff):
        ctx.args = action.split(":")[1:]
        await found.handler(ctx)


def dispatcher(router_tables: Mapping[str, Flow], prefix: str) -> Callable[[Context], Awaitable[None]]:
    """The action handler for every button starting ``prefix:`` (the router registers it)."""

    async def on_action(ctx: Context) -> None:
        args = ctx.args
        key = args[0] if args else ""
        mine = [f for f in router_tables.values() if f.prefix == prefix]
        for f in mine:
            if key in f.actions:
                await f.actions[key](ctx, args[1:])
                return
        current = router_tables.get(ctx.state.flow or "")
        step = current.steps.get(ctx.state.step or "") if current in mine else None
        action = ":".join([prefix, *args])
        offered = any(a == action for _, a in ctx.state.offered)
        if step is not None and key == QUIT and offered:
            await current.leave(ctx)
            return
        if step is not None and key in step.choices and offered:
            target = await step.choices[key](ctx, ":".join(args[1:]))
            await current.go(ctx, target, step)
            return
        ctx.reply(ctx.t(STALE))
        if step is not None:  # still in the flow: ask where they are again
            await current.ask(ctx, step.name)

    return on_action
