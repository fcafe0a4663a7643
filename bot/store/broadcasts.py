"""The broadcast outbox.

A broadcast is planned into one delivery row per recipient in a single
set-based INSERT … SELECT (unique per broadcast and member, so planning twice
adds nobody twice).  The sender claims pending rows in batches ("queued"),
marks them in flight before their API calls and records the outcomes after,
many copies per transaction (:meth:`Broadcasts.settle`); rows still in flight
after a crash become "unknown" and are never re-sent automatically.

A claim reads only the rows it takes: the sender walks a broadcast's pending rows
in member order from a cursor, on the index (broadcast_id, status, member_id), so
a batch costs the same at the start and at the end of a broadcast to everyone.

Retention (:meth:`Broadcasts.compact`): the delivery rows of a broadcast finished
long ago become a few rows of counts (``delivery_counts``, ``delivery_failures``,
``broadcasts.responded``) and are deleted; every count below reads those for a
compacted broadcast, so /thongke, ``broadcast status`` and reports show the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..segments import HAS_OCOP, Segment
from .db import Database
from .db import utc as _utc
from .links import PUSH_EXCLUDED

STATES = ("draft", "awaiting_approval", "scheduled", "sending", "done", "cancelled", "failed")
OUTCOMES = ("pending", "queued", "inflight", "sent", "blocked", "failed", "unknown", "cancelled",
            "expired", "over_quota", "outside_window")
# Copies that ended because of the channel's limits, not a fault: /guilai and
# ``broadcast resend`` take them again with the failed ones (the claim decides anew).
LIMITED = ("over_quota", "outside_window")


@dataclass(frozen=True, slots=True)
class Broadcast:
    id: int
    created_by: str
    text: str
    image: str | None
    segment: str
    send_at: str
    expires_at: str | None
    state: str
    planned: bool
    article_id: str | None = None
    failure: str | None = None  # why it was stopped (state "failed")
    urgent: bool = False  # "khẩn": its copies go before normal broadcasts' copies
    compacted_at: str | None = None  # its delivery rows were compacted into counts


@dataclass(frozen=True, slots=True)
class CopyResult:
    """What became of one copy ("sent", "blocked", "failed", "over_quota",
    "outside_window", or back to "pending").  A sent copy counts once in each of
    ``periods`` (the channel's quota periods, local month and day) in the same
    transaction as its outcome."""

    broadcast_id: int
    member_id: int
    status: str
    message_id: str | None
    reason: str | None
    at: datetime
    periods: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Rule:
    """One channel's limits on broadcast copies at one moment (from its
    :class:`bot.types.Constraints`): a copy whose person was last seen before
    ``seen_after`` (UTC) is "outside_window"; one whose person already got
    ``monthly`` copies in the local ``month`` or ``daily`` in the local ``day``
    is "over_quota".  Decided in SQL, the same way by the claim and the preview."""

    seen_after: datetime | None = None
    monthly: int | None = None
    daily: int | None = None
    month: str = ""
    day: str = ""

    @property
    def periods(self) -> tuple[str, ...]:
        """The quota periods a sent copy counts in."""
        return tuple(p for p, q in ((self.month, self.monthly), (self.day, self.daily))
                     if q is not None)

    @property
    def limits(self) -> bool:
        return self.seen_after is not None or bool(self.periods)


# Why a copy was not attempted (the delivery row's reason; staff see the outcome).
LIMIT_REASONS = {
    "outside_window": "{channel}: no interaction from the person within the channel's window",
    "over_quota": "{channel}: the person's broadcast quota is used up for now",
}
_USED = "COALESCE((SELECT q.n FROM quota_use q WHERE q.member_id = m.id AND q.period = ?), 0)"


def verdict_sql(rules: dict[str, Rule]) -> tuple[str, list[Any]]:
    """An SQL expression on members m: 'outside_window', 'over_quota', or NULL (the
    copy may go), with its parameters."""
    whens: list[str] = []
    params: list[Any] = []
    for channel, rule in sorted(rules.items()):
        if rule.seen_after is not None:
            whens.append("WHEN m.channel = ? AND (m.last_seen_at IS NULL OR m.last_seen_at < ?)"
                         " THEN 'outside_window'")
            params += [channel, _utc(rule.seen_after)]
        for period, quota in ((rule.month, rule.monthly), (rule.day, rule.daily)):
            if quota is not None:
                whens.append(f"WHEN m.channel = ? AND {_USED} >= ? THEN 'over_quota'")
                params += [channel, period, quota]
    if not whens:
        return "NULL", []
    return f"CASE {' '.join(whens)} ELSE NULL END", params


@dataclass(frozen=True, slots=True)
class Recipient:
    member_id: int
    channel: str
    chat_id: str
    locale: str


def _b(row) -> Broadcast:
    return Broadcast(row["id"], row["created_by"], row["text"], row["image"], row["segment"],
                     row["send_at"], row["expires_at"], row["state"], bool(row["planned"]),
                     row["article_id"], row["failure"], bool(row["urgent"]), row["compacted_at"])


_COLS = ("id, created_by, text, image, segment, send_at, expires_at, state, planned, article_id,"
         " failure, urgent, compacted_at")
FINISHED = ("done", "cancelled", "failed")
_RESPONDED = ("SELECT COUNT(*) FROM deliveries d JOIN members m ON m.id = d.member_id"
              " WHERE d.broadcast_id = ?1 AND d.status = 'sent' AND m.last_seen_at > d.updated_at")


def claim_sql(channels: int, verdict: str = "NULL") -> str:
    """The claim's statement for that many running channels (parameters: the
    verdict's, broadcast, cursor, the channels, limit); its query plan is checked by a
    test: the index (broadcast_id, status, member_id) from the cursor, no sort (the
    verdict reads the member's quota rows by their key: the same per row)."""
    return ("SELECT d.member_id, m.channel, m.chat_id, m.locale, m.subscribed, m.blocked_at,"
            f" {verdict} FROM deliveries d JOIN members m ON m.id = d.member_id"
            " WHERE d.broadcast_id = ? AND d.status = 'pending' AND d.member_id > ?"
            f" AND m.channel IN ({', '.join('?' for _ in range(channels))})"
            " ORDER BY d.member_id LIMIT ?")


def segment_sql(seg: Segment) -> tuple[str, list[Any]]:
    """WHERE conditions (on members m) for a parsed segment, with parameters."""
    conds = ["m.subscribed = 1", "m.blocked_at IS NULL", f"NOT {PUSH_EXCLUDED}"]
    params: list[Any] = []
    for name, values in seg.terms:
        marks = ", ".join("?" for _ in values)
        if name == "commune":
            conds.append(f"m.commune_code IN ({marks})")
        elif name == "role":
            conds.append(f"m.role IN ({marks})")
        elif name == "lang":
            conds.append(f"m.locale IN ({marks})")
        elif name == "channel":
            conds.append(f"m.channel IN ({marks})")
        elif name == "topic":
            conds.append("EXISTS (SELECT 1 FROM member_topics t WHERE t.member_id = m.id"
                         f" AND t.topic IN ({marks}))")
        elif name == "course":  # registered for (or attended) one of these courses
            conds.append("EXISTS (SELECT 1 FROM registrations r WHERE r.member_id = m.id"
                         f" AND r.status IN ('registered', 'attended') AND r.course_id IN ({marks}))")
            values = tuple(int(v) for v in values)
        elif name == "has_ocop":  # said in an OCOP check-in that they have a product
            checkin, question = HAS_OCOP
            have = ("EXISTS (SELECT 1 FROM checkin_responses r JOIN checkin_runs u ON u.id = r.run_id"
                    " JOIN checkin_answers a ON a.response_id = r.id WHERE r.member_id = m.id"
                    " AND r.state = 'submitted' AND u.checkin_id = ? AND a.question_id = ?"
                    " AND a.value = 'yes')")
            conds.append(have if values[0] == "1" else f"NOT {have}")
            values = (checkin, question)
        elif name == "pending_checkin":  # not (yet) submitted that check-in run
            conds.append("NOT EXISTS (SELECT 1 FROM checkin_responses r WHERE r.member_id = m.id"
                         f" AND r.state = 'submitted' AND r.run_id IN ({marks}))")
            values = tuple(int(v) for v in values)
        elif name == "joined_after":
            conds.append("m.created_at >= ?")
            values = (min(values),)
        elif name == "series":  # internal: members at position values[1] of series values[0]
            conds.append("COALESCE((SELECT sp.next_index FROM series_progress sp WHERE"
                         " sp.member_id = m.id AND sp.series_id = ?), 0) = ?")
            values = (values[0], int(values[1]))
        params.extend(values)
    return " AND ".join(conds), params


class Broadcasts:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(self, *, by: str, text: str, image: str | None, segment: Segment,
                     send_at: datetime, expires_at: datetime | None, state: str,
                     now: datetime, article_id: str | None = None, urgent: bool = False) -> int:
        return await self.db.execute(
            "INSERT INTO broadcasts (created_by, created_at, text, image, segment, send_at,"
            " expires_at, state, updated_at, article_id, urgent)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (by, _utc(now), text, image, segment.text, _utc(send_at),
             _utc(expires_at) if expires_at else None, state, _utc(now), article_id, int(urgent)),
        )

    async def get(self, bid: int) -> Broadcast | None:
        row = await self.db.fetchone(f"SELECT {_COLS} FROM broadcasts WHERE id = ?", (bid,))
        return _b(row) if row else None

    async def count_audience(self, segment: Segment) -> int:
        where, params = segment_sql(segment)
        row = await self.db.fetchone(f"SELECT COUNT(*) FROM members m WHERE {where}", params)
        return int(row[0]) if row else 0

    async def forecast(self, segment: Segment, rules: dict[str, Rule]) -> dict[str, dict[str, int]]:
        """The audience per channel and what the claim would decide for each copy now:
        {channel: {"send": n, "over_quota": n, "outside_window": n}} (the same SQL as
        the claim, so the preview shows what will be attempted)."""
        where, params = segment_sql(segment)
        verdict, vparams = verdict_sql(rules)
        rows = await self.db.fetchall(
            f"SELECT m.channel, {verdict} AS verdict, COUNT(*) FROM members m WHERE {where}"
            " GROUP BY 1, 2 ORDER BY 1", (*vparams, *params))
        out: dict[str, dict[str, int]] = {}
        for channel, v, n in rows:
            counts = out.setdefault(channel, {"send": 0, "over_quota": 0, "outside_window": 0})
            counts[v or "send"] += int(n)
        return out

    async def due(self, now: datetime) -> list[Broadcast]:
        rows = await self.db.fetchall(
            f"SELECT {_COLS} FROM broadcasts WHERE state IN ('scheduled', 'sending')"
            " AND send_at <= ? ORDER BY send_at, id",
            (now.isoformat(),),
        )
        return [_b(r) for r in rows]

    async def set_state(self, bid: int, state: str, now: datetime) -> None:
        await self.db.execute(
            "UPDATE broadcasts SET state = ?, updated_at = ? WHERE id = ?",
            (state, now.isoformat(), bid),
        )

    async def matches(self, member_id: int, segment: Segment) -> bool:
        """Is this member in the segment (and reachable)?"""
        where, params = segment_sql(segment)
        row = await self.db.fetchone(f"SELECT 1 FROM members m WHERE m.id = ? AND {where}",
                                     (member_id, *params))
        return row is not None

    async def plan(self, bid: int, segment: Segment, now: datetime) -> int:
        """One pending delivery per eligible member, in one statement."""
        where, params = segment_sql(segment)
        async with self.db.transaction() as conn:
            await conn.execute(
                "INSERT INTO deliveries (broadcast_id, member_id, updated_at)"
                f" SELECT ?, m.id, ? FROM members m WHERE {where}"
                " ON CONFLICT (broadcast_id, member_id) DO NOTHING",
                (bid, now.isoformat(), *params),
            )
            await conn.execute(
                "UPDATE broadcasts SET planned = 1, updated_at = ? WHERE id = ?",
                (now.isoformat(), bid),
            )
        row = await self.db.fetchone("SELECT COUNT(*) FROM deliveries WHERE broadcast_id = ?", (bid,))
        return int(row[0])

    async def claim(self, bid: int, limit: int, now: datetime, channels: list[str]) -> list[Recipient]:
        """Take up to ``limit`` pending deliveries for sending ("queued") and return their
        recipients (members of the running ``channels`` only; the rest wait for their
        channel).  Members who stopped or blocked since planning are skipped as cancelled."""
        return (await self.claim_from(bid, limit, now, channels))[0]

    async def claim_from(self, bid: int, limit: int, now: datetime, channels: list[str],
                         after: int = 0, rules: dict[str, Rule] | None = None,
                         ) -> tuple[list[Recipient], int | None]:
        """:meth:`claim` from a cursor: the next ``limit`` pending rows after member
        ``after`` (members of the running ``channels``), in member order, and the cursor
        for the next claim (None: none left after ``after``).  It reads and writes only
        those rows, whatever the broadcast's size (rows of a channel that is not running
        are passed over and stay pending).  Copies outside a channel's ``rules`` are
        not taken: they end "outside_window" or "over_quota" here, before any call."""
        if not channels:
            return [], None
        verdict, vparams = verdict_sql(rules or {})
        async with self.db.transaction() as conn:
            cur = await conn.execute(claim_sql(len(channels), verdict),
                                     (*vparams, bid, after, *channels, limit))
            rows = list(await cur.fetchall())
            await cur.close()
            if not rows:
                return [], None
            gone = [r[0] for r in rows if not r[4] or r[5] is not None]
            limited = [(r[6], r[1], r[0]) for r in rows if r[4] and r[5] is None and r[6]]
            take = [r for r in rows if r[4] and r[5] is None and not r[6]]
            if gone:
                await conn.executemany(
                    "UPDATE deliveries SET status = 'cancelled', reason = 'stopped or blocked',"
                    " updated_at = ? WHERE broadcast_id = ? AND member_id = ? AND status = 'pending'",
                    [(now.isoformat(), bid, m) for m in gone])
            if limited:
                await conn.executemany(
                    "UPDATE deliveries SET status = ?1, reason = ?2, updated_at = ?3"
                    " WHERE broadcast_id = ?4 AND member_id = ?5 AND status = 'pending'",
                    [(v, LIMIT_REASONS[v].format(channel=ch), _utc(now), bid, m)
                     for v, ch, m in limited])
            await conn.executemany(
                "UPDATE deliveries SET status = 'queued', updated_at = ?"
                " WHERE broadcast_id = ? AND member_id = ?",
                [(now.isoformat(), bid, r[0]) for r in take],
            )
        return [Recipient(r[0], r[1], r[2], r[3]) for r in take], int(rows[-1][0])

    async def start_sending(self, bid: int, member_ids: Sequence[int], now: datetime) -> None:
        """Right before their API calls: from here a crash leaves these copies "unknown"."""
        await self.settle([], bid, member_ids, now)

    async def settle(self, outcomes: Sequence[CopyResult], bid: int, starting: Sequence[int],
                     now: datetime) -> None:
        """The sender's writes, many copies in one transaction: the ``outcomes`` of calls
        made (each with the time it came), then the copies of broadcast ``bid`` whose
        calls are about to start marked in flight (their calls may start once this
        returns)."""
        async with self.db.transaction() as conn:
            if outcomes:
                await conn.executemany(
                    "UPDATE deliveries SET status = ?, message_id = ?, reason = ?, updated_at = ?"
                    " WHERE broadcast_id = ? AND member_id = ? AND status IN ('queued', 'inflight')",
                    [(o.status, o.message_id, o.reason, _utc(o.at), o.broadcast_id, o.member_id)
                     for o in outcomes],
                )
                used = [(o.member_id, p) for o in outcomes if o.status == "sent" for p in o.periods]
                if used:  # the quota used, with the outcome that used it
                    await conn.executemany(
                        "INSERT INTO quota_use (member_id, period, n) VALUES (?, ?, 1)"
                        " ON CONFLICT (member_id, period) DO UPDATE SET n = n + 1", used)
            if starting:
                await conn.executemany(
                    "UPDATE deliveries SET status = 'inflight', attempts = attempts + 1, updated_at = ?"
                    " WHERE broadcast_id = ? AND member_id = ? AND status = 'queued'",
                    [(_utc(now), bid, m) for m in starting],
                )

    async def fail(self, bid: int, reason: str, now: datetime) -> bool:
        """Stop a broadcast that cannot be sent ("failed", with why); copies not yet
        tried are cancelled.  False if it was no longer due (finished, cancelled, failed)."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE broadcasts SET state = 'failed', failure = ?, updated_at = ? WHERE id = ?"
                " AND state IN ('scheduled', 'sending')", (reason, _utc(now), bid))
            changed = cur.rowcount
            await cur.close()
            if changed:
                await conn.execute(
                    "UPDATE deliveries SET status = 'cancelled', reason = 'the broadcast failed',"
                    " updated_at = ? WHERE broadcast_id = ? AND status IN ('pending', 'queued')",
                    (_utc(now), bid))
        return changed > 0

    async def close_pending(self, bid: int, status: str, now: datetime) -> int:
        """Pending (not in flight) deliveries become ``status`` (cancelled, expired)."""
        return await self.db.execute(
            "UPDATE deliveries SET status = ?, updated_at = ? WHERE broadcast_id = ?"
            " AND status = 'pending'",
            (status, now.isoformat(), bid),
        )

    async def remaining(self, bid: int) -> int:
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM deliveries WHERE broadcast_id = ?"
            " AND status IN ('pending', 'queued', 'inflight')", (bid,))
        return int(row[0]) if row else 0

    async def recover(self, now: datetime) -> int:
        """After a crash: copies queued but not tried go back to pending; copies whose
        API call had started may or may not have arrived: "unknown", never re-sent."""
        await self.db.execute(
            "UPDATE deliveries SET status = 'pending', updated_at = ? WHERE status = 'queued'",
            (_utc(now),))
        return await self.db.execute(
            "UPDATE deliveries SET status = 'unknown', reason = 'in flight when the bot stopped',"
            " updated_at = ? WHERE status = 'inflight'",
            (_utc(now),),
        )

    async def status(self, bid: int) -> dict[str, int]:
        """Copies per outcome (from the kept counts once the broadcast is compacted)."""
        rows = await self.db.fetchall(
            "SELECT status, n FROM delivery_counts WHERE broadcast_id = ?1"
            " UNION ALL SELECT status, COUNT(*) FROM deliveries WHERE broadcast_id = ?1"
            " AND NOT EXISTS (SELECT 1 FROM broadcasts WHERE id = ?1 AND compacted_at IS NOT NULL)"
            " GROUP BY status", (bid,))
        counts = {s: 0 for s in OUTCOMES}
        for r in rows:
            counts[r[0]] = counts.get(r[0], 0) + int(r[1])
        return counts

    async def failures(self, bid: int, limit: int = 10) -> list[tuple[str, int]]:
        rows = await self.db.fetchall(
            "SELECT reason, n FROM delivery_failures WHERE broadcast_id = ?1"
            " UNION ALL SELECT COALESCE(reason, ''), COUNT(*) FROM deliveries WHERE broadcast_id = ?1"
            " AND status = 'failed'"
            " AND NOT EXISTS (SELECT 1 FROM broadcasts WHERE id = ?1 AND compacted_at IS NOT NULL)"
            " GROUP BY reason ORDER BY 2 DESC, 1 LIMIT ?2", (bid, limit))
        return [(r[0] or "", int(r[1])) for r in rows]

    async def recent(self, limit: int = 5) -> list[tuple[Broadcast, dict[str, int]]]:
        rows = await self.db.fetchall(f"SELECT {_COLS} FROM broadcasts ORDER BY id DESC LIMIT ?", (limit,))
        return [(_b(r), await self.status(r["id"])) for r in rows]

    async def page(self, limit: int, before: int | None = None) -> list[Broadcast]:
        """Broadcasts newest first, ``limit`` of them, older than id ``before`` (the
        console's list, one page at a time on the primary key)."""
        rows = await self.db.fetchall(
            f"SELECT {_COLS} FROM broadcasts WHERE id < ? ORDER BY id DESC LIMIT ?",
            (before if before is not None else 2**62, limit))
        return [_b(r) for r in rows]

    async def awaiting(self, limit: int = 50) -> list[Broadcast]:
        """Broadcasts waiting for a second staff member's approval, oldest first."""
        rows = await self.db.fetchall(
            f"SELECT {_COLS} FROM broadcasts WHERE state = 'awaiting_approval' ORDER BY id"
            " LIMIT ?", (limit,))
        return [_b(r) for r in rows]

    async def approve(self, bid: int, by: str, now: datetime) -> bool:
        n = await self.db.execute(
            "UPDATE broadcasts SET state = 'scheduled', approved_by = ?, updated_at = ?"
            " WHERE id = ? AND state = 'awaiting_approval'",
            (by, now.isoformat(), bid),
        )
        return n > 0

    async def resend_failed(self, bid: int, now: datetime) -> int:
        """Failed copies, and those that ended over quota or outside the window, go
        back to pending and the broadcast is due again (the claim decides each anew:
        a quota renewed since, a person who wrote since, get theirs)."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE deliveries SET status = 'pending', reason = NULL, updated_at = ?"
                " WHERE broadcast_id = ? AND status IN ('failed', 'over_quota', 'outside_window')",
                (_utc(now), bid))
            n = cur.rowcount
            await cur.close()
            if n:
                await conn.execute(
                    "UPDATE broadcasts SET state = 'scheduled', updated_at = ? WHERE id = ?"
                    " AND state IN ('done', 'sending', 'scheduled')", (_utc(now), bid))
        return n

    async def responded(self, bid: int) -> int:
        """Recipients who wrote to the bot or pressed a button after their copy arrived
        (as counted at compaction, for a compacted broadcast)."""
        row = await self.db.fetchone(
            "SELECT CASE WHEN b.compacted_at IS NOT NULL THEN COALESCE(b.responded, 0) ELSE"
            f" ({_RESPONDED}) END FROM broadcasts b WHERE b.id = ?1", (bid,))
        return int(row[0]) if row else 0

    # -- retention --------------------------------------------------------------------------
    async def compact(self, before: datetime, now: datetime, chunk: int = 5_000) -> tuple[int, int]:
        """Broadcasts finished before ``before`` keep their counts and lose their delivery
        rows; returns (broadcasts compacted, rows deleted).

        The counts are read first (on a reader: a finished broadcast's rows no longer
        change), then written and ``compacted_at`` set in one short transaction (from
        then on every count reads them); the rows are deleted after, ``chunk`` per
        transaction so that the chat's writes go in between.  A run cut short is
        finished by the next."""
        found = await self.db.fetchall(
            "SELECT id FROM broadcasts WHERE compacted_at IS NULL AND state IN"
            f" ({', '.join('?' for _ in FINISHED)}) AND updated_at < ? ORDER BY id",
            (*FINISHED, _utc(before)))
        made = 0
        for (bid,) in found:
            counts = await self.db.fetchall(
                "SELECT status, COUNT(*) FROM deliveries WHERE broadcast_id = ? GROUP BY status",
                (bid,))
            reasons = await self.db.fetchall(
                "SELECT COALESCE(reason, ''), COUNT(*) FROM deliveries WHERE broadcast_id = ?"
                " AND status = 'failed' GROUP BY COALESCE(reason, '')", (bid,))
            row = await self.db.fetchone(_RESPONDED, (bid,))
            async with self.db.transaction() as conn:
                cur = await conn.execute(
                    "UPDATE broadcasts SET compacted_at = ?, responded = ? WHERE id = ?"
                    " AND compacted_at IS NULL AND state IN"
                    f" ({', '.join('?' for _ in FINISHED)})",
                    (_utc(now), int(row[0]) if row else 0, bid, *FINISHED))
                changed = cur.rowcount
                await cur.close()
                if not changed:
                    continue
                await conn.executemany(
                    "INSERT INTO delivery_counts (broadcast_id, status, n) VALUES (?, ?, ?)",
                    [(bid, r[0], int(r[1])) for r in counts])
                await conn.executemany(
                    "INSERT INTO delivery_failures (broadcast_id, reason, n) VALUES (?, ?, ?)",
                    [(bid, r[0], int(r[1])) for r in reasons])
            made += 1
        deleted = 0
        left = await self.db.fetchall(
            "SELECT b.id FROM broadcasts b WHERE b.compacted_at IS NOT NULL"
            " AND EXISTS (SELECT 1 FROM deliveries d WHERE d.broadcast_id = b.id) ORDER BY b.id")
        for (bid,) in left:
            while True:
                n = await self.db.execute(
                    "DELETE FROM deliveries WHERE rowid IN (SELECT rowid FROM deliveries"
                    " WHERE broadcast_id = ? LIMIT ?)", (bid, chunk))
                deleted += n
                if n < chunk:
                    break
                await asyncio.sleep(0)  # the chat's writes go in between
        return made, deleted

    async def prune_quota(self, month: str, day: str, chunk: int = 5_000) -> int:
        """Quota rows no longer counted (months before ``month``, days before ``day``,
        local keys) are deleted, ``chunk`` per transaction; returns how many."""
        removed = 0
        while True:
            n = await self.db.execute(
                "DELETE FROM quota_use WHERE (member_id, period) IN (SELECT member_id, period"
                " FROM quota_use WHERE period < ? OR (length(period) = 10 AND period < ?)"
                " LIMIT ?)", (month, day, chunk))
            removed += n
            if n < chunk:
                return removed
            await asyncio.sleep(0)

    async def quota_rows(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM quota_use")
        return int(row[0]) if row else 0

    async def delivery_rows(self) -> int:
        row = await self.db.fetchone("SELECT COUNT(*) FROM deliveries")
        return int(row[0]) if row else 0



    async def series_tick(self, series_id: str, tick_at: datetime, positions: list[tuple[int, str]],
                          segment: Segment, text_of, now: datetime) -> list[int]:
        """One tick of a series, once per tick time: for each position p (article id),
        a planned broadcast to the members at p, whose progress then moves to p + 1."""
        from ..segments import Segment as Seg

        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "INSERT INTO series_ticks (series_id, tick_at) VALUES (?, ?)"
                " ON CONFLICT (series_id, tick_at) DO NOTHING", (series_id, _utc(tick_at)))
            fresh = cur.rowcount
            await cur.close()
            if not fresh:
                return []
            made = []
            # Highest position first, so that members moved on are not picked up twice.
            for p, article_id in sorted(positions, reverse=True):
                seg = Seg((*segment.terms, ("series", (series_id, str(p)))))
                where, params = segment_sql(seg)
                cur = await conn.execute(f"SELECT COUNT(*) FROM members m WHERE {where}", params)
                (count,) = await cur.fetchone()
                await cur.close()
                if not count:
                    continue
                cur = await conn.execute(
                    "INSERT INTO broadcasts (created_by, created_at, text, segment, send_at, state,"
                    " planned, updated_at, article_id) VALUES (?, ?, ?, ?, ?, 'scheduled', 1, ?, ?)",
                    (f"series:{series_id}", _utc(now), text_of(article_id), segment.text, _utc(now),
                     _utc(now), article_id))
                bid = cur.lastrowid
                await cur.close()
                await conn.execute(
                    "INSERT INTO deliveries (broadcast_id, member_id, updated_at)"
                    f" SELECT ?, m.id, ? FROM members m WHERE {where}",
                    (bid, _utc(now), *params))
                await conn.execute(
                    "INSERT INTO series_progress (member_id, series_id, next_index, updated_at)"
                    " SELECT member_id, ?, ?, ? FROM deliveries WHERE broadcast_id = ?"
                    " ON CONFLICT (member_id, series_id) DO UPDATE SET"
                    " next_index = excluded.next_index, updated_at = excluded.updated_at",
                    (series_id, p + 1, _utc(now), bid))
                made.append(bid)
        return made


    async def cancel(self, bid: int, now: datetime) -> int | None:
        """Stop a broadcast: copies not yet taken are cancelled; None if it had finished."""
        async with self.db.transaction() as conn:
            cur = await conn.execute(
                "UPDATE broadcasts SET state = 'cancelled', updated_at = ? WHERE id = ?"
                " AND state NOT IN ('done', 'cancelled')", (_utc(now), bid))
            changed = cur.rowcount
            await cur.close()
            if not changed:
                return None
            cur = await conn.execute(
                "UPDATE deliveries SET status = 'cancelled', updated_at = ? WHERE broadcast_id = ?"
                " AND status = 'pending'", (_utc(now), bid))
            n = cur.rowcount
            await cur.close()
        return n
