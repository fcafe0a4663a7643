"""The console's pages: Jinja2 templates in ``bot/web/templates``, autoescaped.

Every text in a template is ``_("English msgid")`` translated through the bot's
catalogs (``tools/catalog.py`` finds them in the templates too); every value, a
farmer's name or question among them, is escaped by Jinja.  Filters format numbers,
dates and times as the union's locale writes them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import jinja2

from ..config import Settings
from ..i18n import Translator


class Templates:
    def __init__(self, t: Translator, settings: Settings) -> None:
        self.t = t
        env = jinja2.Environment(
            loader=jinja2.PackageLoader("bot.web", "templates"),
            autoescape=jinja2.select_autoescape(["html"]),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.globals.update(_=t.plain, org_name=settings.org_name, lang=t.locale)
        env.filters.update(number=self._number, date=self._date, datetime=self._datetime,
                           percent=self._percent)
        self.env = env

    def render(self, template: str, **values: Any) -> str:
        return self.env.get_template(template).render(**values)

    def _number(self, value: float | int | None) -> str:
        return "–" if value is None else self.t.number(value)

    def _percent(self, value: float | None, digits: int = 0) -> str:
        if value is None:
            return "–"
        return self.t.number(round(100 * value, digits)) + " %"

    def _date(self, value: date | datetime | str | None) -> str:
        if not value:
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return self.t.date(value)

    def _datetime(self, value: datetime | str | None) -> str:
        if not value:
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return self.t.datetime(value)
