"""The communes and wards (xã/phường) of the configured province.

Since 1/7/2025 an address is a province plus one of its communes or wards; the
official list and codes come from the ``vietnam-provinces`` package.  People type
names any way ("xa son dong", "Sơn Động", "P. Từ Sơn"): ``Communes.match`` finds
the unit whatever the typing, or the best few candidates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from rapidfuzz import fuzz, process
from vietnam_provinces import Province, Ward

from .text import fold

_PREFIX = re.compile(r"^(xa|phuong|p|x|dac khu|thi tran|tt)\s+")


@dataclass(frozen=True, slots=True)
class Commune:
    code: str
    name: str  # "Xã Sơn Động"
    kind: str  # "xã" / "phường" / "đặc khu"
    bare: str  # folded name without its prefix: "son dong"


@dataclass(frozen=True, slots=True)
class Match:
    exact: Commune | None
    candidates: tuple[Commune, ...]


def find_province(name_or_code: str) -> Province:
    """The province named (with or without diacritics) or with this code."""
    wanted = fold(name_or_code).removeprefix("tinh ").removeprefix("thanh pho ")
    for p in Province.iter_all():
        if str(p.code.value) == wanted or fold(p.name) == wanted:
            return p
    raise ValueError(f"unknown province {name_or_code!r}")


class Communes:
    """All communes and wards of one province, with a forgiving name lookup."""

    def __init__(self, province: Province) -> None:
        self.province = province
        units = [w for w in Ward.iter_all() if w.province_code == province.code]
        self._all = tuple(
            Commune(
                code=str(w.code.value),
                name=w.name,
                kind=w.division_type.value,
                bare=_PREFIX.sub("", fold(w.name)),
            )
            for w in units
        )
        self._by_code = {c.code: c for c in self._all}
        self._bares = [c.bare for c in self._all]

    def __len__(self) -> int:
        return len(self._all)

    def __iter__(self):
        return iter(self._all)

    def get(self, code: str | None) -> Commune | None:
        return self._by_code.get(str(code)) if code else None

    def match(self, typed: str, limit: int = 4) -> Match:
        """Find the commune a person means.

        An exact folded name ("son dong", with or without "xã") is taken at once
        unless a xã and a phường share it; otherwise the best fuzzy candidates are
        offered (none when nothing is close).
        """
        query = fold(typed)[:80]
        kind = None
        m = _PREFIX.match(query)
        if m:
            kind = {"xa": "xã", "x": "xã", "phuong": "phường", "p": "phường"}.get(m.group(1))
        bare = _PREFIX.sub("", query)
        if not bare:
            return Match(None, ())
        same = [c for c in self._all if c.bare == bare]
        if kind:
            same = [c for c in same if c.kind == kind] or same
        if len(same) == 1:
            return Match(same[0], ())
        if same:
            return Match(None, tuple(same[:limit]))
        # Every typed syllable in the name ("son" → Sơn Động, Đại Sơn…), shortest first;
        # otherwise names within a few typos of what was typed ("hiep hao").
        words = set(bare.split())
        subset = [c for c in self._all if words <= set(c.bare.split())]
        if subset:
            subset.sort(key=lambda c: (not c.bare.startswith(bare), len(c.bare), c.name))
            return Match(None, tuple(subset[:limit]))
        scored = process.extract(bare, self._bares, scorer=fuzz.ratio, limit=limit, score_cutoff=75)
        return Match(None, tuple(self._all[i] for _, _, i in scored))


@cache
def communes_of(province_name: str) -> Communes:
    return Communes(find_province(province_name))
