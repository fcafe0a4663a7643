"""The terminal: try the bot with no token (``python -m bot chat``).

Text only: buttons arrive as a numbered list and typing the number
picks one.  Each line typed is one message from a single local person.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Callable
from typing import TextIO

from ..i18n import N_
from ..types import NO_LIMITS, Capabilities, Inbound, InboundKind, Rendered, Sent
from . import ChannelKind, ChannelSettings, InboundHandler


class _WarningsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING


def quiet_logs() -> Callable[[], None]:
    """While the chat runs in this terminal, informational log lines ("applied migration
    …", one per migration on a new database) would land among the messages: only warnings
    and errors are shown.  ``python -m bot run`` keeps its INFO log.  Returns the undo."""
    only = _WarningsOnly()
    handlers = list(logging.getLogger().handlers)
    for h in handlers:
        h.addFilter(only)

    def undo() -> None:
        for h in handlers:
            h.removeFilter(only)

    return undo


class ConsoleChannel:
    name = "console"
    caps = Capabilities(buttons=False, max_text=4000, markup="plain")
    constraints = NO_LIMITS
    rate = 1000.0
    terminal = True  # the person reads this process's terminal: see quiet_logs

    def __init__(
        self,
        user_id: str = "local",
        display_name: str = "Bạn",
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self.user_id = user_id
        self.display_name = display_name
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self._n = 0
        self._task: asyncio.Task[None] | None = None

    def chat_limit(self, chat_id: str) -> tuple[float, float]:
        return (1000.0, 1000.0)

    async def send(self, chat_id: str, msg: Rendered) -> Sent:
        self._n += 1
        out = []
        if msg.image:
            out.append(f"[🖼  {msg.image}]")
        out.append(msg.text)
        if msg.document:
            out.append(f"[📎 {msg.document}]")
        self.stdout.write("\n" + "\n".join(out) + "\n")
        self.stdout.flush()
        return Sent(str(self._n))

    async def start(self, on_inbound: InboundHandler) -> None:
        self._task = asyncio.get_running_loop().create_task(self._read(on_inbound))

    async def wait_closed(self) -> None:
        """Until the person ends input (Ctrl-D) and the last reply is out."""
        if self._task:
            await self._task

    async def stop(self) -> None:
        if self._task and not self._task.done():
            self._task.cancel()

    async def _read(self, on_inbound: InboundHandler) -> None:
        loop = asyncio.get_running_loop()
        interactive = self.stdin.isatty()
        while True:
            if interactive:
                self.stdout.write("\n> ")
                self.stdout.flush()
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line:
                return
            await on_inbound(
                Inbound(
                    channel=self.name,
                    user_id=self.user_id,
                    chat_id=self.user_id,
                    kind=InboundKind.TEXT,
                    text=line.rstrip("\n"),
                    display_name=self.display_name,
                )
            )


# Built by ``python -m bot chat`` only (never by ``run``): no settings, nothing to build.
KIND = ChannelKind("console", N_("this terminal"), ChannelSettings, lambda s, w: None)
