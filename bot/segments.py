"""Who a broadcast goes to: a small expression shared by the chat, the CLI and
content series.

    commune=Sơn Động|Tân Yên, role=coop, topic=ocop, lang=vi, joined_after=2026-01-01

Terms joined by "," must all hold; values joined by "|" are alternatives.  An
empty expression means every member who receives news.  Unknown fields or
values are refused with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .geo import Communes
from .i18n import translator
from .roles import ROLES
from .text import fold

FIELDS = ("commune", "role", "topic", "lang", "channel", "joined_after")
LATER = {"course": "training courses", "has_ocop": "progress check-ins"}


class SegmentError(ValueError):
    """The expression is wrong; the message says where and why."""


@dataclass(frozen=True)
class Segment:
    terms: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (field, values), values normalised

    @property
    def text(self) -> str:
        return ", ".join(f"{f}={'|'.join(v)}" for f, v in self.terms)


def parse_segment(expr: str, communes: Communes, topics: set[str]) -> Segment:
    terms: list[tuple[str, tuple[str, ...]]] = []
    for raw in [t for t in (expr or "").split(",") if t.strip()]:
        name, sep, value = raw.partition("=")
        name = name.strip().lower()
        if not sep or not value.strip():
            raise SegmentError(f"'{raw.strip()}' is not FIELD=VALUE")
        if name in LATER:
            raise SegmentError(f"segment field '{name}' comes with {LATER[name]}; not available yet")
        if name not in FIELDS:
            raise SegmentError(f"unknown segment field '{name}' (known: {', '.join(FIELDS)})")
        values = tuple(_value(name, v.strip(), communes, topics) for v in value.split("|") if v.strip())
        terms.append((name, values))
    return Segment(tuple(terms))


def _value(name: str, v: str, communes: Communes, topics: set[str]) -> str:
    if name == "commune":
        c = communes.get(v)
        if c is None:
            m = communes.match(v)
            c = m.exact
            if c is None:
                near = ", ".join(x.name for x in m.candidates[:3])
                raise SegmentError(f"unknown commune '{v}'" + (f" (did you mean {near}?)" if near else ""))
        return c.code
    if name == "role":
        vi = translator("vi")
        for key, label in ROLES.items():
            if fold(v) in (key, fold(label), fold(vi.plain(label))):
                return key
        raise SegmentError(f"unknown role '{v}' (known: {', '.join(ROLES)})")
    if name == "topic":
        if v not in topics:
            raise SegmentError(f"unknown topic '{v}' (known: {', '.join(sorted(topics))})")
        return v
    if name == "lang":
        if v not in ("vi", "en"):
            raise SegmentError(f"unknown language '{v}' (vi, en)")
        return v
    if name == "channel":
        if v not in ("telegram", "zalo", "console"):
            raise SegmentError(f"unknown channel '{v}' (telegram, zalo, console)")
        return v
    try:
        return date.fromisoformat(v).isoformat()
    except ValueError:
        raise SegmentError(f"joined_after '{v}' is not YYYY-MM-DD") from None
