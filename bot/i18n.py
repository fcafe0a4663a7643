"""Translations and Vietnamese formatting.

Messages are written in code as English msgids (``t("Hello, {name}!")``) and
translated from Babel catalogs in ``bot/locales/<lang>/LC_MESSAGES/messages.po``;
Vietnamese is the default and must be complete.  The catalogs are read
straight from the ``.po`` files, so a fresh clone needs no compile step.

The locale is chosen per person and passed explicitly: a :class:`Translator` is
built for one locale and one time zone; there is no global locale.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_time
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from . import ROOT

LOCALES = ("vi", "en")
BABEL_LOCALE = {"vi": "vi_VN", "en": "en_GB"}
FORMATS = {
    "vi": {"date": "dd/MM/yyyy", "datetime": "HH:mm 'ngày' dd/MM/yyyy", "time": "HH:mm"},
    "en": {"date": "d MMM yyyy", "datetime": "d MMM yyyy, HH:mm", "time": "HH:mm"},
}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]()#+\-.!|<>&~{}=])")


class CatalogError(Exception):
    """A catalog is missing or unreadable."""


def md_escape(value: Any) -> str:
    """Escape a value so that it shows exactly as typed inside core Markdown."""
    return _MD_SPECIAL.sub(r"\\\1", str(value))


class Problem(ValueError):
    """Bad input explained: English in logs and on the command line, the person's
    language in the chat (``t(problem.msgid, **problem.values)``)."""

    def __init__(self, msgid: str, **values: object) -> None:
        super().__init__(msgid.format(**values))
        self.msgid = msgid
        self.values = values

    def say(self, t: Translator) -> str:
        return t(self.msgid, **self.values)


def N_(msgid: str) -> str:
    """Mark a string for translation where it is defined; translate where shown."""
    return msgid


@cache
def catalog(locale: str) -> dict[str, str]:
    """msgid → translation for one locale (empty translations are left out)."""
    path = ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po"
    try:
        with path.open("rb") as fh:
            cat = read_po(fh, locale=BABEL_LOCALE.get(locale, locale))
    except (OSError, ValueError) as e:
        raise CatalogError(f"{path}: cannot read catalog: {e}") from e
    out: dict[str, str] = {}
    for msg in cat:
        if msg.id and msg.string and not msg.fuzzy and isinstance(msg.id, str):
            out[msg.id] = msg.string
    return out


def check_catalogs() -> None:
    """Fail unless the Vietnamese catalog loads and has translations (run at start)."""
    if not catalog("vi"):
        raise CatalogError("the Vietnamese catalog is empty")
    for loc in LOCALES:
        catalog(loc)


@cache
def translator(locale: str, zone_name: str = "Asia/Ho_Chi_Minh") -> Translator:
    """The shared translator for a locale and zone (building one reads locale data)."""
    return Translator(locale, ZoneInfo(zone_name))


class Translator:
    """Text and formats for one person: their locale and the configured zone."""

    def __init__(self, locale: str = "vi", zone: ZoneInfo | None = None) -> None:
        self.locale = locale if locale in LOCALES else "vi"
        self.babel = Locale.parse(BABEL_LOCALE[self.locale])
        self.zone = zone or ZoneInfo("Asia/Ho_Chi_Minh")
        self._cat = catalog(self.locale)

    def gettext(self, msgid: str) -> str:
        return self._cat.get(msgid, msgid)

    def __call__(self, msgid: str, **values: Any) -> str:
        """Translated Markdown text; interpolated values are escaped."""
        text = self.gettext(msgid)
        if not values:
            return text
        escaped = {k: md_escape(v) for k, v in values.items()}
        if "`" not in text:
            return text.format(**escaped)
        # Inside a `code span` Markdown shows backslashes as typed, so a value there goes
        # in as it is (a backtick in it would end the span, so it becomes a quote).
        raw = {k: str(v).replace("`", "'") for k, v in values.items()}
        parts = text.split("`")
        return "`".join(part.format(**(raw if i % 2 else escaped)) for i, part in enumerate(parts))

    def plain(self, msgid: str, **values: Any) -> str:
        """Translated plain text (button labels): values are not escaped."""
        text = self.gettext(msgid)
        return text.format(**values) if values else text

    # -- formats -----------------------------------------------------------
    def date(self, value: date | datetime, fmt: str | None = None) -> str:
        """A date as people in this locale write it ("02/03/2026")."""
        if isinstance(value, datetime):
            value = value.astimezone(self.zone).date()
        return format_date(value, format=fmt or FORMATS[self.locale]["date"], locale=self.babel)

    def datetime(self, value: datetime, fmt: str | None = None) -> str:
        """A moment in the configured zone ("08:00 ngày 02/03/2026")."""
        fmt = fmt or FORMATS[self.locale]["datetime"]
        return format_datetime(value, format=fmt, tzinfo=self.zone, locale=self.babel)

    def time(self, value: datetime, fmt: str | None = None) -> str:
        fmt = fmt or FORMATS[self.locale]["time"]
        return format_time(value, format=fmt, tzinfo=self.zone, locale=self.babel)

    def number(self, value: float) -> str:
        return format_decimal(value, locale=self.babel)
