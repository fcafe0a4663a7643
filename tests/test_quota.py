"""The quota-aware outbox (issue #15): a channel's limits (window since the person's
last interaction, monthly and daily quotas, allowed hours) decided per copy before
sending, the preview counting what will be attempted, quotas kept as rows across a
restart and renewed with the local month, and a refused token stopping its channel
without failing the broadcast.

The real app and store on a real SQLite file, two recording channels (one with no
limits, one with an Official Account's), the injected clock; no sleeps."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, time, timedelta

from bot.app import App
from bot.broadcast import create_broadcast, forecast
from bot.clock import FakeClock
from bot.errors import OutsideWindow, OverQuota, Unauthorized
from bot.segments import Segment, parse_segment
from bot.types import Constraints, Inbound, InboundKind
from tests.helpers import NOON, TEXT_ONLY, RecordingChannel, make_settings, text_of
from tests.test_cli import run

TOPICS = {"ocop", "htx", "chain", "quality", "policy", "union"}
DAY = 86400.0
TEXT = "Họp chi hội thứ Bảy lúc 8 giờ"


class TwoChannels:
    """The real app on "rec" (no limits; the staff chat is there) and "oa" (limits)."""

    def __init__(self, tmp_path, oa: Constraints) -> None:
        settings = make_settings(tmp_path)
        self.settings = settings.model_copy(update={"staff_chat": ("rec", "staffroom")})
        self.limits = oa
        self.clock = FakeClock(auto=True)
        self.clock.set(NOON)
        self.app: App | None = None

    async def open(self) -> TwoChannels:
        self.rec = RecordingChannel("rec")
        self.oa = RecordingChannel("oa", caps=TEXT_ONLY, constraints=self.limits)
        self.app = await App(self.settings, channels=[self.rec, self.oa], clock=self.clock).open()
        return self

    async def restart(self) -> None:
        await self.app.stop()
        await self.open()

    async def close(self) -> None:
        await self.app.stop()

    async def member(self, channel: str, user: str, *, seen: datetime | None = None,
                     commune: str | None = None) -> int:
        store = self.app.store
        m = await store.members.seen(channel, user, user, user, "vi", seen or self.clock.now())
        await store.members.subscribe(m.id, self.clock.now())
        if commune:
            await store.members.update(m.id, commune_code=commune)
        return m.id

    async def broadcast(self, segment: str = "", text: str = TEXT) -> int:
        bid, _ = await create_broadcast(self.app.store, self.settings, self.app.services.communes,
                                        TOPICS, by="rec:staff1", text=text, segment=segment,
                                        now=self.clock.now())
        return bid

    async def say(self, text: str, user: str = "staff1") -> str:
        before = len(self.rec.sent)
        await self.app.engine.handle(Inbound("rec", user, user, InboundKind.TEXT, text=text,
                                             display_name="Cán bộ"))
        return text_of([m for c, m in self.rec.sent[before:] if c == user])

    def copies(self, channel: RecordingChannel, text: str = TEXT) -> dict[str, int]:
        out: dict[str, int] = {}
        for chat, msg in channel.sent:
            if text in msg.text and not chat.startswith("staff"):  # not the preview
                out[chat] = out.get(chat, 0) + 1
        return out

    def seg(self, text: str = "") -> Segment:
        return parse_segment(text, self.app.services.communes, TOPICS)


async def _status(h: TwoChannels, bid: int) -> dict[str, int]:
    return {k: v for k, v in (await h.app.store.broadcasts.status(bid)).items() if v}


async def test_a_mix_over_quota_and_outside_the_window_gets_it_once_and_counts_the_rest(tmp_path):
    h = await TwoChannels(tmp_path, Constraints(window=2 * DAY, monthly_quota=2)).open()
    try:
        now = h.clock.now()
        for u in ("r1", "r2"):
            await h.member("rec", u, seen=now - timedelta(days=30))  # no limits on rec
        await h.member("oa", "fresh")
        await h.member("oa", "old", seen=now - timedelta(days=3))  # outside the 48 h window
        await h.member("oa", "full", commune="7615")
        await h.member("oa", "refused")  # the platform itself says over quota
        for i in range(2):  # "full" gets two broadcasts this month: the quota is used up
            await h.broadcast("commune=7615", text=f"Tin xã {i}")
            await h.app.broadcaster.tick()
        assert h.copies(h.oa, "Tin xã") == {"full": 2}

        # The preview (the chat's /guitin) counts per channel what will be attempted.
        fc = await forecast(h.app.store, h.app.delivery, h.settings, h.seg(), h.clock.now())
        assert fc["rec"]["send"] == 2
        assert (fc["oa"]["send"], fc["oa"]["over_quota"], fc["oa"]["outside_window"]) == (2, 1, 1)
        await h.say("/guitin")
        await h.say(TEXT)
        preview = await h.say("mọi người")
        assert "<b>4</b> người" in preview  # 2 on rec, 2 on oa: what will be attempted
        assert "oa: <b>2</b> người nhận ngay" in preview
        assert "1 người không nhận được: đã hết hạn mức" in preview
        assert "1 người không nhận được: họ đã lâu chưa nhắn" in preview
        await h.say("/huy")

        h.oa.fail_chat["refused"] = [OverQuota("-230 quota exceeded")]
        h.rec.sent.clear()
        h.oa.sent.clear()
        bid = await h.broadcast()
        attempted = await h.app.broadcaster.tick()
        assert attempted == 4 == fc["rec"]["send"] + fc["oa"]["send"]
        await h.app.broadcaster.tick()
        await h.app.broadcaster.tick()  # nothing is tried again
        assert h.copies(h.rec) == {"r1": 1, "r2": 1}
        assert h.copies(h.oa) == {"fresh": 1}  # neither "old" nor "full" was attempted
        assert "refused" not in h.oa.fail_chat or h.oa.fail_chat["refused"] == []
        assert all(m.purpose == "broadcast" for _, m in h.oa.sent)
        assert await _status(h, bid) == {"sent": 3, "over_quota": 2, "outside_window": 1}
        assert (await h.app.store.broadcasts.get(bid)).state == "done"

        db = {"NHANONG_DB": str(tmp_path / "bot.db")}
        cli = run(tmp_path, "broadcast", "status", str(bid), **db)
        assert "hết hạn mức 2, quá lâu kể từ lần tương tác cuối của người nhận 1" in cli.stdout, \
            cli.stdout + cli.stderr
        assert f"broadcast resend {bid}" in cli.stdout
        js = json.loads(run(tmp_path, "broadcast", "status", str(bid), "--json", **db).stdout)
        assert (js["sent"], js["over_quota"], js["outside_window"]) == (3, 2, 1)
        stats = await h.say("/thongke")
        assert "hết hạn mức 2, lâu chưa tương tác 1" in stats
        # The retention compaction keeps the counts.
        await h.app.store.broadcasts.compact(h.clock.now() + timedelta(days=1), h.clock.now())
        assert await h.app.store.broadcasts.delivery_rows() == 0
        assert await _status(h, bid) == {"sent": 3, "over_quota": 2, "outside_window": 1}
    finally:
        await h.close()


async def test_quota_survives_a_restart_and_renews_with_the_local_month(tmp_path):
    h = await TwoChannels(tmp_path, Constraints(monthly_quota=1)).open()
    try:
        await h.member("oa", "a")
        first = await h.broadcast(text="Tin một")
        await h.app.broadcaster.tick()
        assert h.copies(h.oa, "Tin một") == {"a": 1}
        await h.restart()  # a new process on the same file: the quota used is a row
        second = await h.broadcast(text="Tin hai")
        await h.app.broadcaster.tick()
        assert h.copies(h.oa, "Tin hai") == {}
        assert await _status(h, second) == {"over_quota": 1}
        assert await _status(h, first) == {"sent": 1}
        out = await h.say(f"/guilai {second}")  # still March: it ends over quota again
        await h.app.broadcaster.tick()
        assert "1 bản" in out and h.copies(h.oa, "Tin hai") == {}
        # 06:30 on 1 April in Vietnam is still 31 March in UTC: the local month counts.
        h.clock.set(datetime(2026, 3, 31, 23, 30, tzinfo=UTC))
        await h.say(f"/guilai {second}")
        await h.app.broadcaster.tick()
        await h.app.broadcaster.tick()
        assert h.copies(h.oa, "Tin hai") == {"a": 1}
        assert await _status(h, second) == {"sent": 1}
        # The nightly retention drops March's count; April's stays and counts.
        assert (await h.app.retention.run())["quota"] == 1
        assert await h.app.store.broadcasts.quota_rows() == 1
        third = await h.broadcast(text="Tin ba")  # April's one is used now
        await h.app.broadcaster.tick()
        assert await _status(h, third) == {"over_quota": 1}
    finally:
        await h.close()


async def test_a_daily_quota_and_the_platforms_outside_window_answer(tmp_path):
    h = await TwoChannels(tmp_path, Constraints(daily_quota=1)).open()
    try:
        await h.member("oa", "a")
        await h.member("oa", "b")
        h.oa.fail_chat["b"] = [OutsideWindow("-213 user has not interacted")]
        one = await h.broadcast(text="Sáng")
        await h.app.broadcaster.tick()
        assert await _status(h, one) == {"sent": 1, "outside_window": 1}
        two = await h.broadcast(text="Chiều")
        await h.app.broadcaster.tick()
        # a used today's copy; b's was not sent, so b's quota is untouched
        assert await _status(h, two) == {"sent": 1, "over_quota": 1}
        assert h.copies(h.oa, "Chiều") == {"b": 1}
    finally:
        await h.close()


async def test_outside_the_channels_hours_copies_wait_then_go(tmp_path):
    h = await TwoChannels(tmp_path, Constraints(hours=(time(14, 0), time(16, 0)))).open()
    try:
        await h.member("rec", "r")
        await h.member("oa", "a")
        await h.member("oa", "b")
        fc = await forecast(h.app.store, h.app.delivery, h.settings, h.seg(), h.clock.now())
        assert fc["oa"]["send"] == 0 and fc["oa"]["later"] == 2 and fc["rec"]["send"] == 1
        await h.say("/guitin")
        await h.say(TEXT)
        preview = await h.say("mọi người")
        assert "<b>3</b> người" in preview and "2 người nhận khi đến giờ kênh cho phép" in preview
        await h.say("/huy")
        bid = await h.broadcast()
        await h.app.broadcaster.tick()  # 12:00 in Vietnam: the OA sends from 14:00
        assert h.copies(h.rec) == {"r": 1} and h.copies(h.oa) == {}
        assert await _status(h, bid) == {"sent": 1, "pending": 2}
        h.clock.advance(3600)
        await h.app.broadcaster.tick()
        assert h.copies(h.oa) == {}
        h.clock.advance(3600)  # 14:00
        await h.app.broadcaster.tick()
        await h.app.broadcaster.tick()
        assert h.copies(h.oa) == {"a": 1, "b": 1} and h.copies(h.rec) == {"r": 1}
        assert await _status(h, bid) == {"sent": 3}
        assert (await h.app.store.broadcasts.get(bid)).state == "done"
    finally:
        await h.close()


async def test_a_refused_token_stops_the_channel_staff_told_once_copies_left_pending(tmp_path, caplog):
    h = await TwoChannels(tmp_path, Constraints()).open()
    try:
        for u in ("r1", "r2", "r3"):
            await h.member("rec", u)
        for i in range(5):
            await h.member("oa", f"o{i}")
        h.oa.fail = [Unauthorized("401 invalid access token")]
        bid = await h.broadcast()
        await h.app.broadcaster.tick()
        assert h.copies(h.rec) == {"r1": 1, "r2": 1, "r3": 1}  # the other channel goes on
        assert h.copies(h.oa) == {}
        assert await _status(h, bid) == {"sent": 3, "pending": 5}  # none failed
        second = await h.broadcast(text="Tin thứ hai")
        await h.app.broadcaster.tick()
        await h.app.broadcaster.tick()
        assert h.oa.sent == [] and await _status(h, second) == {"sent": 3, "pending": 5}
        told = [m.text for c, m in h.rec.sent if c == "staffroom" and "Kênh oa đã dừng" in m.text]
        assert len(told) == 1 and "401" in told[0]
        # A reply due on the stopped channel is not sent, and says so in the log.
        caplog.set_level(logging.WARNING, logger="bot.delivery")
        await h.app.engine.handle(Inbound("oa", "o0", "o0", InboundKind.TEXT, text="/tin"))
        assert h.oa.sent == []
        assert any("oa is stopped" in r.getMessage() for r in caplog.records)
        fc = await forecast(h.app.store, h.app.delivery, h.settings, h.seg(), h.clock.now())
        assert fc["oa"]["stopped"] == 5 and fc["oa"]["send"] == 0
        h.app.delivery.resume("oa")  # the channel works again
        await h.app.broadcaster.tick()
        assert h.copies(h.oa) == {f"o{i}": 1 for i in range(5)}
        assert h.copies(h.oa, "Tin thứ hai") == {f"o{i}": 1 for i in range(5)}
        assert await _status(h, bid) == {"sent": 8}
        assert h.copies(h.rec) == {"r1": 1, "r2": 1, "r3": 1}  # nobody got two
    finally:
        await h.close()


async def test_a_checkin_reminder_is_a_notice_outside_the_broadcast_quota(tmp_path):
    h = await TwoChannels(tmp_path, Constraints(monthly_quota=1)).open()
    try:
        await h.member("oa", "a")
        await h.broadcast(text="Tin tháng")
        await h.app.broadcaster.tick()  # the month's one broadcast
        store = h.app.store
        # The check-in scheduler's reminder: its audience, those who have not answered.
        bid = await store.broadcasts.create(
            by="checkin:ocop", text="⏰ Nhắc: hội vẫn chờ câu trả lời của bạn", image=None,
            segment=Segment((("pending_checkin", ("1",)),)), send_at=h.clock.now(),
            expires_at=None, state="scheduled", now=h.clock.now())
        await h.app.broadcaster.tick()
        [(chat, msg)] = [(c, m) for c, m in h.oa.sent if "Nhắc" in m.text]
        assert chat == "a" and msg.purpose == "notice"
        assert await _status(h, bid) == {"sent": 1}
        again = await h.broadcast(text="Tin nữa")  # the reminder used no quota; still 1
        await h.app.broadcaster.tick()
        assert await _status(h, again) == {"over_quota": 1}
    finally:
        await h.close()


async def test_the_claim_with_a_channels_rules_reads_only_its_rows(tmp_path):
    from bot.store import Rule, Store
    from bot.store.broadcasts import claim_sql, verdict_sql

    store = await Store(tmp_path / "c.db").open()
    try:
        now = NOON
        rules = {"oa": Rule(seen_after=now - timedelta(days=2), monthly=4, daily=1,
                            month="2026-03", day="2026-03-02")}
        verdict, params = verdict_sql(rules)
        plan = await store.db.fetchall(f"EXPLAIN QUERY PLAN {claim_sql(2, verdict)}",
                                       (*params, 1, 0, "rec", "oa", 200))
        details = [r[3] for r in plan]
        assert any("deliveries_claim" in d and "member_id>?" in d for d in details), details
        assert "SEARCH q USING PRIMARY KEY (member_id=? AND period=?)" in details, details
        assert not any("TEMP B-TREE" in d for d in details), details
        assert not any(d.startswith("SCAN") for d in details), details
    finally:
        await store.close()
