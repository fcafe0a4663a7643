"""Channel adapters: the only place that knows a platform.

Each adapter hands every platform update it receives to a sink from the core
(which stores it in the inbound journal before the adapter acknowledges it to
the platform), turns a stored payload into an :class:`~bot.types.Inbound` for
the engine, and sends :class:`~bot.types.Rendered` messages, mapping platform
errors to :mod:`bot.errors`.  Adapters know no SQL.

The registry: every channel module here exposes ``KIND``, a :class:`ChannelKind`
(its name, its title, its own settings model, how to build it), and is named once
in :data:`MODULES`.  A new channel is one new module here plus one name there;
nothing outside this package names a platform (``tests/test_registry.py``).
"""

from __future__ import annotations

import asyncio
import importlib
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Generic, Protocol, TypeVar
from urllib.parse import urlparse

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, SecretStr

from ..types import Capabilities, Constraints, Inbound, Rendered, Sent

if TYPE_CHECKING:
    from ..clock import Clock
    from ..store import Store
    from .webserver import WebServer

# The registered channel modules, in order (also the order of start-up and of the
# keys a "no channel configured" message names): a module of this package, or a
# dotted module path.  One line per channel.
MODULES = (
    "telegram",
    "zalo",
    "zalo_oa",
    "console",
)

InboundHandler = Callable[[Inbound], Awaitable[None]]


class Sink(Protocol):
    """Where a channel hands the updates it receives (the core's inbound journal)."""

    async def __call__(self, update_id: str, payload: dict[str, Any], *,
                       force: bool = False) -> bool:
        """Store one update (committed on return): True if new, False if it was
        stored before (a duplicate: acknowledge it and do nothing else).  Raises
        :class:`Refused` while the bot is stopping (unless ``force``: the platform
        cannot deliver that update again), and any other exception when it could
        not be stored: do not acknowledge it then."""

    async def many(self, updates: list[tuple[str, dict[str, Any]]], *,
                   force: bool = False) -> list[bool]:
        """The same for a batch of (update id, payload), in one transaction, in order."""


class Refused(Exception):
    """The bot is stopping and takes no new update; the platform keeps it for later."""


class Channel(Protocol):
    name: str
    caps: Capabilities
    rate: float
    # Limits on broadcast copies (window since last interaction, quotas, hours);
    # bot.types.NO_LIMITS for channels without any.
    constraints: Constraints

    def chat_limit(self, chat_id: str) -> tuple[float, float]:
        """(messages per second, burst) allowed into one chat."""

    async def send(self, chat_id: str, msg: Rendered) -> Sent:
        """Send one message; raise a :class:`bot.errors.SendError` on failure."""

    async def start(self, sink: Sink) -> None:
        """Begin receiving; each update goes to ``sink`` before it is acknowledged."""

    def to_inbound(self, payload: dict[str, Any]) -> Inbound | None:
        """The core's view of a stored update; None for what the bot does not read."""

    async def stop(self) -> None:
        """Stop receiving and release the platform connection."""


async def cancel(task: asyncio.Task | None) -> None:
    """Cancel a background task (a poller) and wait until it has ended."""
    if task is None:
        return
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


# -- settings -------------------------------------------------------------------------
def http_url(v: str | None) -> str | None:
    """An http(s) URL, trimmed; None and "" as given (a key left empty)."""
    if v is None or not v.strip():
        return v
    u = urlparse(v.strip())
    if u.scheme not in {"http", "https"} or not u.netloc:
        raise ValueError(f"{v!r} is not an http(s) URL")
    return v.strip()


def flag(v: Any) -> Any:
    """1/0, true/false, yes/no, on/off (empty: off)."""
    if isinstance(v, str):
        s = v.strip().lower()
        if s in {"1", "true", "yes", "on"}:
            return True
        if s in {"", "0", "false", "no", "off"}:
            return False
        raise ValueError(f"{v!r} is not 0 or 1")
    return v


def _rate(v: float) -> float:
    if not 0 < v <= 10_000:  # some platforms allow paid broadcasts at 1000/s
        raise ValueError("must be a number of messages per second above 0")
    return v


def _no_empty(v: Any) -> Any:
    return None if isinstance(v, str) and not v.strip() else v


def secret_like(pattern: str, why: str, *, strip: bool = True
                ) -> Callable[[SecretStr | None], SecretStr | None]:
    """A validator: the secret (when set; trimmed unless not ``strip``) must match
    ``pattern`` in full."""
    def check(v: SecretStr | None) -> SecretStr | None:
        value = v.get_secret_value() if v is not None else ""
        if v is not None and not re.fullmatch(pattern, value.strip() if strip else value):
            raise ValueError(why)
        return v
    return check


# Field types for channel settings (the core's settings use them too).
Url = Annotated[str, AfterValidator(http_url)]
OptionalUrl = Annotated[str | None, AfterValidator(http_url)]
Rate = Annotated[float, AfterValidator(_rate)]
Flag = Annotated[bool, BeforeValidator(flag)]
Secret = Annotated[SecretStr | None, BeforeValidator(_no_empty)]  # an empty key: not set


class ChannelSettings(BaseModel):
    """A channel's own settings, read from the same environment and file as the
    core's (:func:`bot.config.load_settings`); field aliases are its keys."""

    model_config = ConfigDict(populate_by_name=True, frozen=True, extra="ignore")

    # Fields holding the URL of a webhook this channel serves on the shared web server.
    webhook_fields: ClassVar[tuple[str, ...]] = ()

    def webhooks(self) -> dict[str, str]:
        """Key → URL of each webhook configured (the web server runs if any is)."""
        fields = type(self).model_fields
        return {fields[f].alias or f: url for f in self.webhook_fields
                if (url := getattr(self, f, None))}


def reveal(secret: SecretStr | None) -> str | None:
    return secret.get_secret_value() if secret else None


# -- the registry ----------------------------------------------------------------------
CommandList = dict[str, list[tuple[str, str]]]  # language → [(command, description)]


@dataclass(frozen=True)
class Wiring:
    """What the core hands a channel when it builds it."""

    store: Store
    clock: Clock
    webserver: WebServer | None = None  # the shared web server (when a webhook is configured)
    commands: CommandList = field(default_factory=dict)  # the commands everybody may use
    staff_commands: CommandList = field(default_factory=dict)  # … and those for staff too
    admins: tuple[str, ...] = ()  # user ids of this channel's staff (NHANONG_ADMINS)
    staff_chat: str | None = None  # the staff chat's id, when it is on this channel
    # Tells the staff chat (whatever channel it is on) once per call, e.g. "token refused".
    notify: Callable[[str], Awaitable[None]] | None = None


S = TypeVar("S", bound=ChannelSettings)


@dataclass(frozen=True)
class ChannelKind(Generic[S]):
    """One registered channel."""

    # The channel's id: member keys, segments (channel=NAME), addresses NAME:ID, and
    # the prefix of platform file references ("NAME-file:ID", see :func:`file_ref`).
    name: str
    title: str  # as people read it ("Telegram"); a msgid when it needs translating
    settings: type[S]
    # The channel from its settings; None when it is not configured (no token).
    build: Callable[[S, Wiring], Channel | None]
    # The key that turns the channel on, named when no channel is configured
    # (None: the channel is not started by ``run``, like the console).
    enabled_by: str | None = None


@cache
def _kinds(modules: tuple[str, ...]) -> tuple[ChannelKind, ...]:
    found = tuple(importlib.import_module(m if "." in m else f"{__name__}.{m}").KIND for m in modules)
    names = [k.name for k in found]
    if len(set(names)) != len(names) or not all(re.fullmatch(r"[a-z][a-z0-9_]*", n) for n in names):
        raise RuntimeError(f"channel names must be distinct lower-case words: {names}")
    return found


def kinds() -> tuple[ChannelKind, ...]:
    """Every registered channel, in :data:`MODULES` order."""
    return _kinds(MODULES)


def kind(name: str) -> ChannelKind | None:
    return next((k for k in kinds() if k.name == name), None)


def names() -> tuple[str, ...]:
    """The registered channel names (what CHANNEL:ID and channel=… accept)."""
    return tuple(k.name for k in kinds())


def title(name: str) -> str:
    """How people call a channel (its name when it is not registered)."""
    k = kind(name)
    return k.title if k else name


def file_ref(name: str, file_id: str) -> str:
    """A platform file (a picture the platform keeps) as the core stores it."""
    return f"{name}-file:{file_id}"


def is_file_ref(ref: str | None) -> bool:
    """Whether ``ref`` is a :func:`file_ref` of a registered channel (not a local path)."""
    head, sep, _ = (ref or "").partition("-file:")
    return bool(sep) and head in names()


def is_remote(ref: str | None) -> bool:
    """A picture or file kept elsewhere (a platform's file or an http(s) URL), not a
    file on this machine."""
    return is_file_ref(ref) or (ref or "").startswith(("http://", "https://"))


def webhooks(channels: Mapping[str, ChannelSettings]) -> dict[str, str]:
    """Key → URL of every webhook configured, over all channels."""
    return {key: url for cs in channels.values() for key, url in cs.webhooks().items()}
