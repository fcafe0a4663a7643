"""Showing one FAQ entry: its answer, then buttons for related questions and
linked articles.  (Matching free text to an entry is the FAQ issue's work.)"""

from __future__ import annotations

from bot.engine import Context
from bot.i18n import md_escape
from bot.router import Router
from bot.types import Button


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


async def show_entry(ctx: Context, fid: str) -> bool:
    lib = ctx.services.library
    entry = lib.faq_entry(fid, ctx.t.locale)
    if entry is None:
        return False
    rows = []
    for rid in entry.related[:3]:
        rel = lib.faq_entry(rid, ctx.t.locale)
        if rel:
            rows.append([Button("❓ " + _short(rel.question), f"f:{rid}")])
    arts = list(entry.articles) + [
        a.id for a in lib.newest(ctx.t.locale) if fid in a.faq and a.id not in entry.articles
    ]
    for aid in arts[:2]:
        art = lib.article(aid, ctx.t.locale)
        if art:
            rows.append([Button("📰 " + _short(art.title), f"n:a:{aid}")])
    ctx.reply(f"**{md_escape(entry.question)}**\n\n{entry.answer}", rows)
    return True


async def on_action(ctx: Context) -> None:
    if not ctx.args or not await show_entry(ctx, ctx.args[0]):
        ctx.reply(ctx.t("That button is no longer valid. Type /menu to start again."))


def register(router: Router) -> None:
    router.action("f", on_action)
