"""Who a broadcast goes to: a small expression shared by the chat, the CLI and
content series.

    commune=Sơn Động|Tân Yên, role=coop, topic=ocop, lang=vi, joined_after=2026-01-01, course=3

Terms joined by "," must all hold; values joined by "|" are alternatives.  An
empty expression means every member who receives news.  Unknown fields or
values are refused with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .channels import names as channel_names
from .geo import Communes
from .i18n import N_, Problem
from .roles import ROLES, role_from_text
from .text import fold

FIELDS = ("commune", "role", "topic", "lang", "channel", "joined_after", "course", "has_ocop",
          "pending_checkin")
HAS_OCOP = ("ocop-quy", "has_product")  # the check-in question that says "I have an OCOP product"


class SegmentError(Problem):
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
            raise SegmentError(N_("“{term}” is not FIELD=VALUE"), term=raw.strip())
        if name not in FIELDS:
            raise SegmentError(N_("unknown segment field “{name}” (known: {known})"), name=name,
                               known=", ".join(FIELDS))
        values = tuple(_value(name, v.strip(), communes, topics) for v in value.split("|") if v.strip())
        terms.append((name, values))
    return Segment(tuple(terms))


def stored_segment(text: str) -> Segment:
    """A segment as stored with its broadcast (``Segment.text``), read back as it is.

    It was checked against the communes and topics when the broadcast was made and
    stored normalised, so it is not checked against today's content again: a topic
    removed since simply matches fewer people.  Only a field this version does not
    know (written by a newer one) is refused, as it cannot be turned into SQL."""
    terms: list[tuple[str, tuple[str, ...]]] = []
    for raw in [t for t in (text or "").split(",") if t.strip()]:
        name, sep, value = raw.partition("=")
        name = name.strip()
        values = tuple(v.strip() for v in value.split("|") if v.strip())
        if name not in FIELDS:
            raise SegmentError(N_("unknown segment field “{name}” (known: {known})"), name=name,
                               known=", ".join(FIELDS))
        if not sep or not values:
            raise SegmentError(N_("“{term}” is not FIELD=VALUE"), term=raw.strip())
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
                if near:
                    raise SegmentError(N_("unknown commune “{v}” (did you mean {near}?)"), v=v, near=near)
                raise SegmentError(N_("unknown commune “{v}”"), v=v)
        return c.code
    if name == "role":
        role = role_from_text(v)
        if role is not None:
            return role
        raise SegmentError(N_("unknown role “{v}” (known: {known})"), v=v, known=", ".join(ROLES))
    if name == "topic":
        if v not in topics:
            raise SegmentError(N_("unknown topic “{v}” (known: {known})"), v=v,
                               known=", ".join(sorted(topics)))
        return v
    if name == "lang":
        if v not in ("vi", "en"):
            raise SegmentError(N_("unknown language “{v}” (vi, en)"), v=v)
        return v
    if name == "channel":
        known = channel_names()
        if v not in known:
            raise SegmentError(N_("unknown channel “{v}” (known: {known})"), v=v, known=", ".join(known))
        return v
    if name == "has_ocop":
        yes = fold(v) in ("1", "yes", "co", "true")
        if not yes and fold(v) not in ("0", "no", "khong", "false"):
            raise SegmentError(N_("has_ocop “{v}” must be 1 or 0"), v=v)
        return "1" if yes else "0"
    if name in ("course", "pending_checkin"):
        if not v.isdigit():
            raise SegmentError(N_("{name} “{v}” is not a number"), name=name, v=v)
        return v
    try:
        return date.fromisoformat(v).isoformat()
    except ValueError:
        raise SegmentError(N_("joined_after “{v}” is not YYYY-MM-DD"), v=v) from None
