"""The one path every outgoing message takes.

``Delivery.send`` renders nothing; it takes messages already rendered for the
channel, waits for a slot from that channel's pacer (the reply lane for replies;
broadcasts in the urgent or normal lane, one flow each) and maps what the platform answered: a 429 pauses the
channel and the same message is tried again, a 403 marks the member blocked,
network faults are retried with backoff, a refused message is reported.

A channel's own limits answered by the platform end the message with their own
outcome ("over_quota", "outside_window"), never retried.  A refused token
(:class:`~bot.errors.Unauthorized`) stops the channel: nothing more is sent on it
(every message for it is "deferred": a broadcast copy goes back to pending, a reply
is logged and kept by its sender) until :meth:`Delivery.resume` or a restart, and
staff are told once (``on_stopped``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

from .channels import Channel
from .chatfiles import discard
from .clock import Clock
from .errors import (
    Blocked,
    ChatMoved,
    Closed,
    OutsideWindow,
    OverQuota,
    Permanent,
    RetryLater,
    Transient,
    Unauthorized,
)
from .i18n import Translator
from .pacer import Lane, Pacer
from .render import render
from .store import Store
from .types import Rendered, Reply

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    # "sent", "blocked", "failed", "over_quota", "outside_window" (the channel's limits),
    # or "deferred" (not tried: shutting down, or the channel is stopped)
    status: str
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
        # Channels stopped because the platform refused our token: name → why.
        self.stopped: dict[str, str] = {}
        self.generation = 0  # changes at every stop and resume (the sender looks again)
        # Told once per stop (the app tells the staff chat); awaited, errors logged.
        self.on_stopped: Callable[[str, str], Awaitable[None]] | None = None

    def works(self, channel: str) -> bool:
        """May messages be sent on this channel (configured and not stopped)?"""
        return channel in self.channels and channel not in self.stopped

    @property
    def working(self) -> list[str]:
        return [c for c in self.channels if c not in self.stopped]

    def resume(self, channel: str) -> None:
        """The channel works again (a new token): sending on it goes on, and the
        broadcast copies left pending go at the sender's next look."""
        if self.stopped.pop(channel, None) is not None:
            self.generation += 1
            log.warning("%s: sending resumed", channel)

    async def _stop(self, channel: str, reason: str) -> None:
        if channel in self.stopped:
            return
        self.stopped[channel] = reason
        self.generation += 1
        log.error("%s refused our credentials (%s): channel stopped, nothing more is sent on "
                  "it until it works again or the bot restarts", channel, reason)
        if self.on_stopped is not None:
            try:
                await self.on_stopped(channel, reason)
            except Exception:
                log.exception("%s: staff could not be told that the channel stopped", channel)

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
            if channel in self.stopped:
                return self._held(channel, chat_id, msg)
            try:
                await pacer.acquire(chat_id, high, lane=lane, flow=flow)
            except Closed:
                return Outcome("deferred", reason="not sent: the bot was shutting down")
            if channel in self.stopped:  # stopped while this one waited for its slot
                return self._held(channel, chat_id, msg)
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
            except Permanent as e:
                log.warning("%s refused a message to %s: %s", channel, chat_id, e)
                return Outcome("failed", reason=str(e))
            except OverQuota as e:  # the platform's count: not retried, can be re-sent later
                log.info("%s: chat %s is over its quota (%s)", channel, chat_id, e)
                return Outcome("over_quota", reason=f"{channel}: over quota: {e}"[:300])
            except OutsideWindow as e:
                log.info("%s: chat %s is outside the channel's window (%s)", channel, chat_id, e)
                return Outcome("outside_window", reason=f"{channel}: outside window: {e}"[:300])
            except Unauthorized as e:
                await self._stop(channel, str(e) or type(e).__name__)
                return self._held(channel, chat_id, msg)
            except Transient as e:
                attempt += 1
                if attempt > self.retries:
                    return Outcome("failed", reason=f"transient: {e}")
                delay = self.backoff * 2 ** (attempt - 1)
                log.info("%s send failed (%s); retry %d in %.1fs", channel, e, attempt, delay)
                await self.clock.sleep(delay)

    def _held(self, channel: str, chat_id: str, msg: Rendered) -> Outcome:
        """Not sent: the channel is stopped.  One line each, so a reply is not lost
        silently (its sender keeps it as for a shutdown: "deferred")."""
        if msg.purpose != "broadcast":  # broadcast copies: pending, counted in the status
            log.warning("%s is stopped: a %s to chat %s was not sent (kept for when the "
                        "channel works again)", channel, msg.purpose, chat_id)
        return Outcome("deferred", reason=f"not sent: {channel} is stopped ({self.stopped.get(channel)})")

    async def close(self) -> None:
        for p in self.pacers.values():
            await p.close()
