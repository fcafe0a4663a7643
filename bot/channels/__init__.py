"""Channel adapters: the only place that knows a platform.

Each adapter turns platform updates into :class:`~bot.types.Inbound` values for
the engine and sends :class:`~bot.types.Rendered` messages, mapping platform
errors to :mod:`bot.errors`.  A new channel is one new module here plus one
line in :func:`bot.app.build_channels`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from ..types import Capabilities, Inbound, Rendered, Sent

InboundHandler = Callable[[Inbound], Awaitable[None]]


class Channel(Protocol):
    name: str
    caps: Capabilities
    rate: float

    def chat_limit(self, chat_id: str) -> tuple[float, float]:
        """(messages per second, burst) allowed into one chat."""

    async def send(self, chat_id: str, msg: Rendered) -> Sent:
        """Send one message; raise a :class:`bot.errors.SendError` on failure."""

    async def start(self, on_inbound: InboundHandler) -> None:
        """Begin receiving; each update is handed to ``on_inbound``."""

    async def stop(self) -> None:
        """Stop receiving and release the platform connection."""
