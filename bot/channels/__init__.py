"""Channel adapters: the only place that knows a platform.

Each adapter hands every platform update it receives to a sink from the core
(which stores it in the inbound journal before the adapter acknowledges it to
the platform), turns a stored payload into an :class:`~bot.types.Inbound` for
the engine, and sends :class:`~bot.types.Rendered` messages, mapping platform
errors to :mod:`bot.errors`.  Adapters know no SQL.  A new channel is one new
module here plus one line in :func:`bot.app.build_channels`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ..types import Capabilities, Constraints, Inbound, Rendered, Sent

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
