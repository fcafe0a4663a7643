"""The broadcast sender: turns due broadcasts into deliveries, at the platform's pace.

Every few seconds it looks for broadcasts that are due (created by staff in the
chat, by the CLI in another process, or scheduled earlier, also before a
restart); plans their deliveries in one SQL statement; and sends them through
the pacer with many requests in flight.  Several broadcasts send at once, each in
its own task and as its own flow in the pacer: an urgent one ("khẩn") in the
urgent lane, the others in the normal lane, where they take turns; replies to
people talking to the bot always go first, and the channel's rate is shared.  A
commune broadcast created while one to the whole province runs starts at once
when made in the chat (:meth:`Broadcaster.kick`), else at the next look (every
``every`` seconds: the CLI, a scheduled time), and its copies go out among the
big one's.  Quiet hours hold pushes until morning; an expired broadcast drops
what was not yet sent.

A channel's limits (:class:`bot.types.Constraints`: an official account's window since the
person's last interaction, monthly and daily quotas per person, allowed hours) are
decided per copy before sending, from the store (:class:`~bot.store.Rule`): a copy
outside the window ends "outside_window", one over a quota "over_quota" (both can
be re-sent: /guilai); outside the channel's hours its copies wait, like quiet
hours, and go when the hours open.  A sent copy counts in the person's quota in the
same write as its outcome.  These apply to broadcasts (``purpose="broadcast"``);
check-in reminders go through the outbox as notices (``purpose="notice"``).  A
channel stopped by a refused token (:meth:`Delivery.works`) is not claimed from: its
copies stay pending until it works again; staff are told once.

Rows are claimed in batches ("queued"), walking the broadcast in member order
from a cursor (a batch costs the same at the start and at the end), and flow
without a pause between batches to ``in_flight`` sending tasks.  Each copy is marked in flight before
its API call and gets its outcome after, but many copies share one write
(:class:`Ledger`): a chunk of ``chunk`` copies is marked in one transaction
just before it is handed to the senders, once the previous chunk has been
taken up; outcomes are written behind, with the next chunk's marking.

The trade-off, after a crash: every copy whose call may have started is
"unknown" and never re-sent (nobody gets two), but so are the copies marked
and handed over that were still waiting for their slot from the pacer, at
most ``chunk`` + ``in_flight`` of them (before the batching: ``in_flight``,
as the mark came before the wait for a slot too).  Claimed copies never handed
over go back to pending.  Outcomes not yet written when the process died
leave their rows "unknown" as well: the call was made, the answer is lost.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from typing import Any

from .channels import is_remote
from .clock import Clock, wake_early
from .config import Settings
from .delivery import Delivery, Outcome
from .geo import Communes
from .i18n import N_, Problem, md_escape, translator
from .pacer import Lane
from .segments import SegmentError, parse_segment, stored_segment
from .store import Broadcast, CopyResult, Recipient, Rule, Store, StoreError
from .types import Button, Constraints, Rendered, Reply
from .when import parse_local_time

log = logging.getLogger(__name__)

# Errors that say nothing about the broadcast itself (the database busy or unusable, the
# disk, the network): it is tried again at the next look instead of being stopped.
NOT_ITS_FAULT = (sqlite3.Error, StoreError, OSError)


def _within(local: time, start: time, end: time) -> bool:
    """Is ``local`` in [start, end), a span that may cross midnight (21:00-06:00)?"""
    if start <= end:
        return start <= local < end
    return local >= start or local < end


def in_quiet_hours(now: datetime, settings: Settings) -> bool:
    """Is it quiet time where the members live (e.g. 21:00-06:00)?"""
    if not settings.quiet_hours:
        return False
    return _within(now.astimezone(settings.zone).time(), *settings.quiet_hours)


def in_hours(now: datetime, c: Constraints, settings: Settings) -> bool:
    """May a channel with constraints ``c`` send broadcast copies now (local time)?"""
    return c.hours is None or _within(now.astimezone(settings.zone).time(), *c.hours)


def rule_of(c: Constraints, now: datetime, settings: Settings) -> Rule:
    """A channel's constraints at ``now``: the window's start, the local month and day."""
    local = now.astimezone(settings.zone)
    return Rule(seen_after=now - timedelta(seconds=c.window) if c.window is not None else None,
                monthly=c.monthly_quota, daily=c.daily_quota,
                month=f"{local:%Y-%m}", day=f"{local:%Y-%m-%d}")


def purpose_of(b: Broadcast) -> str:
    """A check-in reminder (its audience: those who have not answered) is a notice
    about something the person takes part in; everything else is a broadcast."""
    seg = stored_segment(b.segment)
    return "notice" if any(name == "pending_checkin" for name, _ in seg.terms) else "broadcast"


def limits(delivery: Delivery, settings: Settings, now: datetime, purpose: str = "broadcast",
           ) -> tuple[list[str], dict[str, Rule], list[str]]:
    """(channels that may send broadcast copies now, their rules, channels waiting for
    their allowed hours).  Stopped channels are in neither list; notices have no rules."""
    open_, rules, waiting = [], {}, []
    for name in delivery.working:
        c = getattr(delivery.channels[name], "constraints", None) or Constraints()
        if purpose != "broadcast":
            open_.append(name)
            continue
        if not in_hours(now, c, settings):
            waiting.append(name)
            continue
        open_.append(name)
        rule = rule_of(c, now, settings)
        if rule.limits:
            rules[name] = rule
    return open_, rules, waiting


async def forecast(store: Store, delivery: Delivery, settings: Settings, segment, now: datetime,
                   ) -> dict[str, dict[str, int]]:
    """What a broadcast to ``segment`` made now would do, per channel: {"send": will be
    attempted now, "later": will be attempted when the channel's hours open,
    "over_quota", "outside_window": not attempted (their own outcome), "stopped": the
    channel is stopped (they wait for it), "absent": the channel is not running here}."""
    open_, rules, waiting = limits(delivery, settings, now)
    for name in waiting:  # decided as they will be when the hours open (the same rules)
        c = delivery.channels[name].constraints
        if rule_of(c, now, settings).limits:
            rules[name] = rule_of(c, now, settings)
    counts = await store.broadcasts.forecast(segment, rules)
    out: dict[str, dict[str, int]] = {}
    for channel, c in counts.items():
        row = {"send": 0, "later": 0, "over_quota": c["over_quota"],
               "outside_window": c["outside_window"], "stopped": 0, "absent": 0}
        key = ("send" if channel in open_ else "later" if channel in waiting
               else "stopped" if channel in delivery.stopped else "absent")
        row[key] += c["send"]
        out[channel] = row
    return out


class Broadcaster:
    """Sends every due broadcast; one that cannot be sent is stopped ("failed", with
    its reason, staff told once through ``notify``) and the others go on.

    It keeps no copy of the content: a broadcast's segment is read as stored when it
    was made (validated then), so a content reload changes nothing here."""

    def __init__(self, settings: Settings, store: Store, delivery: Delivery, clock: Clock, *,
                 notify: Callable[[str], Awaitable[None]] | None = None, batch: int = 200,
                 in_flight: int = 64, chunk: int = 32, every: float = 2.0,
                 library: Callable[[], Any] | None = None) -> None:
        self.settings = settings
        self.library = library  # the content as it is now (an article's links per channel)
        self.store = store
        self.delivery = delivery
        self.clock = clock
        self.notify = notify
        self.batch = batch
        self.in_flight = in_flight  # copies being sent at once (waiting for a slot included)
        self.chunk = chunk  # copies marked in flight per write, just before they are handed over
        self.every = every
        self._rendered: dict[tuple[int, str, str], list[Rendered]] = {}
        self._stopping = False
        self._kick = asyncio.Event()  # wakes the next look early (stopping, a new broadcast)
        self._running: dict[int, asyncio.Task[int]] = {}  # broadcast id → its sending task
        self._looper: asyncio.Task | None = None
        # broadcast id → (the channels open at the end of a pass that left only copies of
        # other channels pending, the delivery's stop/resume generation when the pass
        # began): no new pass (no scan) until either changes.
        self._idle: dict[int, tuple[frozenset[str], int]] = {}
        self._purposes: dict[int, str] = {}
        if delivery.on_stopped is None:
            delivery.on_stopped = self._channel_stopped

    async def _channel_stopped(self, channel: str, reason: str) -> None:
        """The channel's token was refused: staff told once (per stop)."""
        log.warning("broadcast copies for %s wait (pending) until the channel works again", channel)
        if self.notify is not None:
            t = translator(self.settings.locale, self.settings.tz)
            await self.notify(t.plain(
                "⚠️ Channel {channel} stopped: the platform refused the bot's key (token "
                "revoked or expired: {reason}). Nothing is sent on it until it works again "
                "(a new key, then a restart); its broadcast copies wait, the other channels "
                "go on.", channel=channel, reason=reason[:200]))

    @property
    def stopping(self) -> bool:
        return self._stopping

    @stopping.setter
    def stopping(self, value: bool) -> None:
        self._stopping = value
        if value:
            self._kick.set()

    def kick(self) -> None:
        """Look for due broadcasts now instead of at the next beat (a broadcast was
        just made in this process)."""
        self._kick.set()

    @property
    def busy(self) -> bool:
        """In the middle of sending (stop waits for the calls made)."""
        return any(not t.done() for t in self._running.values())

    @property
    def sending(self) -> list[int]:
        """The broadcasts being sent now."""
        return [bid for bid, t in self._running.items() if not t.done()]

    async def recover(self) -> int:
        n = await self.store.broadcasts.recover(self.clock.now())
        if n:
            log.warning("%d delivery(ies) were in flight when the bot stopped: marked unknown", n)
        return n

    async def run(self) -> None:
        """Forever: start what is due, then look again a few seconds later (the
        broadcasts started go on in their own tasks meanwhile)."""
        self._looper = asyncio.current_task()
        try:
            while not self.stopping:
                try:
                    await self.tick()
                except Exception:
                    log.exception("broadcast sender failed; retrying")
                # the next look, not work to wait out (passive); a stop or a kick wakes it
                await wake_early(self.clock.sleep(self.every, passive=True), self._kick)
                if not self.stopping:
                    self._kick.clear()
        finally:
            self._looper = None
            running = [t for t in self._running.values() if not t.done()]
            if running:  # the calls made finish, the rest goes back to pending
                await asyncio.gather(*running, return_exceptions=True)

    async def tick(self) -> int:
        """Start every due broadcast that is not being sent already, each in its own
        task.  Called by :meth:`run` it returns at once (0); called from anywhere else
        (tests, a one-shot run) it waits until every broadcast being sent has had its
        pass, and returns how many deliveries were attempted."""
        now = self.clock.now()
        due = await self.store.broadcasts.due(now)
        for bid in [bid for bid, t in self._running.items() if t.done()]:
            del self._running[bid]
        for b in sorted(due, key=lambda b: not b.urgent):  # urgent ones first
            if not self.stopping and b.id not in self._running:
                self._running[b.id] = asyncio.ensure_future(self._one(b))
        if self._looper is not None and asyncio.current_task() is self._looper:
            return 0
        return sum(await asyncio.gather(*self._running.values()))

    async def _one(self, b: Broadcast) -> int:
        """One pass over broadcast ``b``; whatever fails stops only this one."""
        try:
            return await self._work(b)
        except NOT_ITS_FAULT:
            log.warning("broadcast %d: the store or the system failed; trying again at the "
                        "next look", b.id, exc_info=True)
        except Exception as e:
            await self._failed(b, e)
        return 0

    async def _failed(self, b: Broadcast, e: Exception) -> None:
        """This broadcast cannot be sent: stop it, say why, tell staff once."""
        log.exception("broadcast %d cannot be sent; stopped (the others go on)", b.id)
        reason = str(e) if isinstance(e, Problem) else f"{type(e).__name__}: {e}"
        if not await self.store.broadcasts.fail(b.id, reason[:500], self.clock.now()):
            return  # finished or stopped meanwhile
        if self.notify is not None:
            t = translator(self.settings.locale, self.settings.tz)
            why = t.plain(e.msgid, **e.values) if isinstance(e, Problem) else reason
            try:
                await self.notify(t.plain("⚠️ Broadcast #{id} was stopped: it cannot be sent "
                                          "({reason}). The other broadcasts go on.",
                                          id=b.id, reason=why[:300]))
            except Exception:
                log.exception("broadcast %d: staff could not be told", b.id)

    async def _work(self, b: Broadcast) -> int:
        bs = self.store.broadcasts
        now = self.clock.now()
        if b.expires_at and now >= datetime.fromisoformat(b.expires_at):
            n = await bs.close_pending(b.id, "expired", now)
            await bs.set_state(b.id, "done", now)
            log.info("broadcast %d expired; %d undelivered copies dropped", b.id, n)
            return 0
        if in_quiet_hours(now, self.settings):
            return 0
        purpose = self._purpose(b)
        open_, rules, _ = limits(self.delivery, self.settings, now, purpose)
        generation = self.delivery.generation
        if b.state == "sending" and self._idle.get(b.id) == (frozenset(open_), generation):
            return 0  # what is left waits for a channel (its hours, a stopped channel)
        self._idle.pop(b.id, None)
        if not b.planned:
            seg = stored_segment(b.segment)  # as validated when it was made
            n = await bs.plan(b.id, seg, now)
            log.info("broadcast %d planned for %d recipient(s)", b.id, n)
        if b.state != "sending":
            await bs.set_state(b.id, "sending", now)
        attempted = 0
        after = 0  # the claim's cursor: members up to this one were looked at in this pass
        ledger = Ledger(self.store, self.clock)
        queue: asyncio.Queue[Recipient | None] = asyncio.Queue()
        workers = [asyncio.ensure_future(self._worker(b, queue, ledger)) for _ in range(self.in_flight)]
        try:
            while True:
                current = await bs.get(b.id)
                if current is None or current.state != "sending":
                    return attempted  # cancelled meanwhile
                if current.expires_at and self.clock.now() >= datetime.fromisoformat(current.expires_at):
                    return attempted
                if in_quiet_hours(self.clock.now(), self.settings) or self.stopping:
                    return attempted
                open_, rules, _ = limits(self.delivery, self.settings, self.clock.now(), purpose)
                if not open_:
                    return attempted  # every channel waits (its hours, or stopped)
                batch, cursor = await bs.claim_from(b.id, self.batch, self.clock.now(),
                                                    open_, after, rules)
                if cursor is None:
                    break
                after = cursor
                for i in range(0, len(batch), self.chunk):
                    chunk = batch[i:i + self.chunk]
                    await queue.join()  # every copy marked before is in a worker's hands
                    if not self.stopping:  # (stopping: the workers put them back to pending)
                        await ledger.start(b.id, [r.member_id for r in chunk])
                    for r in chunk:
                        queue.put_nowait(r)
                attempted += len(batch)
        finally:
            for _ in workers:
                queue.put_nowait(None)
            await asyncio.gather(*workers)
            await ledger.flush()
        if await bs.remaining(b.id) == 0:
            await bs.set_state(b.id, "done", self.clock.now())
            self._idle.pop(b.id, None)
            log.info("broadcast %d done", b.id)
        else:  # the rest belong to channels not open now: look again when that changes
            self._idle[b.id] = (frozenset(limits(self.delivery, self.settings, self.clock.now(),
                                                 purpose)[0]), generation)
        return attempted

    def _messages(self, b: Broadcast, channel: str, locale: str) -> list[Rendered]:
        key = (b.id, channel, locale)
        if key not in self._rendered:
            t = translator(locale, self.settings.tz)
            lib = self.library() if self.library is not None else None
            reply = copy_of(t, b.text, b.image, b.article_id, channel, lib)
            msgs = self.delivery.render(channel, reply, t)
            self._rendered[key] = [replace(m, purpose=self._purpose(b)) for m in msgs]
        return self._rendered[key]

    async def _worker(self, b: Broadcast, queue: asyncio.Queue[Recipient | None], ledger: Ledger) -> None:
        """Send the copies handed over (already marked in flight) until told to stop."""
        while (r := await queue.get()) is not None:
            queue.task_done()
            try:
                outcome = Outcome("deferred") if self.stopping else await self._send(b, r)
            except Exception:  # the row stays in flight: "unknown" after a restart
                log.exception("broadcast %d: sending to member %d failed", b.id, r.member_id)
                continue
            # Not tried because the bot is stopping (or the channel stopped): back to
            # pending, sent after the restart (or when the channel works again).
            status = "pending" if outcome.status == "deferred" else outcome.status
            at = self.clock.now()
            await ledger.done(CopyResult(b.id, r.member_id, status, outcome.message_id,
                                         outcome.reason, at, self._periods(b, r.channel, at)))
        queue.task_done()

    def _purpose(self, b: Broadcast) -> str:
        if b.id not in self._purposes:
            self._purposes[b.id] = purpose_of(b)
        return self._purposes[b.id]

    def _periods(self, b: Broadcast, channel: str, at: datetime) -> tuple[str, ...]:
        """The quota periods a copy sent at ``at`` counts in (none for notices)."""
        c = getattr(self.delivery.channels.get(channel), "constraints", None)
        if c is None or self._purpose(b) != "broadcast":
            return ()
        return rule_of(c, at, self.settings).periods

    async def _send(self, b: Broadcast, r: Recipient) -> Outcome:
        outcome = Outcome("failed", reason="nothing to send")
        lane = Lane.URGENT if b.urgent else Lane.NORMAL
        for msg in self._messages(b, r.channel, r.locale):
            outcome = await self.delivery.send(r.channel, r.chat_id, msg, high=False, lane=lane,
                                               flow=("broadcast", b.id))
            if outcome.status != "sent":
                break
        return outcome


class Ledger:
    """The sender's writes to the outbox, many copies per transaction.

    :meth:`start` marks a chunk of copies in flight and returns once that is
    committed: their API calls may start from then on.  :meth:`done` keeps an
    outcome in memory (write-behind); it is written with the next chunk's
    marking, or when ``most`` are waiting, or when one arrives ``delay`` seconds
    after the oldest waiting one, and by :meth:`flush` at the end of every run
    (also at shutdown).  A crash loses only outcomes not yet written: their rows
    are still in flight and become "unknown" at the restart, which is the honest
    state (the call was made), and are never re-sent.
    """

    def __init__(self, store: Store, clock: Clock, *, most: int = 256, delay: float = 0.15) -> None:
        self.store = store
        self.clock = clock
        self.most = most
        self.delay = delay
        self._results: list[CopyResult] = []
        self._since = 0.0
        self._lock = asyncio.Lock()

    async def start(self, bid: int, member_ids: list[int]) -> None:
        await self._write(bid, member_ids)

    async def done(self, result: CopyResult) -> None:
        if not self._results:
            self._since = self.clock.monotonic()
        self._results.append(result)
        if not self._lock.locked() and (
                len(self._results) >= self.most or self.clock.monotonic() - self._since >= self.delay):
            await self.flush()

    async def flush(self) -> None:
        await self._write(0, [])

    async def _write(self, bid: int, starting: list[int]) -> None:
        async with self._lock:
            results, self._results = self._results, []
            if not results and not starting:
                return
            try:
                await self.store.broadcasts.settle(results, bid, starting, self.clock.now())
            except BaseException:
                self._results[:0] = results  # kept for the next write
                raise


class BroadcastError(Problem):
    """A broadcast cannot be created as asked; the message says why."""


async def create_broadcast(
    store: Store, settings: Settings, communes: Communes, topics: set[str], *, by: str,
    text: str, image: str | None = None, segment: str = "", at: datetime | None = None,
    expires: datetime | None = None, now: datetime, approval: bool = False,
    article_id: str | None = None, urgent: bool = False,
) -> tuple[int, int]:
    """Validate and store a broadcast; returns (id, audience size now).  ``urgent``
    ("khẩn"): its copies go before those of normal broadcasts.

    With ``approval`` it waits in "awaiting_approval" for a second staff member."""
    text = (text or "").strip()
    if not text:
        raise BroadcastError(N_("the message text is empty"))
    if len(text) > 3500:
        raise BroadcastError(N_("the message is {n} characters; keep it under 3500"), n=len(text))
    if image is not None and not is_remote(image):
        # a file on this machine (a picture staff sent is kept by its platform or by URL)
        image = _picture(image)
    try:
        seg = parse_segment(segment, communes, topics)
    except SegmentError as e:
        raise BroadcastError(e.msgid, **e.values) from None
    if at is not None and at <= now:  # the chat refuses it too (bot.when): same rule everywhere
        raise BroadcastError(N_("the sending time {when} is in the past"),
                             when=f"{at.astimezone(settings.zone):%H:%M %d/%m/%Y}")
    send_at = at or now
    if expires is not None and expires <= send_at:
        raise BroadcastError(N_("the expiry must come after the sending time"))
    bid = await store.broadcasts.create(by=by, text=text, image=image, segment=seg,
                                        send_at=send_at, expires_at=expires,
                                        state="awaiting_approval" if approval else "scheduled",
                                        article_id=article_id, urgent=urgent,
                                        now=now)
    await store.audit.record(by, "broadcast.create", now, broadcast=bid, segment=seg.text,
                             urgent=urgent)
    return bid, await store.broadcasts.count_audience(seg)


@dataclass(frozen=True, slots=True)
class Standing:
    """A broadcast with its copies counted by status (the store's kept counts) and the
    recipients who replied afterwards: what /thongke and the console's overview show."""

    broadcast: Broadcast
    counts: dict[str, int]
    replied: int

    @property
    def planned(self) -> int:
        return sum(self.counts.values())


async def recent_standing(store: Store, limit: int = 5) -> list[Standing]:
    """The newest ``limit`` broadcasts with their progress."""
    bs = store.broadcasts
    return [Standing(b, c, await bs.responded(b.id)) for b, c in await bs.recent(limit)]


def parse_when(text: str, settings: Settings, now: datetime) -> datetime:
    """A time as staff type it, in the future (see :mod:`bot.when`)."""
    try:
        return parse_local_time(text, settings.zone, now)
    except Problem as e:
        raise BroadcastError(e.msgid, **e.values) from None


def _picture(image: str) -> str:
    from pathlib import Path

    path = Path(image)
    if not path.is_file():
        raise BroadcastError(N_("cannot read file {image}"), image=image)
    if path.suffix.lower() not in {".jpg", ".jpeg", ".png", ".webp"}:
        raise BroadcastError(N_("{image}: only .jpg, .png or .webp pictures can be attached"), image=image)
    return str(path.resolve())


def teaser(article) -> str:
    """How an article is pushed: its title and summary; the button opens it."""
    return f"**{md_escape(article.title)}**\n{md_escape(article.summary)}"


async def series_tick(store: Store, library, communes: Communes, series_id: str,
                      now: datetime) -> list[int]:
    """Push the next article of a series to each interested member (once per minute
    tick, whatever restarts happen); the sender delivers them like any broadcast."""
    sr = library.series.get(series_id)
    if sr is None:
        return []
    seg = parse_segment(sr.segment, communes, set(library.topics))

    def text_of(aid: str) -> str:
        return f"📚 **{md_escape(sr.title)}**\n\n" + teaser(library.article(aid))

    tick_at = now.replace(second=0, microsecond=0)
    made = await store.broadcasts.series_tick(
        series_id, tick_at, list(enumerate(sr.articles)), seg, text_of, now)
    if made:
        log.info("series %s: %d broadcast(s) planned", series_id, len(made))
    return made


# -- what the chat's /guitin and the console share ------------------------------------------
LIMITED = ("later", "over_quota", "outside_window", "stopped", "absent")


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a broadcast to a segment made now would reach: ``attempted`` copies (now, or
    when a channel's hours open), and per channel the forecast (:func:`forecast`)."""

    attempted: int
    channels: dict[str, dict[str, int]]

    @property
    def limited(self) -> bool:
        """Does any channel keep copies back (hours, quota, window, stopped, absent)?"""
        return any(c[k] for c in self.channels.values() for k in LIMITED)


async def audience(store: Store, delivery: Delivery | None, settings: Settings, segment,
                   now: datetime) -> Audience:
    """How many copies will be attempted, decided per copy the way the sender will
    (:func:`forecast`); without a delivery (the CLI), the members in the segment."""
    if delivery is None:
        return Audience(await store.broadcasts.count_audience(segment), {})
    fc = await forecast(store, delivery, settings, segment, now)
    return Audience(sum(c["send"] + c["later"] for c in fc.values()), fc)


def copy_of(t, text: str, image: str | None, article_id: str | None, channel: str,
            library: Any = None) -> Reply:
    """A broadcast's copy as a member of ``channel`` gets it: the text, the footer that
    says how to stop, the article's button (opening it where the union publishes it)."""
    footer = t("_To stop receiving news, type /dung._")
    article = library.article(article_id, t.locale) if library is not None and article_id else None
    buttons = [[Button("📖 " + t.plain("Read the article"), f"n:a:{article_id}",
                       url=article.links.get(channel) if article else None)]] \
        if article_id else []
    return Reply(f"{text}\n\n{footer}", buttons, image=image)


async def same_person(store: Store, actor: str, member_id: int | None) -> set[str]:
    """The actor names of one person: this account and any linked with it."""
    keys = {actor}
    if member_id is None:
        return keys
    for linked in await store.links.accounts(member_id):
        m = await store.members.get(linked.member_id)
        if m is not None:
            keys.add(m.key)
    return keys


async def approve_broadcast(store: Store, bid: int, by: str, same: set[str],
                            now: datetime) -> str:
    """Approve a broadcast waiting for it: "approved", "not_waiting", or "same_person"
    (the one who made it, under any of their linked accounts, cannot approve it)."""
    b = await store.broadcasts.get(bid)
    if b is None or b.state != "awaiting_approval":
        return "not_waiting"
    if b.created_by in same:
        return "same_person"
    if not await store.broadcasts.approve(bid, by, now):
        return "not_waiting"
    return "approved"


async def ask_approval(delivery: Delivery | None, settings: Settings, t, bid: int, who: str,
                       n: int, message: str, urgent: bool = False) -> None:
    """Post a broadcast waiting for approval in the staff chat, with its Approve button."""
    if not settings.staff_chat or not delivery:
        return
    channel, chat = settings.staff_chat
    if channel not in delivery.channels:
        return
    text = t("📝 Broadcast #{id} by {who} to {n} member(s) needs approval:\n\n{text}",
             id=bid, who=who, n=t.number(n), text="").rstrip() \
        + ("\n🚨 " + t("urgent") if urgent else "") \
        + "\n\n" + message  # the message is Markdown already
    reply = Reply(text, [[Button("✅ " + t.plain("Approve"), f"bc:ok:{bid}")]])
    for msg in delivery.render(channel, reply, t):
        await delivery.send(channel, chat, msg, high=True)
