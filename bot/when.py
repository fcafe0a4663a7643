"""Times as staff type them: "07:30 05/12/2026", "5/12 7:30", "2026-12-05 07:30",
"8h ngày 5/12".  Read in the configured zone; the year defaults to this year."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from .i18n import N_, Problem

_TIME_FIRST = re.compile(r"(\d{1,2}):(\d{2})?\s*(?:ngày\s*)?(\d{1,2})/(\d{1,2})(?:/(\d{4}))?")
_DATE_FIRST = re.compile(r"(\d{1,2})/(\d{1,2})(?:/(\d{4}))?\s+(?:lúc\s*)?(\d{1,2}):(\d{2})?")


def parse_local_time(text: str, zone: ZoneInfo, now: datetime, *, future: bool = True) -> datetime:
    """The moment ``text`` names, aware; with ``future`` it must be after ``now``.

    Raises :class:`Problem` with a message staff can act on."""
    t = " ".join(text.strip().lower().split()).replace("giờ", ":").replace("h", ":")
    t = t.replace("::", ":")
    local_now = now.astimezone(zone)
    try:
        when = datetime.fromisoformat(t.replace(" ", "T", 1))
    except ValueError:
        m = _TIME_FIRST.fullmatch(t)
        if m and t[0].isdigit() and ":" in t.split()[0]:
            hh, mm, dd, mo, yy = m.groups()
        elif (m := _DATE_FIRST.fullmatch(t)) is not None:
            dd, mo, yy, hh, mm = m.groups()
        else:
            raise Problem(N_("“{text}” is not a time such as 07:30 05/12/2026"), text=text) from None
        try:
            when = datetime(int(yy or local_now.year), int(mo), int(dd), int(hh), int(mm or 0))
        except ValueError:
            raise Problem(N_("“{text}” is not a real date and time"), text=text) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    if future and when <= now:
        raise Problem(N_("“{text}” is in the past"), text=text)
    return when
