"""/web for staff: a one-time link that logs them in to the web console (bot/web).

The link is valid for ten minutes and opens one session.  It is sent only in a
private chat: in a group (the staff chat) anyone reading could use it first."""

from __future__ import annotations

from bot.engine import Context
from bot.i18n import N_
from bot.router import Router
from bot.web.auth import LINK_MINUTES, new_login


async def web(ctx: Context) -> None:
    t = ctx.t
    s = ctx.services
    if not s.settings.console:
        ctx.reply(t("The web console is not turned on. The operator turns it on by setting"
                    " NHANONG_PUBLIC_URL."))
        return
    if ctx.inbound.is_group:
        ctx.reply(t("For your safety the login link is sent only in a private chat:"
                    " send /web to the bot directly."))
        return
    url = await new_login(s.store, s.settings, s.clock.now(), ctx.member.channel, ctx.member.user_id)
    await ctx.audit("web.link")
    ctx.reply(t("Your link to the union console (valid {minutes} minutes, works once;"
                " do not forward it):\n{url}", minutes=LINK_MINUTES, url=url))


def register(router: Router) -> None:
    router.command("web", web, N_("Log in to the web console (staff)"), staff=True,
                   keywords=("đăng nhập web",))
