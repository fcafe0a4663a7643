"""Messages staff send to one person from outside a chat: the web console's answer
to a farmer's question, typed in a browser rather than in the staff chat.

:func:`send_later` stores the message (committed) before the console says it was
sent; :class:`DirectSender`, a worker of the bot's ``run``, sends what is stored on
the person's channel, in their language, through delivery's reply lane, and records
how it ended.  A console running in its own process (``python -m bot web``) stores
only; the bot's worker finds the message within a few seconds.  A restart loses
nothing: a message stored and not sent is sent after it; one the bot was sending
when it died ends "unknown" and is not sent twice (a double message is worse than
an honest unknown, as for the chat's replies)."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import asdict

from .clock import Clock, wake_early
from .delivery import Delivery
from .i18n import translator
from .store import Store
from .types import Button, Reply

log = logging.getLogger(__name__)

LOOK_EVERY = 2.0  # seconds between looks for messages stored by another process


def dump(reply: Reply) -> str:
    return json.dumps({"text": reply.text, "image": reply.image,
                       "buttons": [[asdict(b) for b in row] for row in reply.buttons]},
                      ensure_ascii=False)


def load(text: str) -> Reply:
    d = json.loads(text)
    return Reply(d["text"], [[Button(**b) for b in row] for row in d.get("buttons", [])],
                 image=d.get("image"))


async def send_later(store: Store, member_id: int, reply: Reply, by: str, now,
                     wake=None) -> int:
    """Store a message to one member (sent by the bot's worker); its id.  ``wake``: the
    worker of this process, told to look now."""
    message_id = await store.direct.add(member_id, dump(reply), by, now)
    if wake is not None:
        wake()
    return message_id


class DirectSender:
    """The bot's worker that sends the stored messages."""

    def __init__(self, store: Store, delivery: Delivery, clock: Clock, zone: str) -> None:
        self.store = store
        self.delivery = delivery
        self.clock = clock
        self.zone = zone
        self.stopping = False
        self._wake = asyncio.Event()

    def kick(self) -> None:
        self._wake.set()

    async def recover(self) -> None:
        n = await self.store.direct.recover(self.clock.now())
        if n:
            log.warning("%d message(s) from the console were being sent when the bot stopped:"
                        " marked unknown, not sent again", n)

    async def run(self) -> None:
        while not self.stopping:
            self._wake.clear()
            try:
                await self.tick()
            except Exception:
                log.exception("sending the console's messages failed; trying again")
            if self.stopping:
                break
            await wake_early(self.clock.sleep(LOOK_EVERY, passive=True), self._wake)

    async def tick(self) -> int:
        sent = 0
        for row in await self.store.direct.pending():
            if self.stopping:
                break
            if row.channel not in self.delivery.channels:
                continue  # that channel is not running in this process
            if row.blocked:
                await self.store.direct.finish(row.id, "blocked", self.clock.now(),
                                               "the person blocked the bot")
                continue
            if not await self.store.direct.claim(row.id):
                continue
            t = translator(row.locale, self.zone)
            state, reason = "sent", None
            for msg in self.delivery.render(row.channel, load(row.reply), t):
                o = await self.delivery.send(row.channel, row.chat_id, msg, high=True)
                if o.status != "sent":
                    state, reason = o.status, o.reason
                    break
            if state == "deferred":
                await self.store.direct.release(row.id)
                break
            await self.store.direct.finish(row.id, state, self.clock.now(), reason)
            sent += state == "sent"
        return sent
