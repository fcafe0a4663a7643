"""The console's pages: Jinja2 templates in ``bot/web/templates``, autoescaped.

Every text in a template is ``_("English msgid")`` translated through the bot's
catalogs (``tools/catalog.py`` finds them in the templates too); every value, a
farmer's name or question among them, is escaped by Jinja.  Filters format numbers,
dates and times as the union's locale writes them."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import jinja2
from markupsafe import Markup, escape

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
                           percent=self._percent, channel_html=channel_html)
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


# The tags of a channel's HTML subset that a preview may show as formatting.
_TAG = re.compile(r"<(/?)(b|strong|i|em|u|s|code|pre)>|<a href=\"(https?://[^\"<>\s]*)\">|</a>|<[^>]*>?")


def channel_html(text: str) -> Markup:
    """A message as a channel with HTML shows it: its formatting tags kept (bold, italic,
    links to http(s) addresses), any other tag escaped.  The text between tags was
    escaped by the bot's renderer already (a farmer's or staff's ``<script>`` arrives as
    ``&lt;script&gt;``), so it shows as typed."""
    out: list[str] = []
    last = 0
    for m in _TAG.finditer(text):
        out.append(_text(text[last:m.start()]))
        whole = m.group(0)
        if m.group(2):
            out.append(f"<{m.group(1)}{m.group(2)}>")
        elif m.group(3):
            out.append(f'<a href="{_text(m.group(3))}" rel="noopener noreferrer" target="_blank">')
        elif whole == "</a>":
            out.append("</a>")
        else:
            out.append(str(escape(whole)))
        last = m.end()
    out.append(_text(text[last:]))
    return Markup("".join(out))


def _text(part: str) -> str:
    """Text between tags: its entities kept, a stray ``&`` or ``>`` made safe."""
    return re.sub(r"&(?!(?:amp|lt|gt|quot|#\d+|#x[0-9a-fA-F]+);)", "&amp;", part).replace(">", "&gt;")
