"""The scheduler and the fake clock: periodic jobs run on the app's Clock, so the
tests move time and the jobs follow, whatever the date on the machine."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clock import SETTLE_ROUNDS, FakeClock
from bot.scheduler import Scheduler
from tests.helpers import Harness
from tests.waits import guarded, until

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam


def local(when: datetime) -> tuple[int, int, int, int, int]:
    t = when.astimezone(ZONE)
    return (t.year, t.month, t.day, t.hour, t.minute)


class Beats:
    """Records when (on the clock) each job ran."""

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.at: dict[str, list[datetime]] = {}

    def job(self, name: str, fail: bool = False):
        async def run() -> None:
            self.at.setdefault(name, []).append(self.clock.now())
            if fail:
                raise RuntimeError(f"{name} broke")
        return run


async def settled(sched: Scheduler) -> None:
    """Until the scheduler has looked at the clock's current time: no job due, none running."""
    now = sched.clock.now()
    await until(lambda: all((j.next_run is None or j.next_run > now) and not j.running
                            for j in sched.jobs()), "the scheduler catching up")


@pytest.fixture
async def sched():
    clock = FakeClock(START)
    s = Scheduler(clock, ZONE)
    s.start()
    yield s
    s.shutdown()


async def test_interval_job_first_runs_now_then_every_interval(sched):
    clock, beats = sched.clock, Beats(sched.clock)
    sched.add_interval("notices", beats.job("notices"), seconds=20, first_now=True)
    sched.add_interval("later", beats.job("later"), seconds=20)
    await settled(sched)
    assert beats.at == {"notices": [START]}
    clock.advance(19)
    await settled(sched)
    assert len(beats.at["notices"]) == 1
    clock.advance(1)
    await settled(sched)
    assert beats.at["notices"] == [START, START + timedelta(seconds=20)]
    assert beats.at["later"] == [START + timedelta(seconds=20)]


async def test_cron_job_fires_at_its_local_time(sched):
    clock, beats = sched.clock, Beats(sched.clock)
    sched.add_cron("morning", beats.job("morning"), hour=7, minute=0, grace=3600)
    sched.add_cron("monday", beats.job("monday"), day_of_week="mon", hour=7, minute=0, grace=3600)
    await settled(sched)
    assert beats.at == {}  # 08:00 now: the first beat is tomorrow
    clock.set(datetime(2026, 3, 2, 23, 59, 59, tzinfo=UTC))  # 06:59:59 on Tuesday
    await settled(sched)
    assert beats.at == {}
    clock.advance(1)
    await settled(sched)
    assert [local(t) for t in beats.at["morning"]] == [(2026, 3, 3, 7, 0)]
    assert "monday" not in beats.at
    clock.set(datetime(2026, 3, 9, 0, 0, tzinfo=UTC))  # Monday 07:00
    await settled(sched)
    assert len(beats.at["morning"]) == 2 and [local(t) for t in beats.at["monday"]] == [(2026, 3, 9, 7, 0)]


async def test_three_days_missed_run_each_job_once(sched):
    clock, beats = sched.clock, Beats(sched.clock)
    sched.add_interval("notices", beats.job("notices"), seconds=20, first_now=True)
    sched.add_cron("series", beats.job("series"), hour=7, minute=30, grace=3600)
    sched.add_cron("prune", beats.job("prune"), hour=3, minute=17)  # no grace: always catches up
    await settled(sched)
    clock.advance(3 * 86400)  # the machine slept (or the test jumped): 08:00 three days on
    await settled(sched)
    later = START + timedelta(days=3)
    assert beats.at == {"notices": [START, later], "series": [later], "prune": [later]}
    # The next beats are the regular ones after now, not the missed ones.
    assert sched.get("notices").next_run == later + timedelta(seconds=20)
    assert local(sched.get("series").next_run) == (2026, 3, 6, 7, 30)


async def test_a_run_missed_by_more_than_its_grace_is_dropped(sched, caplog):
    clock, beats = sched.clock, Beats(sched.clock)
    sched.add_cron("prune", beats.job("prune"), hour=3, minute=17, grace=3600)
    clock.set(datetime(2026, 3, 3, 0, 0, tzinfo=UTC))  # 07:00: 03:17 was long ago
    with caplog.at_level(logging.WARNING, logger="bot.scheduler"):
        await settled(sched)
    assert beats.at == {} and "missed" in caplog.text
    assert local(sched.get("prune").next_run) == (2026, 3, 4, 3, 17)


async def test_a_failing_job_is_logged_and_keeps_its_schedule(sched, caplog):
    clock, beats = sched.clock, Beats(sched.clock)
    sched.add_interval("broken", beats.job("broken", fail=True), seconds=60, first_now=True)
    with caplog.at_level(logging.ERROR, logger="bot.scheduler"):
        for _ in range(3):
            await settled(sched)
            clock.advance(60)
        await settled(sched)
    assert len(beats.at["broken"]) == 4
    assert caplog.text.count("job broken failed") == 4


async def test_a_job_never_runs_twice_at_once(sched):
    clock = sched.clock
    release, runs = asyncio.Event(), []

    async def slow() -> None:
        runs.append(clock.now())
        await release.wait()

    sched.add_interval("slow", slow, seconds=20, first_now=True)
    await until(lambda: len(runs) == 1)
    for _ in range(3):  # its beats come while it is still running: skipped
        clock.advance(20)
        await until(lambda: sched.get("slow").next_run > clock.now())
    assert len(runs) == 1
    release.set()
    await until(lambda: not sched.get("slow").running)
    clock.advance(20)
    await until(lambda: len(runs) == 2)


async def test_jobs_are_replaced_and_removed_by_id(sched):
    clock, beats = sched.clock, Beats(sched.clock)
    sched.add_interval("j", beats.job("old"), seconds=20)
    sched.add_interval("j", beats.job("new"), seconds=20)
    sched.add_interval("gone", beats.job("gone"), seconds=20)
    sched.remove("gone")
    assert [j.id for j in sched.jobs()] == ["j"]
    clock.advance(20)
    await settled(sched)
    assert beats.at == {"new": [START + timedelta(seconds=20)]}


# -- the fake clock's auto mode -------------------------------------------------------------
async def test_auto_clock_jumps_for_active_sleeps_not_for_passive_ones():
    clock = FakeClock(START, auto=True)
    beat = asyncio.create_task(clock.sleep(60, passive=True))
    await guarded(clock.sleep(5))  # a pacing wait: the clock goes there at once
    assert clock.monotonic() == 5
    for _ in range(SETTLE_ROUNDS * 5):
        await asyncio.sleep(0)
    assert clock.monotonic() == 5 and not beat.done()  # nobody hurries a periodic wait
    await guarded(clock.sleep(60))  # time moved past it by an active sleep: it wakes too
    assert beat.done()


async def test_auto_clock_lets_runnable_work_start_its_sleep_first():
    clock = FakeClock(START, auto=True)
    woke: list[tuple[str, float]] = []

    async def busy_then_short() -> None:
        for _ in range(SETTLE_ROUNDS // 2):  # work still runnable when the long sleep begins
            await asyncio.sleep(0)
        await clock.sleep(1)
        woke.append(("short", clock.monotonic()))

    async def long() -> None:
        await clock.sleep(3)
        woke.append(("long", clock.monotonic()))

    await guarded(asyncio.gather(long(), busy_then_short()))
    assert woke == [("short", 1.0), ("long", 3.0)]


async def test_an_idle_app_on_an_auto_clock_keeps_its_time(tmp_path):
    """The broadcast sender and the scheduler wait passively: an auto clock in an idle
    test stays put instead of racing through days of jobs."""
    h = await Harness(tmp_path).open()
    app = h.app
    looks: list[float] = []
    tick = app.broadcaster.tick

    async def counted_tick() -> int:
        try:
            return await tick()
        finally:
            looks.append(h.clock.monotonic())

    app.broadcaster.tick = counted_tick  # type: ignore[method-assign]
    try:
        await app.start()
        await settled(app.scheduler)
        await until(lambda: len(looks) >= 1, "the sender's first look")
        for _ in range(SETTLE_ROUNDS * 20):  # ample rounds for an auto clock to jump
            await asyncio.sleep(0)
        assert h.clock.monotonic() == 0 and looks == [0]
        ids = {j.id for j in app.scheduler.jobs()}
        assert {"prune_dialogs", "course_notices", "checkins", "reports"} <= ids
        assert {"series:ocop-co-ban", "series:lap-htx"} <= ids
        now = h.clock.now()
        assert app.scheduler.get("course_notices").next_run == now + timedelta(seconds=20)
        assert app.scheduler.get("checkins").next_run == now + timedelta(seconds=60)
        assert app.scheduler.get("reports").next_run == now + timedelta(minutes=5)
        assert local(app.scheduler.get("prune_dialogs").next_run) == (2026, 3, 3, 3, 17)
    finally:
        await h.close()


async def test_the_check_in_job_runs_at_start_on_the_apps_clock(tmp_path):
    """"The first run is now": started on a questionnaire's opening morning, whatever the
    machine's date, the app opens the run and invites its audience at once."""
    h = await Harness(tmp_path).open()
    app = h.app
    h.clock.set(datetime(2027, 3, 1, 1, 0, tzinfo=UTC))  # first Monday of the quarter's last month
    try:
        await app.start()
        await settled(app.scheduler)
        rows = await app.store.db.fetchall("SELECT created_by FROM broadcasts ORDER BY id")
        assert sorted(r[0] for r in rows) == ["checkin:hoat-dong-co-so", "checkin:ocop-quy"]
        h.clock.advance(3 * 86400)  # three days on: still one invitation each
        await settled(app.scheduler)
        rows = await app.store.db.fetchall("SELECT created_by FROM broadcasts ORDER BY id")
        assert len(rows) == 2
    finally:
        await h.close()
