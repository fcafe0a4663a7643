"""The one path every outgoing message takes.

``Delivery.send`` renders nothing; it takes messages already rendered for the
channel, waits for a slot from that channel's pacer (the reply lane for replies;
broadcasts in the urgent or normal lane, one flow each) and maps what the platform answered: a 429 pauses the
channel and the same message is tried again, a 403 marks the member blocked,
network faults are retried with backoff, a refused message is reported.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

from .channels import Channel
from .chatfiles import discard
from .clock import Clock
from .errors import Blocked, ChatMoved, Closed, Permanent, RetryLater, Transient, Unauthorized
from .i18n import Translator
from .pacer import Lane, Pacer
from .render import render
from .store import Store
from .types import Rendered, Reply

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # "sent", "blocked", "failed", or "deferred" (not tried: shutting down)
    message_id: str | None = None
    reason: str | None = None


class Delivery:
    """Paced, error-mapped sending for every configured channel."""

    def __init__(
        self,
        channels: dict[str, Channel],
        store: Store,
        clock: Clock,
        *,
        retries: int = 5,
        backoff: float = 1.0,
    ) -> None:
        self.channels = channels
        self.store = store
        self.clock = clock
        self.retries = retries
        self.backoff = backoff
        self.pacers = {
            name: Pacer(ch.rate, clock, ch.chat_limit) for name, ch in channels.items()
        }

    def render(self, channel: str, reply: Reply, t: Translator) -> list[Rendered]:
        caps = self.channels[channel].caps
        return render(
            reply,
            caps,
            contact_label=t.plain("📱 Share my phone number"),
            skip_label=t.plain("Skip"),
            hint=t("_Type the number of your choice, or its words._"),
            words_hint=t("_Or type one of these words._"),
            ways_out=frozenset((t.plain("Skip"), t.plain("Cancel"))),
        )

    async def reply(
        self, channel: str, chat_id: str, replies: list[Reply], t: Translator
    ) -> list[Outcome]:
        """Send replies to a person talking to the bot (reply lane), in order.  Files
        made for a reply (``temporary``) are deleted afterwards, whatever happened."""
        outcomes: list[Outcome] = []
        try:
            for reply in replies:
                for msg in self.render(channel, reply, t):
                    o = await self.send(channel, chat_id, msg, high=True)
                    outcomes.append(o)
                    if o.status == "blocked":
                        return outcomes
            return outcomes
        finally:
            discard(f for r in replies if r.temporary for f in (r.image, r.document))

    async def send(self, channel: str, chat_id: str, msg: Rendered, high: bool,
                   on_call: Callable[[], Awaitable[None]] | None = None, *,
                   lane: Lane | None = None, flow: Hashable = None) -> Outcome:
        """Send one message; ``on_call`` is awaited just before each API call (the
        inbound journal marks its reply "sending" there).  ``lane`` and ``flow``: see
        :meth:`Pacer.acquire` (by default ``high`` is the reply lane, else normal)."""
        ch = self.channels[channel]
        pacer = self.pacers[channel]
        attempt = 0
        while True:
            try:
                await pacer.acquire(chat_id, high, lane=lane, flow=flow)
            except Closed:
                return Outcome("deferred", reason="not sent: the bot was shutting down")
            try:
                if on_call is not None:
                    await on_call()
                sent = await ch.send(chat_id, msg)
                return Outcome("sent", sent.message_id)
            except RetryLater as e:
                # Not the message's fault: wait as asked and try the same message again.
                log.warning("%s asked to slow down for %.1fs", channel, e.seconds)
                pacer.pause(e.seconds)
            except Blocked:
                n = await self.store.members.mark_blocked(channel, chat_id, self.clock.now())
                log.info("%s chat %s blocked the bot (%d member(s) marked)", channel, chat_id, n)
                return Outcome("blocked", reason="blocked by the user")
            except ChatMoved as e:
                await self.store.members.move_chat(channel, chat_id, e.new_chat_id)
                chat_id = e.new_chat_id
            except (Permanent, Unauthorized) as e:  # Unauthorized: see the quota work (#15)
                log.warning("%s refused a message to %s: %s", channel, chat_id, e)
                return Outcome("failed", reason=str(e))
            except Transient as e:
                attempt += 1
                if attempt > self.retries:
                    return Outcome("failed", reason=f"transient: {e}")
                delay = self.backoff * 2 ** (attempt - 1)
                log.info("%s send failed (%s); retry %d in %.1fs", channel, e, attempt, delay)
                await self.clock.sleep(delay)

    async def close(self) -> None:
        for p in self.pacers.values():
            await p.close()
