"""The union's indicators, computed from check-in answers, training records and
members, against the targets in ``content/targets.yaml``.

One function per kind of computation (see ``bot/content/targets.py``); each
returns the province's value and a breakdown by commune.  :func:`compute` runs
every indicator of the programme that covers a period, for that period and the
one before it (for "change since the previous period").

Periods are written ``2026-Q3`` (quarter), ``2026-H1`` (half-year) and ``2026``
(year); each is a half-open range of local days ``[start, end)``.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from .content import Indicator, Programme, Targets
from .content.checkins import condition_holds
from .geo import Communes
from .i18n import N_, Problem, Translator
from .store import Store, Tally

_PERIOD = re.compile(r"(\d{4})(?:-(Q[1-4]|H[12]))?")


@dataclass(frozen=True)
class Period:
    label: str  # "2026-Q3", "2026-H1", "2026"
    start: date  # first local day
    end: date  # the day after the last

    @property
    def kind(self) -> str:
        return "year" if "-" not in self.label else ("quarter" if "Q" in self.label else "half")

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware moments at local midnight."""
        return (datetime.combine(self.start, time(), zone), datetime.combine(self.end, time(), zone))

    def previous(self) -> Period:
        year, _, part = self.label.partition("-")
        y = int(year)
        if not part:
            return parse_period(str(y - 1))
        n = int(part[1])
        if n > 1:
            return parse_period(f"{y}-{part[0]}{n - 1}")
        return parse_period(f"{y - 1}-{part[0]}{4 if part[0] == 'Q' else 2}")

    def title(self, t: Translator) -> str:
        year, _, part = self.label.partition("-")
        if not part:
            return t.plain("Year {year}", year=year)
        if part[0] == "Q":
            return t.plain("Quarter {n}/{year}", n=part[1], year=year)
        if part == "H1":
            return t.plain("First half of {year}", year=year)
        return t.plain("Second half of {year}", year=year)


def parse_period(text: str) -> Period:
    """``2026-Q3`` → [2026-07-01, 2026-10-01); raises Problem with a reason."""
    m = _PERIOD.fullmatch((text or "").strip().upper())
    if not m or not 2000 <= int(m.group(1)) <= 2100:
        raise Problem(N_("“{text}” is not a period such as 2026-Q3, 2026-H1 or 2026"), text=text)
    y, part = int(m.group(1)), m.group(2)
    if part is None:
        return Period(str(y), date(y, 1, 1), date(y + 1, 1, 1))
    first = (int(part[1]) - 1) * (3 if part[0] == "Q" else 6) + 1
    months = 3 if part[0] == "Q" else 6
    last = first + months
    end = date(y + 1, 1, 1) if last > 12 else date(y, last, 1)
    return Period(f"{y}-{part}", date(y, first, 1), end)


def this_year(today: date) -> Period:
    return parse_period(str(today.year))


async def year_so_far(store: Store, targets: Targets, zone: ZoneInfo, communes: Communes,
                      now: datetime) -> Progress:
    """Each indicator this year so far (no previous period): the "Tiến độ Đề án" of
    /thongke and of the console's overview."""
    return await compute(store, targets, this_year(now.astimezone(zone).date()), zone, communes,
                         previous=False)


def quarter_of(day: date) -> Period:
    return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")


@dataclass(frozen=True, slots=True)
class Row:
    """One commune's part: its value and, for a share, what it is out of."""

    code: str | None
    value: float
    out_of: float | None = None


@dataclass(slots=True)
class Outcome:
    value: float
    numerator: float | None = None
    denominator: float | None = None
    rows: list[Row] = field(default_factory=list)


@dataclass(slots=True)
class Result:
    indicator: Indicator
    value: float
    numerator: float | None
    denominator: float | None
    rows: list[Row]
    previous: float | None = None

    @property
    def target(self) -> float | None:
        return self.indicator.target

    @property
    def of_target(self) -> float | None:
        """Progress as a fraction of the target (0.5 = half way), None without a target."""
        return self.value / self.target if self.target else None

    @property
    def change(self) -> float | None:
        return None if self.previous is None else self.value - self.previous


class Source:
    """The store for one computation, remembering what was already counted (indicators
    run side by side: the second to ask for the same count waits for the first's)."""

    def __init__(self, store: Store, communes: Communes) -> None:
        self.store = store
        self.communes = communes
        self._asked: dict[tuple, asyncio.Future] = {}

    def _once(self, key: tuple, read: Callable[[], Awaitable[Any]]) -> asyncio.Future:
        if key not in self._asked:
            self._asked[key] = asyncio.ensure_future(read())
        return self._asked[key]

    async def tallies(self, checkin: str, questions: tuple[str, ...], since: datetime | None,
                      until: datetime, latest: bool = False) -> list[Tally]:
        """Responses counted by commune, role and the answers to ``questions`` (in SQL)."""
        reporting = self.store.reporting

        async def count() -> list[Tally]:
            newest = (await self._once(("newest", checkin, until),
                                       lambda: reporting.newest(checkin, until))
                      if latest and since is None else None)
            return await reporting.grouped(checkin, questions, since=since, until=until,
                                           latest=latest, newest=newest)

        return await self._once(("tallies", checkin, questions, since, until, latest), count)

    async def trained(self, until: datetime) -> list[tuple[str | None, str | None, int]]:
        """Who attended a course ending before ``until``, by (role, commune): read once
        for every indicator of the kind (they differ by role only)."""
        return await self._once(("trained", until),
                                lambda: self.store.courses.trained(until=until))

    async def members_by_commune(self, roles: tuple[str, ...]) -> dict[str | None, int]:
        """Members with one of ``roles`` by commune (the same for every period)."""
        return await self._once(("members", roles),
                                lambda: self.store.reporting.members_by_commune(roles))


def _rows(counts: dict[str | None, float], of: dict[str | None, float] | None = None) -> list[Row]:
    """Rows biggest first (then by code); communes without a code last."""
    keys = set(counts) | set(of or {})
    rows = [Row(k, counts.get(k, 0), (of or {}).get(k) if of is not None else None) for k in keys]
    return sorted(rows, key=lambda r: (r.code is None, -r.value, r.code or ""))


def _share(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else 0.0


# -- one function per kind -----------------------------------------------------------
async def units_reporting(ind: Indicator, src: Source, since: datetime, until: datetime) -> Outcome:
    """% of the province's communes where a member of ``roles`` answered ``question``
    above ``above`` in the period; by commune: the sum of that answer."""
    p = ind.params
    roles, above, qid = set(p.get("roles") or ()), float(p.get("above", 0)), p["question"]
    known = {c.code for c in src.communes}
    active: set[str] = set()
    sums: dict[str | None, float] = {c: 0.0 for c in known}
    for r in await src.tallies(p["checkin"], (qid,), since, until):
        if (roles and r.role not in roles) or r.commune_code not in known:
            continue
        got = r.answers.get(qid)
        if isinstance(got, int | float):
            sums[r.commune_code] += got * r.n
            if got > above:
                active.add(r.commune_code)
    return Outcome(_share(len(active), len(known)), len(active), len(known), _rows(sums))


async def trained_share(ind: Indicator, src: Source, since: datetime, until: datetime) -> Outcome:
    """% of members with ``roles`` who attended a course ending before the period end."""
    roles = tuple(ind.params["roles"])
    trained: dict[str | None, float] = defaultdict(float)
    for role, commune, n in await src.trained(until):
        if role in roles:
            trained[commune] += n
    total = await src.members_by_commune(roles)
    part, whole = sum(trained.values()), sum(total.values())
    return Outcome(_share(part, whole), part, whole, _rows(dict(trained), dict(total)))


async def latest_count(ind: Indicator, src: Source, since: datetime, until: datetime) -> Outcome:
    """Members whose latest submitted response (before the period end) meets ``where``."""
    cond = ind.condition
    counts: dict[str | None, float] = defaultdict(float)
    asked = tuple(sorted({qid for qid, _ in cond}))
    for r in await src.tallies(ind.params["checkin"], asked, None, until, latest=True):
        if condition_holds(cond, r.answers):
            counts[r.commune_code] += r.n
    return Outcome(sum(counts.values()), rows=_rows(dict(counts)))


async def window_sum(ind: Indicator, src: Source, since: datetime, until: datetime) -> Outcome:
    """The sum of a number question over responses submitted in the period."""
    qid = ind.params["question"]
    sums: dict[str | None, float] = defaultdict(float)
    for r in await src.tallies(ind.params["checkin"], (qid,), since, until):
        got = r.answers.get(qid)
        if isinstance(got, int | float):
            sums[r.commune_code] += got * r.n
    return Outcome(sum(sums.values()), rows=_rows({k: v for k, v in sums.items() if v}))


KINDS: dict[str, Callable[[Indicator, Source, datetime, datetime], Awaitable[Outcome]]] = {
    "units_reporting": units_reporting,
    "trained_share": trained_share,
    "latest_count": latest_count,
    "window_sum": window_sum,
}


@dataclass(slots=True)
class Progress:
    """Every indicator of a programme for one period."""

    period: Period
    programme: Programme | None
    results: list[Result]


async def compute(store: Store, targets: Targets, period: Period, zone: ZoneInfo,
                  communes: Communes, *, previous: bool = True) -> Progress:
    programme = targets.for_period(period.start, period.end)
    if programme is None:
        return Progress(period, None, [])
    src = Source(store, communes)
    since, until = period.bounds(zone)
    before = period.previous().bounds(zone) if previous else None

    async def one(ind: Indicator) -> Result:
        fn = KINDS[ind.kind]
        now = await fn(ind, src, since, until)
        prev = (await fn(ind, src, *before)).value if before else None
        return Result(ind, now.value, now.numerator, now.denominator, now.rows, prev)

    # Side by side: each indicator's counting is one query, and SQLite counts on as many
    # reader connections (and cores) as there are, while this waits.
    results = await asyncio.gather(*(one(ind) for ind in programme.indicators))
    return Progress(period, programme, list(results))
