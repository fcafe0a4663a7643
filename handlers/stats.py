"""/thongke for staff: how many members, how reachable, by role and commune, and the
progress against the Đề án targets this year."""

from __future__ import annotations

from bot.engine import Context
from bot.i18n import N_
from bot.roles import ROLES
from bot.router import Router

from . import broadcasts, reports


async def stats(ctx: Context) -> None:
    t = ctx.t
    s = ctx.services
    members = s.store.members
    c = await members.counts()
    n = t.number
    lines = [
        t("**Members**"),
        t("- Total: {n}", n=n(c.get("total", 0))),
        t("- Receiving news: {n}", n=n(c.get("reachable", 0))),
        t("- Stopped the news: {n}", n=n(c.get("stopped", 0))),
        t("- Blocked the bot: {n}", n=n(c.get("blocked", 0))),
        t("- Profile filled in: {n}", n=n(c.get("profiled", 0))),
        "",
        t("**By role** (subscribed)"),
    ]
    for role, count in await members.count_by("role"):
        label = t.plain(ROLES[role]) if role in ROLES else t.plain("(not given)")
        lines.append(t("- {label}: {n}", label=label, n=n(count)))
    lines += ["", t("**By commune** (subscribed, top 10)")]
    for code, count in (await members.count_by("commune_code"))[:10]:
        commune = s.communes.get(code)
        label = commune.name if commune else t.plain("(not given)")
        lines.append(t("- {label}: {n}", label=label, n=n(count)))
    top = await s.store.reads.most_read(5)
    if top:
        lines += ["", t("**Most read articles** (readers)")]
        for aid, _, readers in top:
            art = s.library.article(aid, t.locale)
            lines.append(t("- {label}: {n}", label=art.title if art else aid, n=n(readers)))
    progress = await reports.progress_lines(ctx)
    if progress:
        lines += ["", *progress]
    recent = await broadcasts.status_lines(ctx)
    if recent:
        lines += ["", t("**Recent broadcasts**"), *recent]
    await ctx.audit("stats.view")
    ctx.reply("\n".join(lines))


def register(router: Router) -> None:
    router.command(("thongke", "stats"), stats, N_("Statistics (staff)"), staff=True,
                   keywords=("thống kê",))
