"""Receiving and handling through the inbound journal: nothing acknowledged is
lost, nothing is answered twice.

Channels hand every update to :meth:`Inbox.receive` (their sink) and acknowledge
it to the platform only once it returns: the update is then committed in the
store, one row per platform update id, so a redelivered update is a duplicate
and nothing else happens.  A worker takes the stored rows in order, turns each
into an :class:`~bot.types.Inbound` (the channel's ``to_inbound`` on the stored
payload) and runs the engine; the engine hands back the replies and the dialog
state, and both are written with the row marked done in one transaction.  Then
the replies are sent through delivery (reply lane), each marked "sending" just
before its API call and "sent" or "failed" after.  One person's updates go one
at a time, in order (the engine's per-person lock, held while sending too).

At start, replies that were "sending" when the process died become "unknown"
and are not sent again (a double reply is worse than an honest unknown, as with
broadcasts); then stored updates not done are handled first, in order, and
replies still pending are sent.  :meth:`Inbox.stop` takes no new update
(the channels' webhooks answer 503, polling stops), lets what is in hand finish
within ``grace`` seconds, then defers the sends still waiting for a slot (they
stay pending for the next start) and gives the rest a few seconds more.

Done rows hold what people wrote: they are deleted ``keep`` after they were done
(at start and then at most once an hour, when updates arrive).
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import timedelta
from typing import Any

from .channels import Channel, Refused, cancel
from .chatfiles import discard_ours
from .clock import Clock
from .delivery import Delivery
from .engine import Engine, Outgoing
from .store import DialogState, Entry, ReplyRow, Store
from .types import Rendered

log = logging.getLogger(__name__)

PRUNE_EVERY = 3600.0  # seconds between prunes of done rows
AFTER_GRACE = 5.0  # seconds for calls already made once the grace is over


class Inbox:
    """The inbound journal's receiving side and its worker; see the module docstring."""

    def __init__(self, store: Store, engine: Engine, delivery: Delivery, clock: Clock,
                 channels: dict[str, Channel], *, grace: float = 10.0,
                 keep: timedelta = timedelta(hours=24), in_hand: int = 256) -> None:
        self.store = store
        self.journal = store.journal
        self.engine = engine
        self.delivery = delivery
        self.clock = clock
        self.channels = channels
        self.grace = grace
        self.keep = keep
        self._queue: asyncio.Queue[Entry] = asyncio.Queue()
        self._slots = asyncio.Semaphore(in_hand)
        self._tasks: set[asyncio.Task[None]] = set()
        self._worker: asyncio.Task[None] | None = None
        self._closing = False
        self._pruned_at: float | None = None
        self._last_mark: asyncio.Future[None] | None = None

    # -- receiving -------------------------------------------------------------------
    def sink(self, channel: str) -> _ChannelSink:
        """The sink handed to one channel (see :class:`bot.channels.Sink`)."""
        return _ChannelSink(self, channel)

    async def receive(self, channel: str, updates: list[tuple[str, dict[str, Any]]], *,
                      force: bool = False) -> list[bool]:
        """Store updates (one transaction); True for each new one.  Raises Refused
        while stopping (unless ``force``), and the store's error when they could not
        be stored."""
        if self._closing and not force:
            raise Refused("stopping")
        entries = await self.journal.add_many(channel, updates, self.clock.now())
        for (update_id, _), entry in zip(updates, entries, strict=True):
            if entry is None:
                log.info("%s update %s was already stored: not handled again", channel, update_id)
            elif not self._closing:
                self._queue.put_nowait(entry)
        return [e is not None for e in entries]

    # -- lifecycle -------------------------------------------------------------------
    async def recover(self) -> None:
        """Before the channels start: settle what a crash left and queue what is
        unfinished (ahead of anything new)."""
        unknown, given_up = await self.journal.recover(self.clock.now())
        if unknown:
            log.warning("%d reply(ies) were being sent when the bot stopped: marked unknown, "
                        "not sent again", unknown)
        if given_up:
            log.error("%d stored update(s) could not be handled on several starts: given up",
                      given_up)
        unfinished = await self.journal.unfinished()
        if unfinished:
            log.info("%d stored update(s) to finish from before the restart", len(unfinished))
        for entry in unfinished:
            self._queue.put_nowait(entry)
        await self._prune()

    def start(self) -> None:
        """Once the channels can send: start the worker."""
        self._worker = asyncio.get_running_loop().create_task(self._work(), name="inbox")

    async def stop(self) -> None:
        """Take nothing new; finish what is in hand (bounded); see the module docstring."""
        self._closing = True
        await cancel(self._worker)
        self._worker = None
        try:
            await self._in_hand()
        finally:
            if self._last_mark is not None:  # marks commit in order: the last one means all
                with suppress(Exception):  # a failed one is logged by the store
                    await asyncio.shield(self._last_mark)

    async def _in_hand(self) -> None:
        if not self._tasks:
            return
        log.info("finishing %d update(s) in hand (up to %.0fs)", len(self._tasks), self.grace)
        _, pending = await asyncio.wait(set(self._tasks), timeout=self.grace)
        if pending:
            # Sends still waiting for a slot are deferred: their rows stay pending.
            await self.delivery.close()
            _, pending = await asyncio.wait(pending, timeout=AFTER_GRACE)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.wait(pending)
            log.warning("%d update(s) left for the next start", len(pending))

    @property
    def in_hand(self) -> int:
        return len(self._tasks)

    # -- the worker ------------------------------------------------------------------
    async def _work(self) -> None:
        """Take stored rows in order; each runs as its own task (people in parallel).
        A row's task enters the person's lock before any other await, so one
        person's rows keep their order."""
        while True:
            entry = await self._queue.get()
            await self._slots.acquire()
            task = asyncio.get_running_loop().create_task(self._one(entry))
            self._tasks.add(task)
            task.add_done_callback(self._done)
            if self._pruned_at is not None and \
                    self.clock.monotonic() - self._pruned_at >= PRUNE_EVERY:
                await self._prune()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._slots.release()
        if not task.cancelled() and task.exception() is not None:
            log.error("inbox: an update's task failed", exc_info=task.exception())

    async def _one(self, entry: Entry) -> None:
        if entry.state != "new":  # handled before a restart; replies still to send
            async with self.engine.person_lock(entry.person or f"#{entry.id}"):
                await self._send(await self.journal.pending(entry.id))
            return
        channel = self.channels.get(entry.channel)
        inbound = channel.to_inbound(entry.payload) if channel is not None else None
        if inbound is None:  # nothing the bot reads (or a channel no longer configured)
            await self.journal.finish(entry.id, None, [], None, self.clock.now())
            return
        finished = False

        async def finish(outgoing: list[Outgoing], dialog: tuple[int, DialogState] | None) -> None:
            nonlocal finished
            rows = await self.journal.finish(entry.id, inbound.key, self._render(outgoing),
                                             dialog, self.clock.now())
            finished = True
            await self._send(rows)

        ok = await self.engine.handle(inbound, finish)
        if not finished:
            if ok:  # read and left alone (a group chat the bot does not serve)
                await self.journal.finish(entry.id, inbound.key, [], None, self.clock.now())
            else:
                log.error("%s update %s could not be handled; it is tried again at the next "
                          "start", entry.channel, entry.update_id)

    def _render(self, outgoing: list[Outgoing]) -> list[tuple[str, str, Rendered]]:
        rows = []
        for channel, chat_id, reply, t in outgoing:
            if channel in self.delivery.channels:
                rows += [(channel, chat_id, m) for m in self.delivery.render(channel, reply, t)]
        return rows

    async def _send(self, rows: list[ReplyRow]) -> None:
        """Send an update's pending replies in order (a blocked chat gets no more).
        The "sending" mark is committed before the call; outcomes are written behind
        (many people's marks share a group commit, :meth:`Database.soon`)."""
        marks = self._mark
        blocked: set[tuple[str, str]] = set()
        for row in rows:
            if (row.channel, row.chat_id) in blocked or row.channel not in self.delivery.channels:
                discard_ours((row.message.document, row.message.image))
                marks(row.id, "failed", reason="not sent: chat blocked"
                          if (row.channel, row.chat_id) in blocked else "channel not configured")
                continue
            called = False

            async def on_call(reply_id: int = row.id) -> None:
                nonlocal called
                if not called:
                    await marks(reply_id, "sending")
                    called = True

            o = await self.delivery.send(row.channel, row.chat_id, row.message, high=True,
                                         on_call=on_call)
            if o.status != "deferred":  # a file made for this message is gone once tried
                discard_ours((row.message.document, row.message.image))
            if o.status == "deferred":
                if called:  # a call was made before (a 429, a timeout): it may have arrived
                    await marks(row.id, "unknown", reason=o.reason)
                else:
                    await marks(row.id, "pending")
                return  # shutting down: the rest stay pending for the next start
            if o.status == "sent":
                marks(row.id, "sent", message_id=o.message_id)
                continue
            marks(row.id, "failed", reason=o.reason)
            if o.status == "blocked":
                blocked.add((row.channel, row.chat_id))

    def _mark(self, reply_id: int, state: str, *, message_id: str | None = None,
              reason: str | None = None) -> asyncio.Future[None]:
        self._last_mark = self.journal.mark_soon(reply_id, state, self.clock.now(),
                                                 message_id=message_id, reason=reason)
        return self._last_mark

    async def _prune(self) -> None:
        self._pruned_at = self.clock.monotonic()
        try:
            n = await self.journal.prune(self.clock.now() - self.keep)
        except Exception:
            log.exception("inbox: pruning done updates failed")
            return
        if n:
            log.info("deleted %d handled update(s) older than %s", n, self.keep)


class _ChannelSink:
    """One channel's sink (:class:`bot.channels.Sink`) on the inbox."""

    def __init__(self, inbox: Inbox, channel: str) -> None:
        self.inbox = inbox
        self.channel = channel

    async def __call__(self, update_id: str, payload: dict[str, Any], *,
                       force: bool = False) -> bool:
        return (await self.many([(update_id, payload)], force=force))[0]

    async def many(self, updates: list[tuple[str, dict[str, Any]]], *,
                   force: bool = False) -> list[bool]:
        return await self.inbox.receive(self.channel, updates, force=force)
