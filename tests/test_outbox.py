"""The outbox (issue #14): several broadcasts share the channel in priority lanes
(replies > urgent > normal, one normal slot in five, broadcasts taking turns), the
urgency staff choose, a claim whose cost does not grow with the broadcast, and the
retention of delivery rows (counts kept).

The real app on a real SQLite file; the fake Telegram Bot API over real HTTP; the
injected clock; waits on events."""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import sqlite3
from datetime import timedelta

import pytest

from bot.app import App
from bot.broadcast import create_broadcast
from bot.clock import FakeClock
from bot.errors import Permanent
from bot.pacer import Lane, Pacer
from bot.store import Store
from bot.store.broadcasts import claim_sql
from bot.store.maintenance import file_size
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import NOON, TEXT_ONLY, Harness, make_settings
from tests.platforms import TelegramDriver
from tests.test_cli import run
from tests.waits import guarded, until

RATE = 10.0
SON_DONG = "7615"
DAI_SON = "7627"
TOPICS = {"ocop", "htx", "chain", "quality", "policy", "union"}


# -- the pacer's lanes, on its own ------------------------------------------------------
async def _order(pacer: Pacer, clock: FakeClock, tickets: list[tuple[str, Lane, str]]) -> list[str]:
    """The order in which ``tickets`` (name, lane, flow), all waiting, get their slots."""
    order: list[str] = []

    async def one(name: str, lane: Lane, flow: str) -> None:
        await pacer.acquire(name, lane=lane, flow=flow)
        order.append(name)

    await pacer.acquire("warmup")  # the bucket is empty: every ticket below waits
    tasks = [asyncio.create_task(one(*t)) for t in tickets]
    for _ in range(5):
        await asyncio.sleep(0)
    clock.auto = True
    await guarded(asyncio.gather(*tasks))
    await pacer.close()
    return order


async def test_replies_first_then_urgent_with_one_normal_slot_in_five_and_flows_in_turn():
    clock = FakeClock()
    pacer = Pacer(10, clock, lambda chat: (100.0, 100.0))
    tickets = [(f"n{i}", Lane.NORMAL, "N") for i in range(6)]
    tickets += [(f"a{i}", Lane.URGENT, "A") for i in range(6)]
    tickets += [(f"b{i}", Lane.URGENT, "B") for i in range(6)]
    tickets += [("reply", Lane.REPLY, "")]
    order = await _order(pacer, clock, tickets)
    assert order == ["reply", "a0", "b0", "a1", "b1", "n0", "a2", "b2", "a3", "b3", "n1",
                     "a4", "b4", "a5", "b5", "n2", "n3", "n4", "n5"]
    assert pacer.granted[Lane.URGENT] == 12 and pacer.granted[Lane.REPLY] == 2  # warmup too


async def test_two_normal_broadcasts_take_turns():
    clock = FakeClock()
    pacer = Pacer(10, clock, lambda chat: (100.0, 100.0))
    tickets = [(f"big{i}", Lane.NORMAL, "big") for i in range(5)]
    tickets += [(f"small{i}", Lane.NORMAL, "small") for i in range(2)]
    order = await _order(pacer, clock, tickets)
    assert order == ["big0", "small0", "big1", "small1", "big2", "big3", "big4"]


async def test_a_chats_limit_is_shared_by_every_lane():
    clock = FakeClock()
    pacer = Pacer(100, clock, lambda chat: (1.0, 1.0))  # one a second in each chat
    times: dict[str, float] = {}

    async def one(name: str, chat: str, lane: Lane) -> None:
        await pacer.acquire(chat, lane=lane, flow=name[0])
        times[name] = clock.monotonic()

    await pacer.acquire("other")
    tasks = [asyncio.create_task(one(f"u{i}", "x", Lane.URGENT)) for i in range(3)]
    tasks += [asyncio.create_task(one(f"n{i}", "x", Lane.NORMAL)) for i in range(3)]
    tasks.append(asyncio.create_task(one("r", "x", Lane.REPLY)))
    for _ in range(5):
        await asyncio.sleep(0)
    clock.auto = True
    await guarded(asyncio.gather(*tasks))
    await pacer.close()
    got = sorted(times.values())
    assert all(b - a >= 1 - 1e-6 for a, b in itertools.pairwise(got))  # one a second
    assert times["r"] == min(got)  # the reply first, in the same chat too


# -- the app against the fake Telegram over HTTP ----------------------------------------
class HeldClock(FakeClock):
    """An auto clock that does not move while a send is on the wire, so that the time a
    copy arrives at the fake is the time the pacer let it go (the rate can be checked
    there, per window of this clock)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.held = 0

    def _step(self) -> None:
        if self.held and self._loop is not None:
            self._quiet = 0  # the answer is awaited: no quiet round counts
            self._loop.call_soon(self._step)
            return
        super()._step()


class ClockedTelegram(FakeTelegram):
    """The fake Bot API, noting when each sendMessage arrived on the app's clock."""

    def __init__(self, clock: FakeClock) -> None:
        super().__init__()
        self.clock = clock
        self.arrivals: list[tuple[float, int, str]] = []  # (time, chat, text)

    async def _answer(self, token, call, parse_error):  # type: ignore[override]
        if call.method == "sendMessage":
            self.arrivals.append((self.clock.monotonic(), int(call.params["chat_id"]),
                                  str(call.params.get("text", ""))))
        return await super()._answer(token, call, parse_error)

    def count(self, word: str) -> int:
        return sum(1 for _, _, text in self.arrivals if word in text)


@pytest.fixture
async def outbox(tmp_path):
    clock = HeldClock(NOON, auto=True)
    fake = ClockedTelegram(clock)
    await fake.start()
    settings = make_settings(tmp_path, NHANONG_ADMINS="telegram:777", TELEGRAM_RATE=str(RATE),
                             **TelegramDriver(fake).env())
    app = await App(settings, clock=clock).open()
    for ch in app.channels:
        ch.poll_timeout = 1.0
        real = ch.send

        async def send(chat_id, msg, real=real):
            clock.held += 1
            try:
                return await real(chat_id, msg)
            finally:
                clock.held -= 1

        ch.send = send
    await app.start()
    try:
        yield app, fake, clock
    finally:
        await app.stop()
        await fake.stop()


async def _telegram_members(app: App, first: int, n: int, commune: str | None = None) -> None:
    now = app.clock.now().isoformat()
    await app.store.db.executemany(
        "INSERT INTO members (channel, user_id, chat_id, locale, subscribed, created_at,"
        " commune_code) VALUES ('telegram', ?, ?, 'vi', 1, ?, ?)",
        [(str(first + i), str(first + i), now, commune) for i in range(n)])


async def _broadcast(app: App, text: str, segment: str = "", urgent: bool = False) -> int:
    bid, _ = await create_broadcast(app.store, app.settings, app.services.communes, TOPICS,
                                    by="telegram:777", text=text, segment=segment,
                                    now=app.clock.now(), urgent=urgent)
    app.broadcaster.kick()
    return bid


def _busiest_second(times: list[float]) -> int:
    return max((sum(1 for u in times if s <= u < s + 1) for s in times), default=0)


async def test_an_urgent_commune_broadcast_overtakes_a_big_one_and_the_rate_holds(outbox):
    app, fake, clock = outbox
    await _telegram_members(app, 10_000, 400)
    await _telegram_members(app, 20_000, 5, SON_DONG)
    big = await _broadcast(app, "Hội chợ nông sản")
    await fake.wait_until(lambda: fake.count("Hội chợ") >= 20)
    # The staff's few database writes take milliseconds where a copy takes 1/RATE s: the
    # clock is held while they are made (else the virtual time runs on meanwhile).
    clock.held += 1
    before = fake.count("Hội chợ")
    urgent = await _broadcast(app, "Họp khẩn sáng mai", "commune=son dong", urgent=True)
    pacer = app.delivery.pacers["telegram"]
    await until(lambda: pacer.waiting(Lane.URGENT) > 0, "the urgent copies waiting for a slot")
    assert pacer.waiting(Lane.NORMAL) > 0  # the big one's copies wait too
    clock.held -= 1
    await fake.wait_until(lambda: fake.count("Họp khẩn") >= 1)
    first = next(i for i, (_, _, text) in enumerate(fake.arrivals) if "Họp khẩn" in text)
    # Its first copy is next, or nearly (those given a slot already go first), not after the
    # big one's 380 copies still to go.
    assert sum(1 for _, _, text in fake.arrivals[:first] if "Hội chợ" in text) - before <= 3
    await fake.wait_until(lambda: fake.count("Họp khẩn") == 5)
    last = max(i for i, (_, _, text) in enumerate(fake.arrivals) if "Họp khẩn" in text)
    assert last - first <= 12  # four slots in five, its five copies together
    await until(lambda: app.store is not None and fake.count("Hội chợ") == 405, "the big one")
    await until(lambda: not app.broadcaster.busy, "the sender done")
    assert (await app.store.broadcasts.status(big))["sent"] == 405
    assert (await app.store.broadcasts.status(urgent))["sent"] == 5
    # The rate is shared and never exceeded: at most RATE (+1 at a window's edge) per second.
    assert _busiest_second([t for t, _, _ in fake.arrivals]) <= RATE + 1
    seconds = fake.arrivals[-1][0] - fake.arrivals[0][0]
    assert seconds >= (len(fake.arrivals) - 2) / RATE


async def test_a_normal_broadcast_still_progresses_while_an_urgent_one_runs_and_replies_go_first(
        outbox):
    app, fake, clock = outbox
    # Two communes, one broadcast each: no person gets both, so no chat's own limit (one
    # message a second per chat) ever holds one lane back and gives its slot to the other.
    await _telegram_members(app, 10_000, 200, SON_DONG)
    await _telegram_members(app, 20_000, 200, DAI_SON)
    await _broadcast(app, "Tin thường kỳ", "commune=dai son")
    await _broadcast(app, "Tin khẩn cấp", "commune=son dong", urgent=True)
    await fake.wait_until(lambda: fake.count("Tin khẩn") >= 1 and fake.count("Tin thường") >= 1)
    # The pacer's choices while copies of both wait for a slot: one in five is the normal
    # broadcast's (no starvation), the rest the urgent one's.  (Counted where the slots are
    # given, not where the copies arrive: a worker refilling its queue would blur it.)
    pacer = app.delivery.pacers["telegram"]
    choices: list[Lane] = []
    pick = pacer._pick

    def watched(now):
        both = pacer.waiting(Lane.URGENT) > 0 and pacer.waiting(Lane.NORMAL) > 0
        before = dict(pacer.granted)
        ticket, wait = pick(now)
        if ticket is not None and both:
            choices.append(next(lane for lane in Lane if pacer.granted[lane] != before[lane]))
        return ticket, wait

    pacer._pick = watched
    await fake.wait_until(lambda: len(choices) >= 50)
    pacer._pick = pick
    window = choices[:50]
    assert 9 <= window.count(Lane.NORMAL) <= 11 and window.count(Lane.URGENT) >= 39, window
    # A person talking to the bot meanwhile: the reply takes the next slot, before the
    # copies of both broadcasts waiting for one.  Time stands still while the person
    # writes, so that copies are surely waiting when the reply asks for its slot (on a
    # busy machine the workers may otherwise be between two refills at that moment).
    clock.held += 1
    await until(lambda: pacer.waiting(Lane.URGENT) >= 5 and pacer.waiting(Lane.NORMAL) >= 5,
                "copies of both broadcasts waiting for a slot")
    real = pacer.acquire
    overtaken: list[tuple[int, int]] = []  # (copies waiting, copies let go while it waited)
    asked = asyncio.Event()

    async def acquire(chat_id, high=True, *, lane=None, flow=None):
        if lane is None and high:
            waiting = pacer.waiting(Lane.URGENT) + pacer.waiting(Lane.NORMAL)
            before = pacer.granted[Lane.URGENT] + pacer.granted[Lane.NORMAL]
            asked.set()
            await real(chat_id, high, lane=lane, flow=flow)
            overtaken.append((waiting, pacer.granted[Lane.URGENT] + pacer.granted[Lane.NORMAL]
                              - before))
            return
        await real(chat_id, high, lane=lane, flow=flow)

    pacer.acquire = acquire
    fake.user_command(4242, "/start")
    await guarded(asked.wait())
    clock.held -= 1
    await fake.wait_for_sent(4242, 1)
    assert overtaken and overtaken[0][0] >= 10, overtaken
    assert all(n <= 1 for _, n in overtaken), overtaken


# -- staff choose the urgency -------------------------------------------------------------
@pytest.fixture
async def ht(tmp_path):
    h = Harness(tmp_path, caps=TEXT_ONLY)
    h.clock.set(NOON)
    await h.open()
    yield h
    await h.close()


async def _rec_members(h: Harness, n: int) -> None:
    for i in range(n):
        m = await h.app.store.members.seen("rec", f"m{i}", f"m{i}", f"Người {i}", "vi", h.clock.now())
        await h.app.store.members.subscribe(m.id, h.clock.now())
        await h.app.store.members.update(m.id, commune_code=SON_DONG)


def _text(out) -> str:
    return "\n".join(m.text for m in out)


async def _to_preview(h: Harness) -> str:
    await h.say("/guitin", user="staff1")
    await h.say("Họp chi hội sáng mai", user="staff1")
    return _text(await h.say("commune=son dong", user="staff1"))


async def _last(h: Harness):
    rows = await h.app.store.db.fetchall("SELECT id FROM broadcasts ORDER BY id DESC LIMIT 1")
    return await h.app.store.broadcasts.get(rows[0][0])


async def test_guitin_offers_urgent_and_normal_as_buttons(hb):
    await _rec_members(hb, 3)
    preview = await _to_preview(hb)
    assert "Mức ưu tiên: <b>thường</b>" in preview
    out = await hb.press("bc:urg", user="staff1")
    assert "Khẩn: tin này sẽ được gửi trước các tin khác" in _text(out)
    assert "Mức ưu tiên: <b>khẩn</b>" in _text(out)  # the preview again, urgent now
    out = await hb.press("bc:now", user="staff1")
    assert "sẽ gửi tới 3 người" in _text(out) and "Khẩn" in _text(out)
    b = await _last(hb)
    assert b.urgent
    await hb.app.broadcaster.tick()
    stats = _text(await hb.say("/thongke", user="staff1"))
    assert f"#{b.id} (đã gửi) 🚨 khẩn: đã gửi 3/3" in stats


@pytest.mark.parametrize(("words", "urgent"), [
    (["khẩn"], True), (["khan"], True), (["Khẩn cấp"], True), (["KHAN CAP"], True),
    (["khẩn", "thường"], False), (["khan", "thuong"], False), (["khan", "bình thường"], False),
])
async def test_guitin_urgency_typed_with_or_without_diacritics(hb, words, urgent):
    await _rec_members(hb, 2)
    await _to_preview(hb)
    for w in words:
        out = await hb.say(w, user="staff1")
        assert ("Khẩn: tin này" if w.lower().startswith("kh") else "Thường: tin") in _text(out)
    await hb.press("bc:now", user="staff1")
    assert (await _last(hb)).urgent is urgent


async def test_guitin_urgency_on_a_text_only_channel_by_word_or_number(ht):
    await _rec_members(ht, 2)
    preview = await _to_preview(ht)
    assert "bấm" not in preview.lower()
    number = re.search(r"(\d+)\. 🚨 Khẩn", preview)
    assert number, preview
    out = await ht.say(number.group(1), user="staff1")
    assert "Khẩn: tin này" in _text(out) and "bấm" not in _text(out).lower()
    now = re.search(r"(\d+)\. 📤 Gửi ngay", _text(out))
    assert now, _text(out)
    out = await ht.say(now.group(1), user="staff1")
    assert "bấm" not in _text(out).lower()
    assert (await _last(ht)).urgent
    await _to_preview(ht)
    await ht.say("thuong", user="staff1")
    await ht.say("gui ngay", user="staff1")
    assert (await _last(ht)).urgent is False


def test_cli_broadcast_create_urgent_and_status(tmp_path):
    assert run(tmp_path, "db", "migrate").returncode == 0
    p = run(tmp_path, "broadcast", "create", "--text", "Họp khẩn", "--urgent")
    assert p.returncode == 0, p.stderr
    bid = p.stdout.strip()
    q = run(tmp_path, "broadcast", "create", "--text", "Tin thường")
    status = run(tmp_path, "broadcast", "status", bid)
    assert f"tin số {bid} (khẩn):" in status.stdout, status.stdout
    other = run(tmp_path, "broadcast", "status", q.stdout.strip())
    assert "(thường):" in other.stdout
    assert json.loads(run(tmp_path, "broadcast", "status", bid, "--json").stdout)["urgent"] is True


# -- the claim ------------------------------------------------------------------------------
async def test_the_claim_reads_only_its_rows_on_the_index(tmp_path):
    store = await Store(tmp_path / "c.db").open()

    async def check() -> None:
        plan = await store.db.fetchall(f"EXPLAIN QUERY PLAN {claim_sql(2)}",
                                       (1, 0, "telegram", "zalo", 200))
        details = [r[3] for r in plan]
        assert any("deliveries_claim" in d and "member_id>?" in d for d in details), details
        assert not any("TEMP B-TREE" in d for d in details), details  # no sort of the pending rows
        assert not any(d.startswith("SCAN") for d in details), details

    await check()
    # Also once the planner has statistics of a broadcast of 2,000 among 3 others.
    now = "2026-03-02T05:00:00+00:00"
    await store.db.executemany(
        "INSERT INTO members (id, channel, user_id, chat_id, subscribed, created_at)"
        " VALUES (?, 'rec', ?, ?, 1, ?)", [(i, str(i), str(i), now) for i in range(1, 2001)])
    for bid in range(1, 5):
        await store.db.execute(
            "INSERT INTO broadcasts (id, created_by, created_at, text, send_at, state, updated_at)"
            " VALUES (?, 'x', ?, 'x', ?, 'sending', ?)", (bid, now, now, now))
        await store.db.execute(
            "INSERT INTO deliveries (broadcast_id, member_id, status) SELECT ?, id,"
            " CASE WHEN id % 3 THEN 'sent' ELSE 'pending' END FROM members", (bid,))
    await store.db.execute("ANALYZE")
    await check()
    await store.close()


async def test_the_claim_walks_from_a_cursor_once_over_every_row(hb):
    await _rec_members(hb, 25)
    z = await hb.app.store.members.seen("zalo", "z1", "z1", None, "vi", hb.clock.now())
    await hb.app.store.members.subscribe(z.id, hb.clock.now())
    bs = hb.app.store.broadcasts
    bid = await _broadcast(hb.app, "Tin")
    from bot.segments import Segment

    await bs.plan(bid, Segment(), hb.clock.now())
    m = await hb.app.store.members.find("rec", "m3")
    await hb.app.store.members.stop(m.id, hb.clock.now())
    seen: list[int] = []
    after = 0
    while True:
        batch, cursor = await bs.claim_from(bid, 10, hb.clock.now(), ["rec"], after)
        if cursor is None:
            break
        assert cursor > after
        seen += [r.member_id for r in batch]
        after = cursor
    assert len(seen) == len(set(seen)) == 24 and m.id not in seen and z.id not in seen
    counts = await bs.status(bid)
    # the Zalo member waits for the Zalo channel (not running here)
    assert counts["queued"] == 24 and counts["cancelled"] == 1 and counts["pending"] == 1


# -- retention ------------------------------------------------------------------------------
async def _lines(h: Harness, bid: int) -> list[str]:
    text = _text(await h.say("/thongke", user="staff1"))
    return [ln for ln in text.splitlines() if f"#{bid} (" in ln]


async def _snapshot(h: Harness, bid: int):
    bs = h.app.store.broadcasts
    return (await bs.status(bid), await bs.failures(bid), await bs.responded(bid),
            await _lines(h, bid))


async def test_retention_keeps_the_counts_after_compaction_and_a_restart(hb):
    await _rec_members(hb, 30)
    hb.channel.fail_chat = {"m4": [Permanent("chat not found")], "m5": [Permanent("chat not found")],
                            "m6": [Permanent("bot can't initiate")]}
    old = await _broadcast(hb.app, "Họp chi hội tháng Ba")
    await hb.app.broadcaster.tick()
    hb.clock.advance(60)
    await hb.say("cảm ơn Hội", user="m2")  # a recipient answers afterwards
    before = await _snapshot(hb, old)
    assert before[0]["sent"] == 27 and before[0]["failed"] == 3 and before[2] == 1
    assert before[1] == [("chat not found", 2), ("bot can't initiate", 1)]
    assert before[3]  # the /thongke line
    hb.clock.advance(31 * 86400)
    recent = await _broadcast(hb.app, "Tin mới")
    await hb.app.broadcaster.tick()
    rows = await hb.app.store.broadcasts.delivery_rows()
    result = await hb.app.retention.run()
    assert result["deliveries"] == (1, 30)  # the old one only; the recent one keeps its rows
    assert await hb.app.store.broadcasts.delivery_rows() == rows - 30
    b = await hb.app.store.broadcasts.get(old)
    assert b.compacted_at is not None
    assert (await hb.app.store.broadcasts.get(recent)).compacted_at is None
    assert await _snapshot(hb, old) == before
    await hb.restart()
    assert await _snapshot(hb, old) == before
    assert (await hb.app.retention.run())["deliveries"] == (0, 0)  # nothing twice
    assert await _snapshot(hb, old) == before


async def test_retention_runs_nightly_on_the_scheduler_and_keeps_days_from_settings(tmp_path):
    from tests.test_scheduler import settled

    h = Harness(tmp_path, NHANONG_DELIVERIES_KEEP_DAYS="7")
    h.clock.set(NOON)
    await h.open()
    try:
        assert h.settings.deliveries_keep_days == 7
        await _rec_members(h, 3)
        bid = await _broadcast(h.app, "Họp chi hội")
        await h.app.broadcaster.tick()
        await h.app.start()
        job = h.app.scheduler.get("retention")
        assert job is not None and job.func == h.app.retention.run
        local = job.next_run.astimezone(h.settings.zone)
        assert (local.hour, local.minute) == (3, 40)
        assert [name for name, _ in h.app.retention.steps] == ["deliveries", "reads", "quota",
                                                                 "console", "free_pages"]
        h.clock.set(job.next_run + timedelta(days=6))  # 6 nights later: kept
        await settled(h.app.scheduler)
        assert (await h.app.store.broadcasts.get(bid)).compacted_at is None
        h.clock.set(h.app.scheduler.get("retention").next_run + timedelta(days=1))  # 8 days on
        await settled(h.app.scheduler)
        assert (await h.app.store.broadcasts.get(bid)).compacted_at is not None
        assert (await h.app.store.broadcasts.status(bid))["sent"] == 3
    finally:
        await h.close()


def test_db_vacuum_gives_space_back_and_says_so_in_vietnamese(tmp_path):
    assert run(tmp_path, "db", "migrate").returncode == 0
    db = tmp_path / "cli.db"
    conn = sqlite3.connect(db)
    conn.executemany("INSERT INTO audit_log (at, actor, action, detail) VALUES ('x', 'a', 'b', ?)",
                     [("x" * 1000,)] * 5000)
    conn.commit()
    conn.execute("DELETE FROM audit_log")
    conn.commit()
    conn.close()
    before = file_size(db)
    p = run(tmp_path, "db", "vacuum")
    assert p.returncode == 0, p.stderr
    assert "trước" in p.stdout and "MB, sau" in p.stdout and "đã viết lại tệp" in p.stdout, p.stdout
    assert file_size(db) < before / 4
    assert sqlite3.connect(db).execute("PRAGMA auto_vacuum").fetchone()[0] == 2  # incremental
    p = run(tmp_path, "db", "vacuum", "--incremental")
    assert p.returncode == 0 and "chỉ các trang trống" in p.stdout, p.stdout + p.stderr
    assert "vacuum" in run(tmp_path, "db", "--help").stdout


async def test_the_retention_job_gives_free_pages_back_once_vacuum_turned_it_on(hb):
    conn = sqlite3.connect(hb.settings.db)
    conn.execute("PRAGMA auto_vacuum = INCREMENTAL")
    conn.execute("VACUUM")
    conn.close()
    await hb.restart()
    db = hb.app.store.db
    await db.executemany("INSERT INTO audit_log (at, actor, action, detail) VALUES ('x', 'a', 'b', ?)",
                         [("x" * 1000,)] * 3000)
    await db.execute("DELETE FROM audit_log")
    assert (await db.fetchone("PRAGMA freelist_count"))[0] > 100
    result = await hb.app.retention.run()
    assert result["free_pages"] > 100
    assert (await db.fetchone("PRAGMA freelist_count"))[0] == 0


def test_keep_days_are_checked(tmp_path):
    from bot.config import ConfigError, load_settings

    with pytest.raises(ConfigError, match=r"NHANONG_DELIVERIES_KEEP_DAYS|deliveries_keep_days"):
        load_settings({"NHANONG_DELIVERIES_KEEP_DAYS": "0"}, file=tmp_path / "none.toml")



async def test_an_urgent_broadcast_waiting_for_approval_says_so_and_stays_urgent(tmp_path):
    h = Harness(tmp_path, NHANONG_APPROVAL="1")
    h.settings = h.settings.model_copy(update={"admins": h.settings.admins | {("rec", "staff2")},
                                               "staff_chat": ("rec", "staffroom")})
    h.clock.set(NOON)
    await h.open()
    try:
        await _rec_members(h, 2)
        await _to_preview(h)
        await h.say("khan", user="staff1")
        await h.press("bc:now", user="staff1")
        asked = [m.text for chat, m in h.channel.sent if chat == "staffroom"]
        assert asked and "🚨 khẩn" in asked[-1]
        await h.say("/duyet 1", user="staff2")
        b = await _last(h)
        assert b.urgent and b.state == "scheduled"
    finally:
        await h.close()
